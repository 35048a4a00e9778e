//! The questionnaire and the result page: server-rendered HTML forms that
//! work without JavaScript. Every page is in Dutch (default) or English.

mod answers;
mod clinician;
mod form;
mod pdf;
mod result;
mod summary;

pub(crate) use clinician::{form_page as clinician_form, submit as clinician_submit};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kobalt_contract::{Audience, Language, TriageLevel};
use kobalt_engine::interview::{InterviewQuestion, next_question};
use kobalt_kb::{Knowledge, fill};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{AppState, today};
use form::{FieldError, FormData};

const STYLESHEET: &str = include_str!("../../static/kobalt.css");

/// The time a question takes, for the estimate on the start page: the web
/// review (December 2026) walked 12 to 14 question pages in 4.4 to 4.8
/// minutes at an average reading speed, about 20 seconds a page.
const SECONDS_PER_QUESTION: usize = 20;

pub(crate) struct Page<'a> {
    pub kb: &'a Knowledge,
    pub lang: Language,
    pub audience: Audience,
}

impl Page<'_> {
    pub(crate) fn m(&self, id: &str) -> String {
        self.kb.message(id, self.lang, self.audience).to_owned()
    }

    fn other_lang(&self) -> Language {
        match self.lang {
            Language::Nl => Language::En,
            Language::En => Language::Nl,
        }
    }

    /// The frame of every page. `switch` is the language switch: a link on
    /// pages reached by GET, a submit button inside forms (to keep answers).
    pub(crate) fn layout(&self, title: &str, switch: Markup, body: Markup) -> Markup {
        html! {
            (DOCTYPE)
            html lang=(self.lang.as_str()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · Kobalt" }
                    link rel="stylesheet" href="/static/kobalt.css";
                    link rel="icon" type="image/svg+xml" href="/favicon.svg";
                }
                body {
                    header class="top" {
                        a class="brand" href={ "/?lang=" (self.lang.as_str()) } { "Kobalt" }
                        (switch)
                    }
                    main id="main" { (body) }
                    footer { p { (self.m("web-not-diagnosis")) } }
                }
            }
        }
    }

    fn switch_link(&self) -> Markup {
        let other = self.other_lang();
        html! {
            a class="lang" href={ "/?lang=" (other.as_str()) } lang=(other.as_str()) { (self.m("web-language-switch")) }
        }
    }
}

