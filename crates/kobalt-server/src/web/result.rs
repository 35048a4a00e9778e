//! The result page: triage first, then the labs against the guideline's
//! limits, causes, differential, tests, treatment, follow-up, the projection
//! and the sources, every statement linked to its sources.

use axum::http::StatusCode;
use axum::response::Response;
use kobalt_contract::{
    Assessment, Audience, Language, Lifelong, Marker, Phase, TriageLevel, parse_request,
};
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

/// A result reached from the clinician form: its note, and the fields as
/// posted, so that "edit" goes back to the filled form.
pub(crate) struct FromForm<'a> {
    pub note: Note,
    pub fields: &'a [(String, String)],
}

/// The result page; from the clinician form with its note after the triage.
pub(crate) async fn render_with_note(
    state: &AppState,
    partial: &Value,
    lang: Language,
    audience: Audience,
    from: Option<FromForm<'_>>,
) -> Response {
    let page = Page {
        kb: &state.kb,
        lang,
        audience,
    };
    match assess(state, partial, lang, audience).await {
        Ok((a, projection)) => {
            let extra = from.map(|f| ((f.note)(&page, partial, &a), edit_form(&page, f.fields)));
            html_response(
                StatusCode::OK,
                result_page(&page, partial, &a, projection.as_ref(), extra),
            )
        }
        Err(e) => error_page(&page, partial, &e),
    }
}

/// The tests for a patient: each named with its plain gloss; tests that share
/// a reason (one rule proposes several) are listed together and the reason is
/// said once, after them.
fn patient_tests(page: &Page, tests: &[kobalt_contract::NextTest]) -> Markup {
    let mut groups: Vec<(&str, Vec<&kobalt_contract::NextTest>)> = Vec::new();
    for t in tests {
        match groups.iter_mut().find(|(why, _)| *why == t.why) {
            Some((_, group)) => group.push(t),
            None => groups.push((&t.why, vec![t])),
        }
    }
    html! {
        ul {
            @for (why, group) in &groups {
                li {
                    @for t in group {
                        strong { (t.name) } " — " span class="gloss" { (page.m(&format!("gloss-{}", t.analyte))) } br;
                    }
                    (why)
                }
            }
        }
    }
}

/// The plans for a patient: with tablets and injections both offered, one
/// list per route under "one of these" (they are alternatives, not steps);
/// within a plan the phases are named when there is more than one.
fn patient_regimens(page: &Page, regimens: &[kobalt_contract::Regimen]) -> Markup {
    let mut routes: Vec<kobalt_contract::Route> = Vec::new();
    for r in regimens {
        if !routes.contains(&r.route) {
            routes.push(r.route);
        }
    }
    let plan = |route: kobalt_contract::Route| {
        let of_route: Vec<_> = regimens.iter().filter(|r| r.route == route).collect();
        let phases = of_route
            .iter()
            .map(|r| r.phase)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        html! {
            ul {
                @for r in &of_route {
                    li {
                        @if phases > 1 { span class="phase" { (page.m(&format!("web-phase-{}", r.phase))) } ": " }
                        (r.text)
                    }
                }
            }
        }
    };
    html! {
        @if routes.len() > 1 {
            p { (page.m("web-regimen-options")) }
            @for route in &routes {
                h3 { (page.m(&format!("web-route-{}", route.as_str()))) }
                (plan(*route))
            }
        } @else if let Some(route) = routes.first() {
            (plan(*route))
        }
    }
}

/// "Edit" for a result from the clinician form: the fields as posted, back
/// to the form.
fn edit_form(page: &Page, fields: &[(String, String)]) -> Markup {
    html! {
        form method="post" action="/clinician" class="inline" {
            @for (name, value) in fields.iter().filter(|(n, _)| n != "action" && n != "switch_lang") {
                input type="hidden" name=(name) value=(value);
            }
            button type="submit" name="action" value="edit" { (page.m("web-edit")) }
        }
    }
}

