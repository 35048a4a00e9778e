//! The questionnaire's form handling against the real router (issue 15,
//! part 1): Enter means "next", a wrong value keeps every other value and is
//! marked, lab values as typed from a report, and the "seek help" page.

use axum::http::StatusCode;
use serde_json::{Value, json};

mod support;
use support::{KB, hidden, state_before, tag};

/// Posts the form fields to `uri`; the status and the page.
async fn post_form(uri: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let r = support::post_form(uri, fields).await;
    (r.status, r.text())
}

fn adult() -> Value {
    json!({ "guideline": "nhg", "person": { "age_years": 60, "sex": "male" } })
}

/// Enter in a text field (and a phone's "Go") presses the form's first
/// submit button: that must be "next", never the language switch.
#[tokio::test]
async fn the_first_submit_button_of_a_question_page_is_next() {
    let (_, html) = post_form(
        "/interview",
        &[("action", "start"), ("lang", "nl"), ("state", "{}")],
    )
    .await;
    assert!(html.contains("name=\"q\" value=\"age\""), "{html}");
    let first = &html[html
        .find("<button")
        .unwrap_or_else(|| panic!("no button in {html}"))..];
    let first = &first[..first.find('>').unwrap_or(first.len())];
    assert!(
        !first.contains("switch_lang") && !first.contains("value=\"back\""),
        "the first submit button is not 'next': {first}"
    );
    assert!(first.contains("form=\"step\""), "{first}");

    // What Enter then posts: the form without an action (the default button
    // has no name). It answers the question and stays in Dutch.
    let state = hidden(&html, "state");
    let (status, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", "nl"),
            ("q", "age"),
            ("value", "60"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"nl\""));
    assert!(html.contains("name=\"q\" value=\"sex\""), "{html}");
    assert!(hidden(&html, "state").contains("\"age_years\":60"));
}

/// One wrong lab value: the page comes back with every value as typed, the
/// wrong field marked and described in the page's language, and a summary
/// linking to it.
#[tokio::test]
async fn a_wrong_lab_value_keeps_every_other_value() {
    let state = state_before("labs", adult());
    let (status, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", "nl"),
            ("q", "labs"),
            ("action", "next"),
            ("lab-b12_total", "18O"),
            ("unit-b12_total", "pmol/L"),
            ("lab-haemoglobin", "8,1"),
            ("unit-haemoglobin", "mmol/L"),
            ("lab-mcv", "104"),
            ("unit-mcv", "fL"),
            ("lab-mma", "0.6"),
            ("unit-mma", "µmol/L"),
            ("lab-folate_serum", "1.180"),
            ("unit-folate_serum", "nmol/L"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"q\" value=\"labs\""), "{html}");
    for (id, value) in [
        ("lab-b12_total", "18O"),
        ("lab-haemoglobin", "8,1"),
        ("lab-mcv", "104"),
        ("lab-mma", "0.6"),
        ("lab-folate_serum", "1.180"),
    ] {
        assert!(
            tag(&html, id).contains(&format!("value=\"{value}\"")),
            "{id} lost: {}",
            tag(&html, id)
        );
    }
    for bad in ["lab-b12_total", "lab-folate_serum"] {
        let t = tag(&html, bad);
        assert!(t.contains("aria-invalid=\"true\""), "{t}");
        assert!(
            t.contains(&format!("aria-describedby=\"{bad}-error\"")),
            "{t}"
        );
        assert!(html.contains(&format!("id=\"{bad}-error\"")));
        assert!(
            html.contains(&format!("href=\"#{bad}\"")),
            "summary links {bad}"
        );
    }
    assert!(tag(&html, "lab-b12_total").contains("autofocus"));
    assert!(!tag(&html, "lab-haemoglobin").contains("aria-invalid"));
    // The units chosen stay chosen.
    assert!(
        html.contains("<option value=\"µmol/L\" selected>"),
        "{html}"
    );
    // In Dutch, with both readings of "1.180".
    assert!(html.contains("is geen getal"), "{html}");
    assert!(html.contains("1180 of 1,18"), "{html}");
    // Nothing was written into the answers.
    assert!(!hidden(&html, "state").contains("\"labs\""));
}

