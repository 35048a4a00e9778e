//! "Voor uw huisarts / For your GP" (issue 15, part 3): one A4 summary of the
//! answers, the lab values with their limits, the advice, the date and the
//! knowledge version. The same content as an HTML page (printed with the
//! browser's print) and as a PDF.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kobalt_contract::{Assessment, Audience, Language, Lifelong, Marker};
use kobalt_kb::QuestionKind;
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

use super::result::{assess, short};
use super::{Page, carry, html_response};
use crate::AppState;

/// The summary, independent of how it is shown.
pub(crate) struct Summary {
    pub title: String,
    /// Date, knowledge version, guideline: label and value.
    pub meta: Vec<(String, String)>,
    pub sections: Vec<Section>,
    /// The disclaimer under everything.
    pub footer: String,
}

pub(crate) struct Section {
    pub heading: String,
    pub items: Vec<Item>,
}

/// One line: an optional label in bold, then the text.
pub(crate) struct Item {
    pub label: String,
    pub text: String,
}

fn item(label: impl Into<String>, text: impl Into<String>) -> Item {
    Item {
        label: label.into(),
        text: text.into(),
    }
}

/// `2026-12-07` as "7 december 2026" or "7 December 2026".
pub(crate) fn long_date(iso: &str, lang: Language) -> String {
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    match iso.parse::<jiff::civil::Date>() {
        Ok(d) => {
            let months = match lang {
                Language::Nl => NL,
                Language::En => EN,
            };
            let month = months[usize::from(d.month().unsigned_abs()).clamp(1, 12) - 1];
            format!("{} {month} {}", d.day(), d.year())
        }
        Err(_) => iso.to_owned(),
    }
}

/// The limits of a marker: each band with its range, in the canonical unit.
fn limits(page: &Page, mk: &Marker) -> String {
    let unit = mk.unit.as_deref().unwrap_or("");
    let mut parts: Vec<String> = mk
        .bands
        .iter()
        .map(|b| {
            let range = match (b.from, b.to) {
                (Some(f), Some(t)) => format!("{}–{}", short(f), short(t)),
                (Some(f), None) => format!("≥ {}", short(f)),
                (None, Some(t)) if b.to_inclusive => format!("≤ {}", short(t)),
                (None, Some(t)) => format!("< {}", short(t)),
                (None, None) => String::new(),
            };
            format!("{} {range}", page.m(&format!("band-{}", b.band)))
        })
        .collect();
    if let Some(r) = &mk.lab_reference {
        let range = match (r.low, r.high) {
            (Some(l), Some(h)) => format!("{}–{}", short(l), short(h)),
            (Some(l), None) => format!("≥ {}", short(l)),
            (None, Some(h)) => format!("≤ {}", short(h)),
            (None, None) => String::new(),
        };
        if !range.is_empty() {
            parts.push(format!("{} {range}", page.m("web-summary-lab-reference")));
        }
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "{}: {} {unit}",
        page.m("web-summary-limits"),
        parts.join("; ")
    )
}

fn marker_line(page: &Page, mk: &Marker) -> Item {
    let sign = kobalt_contract::Comparator::sign_of(mk.comparator);
    let value = match (mk.value, &mk.reported) {
        (Some(v), Some(r)) => format!(
            "{sign}{} {} ({sign}{} {})",
            short(r.value),
            r.unit,
            short(v),
            mk.unit.as_deref().unwrap_or("")
        ),
        (Some(v), None) => format!("{sign}{} {}", short(v), mk.unit.as_deref().unwrap_or("")),
        (None, _) => mk
            .result
            .map(|r| page.m(&format!("band-{r}")))
            .unwrap_or_default(),
    };
    let mut text = format!(
        "{value} → {}",
        page.m(&format!("band-{}", mk.interpretation))
    );
    if let Some(date) = &mk.date {
        text.push_str(&format!(" ({})", long_date(date, page.lang)));
    }
    let limits = limits(page, mk);
    if !limits.is_empty() {
        text.push_str(&format!(". {limits}"));
    }
    item(mk.name.clone(), text)
}

/// The answers, question by question, in the reader's words (the lines of
/// "check your answers"). Lab values are in their own section.
fn answers(page: &Page, partial: &Value) -> Vec<Item> {
    super::answers::answers(page, partial)
        .into_iter()
        .filter(|a| !matches!(a.kind, QuestionKind::Labs | QuestionKind::Course))
        .map(|a| item(a.question, a.text))
        .collect()
}