fn html_response(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LangQuery {
    #[serde(default)]
    lang: Option<String>,
}

fn lang_of(code: Option<&str>) -> Language {
    code.and_then(Language::parse).unwrap_or(Language::Nl)
}

/// The start page (web review D24): what Kobalt is and is not, how long it
/// takes, whom to call in an emergency, who keeps it; the guideline choice
/// folded away with NHG chosen.
pub(crate) async fn start(State(state): State<AppState>, Query(q): Query<LangQuery>) -> Response {
    let page = Page {
        kb: &state.kb,
        lang: lang_of(q.lang.as_deref()),
        audience: Audience::Patient,
    };
    // The length, counted from the interview's questions.
    let (least, most) = kobalt_engine::interview::length(&state.kb);
    let minutes = (most * SECONDS_PER_QUESTION).div_ceil(60);
    let length = fill(
        &page.m("web-start-length"),
        &[
            ("min", &least.to_string()),
            ("max", &most.to_string()),
            ("minutes", &minutes.to_string()),
        ],
    );
    let call = page.m("web-start-emergency-call");
    let body = html! {
        h1 { (page.m("web-title")) }
        p class="lead" { (page.m("web-start-purpose")) }
        p { strong { (page.m("web-start-not-diagnosis")) } }
        section class="start-emergency" aria-labelledby="emergency-h" {
            h2 id="emergency-h" { (page.m("web-start-emergency-title")) }
            p { (page.m("web-start-emergency")) }
            p {
                (page.m("web-start-emergency-nl")) " "
                a href="tel:112" class="tel" { (call) " 112" } ". "
                (page.m("web-start-emergency-uk")) " "
                a href="tel:999" class="tel" { (call) " 999" } "."
            }
        }
        p { (page.m("web-start-how")) }
        p class="start-length" { strong { (length) } }
        form method="post" action="/interview" {
            input type="hidden" name="lang" value=(page.lang.as_str());
            input type="hidden" name="state" value="{}";
            details id="guideline-choice" {
                summary { (page.m("web-start-guideline-choose")) }
                p {
                    label for="guideline" { (page.m("web-guideline")) }
                    " "
                    select id="guideline" name="guideline" {
                        option value="nhg" selected { (page.m("guideline-nhg")) }
                        option value="nice" { (page.m("guideline-nice")) }
                    }
                }
                p class="hint" { (page.m("web-start-guideline-hint")) }
            }
            button type="submit" name="action" value="start" class="primary" { (page.m("web-start")) }
        }
        section class="start-about" aria-labelledby="about-h" {
            h2 id="about-h" { (page.m("web-start-trust-title")) }
            p { (fill(&page.m("web-start-trust"), &[("version", &state.kb.version)])) }
            p { (page.m("web-privacy")) }
        }
        p { a href={ "/clinician?lang=" (page.lang.as_str()) } { (page.m("web-for-clinicians")) } }
    };
    html_response(
        StatusCode::OK,
        page.layout(&page.m("web-title"), page.switch_link(), body),
    )
}

pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

pub(crate) async fn not_found(State(state): State<AppState>) -> Response {
    let mut bodies = Vec::new();
    for lang in [Language::Nl, Language::En] {
        let page = Page {
            kb: &state.kb,
            lang,
            audience: Audience::Patient,
        };
        bodies.push(html! {
            section lang=(lang.as_str()) {
                h1 { (page.m("web-not-found")) }
                p { a href={ "/?lang=" (lang.as_str()) } { (page.m("web-home")) } }
            }
        });
    }
    let page = Page {
        kb: &state.kb,
        lang: Language::Nl,
        audience: Audience::Patient,
    };
    let body = html! { @for b in &bodies { (b) } };
    html_response(
        StatusCode::NOT_FOUND,
        page.layout("404", page.switch_link(), body),
    )
}

/// One step of the questionnaire: apply the posted answer (or go back,
/// switch language, continue after a red flag), then show the next page.
pub(crate) async fn interview(State(state): State<AppState>, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    let lang = lang_of(form.get("switch_lang").or(form.get("lang")));
    let page = Page {
        kb: &state.kb,
        lang,
        audience: Audience::Patient,
    };
    // A language switch re-asks the same question; it never submits an answer.
    // "Change" on the summary of the answers names its question (`edit`).
    let action = if form.get("switch_lang").is_some() {
        "switch"
    } else if form.get("edit").is_some() {
        "edit"
    } else {
        form.get("action").unwrap_or("next")
    };
    let mut partial = match read_state(&form) {
        Ok(partial) => partial,
        Err(_) if action == "start" => json!({}),
        Err(_) => return unreadable(&page),
    };
    let mut errors: Vec<FieldError> = Vec::new();
    let mut just_answered_red_flag: Option<String> = None;
    match action {
        "start" => {
            partial = json!({});
            if let Some(g) = form
                .get("guideline")
                .filter(|g| ["nhg", "nice"].contains(g))
            {
                partial["guideline"] = json!(g);
            }
        }
        "back" => match (form.get("q"), form.get("asked")) {
            // On "seek help": the red-flag question that led there.
            (_, Some(asked)) => form::unanswer(&mut partial, Some(asked)),
            // On a question opened with "change": the answer stays as it
            // was, and the summary of the answers comes again.
            (Some(q), None)
                if state.kb.interview.iter().any(|x| x.id == q)
                    && form::changing(&state.kb, &partial, q) =>
            {
                form::mark_answered(&mut partial, q);
            }
            // "Change my answers" on the result (review D27): with every
            // question answered, the page before the result is the summary.
            (None, None) if form::complete(&state.kb, &partial) => {}
            _ => form::unanswer(&mut partial, None),
        },
        "edit" => form::unanswer(&mut partial, form.get("edit").or(form.get("q"))),
        "next" => {
            if let Some(q) = form
                .get("q")
                .and_then(|id| state.kb.interview.iter().find(|q| q.id == id))
            {
                // "Seek help" only for an urgent reason this answer added
                // (review D8): not again after a red-flag question that added none.
                let before = if q.red_flag {
                    urgent_reasons(&page, &partial)
                } else {
                    Vec::new()
                };
                match form::apply(&state.kb, q, &mut partial, &form, lang) {
                    Ok(()) => {
                        let added = q.red_flag
                            && urgent_reasons(&page, &partial)
                                .iter()
                                .any(|r| !before.contains(r));
                        just_answered_red_flag = added.then(|| q.id.clone());
                    }
                    Err(e) => errors = e,
                }
            }
        }
        // "continue" after a red flag, or a language switch: ask the next question.
        _ => {}
    }
    // A changed answer can make a later question moot (review D27).
    form::drop_moot(&state.kb, &mut partial);
    let step = next_question(&state.kb, &partial, lang, Audience::Patient, today());
    if errors.is_empty()
        && let Some(asked) = &just_answered_red_flag
        && let Some(level) = step.seek_help
    {
        // Remembered, so that a result at a lower level can say why (D8).
        let mut partial = partial;
        partial["extensions"]["kobalt_interview"]["seek_help"] = json!(level.as_str());
        return html_response(StatusCode::OK, seek_help(&page, &partial, level, asked));
    }
    // On an error the page is shown again with everything as it was typed.
    let posted = (!errors.is_empty()).then_some(&form);
    match step.next {
        Some(q) => html_response(
            StatusCode::OK,
            question_page(
                &page,
                &q,
                &partial,
                step.answered,
                step.total,
                &Answers {
                    posted,
                    errors: &errors,
                },
            ),
        ),
        // Every question answered: the answers to check, then the result.
        None => html_response(StatusCode::OK, answers::page(&page, &partial)),
    }
}

pub(crate) async fn result(State(state): State<AppState>, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    let lang = lang_of(form.get("switch_lang").or(form.get("lang")));
    let audience = form
        .get("audience")
        .and_then(Audience::parse)
        .unwrap_or(Audience::Patient);
    let partial = match read_state(&form) {
        Ok(partial) => partial,
        Err(_) => {
            let page = Page {
                kb: &state.kb,
                lang,
                audience,
            };
            return unreadable(&page);
        }
    };
    result::render(&state, &partial, lang, audience).await
}

pub(crate) async fn result_json(State(state): State<AppState>, body: Bytes) -> Response {
    let form = FormData::parse(&body);
    let lang = lang_of(form.get("lang"));
    let audience = form
        .get("audience")
        .and_then(Audience::parse)
        .unwrap_or(Audience::Patient);
    let partial = match read_state(&form) {
        Ok(partial) => partial,
        Err(why) => {
            return crate::error::ApiError::Contract(kobalt_contract::ContractError::new(
                kobalt_contract::ErrorCode::InvalidJson,
                format!("the answers in the form field state could not be read: {why}"),
                "state",
            ))
            .into_response();
        }
    };
    match result::assess(&state, &partial, lang, audience).await {
        Ok((a, _)) => match serde_json::to_vec_pretty(&a) {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"kobalt-assessment.json\"",
                    ),
                ],
                bytes,
            )
                .into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Err(e) => e.into_response(),
    }
}

