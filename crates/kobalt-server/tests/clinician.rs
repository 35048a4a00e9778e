//! The clinician entry against the real router (issue 15, part 4; web
//! review D11, D12): one form, one submit, the result in clinician words with
//! a SOEP/SOAP note to copy into the practice system.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kobalt_contract::{Audience, Language};

mod support;
use support::{KB, tag};

async fn send(req: Request<Body>) -> (StatusCode, String) {
    let r = support::send(req).await;
    (r.status, r.text())
}

async fn post_form(uri: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    send(support::form_request(uri, fields)).await
}

async fn get(uri: &str) -> (StatusCode, String) {
    send(
        Request::get(uri)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await
}

fn msg(id: &str, lang: Language) -> String {
    KB.message(id, lang, Audience::Clinician).to_owned()
}

/// The text of the read-only note, unescaped.
fn note(html: &str) -> String {
    let open = tag(html, "note");
    assert!(open.contains("readonly"), "{open}");
    let start = html.find(open).unwrap_or(0) + open.len();
    let end = html[start..]
        .find("</textarea>")
        .map_or(html.len(), |e| start + e);
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn the_start_page_links_to_the_clinician_form() {
    for (lang, text) in [("nl", "Voor zorgverleners"), ("en", "For clinicians")] {
        let (_, html) = get(&format!("/?lang={lang}")).await;
        assert!(
            html.contains(&format!("href=\"/clinician?lang={lang}\"")) && html.contains(text),
            "{html}"
        );
    }
}

#[tokio::test]
async fn one_form_with_age_sex_risks_symptoms_and_the_lab_table() {
    let (status, html) = get("/clinician?lang=nl").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"nl\""), "{html}");
    assert_eq!(html.matches("<form").count(), 1, "{html}");
    for id in [
        "age",
        "sex-female",
        "pregnant-unknown",
        "weeks",
        "guideline",
        "risk-vegan",
        "risk-metformin",
        "risk-proton_pump_inhibitor",
        "risk-autoimmune_gastritis",
        "risk-gastrectomy",
        "risk-nitrous_oxide",
        "s-paresthesia-unknown",
        "s-gait_disturbance-yes",
        "s-fatigue-no",
        "s-memory_problems-unknown",
        "lab-b12_total",
        "unit-b12_total",
        "lab-mma",
    ] {
        tag(&html, id);
    }
    assert!(html.contains("action=\"/clinician\""), "{html}");
}