/// The answers could not be assessed: the problem named, a way back to the
/// questions and a fresh start (the result page and the GP summary).
pub(crate) fn error_page(page: &Page, partial: &Value, e: &ApiError) -> Response {
    let lang = page.lang;
    let body = html! {
        div class="error" role="alert" {
            h1 { (page.m("web-error-title")) }
            p { (kobalt_kb::fill(&page.m("web-error-request"), &[("problem", &e.problem())])) }
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

/// The source codes after a statement: for clinicians only (D16: patients get
/// one line at the end, with the list folded).
fn sources(page: &Page, ids: &[String]) -> Markup {
    if page.audience == Audience::Patient || ids.is_empty() {
        return html! {};
    }
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
    from_form: Option<(Markup, Markup)>,
) -> Markup {
    let (note, edit) = from_form.unzip();
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
        p class="meta" {
            (super::summary::long_date(&a.evaluation_date, page.lang)) " · "
            (m("report-knowledge")) " " (a.knowledge.version)
        }
        section class={ "triage level-" (level) } aria-labelledby="triage-h" {
            h2 id="triage-h" { (m("report-urgency")) ": " (m(&format!("report-level-{level}"))) }
            p class="big" { (a.triage.advice) }
            (triage_reasons(page, a))
            (level_changed(page, partial, a))
        }
        @if let Some(note) = note { (note) }

        @if !a.referral.is_empty() {
            section aria-labelledby="referral-h" {
                h2 id="referral-h" { (m("report-referral")) }
                ul {
                    @for r in &a.referral {
                        li {
                            strong { (m(&format!("specialty-{}", r.specialty))) }
                            // The timing for patients is the triage box's (one action);
                            // the referral's urgency is for clinicians.
                            @if clinician { " (" (m(&format!("report-level-{}", r.urgency))) ")" }
                            ": " (r.reason) " " (sources(page, &r.sources))
                            @if clinician { " " (rule(page, None, &r.rule)) }
                        }
                    }
                }
            }
        }

        section aria-labelledby="status-h" {
            h2 id="status-h" { (m("report-status")) ": " (m(&format!("category-{}", a.b12_status.category))) }
            p {
                (a.b12_status.text) " " (sources(page, &a.b12_status.sources))
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
                @if clinician { p class="hint" { (m("report-score-note")) } }
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
                @if clinician {
                    ul {
                        @for t in &a.next_tests {
                            li {
                                strong { (t.name) } ": " (t.why) " " (sources(page, &t.sources))
                                " " (rule(page, None, &t.rule))
                            }
                        }
                    }
                } @else {
                    (patient_tests(page, &a.next_tests))
                }
            }
        }
        section aria-labelledby="treatment-h" {
            h2 id="treatment-h" { (m("report-treatment")) }
            p class="big" { (m(kobalt_kb::treatment_heading(a))) }
            @if a.treatment.start_before_results { p class="big" { (m("report-start-before-results")) } }
            // How long only for a treatment that is advised (not under "no treatment").
            @if a.treatment.recommended || a.follow_up.decision.is_some() {
                p { (m(match a.treatment.lifelong { Lifelong::Yes => "lifelong-yes", Lifelong::No => "lifelong-no", Lifelong::Unknown => "lifelong-unknown" })) }
            }
            @if !a.treatment.recommended && !a.treatment.regimens.is_empty() {
                p { (m(if a.treatment.regimens.iter().all(|r| r.phase == Phase::Prevention) { "report-treatment-prevention" } else { "report-treatment-possible" })) }
                // Why this plan and what to do first (F18).
                @for r in a.treatment.reasons.iter().filter(|r| page.kb.recommend.is_recommendation(&r.rule)) {
                    p { (r.text) }
                }
            }
            @if clinician {
                ul {
                    @for r in &a.treatment.regimens {
                        li {
                            span class="phase" { (m(&format!("phase-{}", r.phase))) } ": "
                            (r.text) " " (sources(page, &r.sources)) " " (rule(page, None, &r.rule))
                        }
                    }
                    @for adv in &a.treatment.advice { li { (adv) } }
                }
            } @else {
                (patient_regimens(page, &a.treatment.regimens))
                ul { @for adv in &a.treatment.advice { li { (adv) } } }
            }
        }
        @if a.follow_up.review_after_weeks.is_some() || a.follow_up.decision_text.is_some() || !a.follow_up.checks.is_empty() {
            section aria-labelledby="follow-h" {
                h2 id="follow-h" { (m("report-follow-up")) }
                @if let Some(w) = a.follow_up.review_after_weeks {
                    p { (m("report-review-after")) " " (w) " " (m("report-weeks")) }
                }
                @if let Some(t) = &a.follow_up.decision_text { p { (t) } }
                ul { @for c in &a.follow_up.checks { li { (c) } } }
            }
        }
        @if let Some(p) = &a.projection {
            section aria-labelledby="projection-h" {
                h2 id="projection-h" { (m(if clinician { "report-projection" } else { "web-chart-heading" })) }
                p { (p.text) " " (sources(page, &p.sources)) }
                @if let Some(series) = projection {
                    figure class="chart" {
                        (PreEscaped(chart(page, a, series)))
                        figcaption {
                            (m(if clinician { "web-projection-chart" } else { "web-chart-title" })) ". "
                            (m(if clinician { "report-sim-note" } else { "web-chart-note" }))
                        }
                    }
                }
            }
        }
        (warnings(page, a))
        @if !a.missing_information_text.is_empty() {
            section aria-labelledby="missing-h" {
                h2 id="missing-h" { (m("report-missing-information")) }
                @if clinician {
                    p { (a.missing_information_text.join("; ")) }
                } @else {
                    details {
                        summary { (kobalt_kb::fill(&m("web-missing-count"), &[("count", &a.missing_information_text.len().to_string())])) }
                        p { (a.missing_information_text.join("; ")) }
                    }
                }
            }
        }
        // What to do with the result, after it (on a phone the buttons took a
        // screen right under the action).
        nav class="actions no-print" aria-label=(m("web-actions")) {
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
            @if let Some(edit) = edit {
                (edit)
            } @else {
                form method="post" action="/interview" class="inline" {
                    (carry(partial, page.lang))
                    button type="submit" name="action" value="back" { (m("web-edit")) }
                }
            }
            a href={ "/?lang=" (page.lang.as_str()) } { (m("web-restart")) }
        }
        p class="no-print hint" { (m("web-print")) }
        (source_list(page, a))
        // The footer says it for patients; the version is under the title.
        @if clinician { p class="hint" { (a.disclaimer) " " (m("report-knowledge")) " " (a.knowledge.version) } }
    };
    page.layout(&m("web-result-title"), switch, body)
}

/// The reasons for the action. A patient's assessment holds only the reasons
/// of the final level (one action, web review D3); clinicians read every
/// reason with its level and rule.
fn triage_reasons(page: &Page, a: &Assessment) -> Markup {
    let clinician = page.audience == Audience::Clinician;
    html! {
        ul {
            @for r in &a.triage.reasons {
                li {
                    (r.text) " " (sources(page, &r.sources))
                    @if clinician { " " (rule(page, Some(r.level), &r.rule)) }
                }
            }
        }
    }
}

/// After a "seek help" page at a higher level, the result says that later
/// answers lowered it, and what to do in doubt (web review D8).
fn level_changed(page: &Page, partial: &Value, a: &Assessment) -> Markup {
    let before = partial
        .pointer("/extensions/kobalt_interview/seek_help")
        .and_then(Value::as_str)
        .and_then(TriageLevel::parse)
        .filter(|before| *before > a.triage.level);
    let Some(before) = before else {
        return html! {};
    };
    let level = |l: TriageLevel| page.m(&format!("report-level-{}", l.as_str()));
    html! {
        p class="changed" {
            (kobalt_kb::fill(&page.m("web-level-changed"), &[("before", &level(before)), ("now", &level(a.triage.level))]))
        }
    }
}

/// Warnings; for patients the unverified-values warning becomes one plain
/// sentence on what is uncertain (D15).
fn warnings(page: &Page, a: &Assessment) -> Markup {
    let clinician = page.audience == Audience::Clinician;
    let shown: Vec<_> = a
        .warnings
        .iter()
        .filter(|w| clinician || w.rule != UNVERIFIED_WARNING)
        .collect();
    let uncertain = !clinician
        && (a.warnings.iter().any(|w| w.rule == UNVERIFIED_WARNING)
            || a.b12_status.markers.iter().any(|mk| mk.unverified));
    html! {
        @if !shown.is_empty() || uncertain {
            section aria-labelledby="warn-h" {
                h2 id="warn-h" { (page.m("report-warnings")) }
                ul {
                    @for w in &shown { li { (w.text) " " (sources(page, &w.sources)) } }
                    @if uncertain { li { (page.m("web-uncertain-limits")) } }
                }
            }
        }
    }
}

/// The rule whose warning says that unverified values were used.
const UNVERIFIED_WARNING: &str = "unverified_value_used";

/// The sources: for patients one line naming the guideline, the list folded;
/// for clinicians the list with primary sources first (D16).
fn source_list(page: &Page, a: &Assessment) -> Markup {
    let rank = |kind: &str| match kind {
        "primary" => 0,
        "primary_draft" => 1,
        _ => 2,
    };
    let mut list: Vec<_> = a.sources.iter().collect();
    list.sort_by_key(|s| rank(&s.kind));
    let items = html! {
        ol class="source-list" {
            @for s in &list {
                li id={ "src-" (s.id) } {
                    strong { (s.id) } " " (s.title)
                    @if let Some(y) = s.year { " (" (y) ")" }
                    @if let Some(u) = &s.url { " " a href=(u) rel="noreferrer" { (u) } }
                }
            }
        }
    };
    let guideline = page.m(&format!("guideline-{}", a.guideline.as_str()));
    html! {
        section aria-labelledby="sources-h" {
            h2 id="sources-h" { (page.m("web-sources")) }
            @if page.audience == Audience::Clinician {
                (items)
            } @else {
                p { (kobalt_kb::fill(&page.m("web-based-on"), &[("guideline", &guideline), ("version", &a.knowledge.version)])) }
                details {
                    summary { (kobalt_kb::fill(&page.m("web-all-sources"), &[("count", &list.len().to_string())])) }
                    (items)
                }
            }
        }
    }
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
            strong { (name) } " — " (text) " " (sources(page, source_ids))
            (evidence(page, supporting, against, missing))
        }
    }
}