/// A decimal comma is read as a decimal; "0,18" and "7,5" are not thousands.
#[tokio::test]
async fn a_decimal_comma_is_accepted() {
    let state = state_before("labs", adult());
    let (status, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", "nl"),
            ("q", "labs"),
            ("lab-haemoglobin", "7,5"),
            ("unit-haemoglobin", "mmol/L"),
            ("lab-mma", "0,18"),
            ("unit-mma", "µmol/L"),
            ("lab-b12_total", "118 pmol/L"),
            ("unit-b12_total", "pg/mL"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let state = hidden(&html, "state");
    assert!(state.contains("\"value\":7.5"), "{state}");
    assert!(state.contains("\"value\":0.18"), "{state}");
    // A unit typed after the value counts (over the one chosen in the list).
    assert!(
        state.contains("{\"analyte\":\"b12_total\",\"unit\":\"pmol/L\",\"value\":118.0}"),
        "{state}"
    );

    // Shown again on a Dutch page, with the Dutch decimal comma (opened with
    // "change" from the summary of the answers, the page after the labs).
    let (_, html) = post_form(
        "/interview",
        &[("state", &state), ("lang", "nl"), ("edit", "labs")],
    )
    .await;
    assert!(
        tag(&html, "lab-haemoglobin").contains("value=\"7,5\""),
        "{html}"
    );
    assert!(tag(&html, "lab-mma").contains("value=\"0,18\""), "{html}");
}

/// "<100" cannot be sent as a censored result (the request has no field for
/// it): refused with a clear message; a value implausible in its unit asks
/// whether another unit was meant.
#[tokio::test]
async fn censored_and_implausible_lab_values_are_queried() {
    let state = state_before("labs", adult());
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", "en"),
            ("q", "labs"),
            ("lab-b12_total", "<100"),
            ("unit-b12_total", "pmol/L"),
            ("lab-haemoglobin", "71"),
            ("unit-haemoglobin", "mmol/L"),
        ],
    )
    .await;
    assert!(
        html.contains("cannot use a result given as “&lt;100”"),
        "{html}"
    );
    assert!(html.contains("Did you mean 71 g/L?"), "{html}");
    assert!(tag(&html, "lab-haemoglobin").contains("aria-invalid=\"true\""));
    assert!(tag(&html, "lab-b12_total").contains("value=\"&lt;100\""));
}

/// D6: "MMA 600 µmol/L (meant nmol/L) is accepted and drawn as 'verhoogd'";
/// expected "Dit lijkt geen geldige waarde voor MMA in µmol/L. Bedoelt u
/// nmol/L?". A value far above what a patient's lab reports in that unit is
/// queried in the questionnaire (the API keeps its wider plausible range).
#[tokio::test]
async fn an_mma_in_the_wrong_unit_is_queried() {
    let state = state_before("labs", adult());
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", "en"),
            ("q", "labs"),
            ("lab-mma", "600"),
            ("unit-mma", "µmol/L"),
        ],
    )
    .await;
    assert!(html.contains("Did you mean 600 nmol/L?"), "{html}");
    assert!(tag(&html, "lab-mma").contains("aria-invalid=\"true\""));
    // 600 nmol/L (0.6 µmol/L) goes through.
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", "en"),
            ("q", "labs"),
            ("lab-mma", "600"),
            ("unit-mma", "nmol/L"),
        ],
    )
    .await;
    assert!(!html.contains("aria-invalid=\"true\""), "{html}");
}

/// A wrong number of years keeps the other medicine's years.
#[tokio::test]
async fn a_wrong_number_of_years_keeps_the_others() {
    let mut answers = adult();
    answers["medications"] = json!([{ "id": "metformin" }, { "id": "proton_pump_inhibitor" }]);
    let state = state_before("medication_years", answers);
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", "en"),
            ("q", "medication_years"),
            ("years-metformin", "10"),
            ("years-proton_pump_inhibitor", "200"),
        ],
    )
    .await;
    assert!(
        tag(&html, "years-metformin").contains("value=\"10\""),
        "{html}"
    );
    let t = tag(&html, "years-proton_pump_inhibitor");
    assert!(
        t.contains("value=\"200\"") && t.contains("aria-invalid=\"true\""),
        "{t}"
    );
}

