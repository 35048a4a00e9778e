//! "Controleer uw antwoorden / Check your answers" (web review D27): after
//! the last question, every answer given, each with a button that opens its
//! question again (the interview's `edit`); after the change the
//! questionnaire comes back here. Then the result. The same lines, without
//! the lab values, are the answers of the summary for the GP.

use kobalt_engine::interview::{InterviewQuestion, answered_ids, applies};
use kobalt_kb::{QuestionKind, fill};
use maud::{Markup, html};
use serde_json::Value;

use super::form::{self, local_number};
use super::{Page, carry, switch_button};

/// One answer in the reader's words.
pub(crate) struct Answer {
    /// The question's id (for its "change" button).
    pub id: String,
    pub kind: QuestionKind,
    /// The question, without its hint ("Tick all that apply").
    pub question: String,
    pub text: String,
}

/// The answers given, question by question in asking order: the questions
/// answered that still apply. An answer not known reads "don't know", never
/// "no" or "none".
pub(crate) fn answers(page: &Page, partial: &Value) -> Vec<Answer> {
    let answered = answered_ids(partial);
    let unknown = || page.m("option-unknown");
    let list = |pointer: &str| -> Option<Vec<Value>> {
        partial.pointer(pointer).and_then(Value::as_array).cloned()
    };
    let id_of = |x: &Value| x.get("id").and_then(Value::as_str).map(str::to_owned);
    let mut out = Vec::new();
    for q in page
        .kb
        .interview
        .iter()
        .filter(|q| answered.contains(&q.id) && applies(page.kb, q, partial))
    {
        let Some(shown) =
            kobalt_engine::interview::question(page.kb, &q.id, page.lang, page.audience)
        else {
            continue;
        };
        let value = partial.pointer(&q.field);
        let text = match q.kind {
            QuestionKind::Number => value
                .and_then(Value::as_f64)
                .map(|v| local_number(v, page.lang)),
            QuestionKind::Choice => value.and_then(Value::as_str).map(|v| label_of(&shown, v)),
            QuestionKind::YesNo => value
                .and_then(Value::as_bool)
                .map(|b| page.m(if b { "option-yes" } else { "option-no" })),
            QuestionKind::Symptoms => symptoms(page, q, &shown, partial),
            QuestionKind::List => list(&q.field).map(|items| {
                let mut names: Vec<String> = items
                    .iter()
                    .filter_map(|x| id_of(x).filter(|id| q.options.contains(id)))
                    .map(|id| label_of(&shown, &id))
                    .collect();
                if let Some(other) = &shown.other
                    && form::flagged(partial, form::OTHER_POINTER, &q.id)
                {
                    names.push(other.clone());
                }
                if names.is_empty() {
                    page.m("web-summary-none")
                } else {
                    names.join(", ")
                }
            }),
            QuestionKind::Years => {
                let names: Vec<String> = list(&q.field)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|x| {
                        let id = id_of(x).filter(|id| q.options.contains(id))?;
                        let years = match x.get("years").and_then(Value::as_f64) {
                            Some(y) => {
                                format!(
                                    "{} {}",
                                    local_number(y, page.lang),
                                    page.m("web-summary-years")
                                )
                            }
                            None => page.m("web-answers-years-unknown"),
                        };
                        Some(format!("{}: {years}", label_of(&shown, &id)))
                    })
                    .collect();
                (!names.is_empty()).then(|| names.join("; "))
            }
            QuestionKind::Exposure => {
                let exposure = q.exposure.clone().unwrap_or_default();
                list(&q.field).map(|items| {
                    items
                        .iter()
                        .find(|x| id_of(x).as_deref() == Some(exposure.as_str()))
                        .and_then(|x| x.get("pattern").and_then(Value::as_str))
                        .map_or_else(
                            || page.m("option-pattern-none"),
                            |p| page.m(&format!("option-pattern-{p}")),
                        )
                })
            }
            QuestionKind::Course => list("/symptoms")
                .unwrap_or_default()
                .iter()
                .filter(|s| s.get("present").and_then(Value::as_bool).unwrap_or(true))
                .find_map(|s| s.get("course").and_then(Value::as_str).map(str::to_owned))
                .map(|c| page.m(&format!("option-course-{c}"))),
            QuestionKind::Duration => {
                super::first_present_weeks(partial).map(|w| page.m(&format!("option-duration-{w}")))
            }
            QuestionKind::Labs => Some(labs(page, q, &shown, partial)),
        };
        // The question without its hint ("Tick all that apply").
        let question = match shown.text.find('?') {
            Some(end) => shown.text[..=end].to_owned(),
            None => shown.text.clone(),
        };
        out.push(Answer {
            id: q.id.clone(),
            kind: q.kind,
            question,
            text: text.unwrap_or_else(unknown),
        });
    }
    out
}