fn evidence(page: &Page, supporting: &[String], against: &[String], missing: &[String]) -> Markup {
    // Patients read what argues for it, at most two findings (overlapping
    // findings read as the same reason three times); clinicians read all.
    if page.audience == Audience::Patient {
        return html! {
            @if !supporting.is_empty() {
                br; span class="for" { (page.m("report-supporting")) ": " (supporting.iter().take(2).cloned().collect::<Vec<_>>().join("; ")) }
            }
        };
    }
    html! {
        @if !supporting.is_empty() { br; span class="for" { (page.m("report-supporting")) ": " (supporting.join("; ")) } }
        @if !against.is_empty() { br; span class="against" { (page.m("report-against")) ": " (against.join("; ")) } }
        @if !missing.is_empty() && page.audience == Audience::Clinician {
            br; span class="missing" { (page.m("report-missing")) ": " (missing.join("; ")) }
        }
    }
}

/// A marker: its value and band in words, a bar of the guideline's bands with
/// the value marked and labelled, and the zones named with their limits,
/// rounded in the unit the lab reported (D23). "Not verified" only for
/// clinicians (D15).
fn marker(page: &Page, mk: &Marker) -> Markup {
    let clinician = page.audience == Audience::Clinician;
    let band = page.m(&format!("band-{}", mk.interpretation));
    let value_text = super::clinician::value_text(page, mk);
    let flags: String = mk
        .flags
        .iter()
        .map(|f| format!(" ({})", page.m(&format!("flag-{f}"))))
        .collect();
    html! {
        p { strong { (mk.name) } ": " (value_text)
            // A qualitative result whose reading is the same word is said once.
            @if value_text != band { " → " (band) }
            (flags)
            @if mk.unverified && clinician { " (" (page.m("report-unverified")) ")" }
            " " (sources(page, &mk.sources))
            @if clinician {
                @let limits = super::clinician::limits_text(page, mk);
                @if !limits.is_empty() { br; span class="limits" { (page.m("web-note-limits")) ": " (limits) } }
                " " (rule(page, None, &mk.rule))
            }
        }
        // A bound ("<150") has no place on the bar (interop.md B.2).
        @if let Some(v) = mk.value.filter(|_| !mk.bands.is_empty() && mk.comparator.is_none()) {
            // The lab's own range is labelled as the lab's (F09, issue 13 item 4).
            @if mk.rule == page.kb.lab_reference_range.meta.id { p class="lab-limits" { (page.m("web-lab-limits")) } }
            (PreEscaped(bar(page, mk, v)))
            ul class="zones" {
                @for (i, b) in mk.bands.iter().enumerate() {
                    li {
                        span class={ "swatch " (zone_class(&b.band)) } aria-hidden="true" {}
                        span class="zone-name" { (page.m(&format!("band-{}", b.band))) }
                        " " (zone_range(page, mk, i))
                    }
                }
            }
        }
    }
}