async fn seek_help_page(guideline: &str, lang: &str) -> String {
    let state = state_before(
        "red_flags",
        json!({ "guideline": guideline, "person": { "age_years": 70, "sex": "female" } }),
    );
    let (status, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", lang),
            ("q", "red_flags"),
            ("action", "next"),
            ("item", "chest_pain"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    html
}

/// The "seek help" page says why, whom to call (tel: links for the
/// profile's numbers), what to say, and offers a way back.
#[tokio::test]
async fn the_seek_help_page_has_reasons_numbers_and_a_way_back() {
    let html = seek_help_page("nhg", "nl").await;
    assert!(html.contains("Zoek nu hulp"), "{html}");
    assert!(html.contains("href=\"tel:112\""), "{html}");
    assert!(html.contains("huisartsenpost"));
    assert!(html.contains("Wat zegt u aan de telefoon"));
    assert!(html.contains("Waarom"));
    assert!(html.contains("value=\"back\""));

    let html = seek_help_page("nice", "en").await;
    assert!(html.contains("href=\"tel:999\""), "{html}");
    assert!(html.contains("href=\"tel:111\""), "{html}");
    assert!(!html.contains("tel:112"));
    assert!(html.contains("What to say on the phone"));

    // "Back" goes to the red-flag question with the tick kept.
    let state = hidden(&html, "state");
    let (_, back) = post_form(
        "/interview",
        &[("state", &state), ("lang", "en"), ("action", "back")],
    )
    .await;
    assert!(back.contains("name=\"q\" value=\"red_flags\""), "{back}");
}

/// Symptoms: yes, no or don't know per symptom. "Don't know" (or no answer)
/// leaves no entry: unknown stays unknown, never `present: false`.
#[tokio::test]
async fn a_symptom_can_be_unknown() {
    let state = state_before("symptoms", adult());
    let (_, html) = post_form(
        "/interview",
        &[("state", &state), ("lang", "nl"), ("action", "continue")],
    )
    .await;
    assert!(html.contains("name=\"q\" value=\"symptoms\""), "{html}");
    assert!(html.contains("id=\"s-fatigue-unknown\""), "{html}");
    assert!(html.contains("Weet ik niet"));
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", "nl"),
            ("q", "symptoms"),
            ("action", "next"),
            ("s-fatigue", "yes"),
            ("s-paresthesia", "no"),
            ("s-tremor", "unknown"),
        ],
    )
    .await;
    let state: Value =
        serde_json::from_str(&hidden(&html, "state")).unwrap_or_else(|e| panic!("{e}"));
    let symptoms = state["symptoms"].as_array().cloned().unwrap_or_default();
    let find = |id: &str| symptoms.iter().find(|s| s["id"] == id).cloned();
    assert_eq!(
        find("fatigue").map(|s| s["present"].clone()),
        Some(json!(true))
    );
    assert_eq!(
        find("paresthesia").map(|s| s["present"].clone()),
        Some(json!(false))
    );
    assert_eq!(find("tremor"), None, "{symptoms:?}");
    assert_eq!(find("pallor"), None, "unanswered is unknown: {symptoms:?}");

    // Back on the page, the answers are shown as given.
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &state.to_string()),
            ("lang", "nl"),
            ("action", "edit"),
            ("q", "symptoms"),
        ],
    )
    .await;
    assert!(tag(&html, "s-fatigue-yes").contains("checked"), "{html}");
    assert!(tag(&html, "s-paresthesia-no").contains("checked"));
    assert!(!tag(&html, "s-tremor-unknown").contains("checked"));
}

/// "Is it getting worse quickly?" left unticked says the complaint is not
/// getting worse quickly, not that it is absent: the symptoms page must still
/// ask it (review D19: unknown stays unknown, never "no"). A tick there and
/// then taken back leaves no rapid course behind; a course the symptoms page
/// gave stays.
#[tokio::test]
async fn not_rapidly_worse_is_not_absent() {
    let answer = |state: String, ticked: Vec<&'static str>| async move {
        let mut fields = vec![
            ("state", state),
            ("lang", "nl".to_owned()),
            ("q", "rapid_worsening".to_owned()),
            ("action", "next".to_owned()),
        ];
        fields.extend(ticked.into_iter().map(|id| ("item", id.to_owned())));
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (_, html) = post_form("/interview", &fields).await;
        let state: Value =
            serde_json::from_str(&hidden(&html, "state")).unwrap_or_else(|e| panic!("{e}"));
        state
    };
    let find = |state: &Value, id: &str| {
        state["symptoms"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["id"] == id).cloned())
    };
    let mut before = adult();
    before["symptoms"] = json!([{ "id": "muscle_weakness", "present": true, "course": "gradual" }]);
    let state = answer(state_before("rapid_worsening", before), vec![]).await;
    for id in ["paresthesia", "numbness"] {
        assert_eq!(find(&state, id), None, "{id} unknown, not absent: {state}");
    }
    assert_eq!(
        find(&state, "muscle_weakness"),
        Some(json!({ "id": "muscle_weakness", "present": true, "course": "gradual" })),
        "an earlier answer stays: {state}"
    );
    let ticked = answer(state_before("rapid_worsening", adult()), vec!["numbness"]).await;
    assert_eq!(
        find(&ticked, "numbness"),
        Some(json!({ "id": "numbness", "present": true, "course": "rapid" }))
    );
    let mut again = ticked.clone();
    again["extensions"] = json!({ "kobalt_interview": { "answered": [] } });
    let untick = answer(state_before("rapid_worsening", again), vec![]).await;
    assert_eq!(find(&untick, "numbness"), None, "taken back: {untick}");
}

