//! The result page as a patient reads it (web review 2026-12, part 2: D3,
//! D9, D15, D16, D17, D23) and what a clinician keeps. The expectations are
//! the review's: one action at the top with lower-level reasons set apart,
//! one source line for patients with the list folded, no "not verified"
//! labels for patients, every proposed test explained in plain words, marker
//! bars with zone names, the person's value labelled and limits rounded in
//! the lab's unit. The assessment's JSON (same request, `/api/v1/assess`)
//! tells which reason has which level and which source is primary.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kobalt_contract::{Audience, Language};
use serde_json::{Value, json};
use support::{KB, post_form, send};

/// The request of one of the repository's own cases.
fn case_request(id: &str) -> Value {
    let path = format!("{}/../../tests/cases/{id}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    case["request"].clone()
}

async fn result_html(request: &Value, lang: &str, audience: &str) -> String {
    let reply = post_form(
        "/result",
        &[
            ("state", &request.to_string()),
            ("lang", lang),
            ("audience", audience),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.text()
}

async fn assessment(request: &Value, lang: &str, audience: &str) -> Value {
    let mut request = request.clone();
    request["language"] = json!(lang);
    request["audience"] = json!(audience);
    assess_at("/api/v1/assess", &request).await
}

/// The assessment of `request` from the JSON API at `uri`.
async fn assess_at(uri: &str, request: &Value) -> Value {
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(request.to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = send(req).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()
}

/// The part of `html` from the element with `id`'s section to its end.
fn section<'a>(html: &'a str, start: &str) -> &'a str {
    let at = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"));
    let end = html[at..].find("</section>").map_or(html.len(), |e| at + e);
    &html[at..end]
}

fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn m(id: &str, lang: Language) -> String {
    KB.message(id, lang, Audience::Patient).to_owned()
}

const LEVELS: [&str; 4] = ["self_care", "routine", "consult_soon", "urgent_24h"];

fn rank(level: &str) -> usize {
    LEVELS.iter().position(|l| *l == level).unwrap_or(9)
}

/// D3: "One unmistakable action. Lower-level reasons are hidden or grouped as
/// 'Ook goed om te bespreken'." An urgent case whose clinician assessment has
/// soon and routine reasons too: the patient's box holds the action first and
/// none of the lower-level reasons.
#[tokio::test]
async fn one_action_on_top_and_no_lower_reasons_under_it() {
    let request = case_request("f01-rapid-neuro-no-n2o-lifelong");
    for (lang, language) in [("nl", Language::Nl), ("en", Language::En)] {
        let a = assessment(&request, lang, "clinician").await;
        let level = a["triage"]["level"].as_str().unwrap_or_default();
        let patient = assessment(&request, lang, "patient").await;
        let html = result_html(&request, lang, "patient").await;
        let triage = section(&html, "class=\"triage");
        let advice = patient["triage"]["advice"].as_str().unwrap_or_default();
        let first_p = triage.find("<p").unwrap_or(usize::MAX);
        assert!(
            triage[first_p..].starts_with("<p class=\"big\">") && triage.contains(&escaped(advice)),
            "the action comes first: {triage}"
        );
        let mut lower = 0;
        for r in a["triage"]["reasons"].as_array().into_iter().flatten() {
            let rule = r["rule"].as_str().unwrap_or_default();
            let id = format!("rule-{rule}");
            let shown = triage.contains(&escaped(KB.message(&id, language, Audience::Patient)));
            if rank(r["level"].as_str().unwrap_or_default()) < rank(level) {
                lower += 1;
                assert!(
                    !shown,
                    "lower-level reason {rule} under the action: {triage}"
                );
            } else {
                assert!(
                    shown,
                    "reason {rule} at the level {level} missing: {triage}"
                );
            }
        }
        assert!(lower > 0, "the case has lower-level reasons");
    }
}

/// D16: "Patient view: one line 'Gebaseerd op NHG-Standpunt B12 ...', with
/// date; details folded. Clinician view: primary sources first."
#[tokio::test]
async fn patients_get_one_source_line_clinicians_primary_sources_first() {
    let request = case_request("d20-vegan-after-treatment");
    let html = result_html(&request, "nl", "patient").await;
    let before_sources = &html[..html.find("id=\"sources-h\"").unwrap_or(html.len())];
    assert!(
        !before_sources.contains("href=\"#src-"),
        "no source codes in the patient text"
    );
    let sources = section(&html, "id=\"sources-h\"");
    assert!(
        sources.contains(&escaped(&m("guideline-nhg", Language::Nl))),
        "the line names the guideline: {sources}"
    );
    assert!(
        sources.contains("<details") && sources.find("<details") < sources.find("<li"),
        "the list is folded: {sources}"
    );

    let a = assessment(&request, "nl", "clinician").await;
    let html = result_html(&request, "nl", "clinician").await;
    assert!(html.contains("href=\"#src-"), "clinicians keep the codes");
    let kinds: Vec<(usize, &str)> = a["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let id = s["id"].as_str().unwrap_or_default();
            let at = html
                .find(&format!("id=\"src-{id}\""))
                .unwrap_or_else(|| panic!("source {id} not listed"));
            (at, s["kind"].as_str().unwrap_or_default())
        })
        .collect();
    let last_primary = kinds
        .iter()
        .filter(|(_, k)| *k == "primary")
        .map(|(at, _)| *at)
        .max();
    let first_other = kinds
        .iter()
        .filter(|(_, k)| *k != "primary")
        .map(|(at, _)| *at)
        .min();
    assert!(
        matches!((last_primary, first_other), (Some(p), Some(o)) if p < o),
        "primary sources first: {kinds:?}"
    );
}

/// D15: "Do not show this to patients" ("niet geverifieerd", "nog niet
/// gecontroleerd"); say plainly what is uncertain. Clinicians keep the label.
#[tokio::test]
async fn patients_see_no_unverified_labels() {
    let request = case_request("d20-vegan-after-treatment");
    let a = assessment(&request, "nl", "clinician").await;
    assert!(
        a["b12_status"]["markers"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|mk| mk["unverified"] == json!(true)),
        "the case uses an unverified limit"
    );
    let html = result_html(&request, "nl", "patient").await;
    let lower = html.to_lowercase();
    for noise in ["niet geverifieerd", "nog niet gecontroleerd"] {
        assert!(!lower.contains(noise), "patient page says {noise:?}");
    }
    assert!(
        html.contains(&escaped(&m("web-uncertain-limits", Language::Nl))),
        "what is uncertain, in plain words"
    );
    let html = result_html(&request, "nl", "clinician").await;
    assert!(
        html.contains("niet geverifieerd"),
        "clinicians keep the label"
    );
}

/// D17: "Thuisarts-level words, tests named once with a plain gloss"; no
/// "[behandeling]" brackets, no "de score ordent", no simulation jargon.
#[tokio::test]
async fn every_proposed_test_is_explained_and_no_jargon_remains() {
    // Grey-zone B12 with symptoms: MMA is proposed.
    let request = json!({
        "guideline": "nhg",
        "person": { "age_years": 60, "sex": "female" },
        "diet": "omnivore",
        "symptoms": [{ "id": "paresthesia", "present": true, "weeks": 12, "course": "gradual" }],
        "labs": [{ "analyte": "b12_total", "value": 180, "unit": "pmol/L" }]
    });
    let a = assessment(&request, "nl", "patient").await;
    let tests = a["next_tests"].as_array().cloned().unwrap_or_default();
    assert!(
        tests.iter().any(|t| t["analyte"] == "mma"),
        "MMA is proposed"
    );
    let html = result_html(&request, "nl", "patient").await;
    let section = section(&html, "id=\"tests-h\"");
    for t in &tests {
        let analyte = t["analyte"].as_str().unwrap_or_default();
        let gloss = escaped(&m(&format!("gloss-{analyte}"), Language::Nl));
        assert!(
            section.contains(&gloss),
            "{analyte} explained ({gloss}): {section}"
        );
    }
    assert!(section.contains("extra bloedtest die laat zien of uw lichaam echt B12 tekortkomt"));
    let lower = html.to_lowercase();
    for jargon in [
        "[behandeling]",
        "[oplaad]",
        "[onderhoud]",
        "de score ordent",
        "mediaan van de gesimuleerde",
        "standaardparameters",
    ] {
        assert!(!lower.contains(jargon), "patient page says {jargon:?}");
    }
}

/// D23: "'laag · grijs gebied · normaal' under the bar, your value labelled,
/// rounded limits in the lab's unit" (NICE ticks read 132.8 · 258.23).
#[tokio::test]
async fn marker_bars_name_zones_label_the_value_and_round_limits() {
    for (guideline, lang) in [("nhg", "nl"), ("nice", "en")] {
        let request = json!({
            "guideline": guideline,
            "person": { "age_years": 29, "sex": "female" },
            "diet": "vegan",
            "symptoms": [{ "id": "paresthesia", "present": true, "weeks": 10, "course": "gradual" }],
            "labs": [{ "analyte": "b12_total", "value": 118, "unit": "pmol/L" }]
        });
        let language = if lang == "nl" {
            Language::Nl
        } else {
            Language::En
        };
        let html = result_html(&request, lang, "patient").await;
        let markers = section(&html, "id=\"status-h\"");
        assert!(
            markers.contains(&escaped(&m("web-your-value", language))),
            "the value is labelled: {markers}"
        );
        for band in ["band-low", "band-normal"] {
            assert!(
                markers.contains(&format!(
                    "<span class=\"zone-name\">{}",
                    escaped(&m(band, language))
                )),
                "zone {band} named ({guideline}): {markers}"
            );
        }
        // Nowhere on the page: not under the bars, not on the projection chart.
        for spurious in ["132.8", "132,8", "258.23", "258,23", "999.72", "999,72"] {
            assert!(!html.contains(spurious), "limit {spurious} not rounded");
        }
    }
}

async fn assessment_with_projection(request: &Value) -> Value {
    assess_at("/api/v1/assess?projection=true&draws=50", request).await
}

/// D9: "No projection without a measured value (or 'niet binnen 10 jaar'
/// plus a plain caveat)"; the text said "in about later years ... between
/// later and later years" for an untested 72-year-old on metformin.
#[tokio::test]
async fn no_projection_without_a_measured_b12_and_no_later_years() {
    let untested = json!({
        "guideline": "nhg", "language": "en",
        "person": { "age_years": 72, "sex": "male" },
        "diet": "omnivore", "supplements": [],
        "medications": [{ "id": "metformin", "years": 10 }, { "id": "proton_pump_inhibitor", "years": 8 }],
        "symptoms": [{ "id": "falls", "present": true, "weeks": 12, "course": "gradual" }],
        "labs": []
    });
    let a = assessment_with_projection(&untested).await;
    assert!(
        a.get("projection").is_none_or(Value::is_null),
        "a projection without a measured B12: {}",
        a["projection"]
    );
    // Most people stay above the limit for the whole 10 years (vegetarian,
    // 300 pmol/L); most cross it, some not within 10 years (vegan, 900).
    for (lang, diet, value, says) in [
        ("en", "vegetarian", 300, "for at least 10 years"),
        ("nl", "vegetarian", 300, "minstens 10 jaar"),
        ("en", "vegan", 900, "more than 10 years"),
        ("nl", "vegan", 900, "meer dan 10 jaar"),
    ] {
        let measured = json!({
            "guideline": "nhg", "language": lang,
            "person": { "age_years": 40, "sex": "female" },
            "diet": diet, "supplements": [],
            "labs": [{ "analyte": "b12_total", "value": value, "unit": "pmol/L" }]
        });
        let a = assessment_with_projection(&measured).await;
        let text = a["projection"]["text"].as_str().unwrap_or_default();
        assert!(!text.is_empty(), "a projection for a measured value");
        assert!(!text.contains("later"), "{text}");
        assert!(text.contains(says), "{diet} {value} {lang}: {text}");
    }
}

/// A tablet plan and an injection plan are alternatives: for patients they
/// are shown as "one of these" per route, not as one sequence in which
/// "Then, to keep your stores full" follows a daily tablet (fresh-eyes walk,
/// high). Phases are named within the injection plan.
#[tokio::test]
async fn tablets_and_injections_are_shown_as_alternatives() {
    let request = case_request("cause-pernicious-nl");
    let a = assessment(&request, "nl", "patient").await;
    let routes: Vec<&str> = a["treatment"]["regimens"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["route"].as_str())
        .collect();
    assert!(
        routes.contains(&"oral") && routes.contains(&"intramuscular"),
        "{routes:?}"
    );
    let html = result_html(&request, "nl", "patient").await;
    let treatment = section(&html, "id=\"treatment-h\"");
    assert!(
        treatment.contains(&escaped(&m("web-regimen-options", Language::Nl))),
        "{treatment}"
    );
    let oral = treatment
        .find(&escaped(&m("web-route-oral", Language::Nl)))
        .unwrap_or_else(|| panic!("the tablet plan is named: {treatment}"));
    let im = treatment
        .find(&escaped(&m("web-route-intramuscular", Language::Nl)))
        .unwrap_or_else(|| panic!("the injection plan is named: {treatment}"));
    let then = treatment
        .find(&escaped(&m("web-phase-maintenance", Language::Nl)))
        .unwrap_or(usize::MAX);
    assert!(
        oral < im && im < then,
        "'then' belongs to the injections: {treatment}"
    );
}

/// Tests proposed by one rule share their reason: for patients the reason is
/// said once, after the tests it is for (fresh-eyes walk: "Een bloedtest op
/// B12 en een bloedbeeld ..." twice for persona a, three times for b).
#[tokio::test]
async fn a_shared_reason_is_said_once() {
    let request = json!({
        "guideline": "nhg",
        "person": { "age_years": 29, "sex": "female" },
        "diet": "vegan",
        "symptoms": [{ "id": "paresthesia", "present": true, "weeks": 10, "course": "gradual" }],
        "labs": [{ "analyte": "b12_total", "value": 118, "unit": "pmol/L" }]
    });
    let a = assessment(&request, "nl", "patient").await;
    let tests = a["next_tests"].as_array().cloned().unwrap_or_default();
    let why = |t: &Value| t["why"].as_str().unwrap_or_default().to_owned();
    let shared = tests
        .iter()
        .map(why)
        .find(|w| tests.iter().filter(|t| why(t) == *w).count() > 1)
        .unwrap_or_else(|| panic!("no two tests share a reason: {tests:?}"));
    let html = result_html(&request, "nl", "patient").await;
    let section = section(&html, "id=\"tests-h\"");
    assert_eq!(section.matches(&escaped(&shared)).count(), 1, "{section}");
    for t in &tests {
        let name = escaped(t["name"].as_str().unwrap_or_default());
        assert!(section.contains(&name), "{name} still named: {section}");
    }
}

/// Clinical review F18: in the grey zone the patient saw "no treatment
/// advised" and a trial regimen, but not that the GP chooses between an extra
/// test and a trial, nor that tablets wait for the blood sample (G9: "Take
/// blood samples ... before starting vitamin B12 replacement"; G1/G2: MMA
/// or a trial). The sentence is in the treatment section, in both languages.
#[tokio::test]
async fn the_grey_zone_choice_is_said_under_treatment() {
    let request = json!({
        "evaluation_date": "2026-11-22",
        "person": { "age_years": 50, "sex": "female" },
        "symptoms": [{ "id": "paresthesia", "present": true, "weeks": 10, "course": "gradual" }],
        "labs": [{ "analyte": "b12_total", "value": 200, "unit": "pmol/L" }],
    });
    for (lang, language) in [("nl", Language::Nl), ("en", Language::En)] {
        let html = result_html(&request, lang, "patient").await;
        let treatment = section(&html, "id=\"treatment-h\"");
        let choice = KB
            .message(
                "rule-recommend_trial_in_grey_zone",
                language,
                Audience::Patient,
            )
            .to_owned();
        assert!(choice.len() > 40, "{choice}");
        assert!(treatment.contains(&escaped(&choice)), "{lang}: {treatment}");
    }
}

/// F03 (audit, probe P33b): a 15-year-old with B12 120 pmol/L got an adult
/// body-store projection ("above 148 pmol/L after 1 day" on adult
/// injections). The kinetics model's parameters are adult ones: no projection
/// under 16; at 17 the same request is projected.
#[tokio::test]
async fn no_adult_projection_for_a_child() {
    let request = |age: u32| {
        json!({
            "evaluation_date": "2026-11-22", "guideline": "nhg", "language": "en",
            "person": { "age_years": age, "sex": "female" },
            "symptoms": [{ "id": "fatigue", "present": true }],
            "labs": [{ "analyte": "b12_total", "value": 120, "unit": "pmol/L" }],
        })
    };
    let child = assessment_with_projection(&request(15)).await;
    assert!(
        child.get("projection").is_none_or(Value::is_null),
        "{}",
        child["projection"]
    );
    let adult = assessment_with_projection(&request(17)).await;
    assert!(adult["projection"]["text"].is_string(), "{adult}");
}

/// Audit of issues 13/14: "positief → positief" on the result page too.
#[tokio::test]
async fn a_qualitative_result_is_not_said_twice_on_the_page() {
    let request = json!({
        "evaluation_date": "2026-11-22",
        "person": { "age_years": 60, "sex": "female" },
        "labs": [{ "analyte": "intrinsic_factor_antibody", "result": "positive" }],
    });
    let html = result_html(&request, "nl", "patient").await;
    assert!(!html.contains("positief → positief"), "{html}");
    assert!(html.contains("positief"), "{html}");
}

/// Issue 13 item 4: the lab's own MMA limit is labelled as the lab's on the
/// result page (audit, probe P26b).
#[tokio::test]
async fn the_labs_own_limit_is_labelled_on_the_page() {
    let request = json!({
        "evaluation_date": "2026-11-22",
        "person": { "age_years": 60, "sex": "female" },
        "symptoms": [{ "id": "paresthesia", "present": true, "weeks": 12, "course": "gradual" }],
        "labs": [
            { "analyte": "b12_total", "value": 180, "unit": "pmol/L" },
            { "analyte": "mma", "value": 0.4, "unit": "µmol/L", "reference_high": 0.35 },
        ],
    });
    for (lang, language) in [("nl", Language::Nl), ("en", Language::En)] {
        let html = result_html(&request, lang, "patient").await;
        let label = KB.message("web-lab-limits", language, Audience::Patient);
        assert!(
            !label.is_empty() && !label.starts_with("report-"),
            "{label}"
        );
        assert_eq!(html.matches(&escaped(label)).count(), 1, "{lang}: {html}");
    }
}

/// Re-audit (probe P52): the result page said "No treatment needed yet" to
/// a person on lifelong injections for pernicious anaemia.
#[tokio::test]
async fn treatment_under_way_is_not_called_no_treatment_on_the_page() {
    let request = json!({
        "evaluation_date": "2026-11-22",
        "person": { "age_years": 72, "sex": "female" },
        "conditions": [{ "id": "autoimmune_gastritis" }],
        "labs": [{ "analyte": "intrinsic_factor_antibody", "result": "positive", "date": "2020-01-01" }],
        "treatment": { "route": "intramuscular", "substance": "hydroxocobalamin", "dose_ug": 1000,
            "started": "2020-02-01", "response": "resolved" },
    });
    for (lang, language) in [("nl", Language::Nl), ("en", Language::En)] {
        let html = result_html(&request, lang, "patient").await;
        let treatment = section(&html, "id=\"treatment-h\"");
        assert!(
            !treatment.contains(&escaped(&m("report-treatment-not-recommended", language))),
            "{lang}: {treatment}"
        );
        assert!(
            treatment.contains(&escaped(&m("report-treatment-under-way", language))),
            "{lang}: {treatment}"
        );
    }
}

/// Re-audit (probe P18): the zones of haemoglobin read "below 5 mmol/L" for
/// a severe band that includes 5.0, and "5 to 7.5" for the next one.
#[tokio::test]
async fn zones_say_whether_a_limit_is_included() {
    let request = json!({
        "evaluation_date": "2026-11-22",
        "person": { "age_years": 72, "sex": "female" },
        "labs": [{ "analyte": "haemoglobin", "value": 5.0, "unit": "mmol/L" }],
    });
    let html = result_html(&request, "en", "patient").await;
    assert!(html.contains("5 mmol/L or less"), "{html}");
    assert!(html.contains("more than 5 to 7.5 mmol/L"), "{html}");
}

/// One clear action for patients (issue 14 item 6): with neurological
/// involvement under NICE the GP seeks urgent specialist advice (G16), but
/// the patient's action is the triage box's ("within a few days"). The
/// referral list showed "haematologist (urgent (today))" under it, two
/// different timings. For patients a referral says who and why; its
/// urgency is for the clinician view.
#[tokio::test]
async fn a_referral_gives_patients_no_second_timing() {
    let request = json!({
        "evaluation_date": "2026-11-22", "guideline": "nice",
        "person": { "age_years": 45, "sex": "female" },
        "symptoms": [{ "id": "paresthesia", "present": true, "weeks": 10, "course": "gradual" }],
        "labs": [{ "analyte": "b12_total", "value": 110, "unit": "pmol/L" }],
    });
    for (lang, language) in [("nl", Language::Nl), ("en", Language::En)] {
        let html = result_html(&request, lang, "patient").await;
        let referral = section(&html, "id=\"referral-h\"");
        assert!(
            referral.contains(&escaped(&m("specialty-haematology", language))),
            "{referral}"
        );
        for level in LEVELS {
            let label = m(&format!("report-level-{level}"), language);
            assert!(
                !referral.contains(&escaped(&label)),
                "{lang}: {label} in {referral}"
            );
        }
        let clinician = result_html(&request, lang, "clinician").await;
        let referral = section(&clinician, "id=\"referral-h\"");
        assert!(
            referral.contains(&escaped(&m("report-level-urgent_24h", language))),
            "{referral}"
        );
    }
}