/// A limit in the unit the lab reported, to three significant digits.
fn in_lab_unit(mk: &Marker, limit: f64) -> f64 {
    let factor = match (mk.value, &mk.reported) {
        (Some(v), Some(r)) if v != 0.0 => r.value / v,
        _ => 1.0,
    };
    three_digits(limit * factor)
}

/// A limit as people read it: three significant digits (132.8 → 133,
/// 0.2818 → 0.282).
fn three_digits(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 2 - x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

fn lab_unit(mk: &Marker) -> &str {
    mk.reported
        .as_ref()
        .map(|r| r.unit.as_str())
        .or(mk.unit.as_deref())
        .unwrap_or("")
}

/// "below 148 pmol/L", "148 to 260 pmol/L", "260 pmol/L or more".
fn zone_range(page: &Page, mk: &Marker, i: usize) -> String {
    let b = &mk.bands[i];
    let n = |v: f64| super::clinician::num(in_lab_unit(mk, v), page.lang);
    let unit = lab_unit(mk);
    // Whether a limit belongs to this zone: the previous zone may include it.
    let after_inclusive = i > 0 && mk.bands[i - 1].to_inclusive;
    let template = match (b.from, b.to) {
        (None, Some(_)) if b.to_inclusive => "web-zone-at-most",
        (None, Some(_)) => "web-zone-below",
        (Some(_), None) if after_inclusive => "web-zone-more-than",
        (Some(_), None) => "web-zone-above",
        (Some(_), Some(_)) if after_inclusive => "web-zone-between-above",
        (Some(_), Some(_)) => "web-zone-between",
        (None, None) => return String::new(),
    };
    kobalt_kb::fill(
        &page.m(template),
        &[
            ("from", &b.from.map(n).unwrap_or_default()),
            ("to", &b.to.map(n).unwrap_or_default()),
            ("unit", unit),
        ],
    )
}

fn zone_class(band: &str) -> &'static str {
    match band {
        "normal" => "zone-ok",
        "low_normal" | "borderline" | "raised_mild" => "zone-grey",
        _ => "zone-out",
    }
}

