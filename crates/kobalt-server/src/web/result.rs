//! The result page: triage first, then the labs against the guideline's
//! limits, causes, differential, tests, treatment, follow-up, the projection
//! and the sources, every statement linked to its sources.

use axum::http::StatusCode;
use axum::response::Response;
use kobalt_contract::{Assessment, Audience, Language, Lifelong, Marker, Phase, parse_request};
use kobalt_kinetics::Projection;
use maud::{Markup, PreEscaped, html};
use serde_json::{Value, json};

use super::{Page, carry, html_response};
use crate::error::ApiError;
use crate::{AppState, today};

/// The strict request from the answers, assessed with a projection.
pub(crate) async fn assess(
    state: &AppState,
    partial: &Value,
    lang: Language,
    audience: Audience,
) -> Result<(Assessment, Option<Projection>), ApiError> {
    let mut request = partial.clone();
    request["language"] = json!(lang.as_str());
    request["audience"] = json!(audience.as_str());
    let request = parse_request(&request.to_string())?;
    let kb = state.kb.clone();
    let options = kobalt_kinetics::Options {
        draws: state.projection_draws,
        seed: 1,
        every_days: 7,
        threads: 1,
    };
    let assessed = state
        .project(move || {
            kobalt_engine::assess_with_projection_series(&kb, &request, today(), options)
        })
        .await??;
    Ok(assessed)
}

pub(crate) async fn render(
    state: &AppState,
    partial: &Value,
    lang: Language,
    audience: Audience,
) -> Response {
    render_with_note(state, partial, lang, audience, None).await
}

/// A section built from the answers and the assessment (the clinician note).
pub(crate) type Note = fn(&Page, &Value, &Assessment) -> Markup;

/// The result page, with `note` after the triage when given.
pub(crate) async fn render_with_note(
    state: &AppState,
    partial: &Value,
    lang: Language,
    audience: Audience,
    note: Option<Note>,
) -> Response {
    let page = Page {
        kb: &state.kb,
        lang,
        audience,
    };
    match assess(state, partial, lang, audience).await {
        Ok((a, projection)) => html_response(
            StatusCode::OK,
            result_page(
                &page,
                partial,
                &a,
                projection.as_ref(),
                note.map(|n| n(&page, partial, &a)),
            ),
        ),
        Err(e) => {
            let problem = e.problem();
            let body = html! {
                div class="error" role="alert" {
                    h1 { (page.m("web-error-title")) }
                    p { (kobalt_kb::fill(&page.m("web-error-request"), &[("problem", &problem)])) }
                }
                form method="post" action="/interview" {
                    (carry(partial, lang))
                    button type="submit" name="action" value="back" { (page.m("web-back")) }
                }
                p { a href={ "/?lang=" (lang.as_str()) } { (page.m("web-restart")) } }
            };
            html_response(
                e.status(),
                page.layout(&page.m("web-error-title"), page.switch_link(), body),
            )
        }
    }
}

fn sources(ids: &[String]) -> Markup {
    html! {
        span class="sources" {
            @for (i, id) in ids.iter().enumerate() {
                @if i > 0 { ", " }
                a href={ "#src-" (id) } { (id) }
            }
        }
    }
}

