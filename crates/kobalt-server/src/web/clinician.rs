//! The clinician entry (issue 15, part 4; web review D11, D12): one form with
//! age, sex, pregnancy, guideline, key risks, key symptoms and the lab table,
//! one submit; the result in clinician words with a note to copy into the
//! practice system (SOEP in Dutch, SOAP in English).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kobalt_contract::{Assessment, Audience, Language};
use kobalt_engine::interview::{InterviewQuestion, render_question};
use kobalt_kb::fill;
use maud::{Markup, html};
use serde_json::{Value, json};

use super::form::{self, FieldError, FormData, local_number};
use super::{Answers, LangQuery, Page, html_response, inputs, lang_of, result, switch_button};
use crate::AppState;

/// The risks that are a tick each: (field name, request pointer, id).
const RISKS: [(&str, &str); 7] = [
    ("metformin", "/medications"),
    ("proton_pump_inhibitor", "/medications"),
    ("autoimmune_gastritis", "/conditions"),
    ("gastric_bypass", "/procedures"),
    ("sleeve_gastrectomy", "/procedures"),
    ("gastrectomy", "/procedures"),
    ("nitrous_oxide", "/exposures"),
];

/// Diets that matter for B12 (one of them, or unknown).
const DIETS: [&str; 2] = ["vegan", "vegetarian"];

/// The key symptoms: yes, no or unknown each.
const SYMPTOMS: [&str; 6] = [
    "paresthesia",
    "numbness",
    "gait_disturbance",
    "balance_problems",
    "fatigue",
    "memory_problems",
];

const COURSES: [&str; 4] = ["rapid", "gradual", "stable", "improving"];

fn risk_label(page: &Page, id: &str, pointer: &str) -> String {
    let prefix = match pointer {
        "/medications" => "medication",
        "/conditions" => "condition",
        "/procedures" => "procedure",
        _ => "exposure",
    };
    page.m(&format!("{prefix}-{id}"))
}

fn labs_question(page: &Page) -> Option<InterviewQuestion> {
    page.kb
        .interview
        .iter()
        .find(|q| q.id == "labs")
        .map(|q| render_question(page.kb, q, page.lang, Audience::Clinician))
}

pub(crate) async fn form_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
) -> Response {
    let page = Page {
        kb: &state.kb,
        lang: lang_of(q.lang.as_deref()),
        audience: Audience::Clinician,
    };
    html_response(StatusCode::OK, clinician_form(&page, None, &[]))
}

pub(crate) async fn submit(State(state): State<AppState>, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    let lang = lang_of(form.get("switch_lang").or(form.get("lang")));
    let page = Page {
        kb: &state.kb,
        lang,
        audience: Audience::Clinician,
    };
    // A language switch, or "edit" on a result, shows the form again with
    // every value kept.
    if form.get("switch_lang").is_some() || form.get("action") == Some("edit") {
        return html_response(StatusCode::OK, clinician_form(&page, Some(&form), &[]));
    }
    match request(&page, &form) {
        Ok(partial) => {
            let from = result::FromForm {
                note,
                fields: form.pairs(),
            };
            result::render_with_note(&state, &partial, lang, Audience::Clinician, Some(from)).await
        }
        Err(errors) => html_response(StatusCode::OK, clinician_form(&page, Some(&form), &errors)),
    }
}

