//! Stage 3, triage: every rule; the level is the most urgent firing rule.
//! Red-flag symptoms never asked keep self care out of reach.

use std::collections::BTreeSet;

use kobalt_contract::{Audience, Reason, Triage, TriageLevel};
use kobalt_kb::Knowledge;

use super::Out;
use crate::case::Case;
use crate::eval::{Ctx, Tri};

/// The triage stage's output.
pub(crate) struct TriageOutcome {
    pub(crate) triage: Triage,
    /// Symptoms (indices) of red-flag rules still undecided that were never asked.
    pub(crate) unasked: BTreeSet<u16>,
}

pub(crate) fn triage<'a>(
    kb: &'a Knowledge,
    case: &Case,
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
) -> TriageOutcome {
    let mut reasons = Vec::new();
    for t in &kb.triage {
        if t.rule.applies_to(case.guideline) && ctx.holds(&t.rule.when) {
            let (text, sources) = out.fire(&t.rule.meta);
            reasons.push(Reason {
                rule: t.rule.meta.id.clone(),
                level: t.level,
                text,
                sources,
                derived: t.rule.meta.derived,
            });
        }
    }
    let unasked = unasked_red_flags(kb, case, ctx);
    if reasons.is_empty() {
        reasons.push(closing(kb, out, unasked.is_empty()));
    }
    let level = reasons
        .iter()
        .map(|r| r.level)
        .max()
        .unwrap_or(TriageLevel::Routine);
    reasons.sort_by_key(|r| std::cmp::Reverse(r.level));
    // A patient reads one action: the reasons of the final level only (F34, web D3).
    if out.audience == Audience::Patient {
        reasons.retain(|r| r.level == level);
    }
    let triage = Triage {
        level,
        advice: advice(kb, case, out, level),
        reasons,
    };
    TriageOutcome { triage, unasked }
}

/// The action of a level; a profile may word it for its own country (F32:
/// NL 112 and the huisartsenpost, UK 999 and NHS 111): `triage-{level}-{guideline}`.
fn advice(kb: &Knowledge, case: &Case, out: &Out<'_>, level: TriageLevel) -> String {
    let own = format!("triage-{}-{}", level.as_str(), case.guideline.as_str());
    let id = if kb.messages.contains_key(&own) {
        own
    } else {
        format!("triage-{}", level.as_str())
    };
    kb.message(&id, out.language, out.audience).to_owned()
}

/// A red-flag rule that is still undecided keeps its unanswered symptoms
/// open: those are asked for, and they rule out self-care.
fn unasked_red_flags(kb: &Knowledge, case: &Case, ctx: &mut Ctx<'_>) -> BTreeSet<u16> {
    let mut unasked = BTreeSet::new();
    for t in &kb.triage {
        if t.level >= TriageLevel::Urgent24h
            && t.rule.applies_to(case.guideline)
            && ctx.eval(&t.rule.when) == Tri::Unknown
        {
            unasked.extend(
                t.symptoms
                    .iter()
                    .copied()
                    .filter(|s| case.symptoms[*s as usize].is_none()),
            );
        }
    }
    unasked
}

/// The reason when no triage rule fires: no concern, or red flags not asked.
fn closing<'a>(kb: &'a Knowledge, out: &mut Out<'a>, all_asked: bool) -> Reason {
    let closing = if all_asked {
        &kb.no_concern
    } else {
        &kb.red_flags_not_asked
    };
    let (text, sources) = out.fire(&closing.meta);
    Reason {
        rule: closing.meta.id.clone(),
        level: closing.level,
        text,
        sources,
        derived: closing.meta.derived,
    }
}

#[cfg(test)]
mod tests {
    use kobalt_contract::TriageLevel;
    use serde_json::json;

    use super::*;
    use crate::stages::testing::{after_status, case, kb};

    fn run(symptoms: serde_json::Value) -> (TriageOutcome, Vec<String>) {
        let case = case(json!({
            "guideline": "nhg",
            "person": { "age_years": 44, "sex": "male" },
            "symptoms": symptoms,
        }));
        let (mut out, mut ctx, _) = after_status(&case);
        let t = triage(kb(), &case, &mut ctx, &mut out);
        let unasked = t
            .unasked
            .iter()
            .map(|s| kb().symptoms.ids[*s as usize].clone())
            .collect();
        (t, unasked)
    }

    #[test]
    fn a_rapid_gait_disturbance_is_urgent_within_24h() {
        let (t, _) = run(json!([{ "id": "gait_disturbance", "present": true, "course": "rapid" }]));
        assert_eq!(t.triage.level, TriageLevel::Urgent24h);
        assert_eq!(t.triage.reasons[0].rule, "triage_gait_balance_rapid");
        assert_eq!(t.triage.reasons[0].level, TriageLevel::Urgent24h);
    }

    #[test]
    fn red_flags_never_asked_keep_self_care_out_of_reach() {
        let (t, unasked) = run(json!([]));
        // rules/triage.toml: red_flags_not_asked is routine; no_concern (self care) needs answers.
        assert_eq!(t.triage.level, TriageLevel::Routine);
        assert_eq!(t.triage.reasons.len(), 1);
        assert_eq!(t.triage.reasons[0].rule, "red_flags_not_asked");
        for s in [
            "gait_disturbance",
            "incontinence",
            "palpitations",
            "confusion",
        ] {
            assert!(unasked.iter().any(|u| u == s), "{s} not in {unasked:?}");
        }
    }

    #[test]
    fn an_asked_red_flag_symptom_is_not_unasked() {
        let (_, unasked) = run(json!([{ "id": "incontinence", "present": false }]));
        assert!(!unasked.iter().any(|u| u == "incontinence"));
        assert!(unasked.iter().any(|u| u == "confusion"));
    }
}