/// The bar: the bands in colour, the value marked and labelled "your value".
fn bar(page: &Page, mk: &Marker, v: f64) -> String {
    let top = mk
        .bands
        .iter()
        .filter_map(|b| b.from.or(b.to))
        .fold(v, f64::max)
        * 1.25;
    let (left, width) = (8.0, 304.0);
    let x = |val: f64| left + width * (val / top).clamp(0.0, 1.0);
    let label = format!(
        "{}: {}",
        page.m(if page.audience == Audience::Patient {
            "web-your-value"
        } else {
            "web-the-value"
        }),
        super::clinician::value_text(page, mk)
    );
    let mut s = format!(
        "<svg class=\"bar\" viewBox=\"0 0 320 46\" role=\"img\" aria-label=\"{}\">",
        escape(&format!("{}, {label}", mk.name))
    );
    for b in &mk.bands {
        let from = b.from.unwrap_or(0.0);
        let to = b.to.unwrap_or(top);
        s.push_str(&format!(
            "<rect class=\"{}\" x=\"{:.1}\" y=\"22\" width=\"{:.1}\" height=\"14\"/>",
            zone_class(&b.band),
            x(from),
            (x(to) - x(from)).max(0.0)
        ));
    }
    let at = x(v);
    let anchor = if at < 80.0 {
        "start"
    } else if at > 240.0 {
        "end"
    } else {
        "middle"
    };
    s.push_str(&format!(
        "<path d=\"M{at:.1} 17 L{at:.1} 42\" stroke=\"#000\" stroke-width=\"3\"/>\
         <text x=\"{at:.1}\" y=\"13\" font-size=\"12\" text-anchor=\"{anchor}\" fill=\"#000\">{}</text></svg>",
        escape(&label)
    ));
    s
}

fn chart(page: &Page, a: &Assessment, series: &Projection) -> String {
    let low = a
        .projection
        .as_ref()
        .and_then(|p| p.estimates.first())
        .map(|e| e.threshold);
    // Patients read the chart in plain words (web review D17); clinicians in the model's.
    let plain = page.audience == Audience::Patient;
    let pick = |patient: &str, clinician: &str| page.m(if plain { patient } else { clinician });
    let labels = kobalt_chart::Labels {
        // The figure's caption carries the title.
        title: String::new(),
        serum_axis: page.m("report-sim-serum-axis"),
        store_axis: page.m("report-sim-store-axis"),
        years: page.m("report-sim-years"),
        weeks: page.m("report-sim-weeks"),
        band: pick("web-chart-band", "report-sim-band"),
        median: pick("web-chart-median", "report-sim-median"),
        default_run: pick("web-chart-default", "report-sim-default"),
        // The caption carries the note too: it may be longer than a phone is wide.
        note: String::new(),
    };
    let limits: Vec<kobalt_chart::Limit> = low
        .into_iter()
        .map(|v| kobalt_chart::Limit {
            label: format!(
                "{} {} pmol/L",
                page.m("report-sim-limit-low"),
                super::clinician::num(three_digits(v), page.lang)
            ),
            value: v,
        })
        .collect();
    // The narrow layout: readable on a phone at its own size (D9).
    kobalt_chart::projection_svg_in(series, &labels, &limits, kobalt_chart::Layout::NARROW)
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