/// The partial request from the form; the errors are one per field.
fn request(page: &Page, form: &FormData) -> Result<Value, Vec<FieldError>> {
    let msg = |id: &str| page.kb.message(id, page.lang, Audience::Patient).to_owned();
    let mut errors = Vec::new();
    let mut partial = json!({ "person": {} });
    if let Some(g) = form
        .get("guideline")
        .filter(|g| ["nhg", "nice"].contains(g))
    {
        partial["guideline"] = json!(g);
    }
    let age_q = page.kb.interview.iter().find(|q| q.id == "age");
    let (min, max) = (
        age_q.and_then(|q| q.min).unwrap_or(0.0),
        age_q.and_then(|q| q.max).unwrap_or(120.0),
    );
    let number = |t: &str| {
        t.trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
    };
    match form.get("age").and_then(number) {
        Some(age) if (min..=max).contains(&age) => partial["person"]["age_years"] = json!(age),
        _ => errors.push(FieldError {
            field: "age".into(),
            message: fill(
                &msg("web-error-number"),
                &[("min", &min.to_string()), ("max", &max.to_string())],
            ),
        }),
    }
    if let Some(sex) = form
        .get("sex")
        .filter(|s| ["female", "male", "other"].contains(s))
    {
        partial["person"]["sex"] = json!(sex);
    }
    match form.get("pregnant") {
        Some("yes") => {
            partial["person"]["pregnant"] = json!(true);
            if let Some(text) = form.get("weeks") {
                match number(text).filter(|w| (0.0..=45.0).contains(w)) {
                    Some(w) => partial["person"]["gestation_weeks"] = json!(w),
                    None => errors.push(FieldError {
                        field: "weeks".into(),
                        message: fill(&msg("web-error-number"), &[("min", "0"), ("max", "45")]),
                    }),
                }
            }
        }
        Some("no") => partial["person"]["pregnant"] = json!(false),
        _ => {}
    }
    // Ticked risks are present; unticked ones stay unknown (no entry).
    let ticked = form.all("risk");
    if let Some(diet) = DIETS.iter().find(|d| ticked.contains(d)) {
        partial["diet"] = json!(diet);
    }
    for (id, pointer) in RISKS {
        if !ticked.contains(&id) {
            continue;
        }
        let key = pointer.trim_start_matches('/');
        let entry = if pointer == "/exposures" {
            match form
                .get("nitrous_pattern")
                .filter(|p| ["daily", "weekly", "monthly", "occasional", "stopped"].contains(p))
            {
                Some(p) => json!({ "id": id, "pattern": p }),
                None => json!({ "id": id }),
            }
        } else {
            json!({ "id": id })
        };
        match partial.get_mut(key).and_then(Value::as_array_mut) {
            Some(list) => list.push(entry),
            None => partial[key] = json!([entry]),
        }
    }
    // Symptoms: yes or no; unknown (or unanswered) leaves no entry.
    let course = form.get("course").filter(|c| COURSES.contains(c));
    let mut symptoms = Vec::new();
    for id in SYMPTOMS {
        match form.get(&format!("s-{id}")) {
            Some("yes") => {
                let mut s = json!({ "id": id, "present": true });
                let neurological = page
                    .kb
                    .symptoms
                    .get(id)
                    .is_some_and(|i| page.kb.symptoms.in_group(i, "neurological"));
                if let (true, Some(c)) = (neurological, course) {
                    s["course"] = json!(c);
                }
                symptoms.push(s);
            }
            Some("no") => symptoms.push(json!({ "id": id, "present": false })),
            _ => {}
        }
    }
    if !symptoms.is_empty() {
        partial["symptoms"] = Value::Array(symptoms);
    }
    // The lab table as the questionnaire reads it (decimal comma, units,
    // did-you-mean checks), once the rest is readable.
    if let Some(q) = page.kb.interview.iter().find(|q| q.id == "labs") {
        let mut with_labs = partial.clone();
        if !errors.is_empty() {
            // Check the labs against a readable person, to report their errors too.
            with_labs["person"]["age_years"] = json!(40);
        }
        match form::apply(page.kb, q, &mut with_labs, form, page.lang) {
            Ok(()) => {
                if let Some(labs) = with_labs.get("labs") {
                    partial["labs"] = labs.clone();
                }
            }
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(partial)
    } else {
        Err(errors)
    }
}

fn clinician_form(page: &Page, posted: Option<&FormData>, errors: &[FieldError]) -> Markup {
    let m = |id: &str| page.m(id);
    let answers = Answers { posted, errors };
    let value = |name: &str| posted.and_then(|f| f.get(name)).unwrap_or_default();
    let ticked = |id: &str| posted.is_some_and(|f| f.all("risk").contains(&id));
    let guideline = posted.and_then(|f| f.get("guideline")).unwrap_or("nhg");
    let labs = labs_question(page);
    let body = html! {
        h1 { (m("web-clinician-title")) }
        p { (m("web-clinician-intro")) }
        @if !errors.is_empty() {
            div class="error" role="alert" id="error" {
                h2 { (m("web-error-title")) }
                ul {
                    @for e in errors {
                        li { a href={ "#" (e.field) } { (e.message) } }
                    }
                }
            }
        }
        form id="step" method="post" action="/clinician" {
            input type="hidden" name="lang" value=(page.lang.as_str());
            fieldset {
                legend { h2 { (m("web-clinician-patient")) } }
                p {
                    label for="guideline" { (m("web-guideline")) }
                    " "
                    select id="guideline" name="guideline" {
                        option value="nhg" selected[guideline == "nhg"] { (m("guideline-nhg")) }
                        option value="nice" selected[guideline == "nice"] { (m("guideline-nice")) }
                    }
                }
                p {
                    label for="age" { (m("web-clinician-age")) }
                    " "
                    (answers.text_input("age", Some("4"), true, String::new()))
                }
                fieldset class="symptom" {
                    legend { (m("web-clinician-sex")) }
                    @for s in ["female", "male", "other"] {
                        span class="choice" {
                            input type="radio" name="sex" id={ "sex-" (s) } value=(s) checked[value("sex") == s];
                            label for={ "sex-" (s) } { (m(&format!("option-sex-{s}"))) }
                        }
                    }
                }
                fieldset class="symptom" {
                    legend { (m("web-clinician-pregnant")) }
                    @for a in ["yes", "no", "unknown"] {
                        span class="choice" {
                            input type="radio" name="pregnant" id={ "pregnant-" (a) } value=(a) checked[value("pregnant") == a];
                            label for={ "pregnant-" (a) } { (m(&format!("option-{a}"))) }
                        }
                    }
                }
                p {
                    label for="weeks" { (m("web-clinician-weeks")) }
                    " "
                    (answers.text_input("weeks", Some("4"), false, String::new()))
                }
            }
            fieldset {
                legend { h2 { (m("web-clinician-risks")) } }
                p class="hint" { (m("web-clinician-risks-hint")) }
                @for d in DIETS {
                    div class="option" {
                        input type="checkbox" name="risk" id={ "risk-" (d) } value=(d) checked[ticked(d)];
                        label for={ "risk-" (d) } { (m(&format!("diet-{d}"))) }
                    }
                }
                @for (id, pointer) in RISKS {
                    div class="option" {
                        input type="checkbox" name="risk" id={ "risk-" (id) } value=(id) checked[ticked(id)];
                        label for={ "risk-" (id) } { (risk_label(page, id, pointer)) }
                    }
                }
                p {
                    label for="nitrous_pattern" { (m("web-clinician-nitrous-pattern")) }
                    " "
                    select id="nitrous_pattern" name="nitrous_pattern" {
                        option value="" { "—" }
                        @for p in ["daily", "weekly", "monthly", "occasional", "stopped"] {
                            option value=(p) selected[value("nitrous_pattern") == p] { (m(&format!("option-pattern-{p}"))) }
                        }
                    }
                }
            }
            fieldset {
                legend { h2 { (m("web-clinician-symptoms")) } }
                p class="hint" { (m("web-clinician-symptoms-hint")) }
                @for id in SYMPTOMS {
                    fieldset class="symptom" {
                        legend { (m(&format!("symptom-{id}"))) }
                        @for a in ["yes", "no", "unknown"] {
                            span class="choice" {
                                input type="radio" name={ "s-" (id) } id={ "s-" (id) "-" (a) } value=(a)
                                    checked[value(&format!("s-{id}")) == a];
                                label for={ "s-" (id) "-" (a) } { (m(&format!("option-{a}"))) }
                            }
                        }
                    }
                }
                p {
                    label for="course" { (m("web-clinician-course")) }
                    " "
                    select id="course" name="course" {
                        option value="" { "—" }
                        @for c in COURSES {
                            option value=(c) selected[value("course") == c] { (m(&format!("option-course-{c}"))) }
                        }
                    }
                }
            }
            @if let Some(q) = &labs {
                fieldset {
                    legend { h2 { (m("web-clinician-labs")) } }
                    (inputs(page, q, &json!({}), &answers))
                }
            }
            p class="buttons" {
                button type="submit" class="primary" { (m("web-clinician-submit")) }
            }
        }
    };
    let title = if errors.is_empty() {
        m("web-clinician-title")
    } else {
        format!("{}: {}", m("web-error-title"), m("web-clinician-title"))
    };
    page.layout(&title, switch_button(page), body)
}

/// A number as the page's language writes it, to at most 2 decimals.
pub(crate) fn num(v: f64, lang: Language) -> String {
    local_number((v * 100.0).round() / 100.0, lang)
}

/// The limits of a marker written out: "laag <148; normaal ≥260 pmol/L".
pub(crate) fn limits_text(page: &Page, mk: &kobalt_contract::Marker) -> String {
    let unit = mk.unit.as_deref().unwrap_or("");
    let parts: Vec<String> = mk
        .bands
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let name = page.m(&format!("band-{}", b.band));
            // A band starts after the last one's limit when that one includes it.
            let after = i > 0 && mk.bands[i - 1].to_inclusive;
            let range = match (b.from, b.to) {
                (None, Some(t)) if b.to_inclusive => format!("≤{}", num(t, page.lang)),
                (None, Some(t)) => format!("<{}", num(t, page.lang)),
                (Some(f), None) if after => format!(">{}", num(f, page.lang)),
                (Some(f), None) => format!("≥{}", num(f, page.lang)),
                (Some(f), Some(t)) => format!("{}–{}", num(f, page.lang), num(t, page.lang)),
                (None, None) => String::new(),
            };
            format!("{name} {range}").trim().to_owned()
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{} {unit}", parts.join("; ")).trim().to_owned()
    }
}