/// D8: "Bel vandaag nog" on the seek-help page and "binnen enkele dagen" on
/// the result, with no word on why. When later answers lower the level (the
/// balance problems come on slowly), the result says that the advice changed
/// and what to do if in doubt.
#[tokio::test]
async fn a_lower_level_after_seek_help_is_explained() {
    let state = state_before("red_flags", adult());
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", "nl"),
            ("q", "red_flags"),
            ("action", "next"),
            ("item", "balance_problems"),
        ],
    )
    .await;
    assert!(html.contains("id=\"seek-help-h\""), "{html}");
    let mut later: Value =
        serde_json::from_str(&hidden(&html, "state")).unwrap_or_else(|e| panic!("{e}"));
    for s in later["symptoms"].as_array_mut().into_iter().flatten() {
        if s["id"] == "balance_problems" {
            s["course"] = json!("gradual");
            s["weeks"] = json!(20);
        }
    }
    let changed = KB.message(
        "web-level-changed",
        kobalt_contract::Language::Nl,
        kobalt_contract::Audience::Patient,
    );
    let first_words = &changed[..changed.find('{').unwrap_or(changed.len()).min(30)];
    let (_, result) = post_form(
        "/result",
        &[
            ("state", &later.to_string()),
            ("lang", "nl"),
            ("audience", "patient"),
        ],
    )
    .await;
    assert!(
        result.contains("level-consult_soon"),
        "the level is lower now: {result}"
    );
    assert!(
        result.contains(first_words),
        "the change is explained: {result}"
    );
    // Without a seek-help page before, nothing to explain.
    later["extensions"] = json!({});
    let (_, result) = post_form(
        "/result",
        &[
            ("state", &later.to_string()),
            ("lang", "nl"),
            ("audience", "patient"),
        ],
    )
    .await;
    assert!(!result.contains(first_words), "{result}");
}

/// D19: "There is no 'how long?' question (persona a's 3 months cannot be
/// entered, though the engine accepts `weeks`)". Asked once symptoms are
/// present; the answer sets `weeks` on every present symptom; "don't know"
/// leaves them unknown.
#[tokio::test]
async fn how_long_the_symptoms_have_been_there() {
    let mut answers = adult();
    answers["symptoms"] = json!([
        { "id": "paresthesia", "present": true, "course": "gradual" },
        { "id": "fatigue", "present": true },
        { "id": "tremor", "present": false }
    ]);
    let state = state_before("symptom_duration", answers);
    let (_, html) = post_form(
        "/interview",
        &[("state", &state), ("lang", "nl"), ("action", "continue")],
    )
    .await;
    assert!(
        html.contains("name=\"q\" value=\"symptom_duration\""),
        "{html}"
    );
    assert!(html.contains("Weet ik niet"), "{html}");
    let answer = |value: &'static str| {
        let state = state.clone();
        async move {
            let (_, html) = post_form(
                "/interview",
                &[
                    ("state", &state),
                    ("lang", "nl"),
                    ("q", "symptom_duration"),
                    ("action", "next"),
                    ("value", value),
                ],
            )
            .await;
            let state: Value =
                serde_json::from_str(&hidden(&html, "state")).unwrap_or_else(|e| panic!("{e}"));
            state["symptoms"].clone()
        }
    };
    let symptoms = answer("26").await;
    for s in symptoms.as_array().into_iter().flatten() {
        let want = if s["present"] == json!(true) {
            json!(26.0)
        } else {
            Value::Null
        };
        assert_eq!(s["weeks"], want, "{symptoms}");
    }
    let symptoms = answer("unknown").await;
    assert!(
        symptoms
            .as_array()
            .into_iter()
            .flatten()
            .all(|s| s.get("weeks").is_none()),
        "{symptoms}"
    );
}

/// "Seek help" is shown once for a red flag, not again after the next
/// red-flag question when that adds nothing (review D8).
#[tokio::test]
async fn seek_help_only_for_a_new_red_flag() {
    let state = state_before("red_flags", adult());
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", "en"),
            ("q", "red_flags"),
            ("item", "gait_disturbance"),
        ],
    )
    .await;
    assert!(html.contains("Seek help now"), "{html}");
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &hidden(&html, "state")),
            ("lang", "en"),
            ("action", "continue"),
        ],
    )
    .await;
    assert!(
        html.contains("name=\"q\" value=\"rapid_worsening\""),
        "{html}"
    );
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &hidden(&html, "state")),
            ("lang", "en"),
            ("q", "rapid_worsening"),
        ],
    )
    .await;
    assert!(!html.contains("Seek help now"), "shown again: {html}");
    assert!(html.contains("name=\"q\""), "{html}");
}
