//! The start page, the medicines question and the summary of the answers
//! against the real router (web review D24, D18, D27).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

mod support;
use support::{KB, hidden, state_before, tag};

async fn post_form(uri: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let r = support::post_form(uri, fields).await;
    (r.status, r.text())
}

async fn get(uri: &str) -> (StatusCode, String) {
    let r = support::send(
        Request::get(uri)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    (r.status, r.text())
}

/// The page's `<main>`: what the page says, without header and footer.
fn main_of(html: &str) -> &str {
    let start = html
        .find("<main")
        .unwrap_or_else(|| panic!("no main in {html}"));
    let end = html.find("</main>").unwrap_or(html.len());
    &html[start..end]
}

fn parsed(state: &str) -> Value {
    serde_json::from_str(state).unwrap_or_else(|e| panic!("{e}: {state}"))
}

fn answered(state: &Value) -> Vec<String> {
    state
        .pointer("/extensions/kobalt_interview/answered")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

// --- D24: the start page -------------------------------------------------

/// Review D24: the start page says in plain words what Kobalt is and is not,
/// how long it takes (counted from the interview's questions), whom to call in
/// an emergency, who keeps it and what it follows; the guideline choice is
/// tucked away with NHG chosen; the clinicians' link stays.
#[tokio::test]
async fn the_start_page_says_what_it_is_how_long_it_takes_and_whom_to_call() {
    // The questions everybody is asked, and all there are: the ones for some
    // people only (a sex or an age, years of a medicine, the course of nerve
    // complaints) make the difference.
    // The questions everyone gets and all of them (the engine's count).
    let (always, all) = kobalt_engine::interview::length(&KB);
    assert!(always < all);
    // About 20 seconds a question (the review's walks), rounded up.
    let minutes = (all * 20).div_ceil(60);
    for (lang, purpose, not_diagnosis, length, emergency, trust) in [
        (
            "nl",
            "of en hoe snel u naar de huisarts gaat",
            "stelt geen diagnose",
            format!("{always} tot {all} vragen, ongeveer {minutes} minuten"),
            "Bij spoed",
            ["open project", "NHG", "bewaard"],
        ),
        (
            "en",
            "whether and how soon to see your GP",
            "does not make a diagnosis",
            format!("{always} to {all} questions, about {minutes} minutes"),
            "In an emergency",
            ["open project", "NHG", "stored"],
        ),
    ] {
        let (status, html) = get(&format!("/?lang={lang}")).await;
        assert_eq!(status, StatusCode::OK);
        // The footer says "no diagnosis" on every page; the start page's own text must too.
        let main = main_of(&html);
        assert!(main.contains(purpose), "{lang}: purpose in {main}");
        assert!(main.contains(not_diagnosis), "{lang}: {main}");
        assert!(main.contains("huisarts") || main.contains("GP"));
        assert!(main.contains(&length), "{lang}: '{length}' in {main}");
        assert!(main.contains(emergency), "{lang}: {main}");
        assert!(main.contains("href=\"tel:112\""), "{lang}: {main}");
        assert!(main.contains("href=\"tel:999\""), "{lang}: {main}");
        for t in trust {
            assert!(main.contains(t), "{lang}: '{t}' in {main}");
        }
        assert!(main.contains(&KB.version), "{lang}: knowledge version");
        // The guideline choice: inside a closed <details>, NHG chosen.
        let details = main
            .find("<details")
            .unwrap_or_else(|| panic!("{lang}: no details in {main}"));
        let select = main
            .find("id=\"guideline\"")
            .unwrap_or_else(|| panic!("{lang}: no guideline select"));
        let closed = main[details..].find("</details>").map(|e| details + e);
        assert!(
            closed.is_some_and(|c| details < select && select < c),
            "{lang}: the guideline choice is not tucked away: {main}"
        );
        assert!(!tag(main, "guideline-choice").contains(" open"), "{main}");
        assert!(
            main.contains("<option value=\"nhg\" selected>"),
            "{lang}: {main}"
        );
        assert!(
            main.contains(&format!("href=\"/clinician?lang={lang}\"")),
            "{main}"
        );
        // Still one button to begin.
        assert!(main.contains("value=\"start\""));
    }
}

/// The guideline chosen on the start page still reaches the answers.
#[tokio::test]
async fn the_tucked_away_guideline_is_still_sent() {
    let (_, html) = post_form(
        "/interview",
        &[
            ("action", "start"),
            ("lang", "en"),
            ("state", "{}"),
            ("guideline", "nice"),
        ],
    )
    .await;
    assert_eq!(parsed(&hidden(&html, "state"))["guideline"], "nice");
}

// --- D18: the medicines question -----------------------------------------

fn adult() -> Value {
    json!({ "guideline": "nhg", "person": { "age_years": 60, "sex": "male" } })
}

async fn medicines_page(lang: &str) -> String {
    let state = state_before("medications", adult());
    let (status, html) = post_form(
        "/interview",
        &[("state", &state), ("lang", lang), ("action", "continue")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"q\" value=\"medications\""), "{html}");
    html
}

/// The values of the checkboxes `name="item"`, in page order.
fn items(html: &str) -> Vec<String> {
    html.match_indices("name=\"item\" ")
        .filter_map(|(at, _)| {
            let rest = &html[at..];
            let v = rest.find("value=\"")? + "value=\"".len();
            let end = rest[v..].find('"')?;
            Some(rest[v..v + end].to_owned())
        })
        .collect()
}

/// Review D18: the commonest medicines first (acid blockers and metformin),
/// with examples people recognise and no brand names; every medicine of the
/// contract is still offered; "another medicine" and "don't know" are there.
#[tokio::test]
async fn medicines_are_listed_most_common_first_with_examples() {
    let html = medicines_page("nl").await;
    let order = items(&html);
    assert_eq!(
        order.get(..2),
        Some(&["proton_pump_inhibitor".to_owned(), "metformin".to_owned()][..]),
        "{order:?}"
    );
    let mut sorted = order.clone();
    sorted.sort();
    assert_ne!(order, sorted, "sorted by the English id");
    for id in [
        "metformin",
        "proton_pump_inhibitor",
        "h2_receptor_antagonist",
        "colchicine",
        "pregabalin",
        "topiramate",
        "phenobarbital",
        "primidone",
        "statin",
        "oral_contraceptive",
        "folic_acid",
    ] {
        assert!(order.iter().any(|o| o == id), "{id} missing: {order:?}");
    }
    assert_eq!(order.len(), 11, "{order:?}");
    assert!(
        html.contains("Maagzuurremmer, zoals omeprazol, pantoprazol of esomeprazol"),
        "{html}"
    );
    assert!(html.contains("famotidine"), "{html}");
    assert!(!html.to_lowercase().contains("ranitidine"));
    assert!(!html.to_lowercase().contains("glucophage"));
    // "Another medicine" and "don't know", each its own box.
    assert!(tag(&html, "other").contains("type=\"checkbox\""), "{html}");
    assert!(
        tag(&html, "unknown").contains("type=\"checkbox\""),
        "{html}"
    );
    assert!(html.contains("Weet ik niet"));

    let html = medicines_page("en").await;
    assert!(
        html.contains("Stomach acid blocker, such as omeprazole, pantoprazole or esomeprazole"),
        "{html}"
    );
    assert!(html.contains("famotidine"));
    assert!(html.contains("I don't know"));

    // The interview API gives the same order and labels (the order is data).
    let r = support::send(
        Request::post("/api/v1/interview?lang=nl")
            .header("content-type", "application/json")
            .body(Body::from(state_before("medications", adult())))
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    let next = &r.json()["next"];
    assert_eq!(next["id"], "medications");
    assert_eq!(next["options"][0]["value"], "proton_pump_inhibitor");
    assert!(
        next["options"][0]["label"]
            .as_str()
            .is_some_and(|l| l.contains("omeprazol")),
        "{next}"
    );
    assert_eq!(next["options"][1]["value"], "metformin");
    assert_eq!(next["unknown"], "Weet ik niet", "{next}");
    assert!(next["other"].is_string(), "{next}");
}

async fn answer_medicines(fields: &[(&str, &str)]) -> String {
    let state = state_before("medications", adult());
    let mut all = vec![
        ("state", state.as_str()),
        ("lang", "nl"),
        ("q", "medications"),
        ("action", "next"),
    ];
    all.extend_from_slice(fields);
    let (status, html) = post_form("/interview", &all).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    html
}

/// Review D18: "don't know" leaves the medicines unknown (not sent), never
/// "none"; no box ticked is a known "none"; "another medicine" sends no
/// identifier (the contract's list is closed) and is kept for the summary;
/// a medicine ticked together with "don't know" is queried, not guessed.
#[tokio::test]
async fn dont_know_leaves_the_medicines_unknown() {
    let html = answer_medicines(&[("unknown", "yes")]).await;
    let state = parsed(&hidden(&html, "state"));
    assert!(state.get("medications").is_none(), "{state}");
    assert!(answered(&state).contains(&"medications".to_owned()));
    // The assessment lists the medicines as missing information.
    let r = support::post_form(
        "/result.json",
        &[("state", &state.to_string()), ("lang", "nl")],
    )
    .await;
    let missing = r.json()["missing_information"].clone();
    assert!(
        missing
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x == "medications")),
        "{missing}"
    );
    // Asked again, "don't know" is shown as given.
    let (_, again) = post_form(
        "/interview",
        &[
            ("state", &state.to_string()),
            ("lang", "nl"),
            ("action", "edit"),
            ("q", "medications"),
        ],
    )
    .await;
    assert!(tag(&again, "unknown").contains("checked"), "{again}");

    // No box ticked: a known "none".
    let html = answer_medicines(&[]).await;
    assert_eq!(parsed(&hidden(&html, "state"))["medications"], json!([]));

    // Another medicine: no identifier is sent; it is remembered.
    let html = answer_medicines(&[("item", "metformin"), ("other", "yes")]).await;
    let state = parsed(&hidden(&html, "state"));
    assert_eq!(
        state["medications"],
        json!([{ "id": "metformin" }]),
        "{state}"
    );
    let (_, again) = post_form(
        "/interview",
        &[
            ("state", &state.to_string()),
            ("lang", "nl"),
            ("action", "edit"),
            ("q", "medications"),
        ],
    )
    .await;
    assert!(tag(&again, "other").contains("checked"), "{again}");

    // A medicine and "don't know": asked which of the two, nothing written.
    let html = answer_medicines(&[("item", "metformin"), ("unknown", "yes")]).await;
    assert!(html.contains("name=\"q\" value=\"medications\""), "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(
        tag(&html, "unknown").contains("aria-invalid=\"true\""),
        "{html}"
    );
    let state = parsed(&hidden(&html, "state"));
    assert!(state.get("medications").is_none(), "{state}");
    assert!(!answered(&state).contains(&"medications".to_owned()));
    assert!(
        html.contains("value=\"metformin\" checked"),
        "the tick is kept: {html}"
    );
}

// --- D27: the summary of the answers -------------------------------------

/// A woman of 40 with every question but the lab page answered: pregnancy
/// and medicines "don't know", fatigue yes, tingling no.
fn before_labs() -> String {
    state_before(
        "labs",
        json!({
            "guideline": "nhg",
            "person": { "age_years": 40, "sex": "female" },
            "diet": "vegan",
            "supplements": [],
            "conditions": [],
            "procedures": [],
            "exposures": [],
            "symptoms": [
                { "id": "dyspnoea_at_rest", "present": false },
                { "id": "fatigue", "present": true },
                { "id": "paresthesia", "present": false }
            ]
        }),
    )
}

/// The answers page after the last question (the lab page).
async fn answers_page(lang: &str) -> String {
    let state = before_labs();
    let (status, html) = post_form(
        "/interview",
        &[
            ("state", &state),
            ("lang", lang),
            ("q", "labs"),
            ("action", "next"),
            ("lab-b12_total", "180"),
            ("unit-b12_total", "pmol/L"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    html
}

/// The row of the answers page for question `id`.
fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"answer-{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no answer row {id} in {html}"));
    let end = html[at..].find("</div>").map_or(html.len(), |e| at + e);
    &html[at..end]
}

/// Review D27: after the last question, a summary of every answer, each with
/// a "change" button for its question, then "see result". Unknown answers
/// say "don't know", never "no" or "none".
#[tokio::test]
async fn the_last_answer_leads_to_a_summary_of_the_answers() {
    let html = answers_page("nl").await;
    assert!(!html.contains("id=\"triage-h\""), "straight to the result");
    assert!(html.contains("Controleer uw antwoorden"), "{html}");
    let state = parsed(&hidden(&html, "state"));
    for q in KB.interview.iter().filter(|q| {
        answered(&state).contains(&q.id) && kobalt_engine::interview::applies(&KB, q, &state)
    }) {
        let r = row(&html, &q.id);
        assert!(
            r.contains(&format!("name=\"edit\" value=\"{}\"", q.id)),
            "no change button for {}: {r}",
            q.id
        );
        assert!(r.contains("Wijzig"), "{r}");
    }
    assert!(row(&html, "age").contains(">40<"), "{}", row(&html, "age"));
    assert!(row(&html, "diet").contains("Veganist"));
    assert!(row(&html, "labs").contains("180 pmol/L"));
    for unknown in ["pregnant", "medications"] {
        let r = row(&html, unknown);
        assert!(r.contains("Weet ik niet"), "{unknown}: {r}");
        assert!(!r.contains("Nee") && !r.contains("geen"), "{unknown}: {r}");
    }
    let symptoms = row(&html, "symptoms");
    assert!(symptoms.contains("Ja: Vermoeidheid"), "{symptoms}");
    assert!(symptoms.contains("Nee: Tintelingen"), "{symptoms}");
    assert!(symptoms.contains("Weet ik niet"), "{symptoms}");
    // The result is one button away.
    let see = tag(&html, "see-result");
    assert!(see.contains("formaction=\"/result\""), "{see}");
    assert!(html.contains("Bekijk uitslag"));

    let html = answers_page("en").await;
    assert!(html.contains("Check your answers"), "{html}");
    assert!(row(&html, "medications").contains("I don't know"));
    assert!(html.contains("See result"));
}

/// Review D27: "change" opens the question with its answer; after the new
/// answer the summary comes back with it; "back" there keeps the old answer;
/// the result's "change my answers" leads to the summary, not to the lab page.
#[tokio::test]
async fn an_answer_changed_from_the_summary_comes_back_to_it() {
    let html = answers_page("nl").await;
    let state = hidden(&html, "state");
    let (_, html) = post_form(
        "/interview",
        &[("state", &state), ("lang", "nl"), ("edit", "age")],
    )
    .await;
    assert!(html.contains("name=\"q\" value=\"age\""), "{html}");
    assert!(tag(&html, "value").contains("value=\"40\""), "{html}");
    let editing = hidden(&html, "state");

    // "Back" on the question: the summary again, the answer unchanged.
    let (_, back) = post_form(
        "/interview",
        &[
            ("state", &editing),
            ("lang", "nl"),
            ("q", "age"),
            ("action", "back"),
        ],
    )
    .await;
    assert!(back.contains("Controleer uw antwoorden"), "{back}");
    assert!(row(&back, "age").contains(">40<"));

    // A new age: back at the summary with it.
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &editing),
            ("lang", "nl"),
            ("q", "age"),
            ("action", "next"),
            ("value", "41"),
        ],
    )
    .await;
    assert!(html.contains("Controleer uw antwoorden"), "{html}");
    assert!(row(&html, "age").contains(">41<"), "{}", row(&html, "age"));
    assert!(
        row(&html, "labs").contains("180 pmol/L"),
        "nothing else lost"
    );

    // From the result page, "change my answers" (its "back") shows the summary.
    let state = hidden(&html, "state");
    let (_, result) = post_form("/result", &[("state", &state), ("lang", "nl")]).await;
    assert!(result.contains("id=\"triage-h\""), "{result}");
    assert!(result.contains("value=\"back\""), "{result}");
    let (_, html) = post_form(
        "/interview",
        &[("state", &state), ("lang", "nl"), ("action", "back")],
    )
    .await;
    assert!(html.contains("Controleer uw antwoorden"), "{html}");
    assert!(!html.contains("name=\"q\" value=\"labs\""));
}