#[tokio::test]
async fn four_values_give_category_triage_and_a_soep_note_in_dutch_numbers() {
    let (status, html) = post_form(
        "/clinician",
        &[
            ("lang", "nl"),
            ("guideline", "nhg"),
            ("age", "67"),
            ("sex", "female"),
            ("lab-b12_total", "150"),
            ("unit-b12_total", "pmol/L"),
            ("lab-mma", "0,45"),
            ("unit-mma", "µmol/L"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let nl = Language::Nl;
    // The category and the triage level, in clinician words.
    let category = msg("category-indeterminate", nl);
    let level = msg("report-level-routine", nl);
    assert!(html.contains(&category) && html.contains(&level), "{html}");
    // Rule ids and the triage reason's level are shown.
    assert!(
        html.contains("<code>indeterminate_grey_zone</code>"),
        "{html}"
    );
    assert!(
        html.contains("<code>triage_routine_indeterminate</code>"),
        "{html}"
    );
    // Limits written out, in Dutch numbers.
    assert!(html.contains("normaal &lt;0,28"), "{html}");
    // Clinician headings, and the zones under the bars in Dutch numbers too.
    assert!(html.contains(&msg("web-markers", nl)), "{html}");
    assert!(!html.contains("Uw bloeduitslagen"), "{html}");
    assert!(
        html.contains("onder 0,28 µmol/L") && !html.contains("0.28"),
        "{html}"
    );
    // The SOEP note: S, O, E and P lines, the values with a decimal comma.
    let note = note(&html);
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines.len(), 4, "{note}");
    for (line, label) in lines.iter().zip(["S: ", "O: ", "E: ", "P: "]) {
        assert!(line.starts_with(label), "{note}");
    }
    assert!(
        lines[0].contains("67 jaar") && lines[0].contains("vrouw"),
        "{note}"
    );
    assert!(
        lines[1].contains("150 pmol/L") && lines[1].contains("0,45 µmol/L"),
        "{note}"
    );
    assert!(!note.contains("0.45"), "{note}");
    assert!(lines[1].contains("grenzen: laag <148"), "{note}");
    assert!(
        lines[2].contains(&category) && lines[2].contains(&level),
        "{note}"
    );
    assert!(lines[3].contains("Hemoglobine"), "{note}");
}

#[tokio::test]
async fn in_english_the_note_is_soap_with_decimal_points() {
    let (status, html) = post_form(
        "/clinician",
        &[
            ("lang", "en"),
            ("guideline", "nice"),
            ("age", "67"),
            ("sex", "male"),
            ("lab-b12_total", "150"),
            ("unit-b12_total", "pmol/L"),
            ("lab-mma", "0.45"),
            ("unit-mma", "µmol/L"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<html lang=\"en\""), "{html}");
    let note = note(&html);
    let labels: Vec<&str> = note.lines().map(|l| &l[..3]).collect();
    assert_eq!(labels, ["S: ", "O: ", "A: ", "P: "], "{note}");
    assert!(
        note.contains("0.45 µmol/L") && note.contains("67 years"),
        "{note}"
    );
}

#[tokio::test]
async fn symptoms_and_risks_go_into_the_request_and_unknown_stays_unknown() {
    let (status, html) = post_form(
        "/clinician",
        &[
            ("lang", "nl"),
            ("age", "45"),
            ("risk", "vegan"),
            ("risk", "metformin"),
            ("s-paresthesia", "yes"),
            ("s-fatigue", "no"),
            ("s-memory_problems", "unknown"),
            ("course", "gradual"),
            ("lab-b12_total", "120"),
            ("unit-b12_total", "pmol/L"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let note = note(&html);
    let s = note.lines().next().unwrap_or_default().to_lowercase();
    let yes = msg("symptom-paresthesia", Language::Nl).to_lowercase();
    let no = msg("symptom-fatigue", Language::Nl).to_lowercase();
    let unknown = msg("symptom-memory_problems", Language::Nl).to_lowercase();
    assert!(s.contains(&format!("klachten: {yes}")), "{note}");
    assert!(s.contains(&format!("ontkent: {no}")), "{note}");
    assert!(!s.contains(&unknown), "{note}");
    assert!(s.contains("veganist") && s.contains("metformine"), "{note}");
    // The request carried: no entry for the unknown symptom, the course on the
    // neurological one.
    let state = html
        .split("name=\"state\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .replace("&quot;", "\"");
    let state: serde_json::Value = serde_json::from_str(&state).unwrap_or_default();
    assert_eq!(
        state["symptoms"],
        serde_json::json!([
            { "id": "paresthesia", "present": true, "course": "gradual" },
            { "id": "fatigue", "present": false }
        ]),
        "{state}"
    );
    assert_eq!(state["diet"], "vegan");
    assert_eq!(
        state["medications"],
        serde_json::json!([{ "id": "metformin" }])
    );
    assert!(state.get("conditions").is_none(), "{state}");
}

#[tokio::test]
async fn a_bad_value_comes_back_marked_with_every_value_kept() {
    let (status, html) = post_form(
        "/clinician",
        &[
            ("lang", "nl"),
            ("guideline", "nice"),
            ("age", "67"),
            ("sex", "female"),
            ("risk", "proton_pump_inhibitor"),
            ("s-gait_disturbance", "no"),
            ("lab-b12_total", "1.180"),
            ("unit-b12_total", "pmol/L"),
            ("lab-mma", "0,45"),
            ("unit-mma", "µmol/L"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // The form again, not a result; the wrong field marked and described.
    assert!(!html.contains("id=\"note\""), "{html}");
    let b12 = tag(&html, "lab-b12_total");
    assert!(
        b12.contains("aria-invalid=\"true\"")
            && b12.contains("value=\"1.180\"")
            && b12.contains("aria-describedby=\"lab-b12_total-error\""),
        "{b12}"
    );
    assert!(
        tag(&html, "lab-b12_total-error").starts_with("<span"),
        "{html}"
    );
    assert!(html.contains("1180") && html.contains("1,18"), "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    // Everything else as typed.
    assert!(tag(&html, "age").contains("value=\"67\""), "{html}");
    assert!(!tag(&html, "age").contains("aria-invalid"), "{html}");
    assert!(tag(&html, "lab-mma").contains("value=\"0,45\""), "{html}");
    assert!(tag(&html, "sex-female").contains("checked"), "{html}");
    assert!(
        tag(&html, "risk-proton_pump_inhibitor").contains("checked"),
        "{html}"
    );
    assert!(
        tag(&html, "s-gait_disturbance-no").contains("checked"),
        "{html}"
    );
    assert!(html.contains("<option value=\"nice\" selected"), "{html}");
    // A wrong age too: both are marked, the lab value still kept.
    let (_, html) = post_form(
        "/clinician",
        &[
            ("lang", "en"),
            ("age", "abc"),
            ("lab-b12_total", "1.180"),
            ("lab-mma", "0.45"),
        ],
    )
    .await;
    assert!(
        tag(&html, "age").contains("aria-invalid=\"true\""),
        "{html}"
    );
    assert!(tag(&html, "age").contains("value=\"abc\""), "{html}");
    assert!(
        tag(&html, "lab-b12_total").contains("aria-invalid=\"true\""),
        "{html}"
    );
    assert!(tag(&html, "lab-mma").contains("value=\"0.45\""), "{html}");
}

#[tokio::test]
async fn the_language_switch_keeps_every_value() {
    let (_, html) = post_form(
        "/clinician",
        &[
            ("lang", "nl"),
            ("switch_lang", "en"),
            ("age", "67"),
            ("lab-mma", "0,45"),
        ],
    )
    .await;
    assert!(html.contains("<html lang=\"en\""), "{html}");
    assert!(!html.contains("role=\"alert\""), "{html}");
    assert!(tag(&html, "age").contains("value=\"67\""), "{html}");
    assert!(tag(&html, "lab-mma").contains("value=\"0,45\""), "{html}");
}

/// "Edit" on a clinician result goes back to the clinician form with every
/// value as entered, not into the patient questionnaire.
#[tokio::test]
async fn edit_from_the_result_goes_back_to_the_filled_form() {
    let fields = [
        ("lang", "nl"),
        ("guideline", "nhg"),
        ("age", "67"),
        ("sex", "female"),
        ("risk", "metformin"),
        ("lab-b12_total", "150"),
        ("unit-b12_total", "pmol/L"),
        ("lab-mma", "0,45"),
        ("unit-mma", "µmol/L"),
    ];
    let (_, html) = post_form("/clinician", &fields).await;
    let at = html
        .find("action=\"/clinician\"")
        .unwrap_or_else(|| panic!("no edit form to /clinician: {html}"));
    let end = html[at..].find("</form>").map_or(html.len(), |e| at + e);
    let edit = &html[at..end];
    assert!(edit.contains("value=\"edit\""), "{edit}");
    assert!(
        !html.contains("action=\"/interview\""),
        "not the questionnaire"
    );
    // The edit form carries the fields as entered: post them as the browser would.
    let mut carried: Vec<(String, String)> = Vec::new();
    for part in edit.split("<input type=\"hidden\" ").skip(1) {
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            part.find(&key).map(|i| {
                let rest = &part[i + key.len()..];
                rest[..rest.find('"').unwrap_or(rest.len())].replace("&quot;", "\"")
            })
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            carried.push((n, v));
        }
    }
    carried.push(("action".into(), "edit".into()));
    let pairs: Vec<(&str, &str)> = carried
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, form) = post_form("/clinician", &pairs).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!form.contains("role=\"alert\""), "{form}");
    assert!(tag(&form, "age").contains("value=\"67\""), "{form}");
    assert!(tag(&form, "lab-mma").contains("value=\"0,45\""), "{form}");
    assert!(tag(&form, "risk-metformin").contains("checked"), "{form}");
    assert!(
        !form.contains("id=\"note\""),
        "the form, not a result: {form}"
    );
}