/// "Voor uw huisarts / For your GP": the one-page summary to print.
pub(crate) async fn summary(State(state): State<AppState>, body: Bytes) -> Response {
    summary::page(&state, &body).await
}

/// The same summary as an A4 PDF.
pub(crate) async fn summary_pdf(State(state): State<AppState>, body: Bytes) -> Response {
    summary::pdf(&state, &body).await
}

/// The answers in the hidden `state` field. None yet is a fresh start; anything
/// but a JSON object (damaged, cut off, nested too deep, from elsewhere) is an
/// error the person is told about (reliability review W01-W05, W29, W30).
fn read_state(form: &FormData) -> Result<Value, String> {
    match form.get("state").map(serde_json::from_str::<Value>) {
        // No field: `FormData::state`'s fresh start, `{}`.
        None => Ok(form.state()),
        Some(Ok(partial @ Value::Object(_))) => Ok(partial),
        Some(Ok(_)) => Err("not a JSON object".into()),
        Some(Err(e)) => Err(e.to_string()),
    }
}

/// "Your answers could not be read": the page for an unreadable `state`.
fn unreadable(page: &Page) -> Response {
    let title = page.m("web-state-unreadable-title");
    let body = html! {
        div class="error" role="alert" {
            h1 { (title) }
            p { (page.m("web-state-unreadable")) }
        }
        p { a href={ "/?lang=" (page.lang.as_str()) } { (page.m("web-restart")) } }
    };
    html_response(
        StatusCode::BAD_REQUEST,
        page.layout(&title, page.switch_link(), body),
    )
}