pub(crate) fn build(page: &Page, partial: &Value, a: &Assessment) -> Summary {
    let m = |id: &str| page.m(id);
    let level = a.triage.level.as_str();
    let mut sections = Vec::new();

    let mut advice = vec![item(
        m("report-urgency"),
        format!(
            "{} — {}",
            m(&format!("report-level-{level}")),
            a.triage.advice
        ),
    )];
    for r in &a.triage.reasons {
        advice.push(item("", r.text.clone()));
    }
    advice.push(item(
        m("report-status"),
        format!(
            "{}. {}",
            m(&format!("category-{}", a.b12_status.category)),
            a.b12_status.text
        ),
    ));
    sections.push(Section {
        heading: m("web-summary-advice"),
        items: advice,
    });

    if !a.b12_status.markers.is_empty() {
        sections.push(Section {
            heading: m("web-summary-labs"),
            items: a
                .b12_status
                .markers
                .iter()
                .map(|mk| marker_line(page, mk))
                .collect(),
        });
    }

    let answers = answers(page, partial);
    if !answers.is_empty() {
        sections.push(Section {
            heading: m("web-summary-answers"),
            items: answers,
        });
    }

    let mut treatment = Vec::new();
    if a.treatment.start_before_results {
        treatment.push(item("", m("report-start-before-results")));
    }
    treatment.push(item(
        "",
        m(match a.treatment.lifelong {
            Lifelong::Yes => "lifelong-yes",
            Lifelong::No => "lifelong-no",
            Lifelong::Unknown => "lifelong-unknown",
        }),
    ));
    for r in &a.treatment.regimens {
        treatment.push(item(m(&format!("phase-{}", r.phase)), r.text.clone()));
    }
    for adv in &a.treatment.advice {
        treatment.push(item("", adv.clone()));
    }
    sections.push(Section {
        heading: format!(
            "{}: {}",
            m("report-treatment"),
            m(kobalt_kb::treatment_heading(a))
        ),
        items: treatment,
    });

    if !a.next_tests.is_empty() {
        sections.push(Section {
            heading: m("report-tests"),
            items: a
                .next_tests
                .iter()
                .map(|t| item(t.name.clone(), t.why.clone()))
                .collect(),
        });
    }
    if !a.referral.is_empty() {
        sections.push(Section {
            heading: m("report-referral"),
            items: a
                .referral
                .iter()
                .map(|r| {
                    item(
                        format!(
                            "{} ({})",
                            m(&format!("specialty-{}", r.specialty)),
                            m(&format!("report-level-{}", r.urgency))
                        ),
                        r.reason.clone(),
                    )
                })
                .collect(),
        });
    }
    let mut follow = Vec::new();
    if let Some(w) = a.follow_up.review_after_weeks {
        follow.push(item(
            "",
            format!("{} {w} {}", m("report-review-after"), m("report-weeks")),
        ));
    }
    if let Some(t) = &a.follow_up.decision_text {
        follow.push(item("", t.clone()));
    }
    for c in &a.follow_up.checks {
        follow.push(item("", c.clone()));
    }
    if !follow.is_empty() {
        sections.push(Section {
            heading: m("report-follow-up"),
            items: follow,
        });
    }

    Summary {
        title: m("web-summary-title"),
        meta: vec![
            (
                m("web-summary-date"),
                long_date(&a.evaluation_date, page.lang),
            ),
            (m("web-summary-knowledge"), a.knowledge.version.clone()),
            (
                m("web-summary-guideline"),
                m(&format!("guideline-{}", a.guideline.as_str())),
            ),
        ],
        sections,
        footer: a.disclaimer.clone(),
    }
}

fn summary_html(page: &Page, partial: &Value, s: &Summary) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(page.lang.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (s.title) " · Kobalt" }
                link rel="stylesheet" href="/static/kobalt.css";
                link rel="icon" type="image/svg+xml" href="/favicon.svg";
            }
            body class="summary-page" {
                nav class="no-print summary-actions" aria-label="actions" {
                    p class="hint" { (page.m("web-summary-print")) }
                    form method="post" action="/summary.pdf" class="inline" {
                        (carry(partial, page.lang))
                        input type="hidden" name="audience" value=(page.audience.as_str());
                        button type="submit" class="primary" { (page.m("web-summary-pdf")) }
                    }
                    " "
                    form method="post" action="/result" class="inline" {
                        (carry(partial, page.lang))
                        input type="hidden" name="audience" value=(page.audience.as_str());
                        button type="submit" { (page.m("web-summary-back")) }
                    }
                }
                main id="main" class="summary" {
                    h1 { "Kobalt · " (s.title) }
                    p class="no-print" { (page.m("web-summary-intro")) }
                    dl class="meta" {
                        @for (label, value) in &s.meta {
                            div { dt { (label) } dd { (value) } }
                        }
                    }
                    @for section in &s.sections {
                        section {
                            h2 { (section.heading) }
                            ul {
                                @for it in &section.items {
                                    li {
                                        @if !it.label.is_empty() {
                                            strong { (it.label) }
                                            @if it.label.ends_with(['?', ':', '.']) { " " } @else { ": " }
                                        }
                                        (it.text)
                                    }
                                }
                            }
                        }
                    }
                    p class="hint" { (s.footer) }
                }
            }
        }
    }
}

/// The form's answers, language and audience, assessed and summarised.
async fn summarise<'a>(
    state: &'a AppState,
    body: &[u8],
) -> Result<(Page<'a>, Value, Summary), Response> {
    let form = super::form::FormData::parse(body);
    let lang = super::lang_of(form.get("lang"));
    let audience = form
        .get("audience")
        .and_then(Audience::parse)
        .unwrap_or(Audience::Patient);
    let page = Page {
        kb: &state.kb,
        lang,
        audience,
    };
    let Ok(partial) = super::read_state(&form) else {
        return Err(super::unreadable(&page));
    };
    match assess(state, &partial, lang, audience).await {
        Ok((a, _)) => {
            let summary = build(&page, &partial, &a);
            Ok((page, partial, summary))
        }
        Err(e) => Err(super::result::error_page(&page, &partial, &e)),
    }
}

pub(crate) async fn page(state: &AppState, body: &[u8]) -> Response {
    match summarise(state, body).await {
        Ok((page, partial, s)) => html_response(StatusCode::OK, summary_html(&page, &partial, &s)),
        Err(r) => r,
    }
}

pub(crate) async fn pdf(state: &AppState, body: &[u8]) -> Response {
    match summarise(state, body).await {
        Ok((page, _, s)) => {
            let bytes = super::pdf::render(&s, &page.m("web-summary-page"));
            let name = match page.lang {
                Language::Nl => "kobalt-voor-uw-huisarts.pdf",
                Language::En => "kobalt-for-your-gp.pdf",
            };
            (
                [
                    (header::CONTENT_TYPE, "application/pdf".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(r) => r,
    }
}