/// Review D27: a change that makes a question no longer apply drops its
/// answer (a man is not asked, nor sent, "pregnant"), so the result works.
#[tokio::test]
async fn a_change_that_makes_a_question_moot_drops_its_answer() {
    let mut state = parsed(&before_labs());
    state["person"]["pregnant"] = json!(true);
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &state.to_string()),
            ("lang", "en"),
            ("q", "labs"),
            ("action", "next"),
        ],
    )
    .await;
    assert!(row(&html, "pregnant").contains("Yes"), "{html}");
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &hidden(&html, "state")),
            ("lang", "en"),
            ("edit", "sex"),
        ],
    )
    .await;
    let (_, html) = post_form(
        "/interview",
        &[
            ("state", &hidden(&html, "state")),
            ("lang", "en"),
            ("q", "sex"),
            ("value", "male"),
        ],
    )
    .await;
    assert!(html.contains("Check your answers"), "{html}");
    assert!(!html.contains("id=\"answer-pregnant\""), "{html}");
    let state = parsed(&hidden(&html, "state"));
    assert!(state["person"].get("pregnant").is_none(), "{state}");
    let (status, result) =
        post_form("/result", &[("state", &state.to_string()), ("lang", "en")]).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert!(result.contains("id=\"triage-h\""), "{result}");
}