/// The weeks of the first symptom present (the "how long?" answer).
pub(crate) fn first_present_weeks(partial: &Value) -> Option<f64> {
    partial
        .pointer("/symptoms")?
        .as_array()?
        .iter()
        .filter(|s| s.get("present").and_then(Value::as_bool).unwrap_or(true))
        .find_map(|s| s.get("weeks").and_then(Value::as_f64))
}

/// Hidden fields that carry the answers and the language.
pub(crate) fn carry(partial: &Value, lang: Language) -> Markup {
    html! {
        input type="hidden" name="state" value=(partial.to_string());
        input type="hidden" name="lang" value=(lang.as_str());
    }
}

/// The language switch of a form page. It submits the form (to keep the
/// answers), so a hidden "next" button comes first: the first submit button
/// of a form is the one Enter in a text field (or a phone's "Go") presses.
fn switch_button(page: &Page) -> Markup {
    let other = page.other_lang();
    html! {
        button type="submit" form="step" class="visually-hidden" tabindex="-1" aria-hidden="true" {
            (page.m("web-next"))
        }
        button type="submit" form="step" name="switch_lang" value=(other.as_str()) class="lang" lang=(other.as_str()) formnovalidate {
            (page.m("web-language-switch"))
        }
    }
}

/// The reasons (in the reader's words) that make the answers so far urgent.
fn urgent_reasons(page: &Page, partial: &Value) -> Vec<String> {
    let mut request = partial.clone();
    request["language"] = json!(page.lang.as_str());
    request["audience"] = json!(Audience::Patient.as_str());
    kobalt_contract::parse_request(&request.to_string())
        .ok()
        .and_then(|r| kobalt_engine::assess(page.kb, &r, today()).ok())
        .map(|a| {
            let mut texts: Vec<String> = Vec::new();
            for r in a.triage.reasons {
                if r.level >= TriageLevel::Urgent24h && !texts.contains(&r.text) {
                    texts.push(r.text);
                }
            }
            texts
        })
        .unwrap_or_default()
}