fn result_page(
    page: &Page,
    partial: &Value,
    a: &Assessment,
    projection: Option<&Projection>,
    note: Option<Markup>,
) -> Markup {
    let m = |id: &str| page.m(id);
    let clinician = page.audience == Audience::Clinician;
    let level = a.triage.level.as_str();
    let other_audience = match page.audience {
        Audience::Patient => Audience::Clinician,
        Audience::Clinician => Audience::Patient,
    };
    let switch = html! {
        form method="post" action="/result" class="inline" {
            (carry(partial, page.lang))
            input type="hidden" name="audience" value=(page.audience.as_str());
            @let other = match page.lang { Language::Nl => Language::En, Language::En => Language::Nl };
            button type="submit" name="switch_lang" value=(other.as_str()) class="lang" lang=(other.as_str()) { (m("web-language-switch")) }
        }
    };
    let body = html! {
        h1 { (m("web-result-title")) }
        section class={ "triage level-" (level) } aria-labelledby="triage-h" {
            h2 id="triage-h" { (m("report-urgency")) ": " (m(&format!("report-level-{level}"))) }
            p class="big" { (a.triage.advice) }
            ul {
                @for r in &a.triage.reasons {
                    li {
                        (r.text) " " (sources(&r.sources))
                        @if clinician { " " (rule(page, Some(r.level), &r.rule)) }
                    }
                }
            }
        }
        @if let Some(note) = note { (note) }
        nav class="actions no-print" aria-label="actions" {
            form method="post" action="/result" class="inline" {
                (carry(partial, page.lang))
                button type="submit" name="audience" value=(other_audience.as_str()) {
                    (m(match other_audience { Audience::Clinician => "web-view-clinician", Audience::Patient => "web-view-patient" }))
                }
            }
            form method="post" action="/result.json" class="inline" {
                (carry(partial, page.lang))
                input type="hidden" name="audience" value=(page.audience.as_str());
                button type="submit" { (m("web-download")) }
            }
            form method="post" action="/summary" class="inline" {
                (carry(partial, page.lang))
                input type="hidden" name="audience" value=(page.audience.as_str());
                button type="submit" { (m("web-summary-button")) }
            }
            form method="post" action="/interview" class="inline" {
                (carry(partial, page.lang))
                button type="submit" name="action" value="back" { (m("web-edit")) }
            }
            a href={ "/?lang=" (page.lang.as_str()) } { (m("web-restart")) }
        }
        p class="no-print hint" { (m("web-print")) }

        @if !a.referral.is_empty() {
            section aria-labelledby="referral-h" {
                h2 id="referral-h" { (m("report-referral")) }
                ul {
                    @for r in &a.referral {
                        li {
                            strong { (m(&format!("specialty-{}", r.specialty))) }
                            " (" (m(&format!("report-level-{}", r.urgency))) "): " (r.reason) " " (sources(&r.sources))
                            @if clinician { " " (rule(page, None, &r.rule)) }
                        }
                    }
                }
            }
        }

        section aria-labelledby="status-h" {
            h2 id="status-h" { (m("report-status")) ": " (m(&format!("category-{}", a.b12_status.category))) }
            p {
                (a.b12_status.text) " " (sources(&a.b12_status.sources))
                @if clinician { " " (rule(page, None, &a.b12_status.rule)) }
            }
            @if !a.b12_status.markers.is_empty() {
                h3 { (m("web-markers")) }
                ul class="markers" {
                    @for mk in &a.b12_status.markers {
                        li { (marker(page, mk)) }
                    }
                }
            }
        }
        @if !a.causes.is_empty() {
            section aria-labelledby="causes-h" {
                h2 id="causes-h" { (m("report-causes")) }
                p class="hint" { (m("report-score-note")) }
                ol {
                    @for c in &a.causes {
                        (explained(page, &c.name, &c.text, &c.sources, [&c.supporting, &c.against, &c.missing]))
                    }
                }
            }
        }
        @if !a.risk_factors.is_empty() {
            section aria-labelledby="risk-h" {
                h2 id="risk-h" { (m("report-risk-factors")) }
                p class="hint" { (m("report-risk-factors-note")) }
                ul {
                    @for c in &a.risk_factors {
                        (explained(page, &c.name, &c.text, &c.sources, [&c.supporting, &c.against, &c.missing]))
                    }
                }
            }
        }
        @if !a.differential.is_empty() {
            section aria-labelledby="diff-h" {
                h2 id="diff-h" { (m("report-differential")) }
                ul {
                    @for d in &a.differential {
                        (explained(page, &d.name, &d.text, &d.sources, [&d.supporting, &d.against, &d.missing]))
                    }
                }
            }
        }
        @if !a.next_tests.is_empty() {
            section aria-labelledby="tests-h" {
                h2 id="tests-h" { (m("report-tests")) }
                ul {
                    @for t in &a.next_tests {
                        li {
                            strong { (t.name) } ": " (t.why) " " (sources(&t.sources))
                            @if clinician { " " (rule(page, None, &t.rule)) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="treatment-h" {
            h2 id="treatment-h" {
                (m("report-treatment")) ": "
                (m(if a.treatment.recommended { "report-treatment-recommended" } else { "report-treatment-not-recommended" }))
            }
            @if a.treatment.start_before_results { p class="big" { (m("report-start-before-results")) } }
            p { (m(match a.treatment.lifelong { Lifelong::Yes => "lifelong-yes", Lifelong::No => "lifelong-no", Lifelong::Unknown => "lifelong-unknown" })) }
            @if !a.treatment.recommended && !a.treatment.regimens.is_empty() {
                p { (m(if a.treatment.regimens.iter().all(|r| r.phase == Phase::Prevention) { "report-treatment-prevention" } else { "report-treatment-possible" })) }
            }
            ul {
                @for r in &a.treatment.regimens {
                    li {
                        "[" (m(&format!("phase-{}", r.phase))) "] " (r.text) " " (sources(&r.sources))
                        @if clinician { " " (rule(page, None, &r.rule)) }
                    }
                }
                @for adv in &a.treatment.advice { li { (adv) } }
            }
        }
        section aria-labelledby="follow-h" {
            h2 id="follow-h" { (m("report-follow-up")) }
            @if let Some(w) = a.follow_up.review_after_weeks {
                p { (m("report-review-after")) " " (w) " " (m("report-weeks")) }
            }
            @if let Some(t) = &a.follow_up.decision_text { p { (t) } }
            ul { @for c in &a.follow_up.checks { li { (c) } } }
        }
        @if let Some(p) = &a.projection {
            section aria-labelledby="projection-h" {
                h2 id="projection-h" { (m("report-projection")) }
                p { (p.text) " " (sources(&p.sources)) }
                @if let Some(series) = projection {
                    figure {
                        (PreEscaped(chart(page, a, series)))
                        figcaption { (m("web-projection-chart")) }
                    }
                }
            }
        }
        @if !a.warnings.is_empty() {
            section aria-labelledby="warn-h" {
                h2 id="warn-h" { (m("report-warnings")) }
                ul { @for w in &a.warnings { li { (w.text) " " (sources(&w.sources)) } } }
            }
        }
        @if !a.missing_information_text.is_empty() {
            section aria-labelledby="missing-h" {
                h2 id="missing-h" { (m("report-missing-information")) }
                p { (a.missing_information_text.join("; ")) }
            }
        }
        section aria-labelledby="sources-h" {
            h2 id="sources-h" { (m("web-sources")) }
            ol class="source-list" {
                @for s in &a.sources {
                    li id={ "src-" (s.id) } {
                        strong { (s.id) } " " (s.title)
                        @if let Some(y) = s.year { " (" (y) ")" }
                        @if let Some(u) = &s.url { " " a href=(u) rel="noreferrer" { (u) } }
                    }
                }
            }
        }
        p class="hint" { (a.disclaimer) " " (m("report-knowledge")) " " (a.knowledge.version) }
    };
    page.layout(&m("web-result-title"), switch, body)
}

/// A cause or differential: name, text, sources, and what argues for and against.
fn explained(
    page: &Page,
    name: &str,
    text: &str,
    source_ids: &[String],
    [supporting, against, missing]: [&Vec<String>; 3],
) -> Markup {
    html! {
        li {
            strong { (name) } " — " (text) " " (sources(source_ids))
            (evidence(page, supporting, against, missing))
        }
    }
}

fn evidence(page: &Page, supporting: &[String], against: &[String], missing: &[String]) -> Markup {
    html! {
        @if !supporting.is_empty() { br; span class="for" { (page.m("report-supporting")) ": " (supporting.join("; ")) } }
        @if !against.is_empty() { br; span class="against" { (page.m("report-against")) ": " (against.join("; ")) } }
        @if !missing.is_empty() { br; span class="missing" { (page.m("report-missing")) ": " (missing.join("; ")) } }
    }
}

/// A marker drawn against the guideline's bands: a bar of the bands, the
/// limits printed under it and a mark at the value.
fn marker(page: &Page, mk: &Marker) -> Markup {
    let band = page.m(&format!("band-{}", mk.interpretation));
    let value_text = super::clinician::value_text(page, mk);
    let flags: String = mk
        .flags
        .iter()
        .map(|f| format!(" ({})", page.m(&format!("flag-{f}"))))
        .collect();
    let label = format!("{}: {value_text} → {band}{flags}", mk.name);
    let svg = mk.value.filter(|_| !mk.bands.is_empty()).map(|v| {
        let top = mk
            .bands
            .iter()
            .filter_map(|b| b.from.or(b.to))
            .fold(v, f64::max)
            * 1.25;
        let (w, left, bar) = (420.0, 10.0, 400.0);
        let x = |val: f64| left + bar * (val / top).clamp(0.0, 1.0);
        let mut s = format!(
            "<svg viewBox=\"0 0 {w} 44\" width=\"100%\" height=\"44\" role=\"img\" aria-label=\"{}\">",
            escape(&label)
        );
        for b in &mk.bands {
            let from = b.from.unwrap_or(0.0);
            let to = b.to.unwrap_or(top);
            let colour = match b.band.as_str() {
                "normal" => "#c7e9c0",
                "low_normal" | "borderline" | "raised_mild" => "#fee391",
                _ => "#fcbba1",
            };
            s.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"6\" width=\"{:.1}\" height=\"16\" fill=\"{colour}\"/>",
                x(from),
                (x(to) - x(from)).max(0.0)
            ));
            if let Some(f) = b.from {
                s.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"38\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
                    x(f),
                    super::clinician::num(f, page.lang)
                ));
            }
        }
        s.push_str(&format!(
            "<path d=\"M{0:.1} 2 L{0:.1} 26\" stroke=\"#000\" stroke-width=\"3\"/></svg>",
            x(v)
        ));
        s
    });
    html! {
        p { strong { (mk.name) } ": " (value_text) " → " (band)
            @if mk.unverified { " (" (page.m("report-unverified")) ")" }
            " " (sources(&mk.sources))
            @if page.audience == Audience::Clinician {
                @let limits = super::clinician::limits_text(page, mk);
                @if !limits.is_empty() { br; span class="limits" { (page.m("web-note-limits")) ": " (limits) } }
                " " (rule(page, None, &mk.rule))
            }
        }
        @if let Some(svg) = svg { (PreEscaped(svg)) }
    }
}

fn chart(page: &Page, a: &Assessment, series: &Projection) -> String {
    let low = a
        .projection
        .as_ref()
        .and_then(|p| p.estimates.first())
        .map(|e| e.threshold);
    let labels = kobalt_chart::Labels {
        title: page.m("web-projection-chart"),
        serum_axis: page.m("report-sim-serum-axis"),
        store_axis: page.m("report-sim-store-axis"),
        years: page.m("report-sim-years"),
        weeks: page.m("report-sim-weeks"),
        band: page.m("report-sim-band"),
        median: page.m("report-sim-median"),
        default_run: page.m("report-sim-default"),
        note: page.m("report-sim-note"),
    };
    let limits: Vec<kobalt_chart::Limit> = low
        .into_iter()
        .map(|v| kobalt_chart::Limit {
            label: format!("{} {} pmol/L", page.m("report-sim-limit-low"), short(v)),
            value: v,
        })
        .collect();
    kobalt_chart::projection_svg(series, &labels, &limits)
}

pub(crate) fn short(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A rule id (and a triage reason's level) for clinicians.
fn rule(page: &Page, level: Option<kobalt_contract::TriageLevel>, id: &str) -> Markup {
    html! {
        span class="rule" {
            "["
            @if let Some(l) = level { (page.m(&format!("report-level-{}", l.as_str()))) "; " }
            (page.m("web-rule")) " " code { (id) }
            "]"
        }
    }
}