fn label_of(shown: &InterviewQuestion, id: &str) -> String {
    shown
        .options
        .iter()
        .find(|o| o.value == id)
        .map_or_else(|| id.to_owned(), |o| o.label.clone())
}

/// "Yes: …; No: …" for a symptoms question. On the symptoms page (yes, no or
/// don't know per symptom) the ones not answered are "don't know"; a checklist
/// (the red flags) has an entry for every box. A question about a course
/// ("getting worse quickly?") says yes for the symptoms with that course.
fn symptoms(
    page: &Page,
    q: &kobalt_kb::Question,
    shown: &InterviewQuestion,
    partial: &Value,
) -> Option<String> {
    let entries: Vec<Value> = partial
        .pointer("/symptoms")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|s| {
                    s.get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|id| q.options.iter().any(|o| o == id))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if entries.is_empty() {
        return None;
    }
    let mut yes = Vec::new();
    let mut no = Vec::new();
    for s in &entries {
        let Some(id) = s.get("id").and_then(Value::as_str) else {
            continue;
        };
        let name = label_of(shown, id);
        let course = s.get("course").and_then(Value::as_str);
        if let Some(c) = q.course {
            if course == Some(c.as_str()) {
                yes.push(name);
            }
            continue;
        }
        if s.get("present").and_then(Value::as_bool).unwrap_or(true) {
            match course {
                Some(c) => yes.push(format!(
                    "{name} ({})",
                    page.m(&format!("option-course-{c}"))
                )),
                None => yes.push(name),
            }
        } else {
            no.push(name);
        }
    }
    let mut parts = Vec::new();
    if !yes.is_empty() {
        parts.push(format!("{}: {}", page.m("option-yes"), yes.join(", ")));
    }
    if !no.is_empty() {
        parts.push(format!("{}: {}", page.m("option-no"), no.join(", ")));
    }
    let rest = q.options.len().saturating_sub(entries.len());
    if form::per_symptom(q) && rest > 0 {
        parts.push(fill(
            &page.m("web-answers-unknown-rest"),
            &[("n", &rest.to_string())],
        ));
    }
    Some(if parts.is_empty() {
        page.m("web-summary-none")
    } else {
        parts.join("; ")
    })
}

/// The lab values as entered, in the reader's way of writing numbers.
fn labs(
    page: &Page,
    q: &kobalt_kb::Question,
    shown: &InterviewQuestion,
    partial: &Value,
) -> String {
    let lines: Vec<String> = partial
        .pointer(&q.field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| {
            let analyte = l.get("analyte").and_then(Value::as_str)?;
            if !q.options.iter().any(|o| o == analyte) {
                return None;
            }
            let name = label_of(shown, analyte);
            if let Some(result) = l.get("result").and_then(Value::as_str) {
                return Some(format!("{name}: {}", page.m(&format!("web-lab-{result}"))));
            }
            let value = l.get("value").and_then(Value::as_f64)?;
            let unit = l.get("unit").and_then(Value::as_str).unwrap_or_default();
            Some(format!("{name}: {} {unit}", local_number(value, page.lang)))
        })
        .collect();
    if lines.is_empty() {
        page.m("web-answers-no-labs")
    } else {
        lines.join("; ")
    }
}

/// The page: every answer with its "change" button, then "see result".
pub(crate) fn page(page: &Page, partial: &Value) -> Markup {
    let title = page.m("web-answers-title");
    let change = page.m("web-answers-change");
    let body = html! {
        h1 id="answers-h" { (title) }
        p { (page.m("web-answers-intro")) }
        form id="step" method="post" action="/interview" {
            (carry(partial, page.lang))
            dl class="answers" {
                @for a in answers(page, partial) {
                    div class="answer" id={ "answer-" (a.id) } {
                        dt { (a.question) }
                        dd { (a.text) }
                        dd class="change" {
                            button type="submit" name="edit" value=(a.id) formnovalidate {
                                (change)
                                span class="visually-hidden" { ": " (a.question) }
                            }
                        }
                    }
                }
            }
            p class="buttons" {
                button type="submit" id="see-result" formaction="/result" class="primary" {
                    (page.m("web-answers-see-result"))
                }
            }
        }
    };
    page.layout(&title, switch_button(page), body)
}