fn seek_help(page: &Page, partial: &Value, level: TriageLevel, asked: &str) -> Markup {
    // Emergency numbers by profile (clinical review F32): NL 112 and the huisartsenpost, UK 999 and
    // NHS 111.
    let uk = partial.get("guideline").and_then(Value::as_str) == Some("nice");
    let advice = match (level == TriageLevel::Emergency, uk) {
        (true, true) => page.m("web-seek-help-emergency-nice"),
        (true, false) => page.m("web-seek-help-emergency"),
        (false, true) => page.m("web-seek-help-urgent-nice"),
        (false, false) => page.m("web-seek-help-urgent"),
    };
    let (emergency, out_of_hours) = if uk {
        ("999", Some("111"))
    } else {
        ("112", None)
    };
    let reasons = urgent_reasons(page, partial);
    let body = html! {
        section class="alert" role="alert" aria-labelledby="seek-help-h" {
            // "Now" for an emergency; "today" for a same-day level (review D14).
            h1 id="seek-help-h" { (page.m(if level == TriageLevel::Emergency { "web-seek-help-title" } else { "web-seek-help-title-urgent" })) }
            p class="big" { (advice) }
        }
        @if !reasons.is_empty() {
            h2 { (page.m("web-seek-help-why")) }
            ul class="reasons" {
                @for r in &reasons { li { (r) } }
            }
        }
        h2 { (page.m("web-seek-help-call")) }
        ul class="calls" {
            li {
                (page.m("web-seek-help-gp")) " "
                @if let Some(n) = out_of_hours {
                    (page.m("web-seek-help-closed-nice")) " "
                    a href={ "tel:" (n) } class="tel" { (page.m("web-seek-help-call-verb")) " " (n) }
                } @else {
                    (page.m("web-seek-help-closed"))
                }
            }
            li {
                (page.m(if uk { "web-seek-help-danger-nice" } else { "web-seek-help-danger" })) " "
                a href={ "tel:" (emergency) } class="tel" { (page.m("web-seek-help-call-verb")) " " (emergency) }
            }
        }
        h2 { (page.m("web-seek-help-say-title")) }
        p { (page.m("web-seek-help-say")) }
        form id="step" method="post" action="/interview" {
            (carry(partial, page.lang))
            // "Back" goes to the question that led here.
            input type="hidden" name="asked" value=(asked);
            p class="buttons" {
                // Not the primary action: that is the call above (review D14).
                button type="submit" name="action" value="continue" { (page.m("web-seek-help-continue")) }
                " "
                button type="submit" formaction="/result" { (page.m("web-seek-help-result")) }
                " "
                button type="submit" name="action" value="back" { (page.m("web-seek-help-back")) }
            }
        }
    };
    page.layout(&page.m("web-seek-help-title"), switch_button(page), body)
}

/// What a question page shows in its fields: after an error, the posted
/// values (all of them, the wrong one too) and the errors per field.
pub(crate) struct Answers<'a> {
    posted: Option<&'a FormData>,
    errors: &'a [FieldError],
}

impl Answers<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// The text of a field as posted (after an error), else `saved`.
    fn text(&self, field: &str, saved: String) -> String {
        match self.posted {
            Some(form) => form.raw(field).unwrap_or_default().to_owned(),
            None => saved,
        }
    }

    /// A text field, marked and described when it is wrong; the first wrong
    /// field gets the focus.
    fn text_input(&self, id: &str, size: Option<&str>, required: bool, saved: String) -> Markup {
        let error = self.error(id);
        let first = self.errors.first().is_some_and(|e| e.field == id);
        html! {
            input id=(id) name=(id) type="text" inputmode="decimal" autocomplete="off" size=[size] required[required]
                value=(self.text(id, saved))
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("{id}-error"))]
                autofocus[first];
            @if let Some(e) = error {
                " "
                span class="field-error" id={ (id) "-error" } { (e) }
            }
        }
    }
}

fn question_page(
    page: &Page,
    q: &InterviewQuestion,
    partial: &Value,
    answered: usize,
    total: usize,
    answers: &Answers,
) -> Markup {
    let n = (answered + 1).to_string();
    let progress = fill(
        &page.m("web-step"),
        &[("n", &n), ("total", &total.to_string())],
    );
    let body = html! {
        p class="progress" {
            progress value=(answered) max=(total) aria-hidden="true" {}
            " " (progress)
        }
        @if !answers.errors.is_empty() {
            div class="error" role="alert" id="error" {
                h2 { (page.m("web-error-title")) }
                ul {
                    @for e in answers.errors {
                        li { a href={ "#" (e.field) } { (e.message) } }
                    }
                }
            }
        }
        form id="step" method="post" action="/interview" {
            (carry(partial, page.lang))
            input type="hidden" name="q" value=(q.id);
            fieldset {
                legend { h1 { (q.text) } }
                (inputs(page, q, partial, answers))
            }
            details {
                summary { (page.m("web-why")) }
                p { (q.why) }
            }
            p class="buttons" {
                button type="submit" name="action" value="next" class="primary" { (page.m("web-next")) }
                @if answered > 0 {
                    " "
                    button type="submit" name="action" value="back" formnovalidate { (page.m("web-back")) }
                }
            }
        }
    };
    // The title says so too: it is the first thing a screen reader reads.
    let title = if answers.errors.is_empty() {
        q.text.clone()
    } else {
        format!("{}: {}", page.m("web-error-title"), q.text)
    };
    page.layout(&title, switch_button(page), body)
}

