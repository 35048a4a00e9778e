//! The readable text report of an assessment, and `knowledge show`.

use std::fmt::Write;

use kobalt_contract::{Assessment, Comparator, Lifelong};
use kobalt_kb::Knowledge;

pub(crate) fn render(kb: &Knowledge, a: &Assessment) -> String {
    let m = |id: &str| kb.message(id, a.language, a.audience).to_owned();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} — {} ({} {})\n",
        m("report-title"),
        m(&format!("guideline-{}", a.guideline)),
        m("report-knowledge"),
        a.knowledge.version
    );
    let _ = writeln!(
        s,
        "{}: {}\n  {}",
        m("report-urgency"),
        m(&format!("report-level-{}", a.triage.level)),
        a.triage.advice
    );
    // Rule ids are for clinicians (F33); a patient reads the texts, with the sources at the end.
    let clinician = a.audience == kobalt_contract::Audience::Clinician;
    for r in &a.triage.reasons {
        let cited = if r.sources.is_empty() {
            m("report-no-profile-source")
        } else {
            r.sources.join(", ")
        };
        if clinician {
            let _ = writeln!(s, "  - {} [{}; {}]", r.text, r.rule, cited);
        } else {
            let _ = writeln!(s, "  - {}", r.text);
        }
    }
    if !a.referral.is_empty() {
        let _ = writeln!(s, "\n{}", m("report-referral"));
        for r in &a.referral {
            // The timing for patients is the triage's (one action); the
            // referral's urgency is for clinicians.
            let urgency = if a.audience == kobalt_contract::Audience::Clinician {
                format!(" ({})", m(&format!("report-level-{}", r.urgency)))
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  - {}{urgency}: {}",
                m(&format!("specialty-{}", r.specialty)),
                r.reason
            );
        }
    }
    let _ = writeln!(
        s,
        "\n{}: {} — {}",
        m("report-status"),
        m(&format!("category-{}", a.b12_status.category)),
        a.b12_status.text
    );
    for mk in &a.b12_status.markers {
        let sign = Comparator::sign_of(mk.comparator);
        let canonical = mk.value.map(|v| {
            format!(
                "{sign}{} {}",
                number(v),
                mk.unit.as_deref().unwrap_or_default()
            )
        });
        let value = match (&mk.reported, canonical) {
            (Some(r), Some(c)) => format!("{sign}{} {} ({c})", number(r.value), r.unit),
            (None, Some(c)) => c,
            (_, None) => mk
                .result
                .map(|r| m(&format!("band-{r}")))
                .unwrap_or_default(),
        };
        // Each limit named by the band it starts, in the reader's language (F33).
        // A band after one that includes its upper limit starts above it.
        let limits: Vec<String> = mk
            .bands
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let from = b.from?;
                let after_inclusive = i > 0 && mk.bands[i - 1].to_inclusive;
                Some(format!(
                    "{} {} {}",
                    m(&format!("band-{}", b.band)),
                    m(if after_inclusive {
                        "report-above"
                    } else {
                        "report-from"
                    }),
                    number(from)
                ))
            })
            .collect();
        let band = m(&format!("band-{}", mk.interpretation));
        let mut notes: Vec<String> = mk.flags.iter().map(|f| m(&format!("flag-{f}"))).collect();
        if mk.unverified {
            notes.push(m("report-unverified"));
        }
        let unverified = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        // A qualitative result whose reading is the same word is said once.
        let reading = if value == band {
            String::new()
        } else {
            format!(" → {band}")
        };
        let _ = writeln!(
            s,
            "  - {}: {value}{reading}{unverified}{}",
            mk.name,
            if limits.is_empty() {
                String::new()
            } else {
                // The lab's own range is labelled as the lab's (F09, issue 13 item 4).
                let label = if mk.rule == kb.lab_reference_range.meta.id {
                    "report-limits-lab"
                } else {
                    "report-limits"
                };
                format!(" [{}: {}]", m(label), limits.join(", "))
            }
        );
    }
    let scored = [
        (&a.causes, "report-causes", "report-score-note"),
        (
            &a.risk_factors,
            "report-risk-factors",
            "report-risk-factors-note",
        ),
    ];
    for (list, title, note) in scored.into_iter().filter(|(l, ..)| !l.is_empty()) {
        let _ = writeln!(s, "\n{} ({})", m(title), m(note));
        for c in list {
            let _ = writeln!(s, "  {}. {} ({}) — {}", c.rank, c.name, c.score, c.text);
            if !c.supporting.is_empty() {
                let _ = writeln!(
                    s,
                    "     {}: {}",
                    m("report-supporting"),
                    c.supporting.join("; ")
                );
            }
            if !c.against.is_empty() {
                let _ = writeln!(s, "     {}: {}", m("report-against"), c.against.join("; "));
            }
            if !c.missing.is_empty() {
                let _ = writeln!(s, "     {}: {}", m("report-missing"), c.missing.join("; "));
            }
        }
    }
    if !a.differential.is_empty() {
        let _ = writeln!(s, "\n{}", m("report-differential"));
        for d in &a.differential {
            let _ = writeln!(s, "  - {} ({}) — {}", d.name, d.score, d.text);
        }
    }
    if !a.next_tests.is_empty() {
        let _ = writeln!(s, "\n{}", m("report-tests"));
        for t in &a.next_tests {
            let _ = writeln!(s, "  - {}: {}", t.name, t.why);
        }
    }
    let _ = writeln!(
        s,
        "\n{}: {}",
        m("report-treatment"),
        m(kobalt_kb::treatment_heading(a))
    );
    if a.treatment.start_before_results {
        let _ = writeln!(s, "  ! {}", m("report-start-before-results"));
    }
    let lifelong = match a.treatment.lifelong {
        Lifelong::Yes => "lifelong-yes",
        Lifelong::No => "lifelong-no",
        Lifelong::Unknown => "lifelong-unknown",
    };
    let _ = writeln!(s, "  {}", m(lifelong));
    if !a.treatment.recommended && !a.treatment.regimens.is_empty() {
        let prevention = a
            .treatment
            .regimens
            .iter()
            .all(|r| r.phase == kobalt_contract::Phase::Prevention);
        let heading = if prevention {
            "report-treatment-prevention"
        } else {
            "report-treatment-possible"
        };
        let _ = writeln!(s, "  {}", m(heading));
        // Why this plan and what to do first (F18: the GP chooses between a
        // test and a trial; no tablets before the blood sample).
        for r in &a.treatment.reasons {
            if kb.recommend.is_recommendation(&r.rule) {
                let _ = writeln!(s, "  {}", r.text);
            }
        }
    }
    for r in &a.treatment.regimens {
        let _ = writeln!(
            s,
            "  - [{}] {} [{}]",
            m(&format!("phase-{}", r.phase)),
            r.text,
            r.sources.join(", ")
        );
    }
    for adv in &a.treatment.advice {
        let _ = writeln!(s, "  * {adv}");
    }
    // No heading without anything under it (re-audit: an empty "Follow-up").
    let f = &a.follow_up;
    if f.review_after_weeks.is_some() || f.decision_text.is_some() || !f.checks.is_empty() {
        let _ = writeln!(s, "\n{}", m("report-follow-up"));
    }
    if let Some(w) = a.follow_up.review_after_weeks {
        let _ = writeln!(
            s,
            "  {} {w} {}",
            m("report-review-after"),
            m("report-weeks")
        );
    }
    if let (Some(d), Some(t)) = (a.follow_up.decision, &a.follow_up.decision_text) {
        let _ = writeln!(s, "  {}: {t}", m(&format!("decision-{d}")));
    }
    for c in &a.follow_up.checks {
        let _ = writeln!(s, "  - {c}");
    }
    if let Some(p) = &a.projection {
        let _ = writeln!(s, "\n{}\n  {}", m("report-projection"), p.text);
    }
    if !a.warnings.is_empty() {
        let _ = writeln!(s, "\n{}", m("report-warnings"));
        for w in &a.warnings {
            let details = if w.details.is_empty() {
                String::new()
            } else {
                format!(" ({})", w.details.join(", "))
            };
            let _ = writeln!(s, "  ! {}{details}", w.text);
        }
    }
    if !a.missing_information_text.is_empty() {
        let _ = writeln!(
            s,
            "\n{}\n  {}",
            m("report-missing-information"),
            a.missing_information_text.join("; ")
        );
    }
    let _ = writeln!(s, "\n{}", m("report-sources"));
    for src in &a.sources {
        let _ = writeln!(
            s,
            "  [{}] {}{}",
            src.id,
            src.title,
            src.year.map(|y| format!(" ({y})")).unwrap_or_default()
        );
    }
    let _ = writeln!(
        s,
        "\n{}\n{} sha256 {}",
        a.disclaimer,
        m("report-knowledge"),
        a.knowledge.sha256
    );
    s
}

/// What the knowledge base holds about `id` (every identifier without one);
/// `None` when nothing is called `id`.
pub(crate) fn show(kb: &Knowledge, id: Option<&str>) -> Option<String> {
    let mut s = String::new();
    let Some(id) = id else {
        for (kind, ids) in kb.identifiers() {
            let _ = writeln!(s, "{kind}: {}", ids.join(", "));
        }
        return Some(s);
    };
    let entries = kb.describe(
        id,
        kobalt_contract::Language::En,
        kobalt_contract::Audience::Clinician,
    );
    if entries.is_empty() {
        return None;
    }
    for e in entries {
        let _ = writeln!(s, "{} {} — {}", e.kind, e.id, e.name);
        for d in &e.details {
            let _ = writeln!(s, "  {d}");
        }
        if !e.sources.is_empty() {
            let _ = writeln!(s, "  sources: {}", e.sources.join(", "));
        }
        if !e.claims.is_empty() {
            let _ = writeln!(s, "  claims: {}", e.claims.join(", "));
        }
    }
    Some(s)
}

/// A number for reading: converted values carry more digits than any
/// laboratory reports, so show at most four significant ones.
fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return v.to_string();
    }
    let decimals = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}