/// A marker's value as reported, in the page's number format.
pub(crate) fn value_text(page: &Page, mk: &kobalt_contract::Marker) -> String {
    let sign = kobalt_contract::Comparator::sign_of(mk.comparator);
    match (mk.value, &mk.reported) {
        (Some(v), Some(r)) => format!(
            "{sign}{} {} ({sign}{} {})",
            num(r.value, page.lang),
            r.unit,
            num(v, page.lang),
            mk.unit.as_deref().unwrap_or("")
        ),
        (Some(v), None) => format!(
            "{sign}{} {}",
            num(v, page.lang),
            mk.unit.as_deref().unwrap_or("")
        ),
        (None, _) => mk
            .result
            .map(|r| page.m(&format!("band-{r}")))
            .unwrap_or_default(),
    }
}

/// The note for the practice system: SOEP (Dutch) or SOAP (English).
pub(crate) fn note_text(page: &Page, partial: &Value, a: &Assessment) -> String {
    let m = |id: &str| page.m(id);
    let lang = page.lang;
    // S: the person and the symptoms as answered.
    let mut s = Vec::new();
    let person = partial.get("person");
    if let Some(age) = person
        .and_then(|p| p.get("age_years"))
        .and_then(Value::as_f64)
    {
        s.push(format!("{} {}", num(age, lang), m("web-note-age-unit")));
    }
    if let Some(sex) = person.and_then(|p| p.get("sex")).and_then(Value::as_str) {
        s.push(m(&format!("option-sex-{sex}")).to_lowercase());
    }
    if person
        .and_then(|p| p.get("pregnant"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        let weeks = person
            .and_then(|p| p.get("gestation_weeks"))
            .and_then(Value::as_f64)
            .map(|w| format!(" ({} {})", num(w, lang), m("report-weeks")))
            .unwrap_or_default();
        s.push(format!("{}{weeks}", m("web-note-pregnant")));
    }
    let mut subjective = s.join(", ");
    let symptoms: Vec<&Value> = partial
        .get("symptoms")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let said = |present: bool| -> Vec<String> {
        symptoms
            .iter()
            .filter(|s| s.get("present").and_then(Value::as_bool) == Some(present))
            .filter_map(|s| s.get("id").and_then(Value::as_str))
            .map(|id| m(&format!("symptom-{id}")).to_lowercase())
            .collect()
    };
    let (yes, no) = (said(true), said(false));
    if !yes.is_empty() {
        subjective.push_str(&format!(
            ". {}: {}",
            m("web-note-complaints"),
            yes.join(", ")
        ));
    }
    if !no.is_empty() {
        subjective.push_str(&format!(". {}: {}", m("web-note-denies"), no.join(", ")));
    }
    let mut risks = Vec::new();
    if let Some(d) = partial.get("diet").and_then(Value::as_str) {
        risks.push(m(&format!("diet-{d}")));
    }
    for (id, pointer) in RISKS {
        let listed = partial
            .pointer(pointer)
            .and_then(Value::as_array)
            .is_some_and(|l| {
                l.iter()
                    .any(|x| x.get("id").and_then(Value::as_str) == Some(id))
            });
        if listed {
            risks.push(risk_label(page, id, pointer));
        }
    }
    if !risks.is_empty() {
        subjective.push_str(&format!(". {}: {}", m("web-note-risks"), risks.join(", ")));
    }
    // O: the lab values with their interpretation and limits.
    let objective: Vec<String> = a
        .b12_status
        .markers
        .iter()
        .map(|mk| {
            let limits = limits_text(page, mk);
            let mut line = format!(
                "{} {} ({})",
                mk.name,
                value_text(page, mk),
                page.m(&format!("band-{}", mk.interpretation))
            );
            if !limits.is_empty() {
                line.push_str(&format!(" [{}: {limits}]", m("web-note-limits")));
            }
            line
        })
        .collect();
    // E/A: status, urgency, leading cause.
    let mut evaluation = format!(
        "{}: {} ({}). {}: {}",
        m("report-status"),
        m(&format!("category-{}", a.b12_status.category)),
        a.b12_status.rule,
        m("report-urgency"),
        m(&format!("report-level-{}", a.triage.level.as_str()))
    );
    if let Some(c) = a.causes.first() {
        evaluation.push_str(&format!(". {}: {}", m("web-note-cause"), c.name));
    }
    // P: tests, treatment, referral, review.
    let mut plan = Vec::new();
    if !a.next_tests.is_empty() {
        let tests: Vec<&str> = a.next_tests.iter().map(|t| t.name.as_str()).collect();
        plan.push(format!("{}: {}", m("web-note-tests"), tests.join(", ")));
    }
    if !a.treatment.regimens.is_empty() {
        let regimens: Vec<String> = a
            .treatment
            .regimens
            .iter()
            .map(|r| format!("{} ({})", r.text, m(&format!("phase-{}", r.phase))))
            .collect();
        plan.push(format!(
            "{}: {}",
            m("report-treatment"),
            regimens.join("; ")
        ));
    }
    for r in &a.referral {
        plan.push(format!(
            "{}: {} ({})",
            m("web-note-referral"),
            m(&format!("specialty-{}", r.specialty)),
            m(&format!("report-level-{}", r.urgency))
        ));
    }
    if let Some(w) = a.follow_up.review_after_weeks {
        plan.push(format!(
            "{} {} {}",
            m("report-review-after"),
            num(w, lang),
            m("report-weeks")
        ));
    }
    let o = if objective.is_empty() {
        m("web-not-measured")
    } else {
        objective.join("; ")
    };
    format!(
        "{}: {subjective}\n{}: {o}\n{}: {evaluation}\n{}: {}",
        m("web-note-s"),
        m("web-note-o"),
        m("web-note-e"),
        m("web-note-p"),
        plan.join(". ")
    )
}

/// The note as a section of the result page: a read-only text area to copy.
pub(crate) fn note(page: &Page, partial: &Value, a: &Assessment) -> Markup {
    let text = note_text(page, partial, a);
    // A row per 70 characters of each line (it wraps), so that all of it shows.
    let rows: usize = text
        .lines()
        .map(|l| l.chars().count() / 70 + 1)
        .sum::<usize>()
        + 1;
    html! {
        section aria-labelledby="note-h" class="note" {
            h2 id="note-h" { (page.m("web-note-title")) }
            p class="hint" { label for="note" { (page.m("web-note-hint")) } }
            textarea id="note" name="note" readonly rows=(rows) cols="80" { (text) }
        }
    }
}