fn current<'a>(partial: &'a Value, pointer: &str) -> Option<&'a Value> {
    partial.pointer(pointer)
}

fn listed(partial: &Value, pointer: &str, id: &str) -> Option<Value> {
    partial
        .pointer(pointer)
        .and_then(Value::as_array)?
        .iter()
        .find(|x| x.get("id").and_then(Value::as_str) == Some(id))
        .cloned()
}

fn inputs(page: &Page, q: &InterviewQuestion, partial: &Value, answers: &Answers) -> Markup {
    // Numbers as the reader writes them: "60", not "60.0"; "7,5" in Dutch.
    let value_text = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n
            .as_f64()
            .map_or_else(|| n.to_string(), |x| form::local_number(x, page.lang)),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    match q.kind {
        "number" => html! {
            label for="value" class="visually-hidden" { (q.text) }
            (answers.text_input("value", None, true, value_text(current(partial, &q.field))))
        },
        "choice" | "yes_no" | "exposure" | "course" | "duration" => {
            let chosen = match q.kind {
                "duration" => {
                    first_present_weeks(partial).map_or_else(String::new, |w| format!("{w}"))
                }
                "yes_no" => match current(partial, &q.field) {
                    Some(Value::Bool(true)) => "yes".to_owned(),
                    Some(Value::Bool(false)) => "no".to_owned(),
                    _ => String::new(),
                },
                "exposure" => match listed(partial, &q.field, "nitrous_oxide") {
                    Some(e) => value_text(e.get("pattern")),
                    None if current(partial, &q.field).is_some() => "none".to_owned(),
                    None => String::new(),
                },
                _ => value_text(current(partial, &q.field)),
            };
            html! {
                @for (i, o) in q.options.iter().enumerate() {
                    div class="option" {
                        input type="radio" name="value" id={ "o" (i) } value=(o.value) checked[chosen == o.value] required;
                        label for={ "o" (i) } { (o.label) }
                    }
                }
            }
        }
        "symptoms"
            if page
                .kb
                .interview
                .iter()
                .any(|k| k.id == q.id && form::per_symptom(k)) =>
        {
            let said = |id: &str| -> &str {
                match listed(partial, "/symptoms", id)
                    .map(|s| s.get("present").and_then(Value::as_bool).unwrap_or(true))
                {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "",
                }
            };
            html! {
                p class="hint" { (page.m("web-symptoms-hint")) }
                @for o in &q.options {
                    fieldset class="symptom" {
                        legend { (o.label) }
                        @for answer in ["yes", "no", "unknown"] {
                            span class="choice" {
                                input type="radio" name={ "s-" (o.value) } id={ "s-" (o.value) "-" (answer) } value=(answer)
                                    checked[said(&o.value) == answer];
                                label for={ "s-" (o.value) "-" (answer) } { (page.m(&format!("option-{answer}"))) }
                            }
                        }
                    }
                }
            }
        }
        "symptoms" | "list" => {
            // After an error, the boxes as they were posted.
            let ticked = |id: &str| -> bool {
                if let Some(form) = answers.posted {
                    form.all("item").contains(&id)
                } else if q.kind == "symptoms" {
                    listed(partial, "/symptoms", id)
                        .is_some_and(|s| s.get("present").and_then(Value::as_bool).unwrap_or(true))
                } else {
                    listed(partial, &q.field, id).is_some()
                }
            };
            let posted = |field: &str| answers.posted.map(|f| f.get(field).is_some());
            let other = posted("other")
                .unwrap_or_else(|| form::flagged(partial, form::OTHER_POINTER, &q.id));
            // "Don't know" was the answer, and the list is still left out.
            let unknown = posted("unknown").unwrap_or_else(|| {
                current(partial, &q.field).is_none()
                    && form::flagged(partial, form::UNKNOWN_POINTER, &q.id)
            });
            let unknown_error = answers.error("unknown");
            html! {
                p class="hint" { (page.m("web-none-ticked")) }
                @for (i, o) in q.options.iter().enumerate() {
                    div class="option" {
                        input type="checkbox" name="item" id={ "o" (i) } value=(o.value) checked[ticked(&o.value)];
                        label for={ "o" (i) } { (o.label) }
                    }
                }
                @if let Some(label) = &q.other {
                    div class="option option-other" {
                        input type="checkbox" name="other" id="other" value="yes" checked[other];
                        label for="other" { (label) }
                    }
                }
                @if let Some(label) = &q.unknown {
                    @if let Some(e) = unknown_error {
                        p class="field-error" id="unknown-error" { (e) }
                    }
                    div class="option option-unknown" {
                        input type="checkbox" name="unknown" id="unknown" value="yes" checked[unknown]
                            aria-invalid=[unknown_error.map(|_| "true")]
                            aria-describedby=[unknown_error.map(|_| "unknown-error")]
                            autofocus[unknown_error.is_some()];
                        label for="unknown" { (label) }
                    }
                    p class="hint" { (page.m("web-list-unknown-hint")) }
                }
            }
        }
        "years" => html! {
            @for o in q.options.iter().filter(|o| listed(partial, "/medications", &o.value).is_some()) {
                p {
                    label for={ "years-" (o.value) } { (o.label) }
                    " "
                    (answers.text_input(&format!("years-{}", o.value), Some("4"), false,
                        value_text(listed(partial, "/medications", &o.value).as_ref().and_then(|m| m.get("years")))))
                }
            }
        },
        "labs" => html! {
            table class="labs" {
                thead { tr { th scope="col" { (page.m("web-analyte")) } th scope="col" { (page.m("web-value")) } th scope="col" { (page.m("web-unit")) } } }
                tbody {
                    @for o in &q.options {
                        @let existing = partial.pointer("/labs").and_then(Value::as_array)
                            .and_then(|a| a.iter().find(|l| l.get("analyte").and_then(Value::as_str) == Some(o.value.as_str())).cloned());
                        tr {
                            th scope="row" { label for={ "lab-" (o.value) } { (o.label) } }
                            @if o.qualitative {
                                td colspan="2" {
                                    select id={ "lab-" (o.value) } name={ "lab-" (o.value) } {
                                        option value="" { "—" }
                                        @for r in ["positive", "negative", "equivocal"] {
                                            option value=(r) selected[answers.text(&format!("lab-{}", o.value), existing.as_ref().and_then(|l| l.get("result")).and_then(Value::as_str).unwrap_or_default().to_owned()) == r] { (page.m(&format!("web-lab-{r}"))) }
                                        }
                                    }
                                }
                            } @else {
                                td {
                                    (answers.text_input(&format!("lab-{}", o.value), Some("7"), false,
                                        value_text(existing.as_ref().and_then(|l| l.get("value")))))
                                }
                                td {
                                    label for={ "unit-" (o.value) } class="visually-hidden" { (page.m("web-unit")) " " (o.label) }
                                    select id={ "unit-" (o.value) } name={ "unit-" (o.value) } {
                                        @for u in &o.units {
                                            option value=(u) selected[answers.text(&format!("unit-{}", o.value), existing.as_ref().and_then(|l| l.get("unit")).and_then(Value::as_str).unwrap_or_default().to_owned()) == *u] { (u) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
        _ => html! { (PreEscaped("")) },
    }
}
