//! Stage 7, follow-up: when to review, the decision on a treatment under way,
//! and the checks.

use kobalt_contract::{FollowUp, TriageLevel};
use kobalt_kb::Knowledge;

use super::{Out, fire_rules, reason};
use crate::case::Case;
use crate::eval::{Ctx, Tri};

pub(crate) fn follow_up<'a>(
    kb: &'a Knowledge,
    case: &Case,
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
    recommended: bool,
    level: TriageLevel,
) -> FollowUp {
    let review = &ctx.profile.review;
    let pregnant_or_feeding = case.pregnant == Some(true) || case.breastfeeding == Some(true);
    // The review intervals are adult ones (F03, G7): for a child the GP or
    // paediatrician sets the review.
    let child = ctx.finding(kb.ids.child) == Tri::True;
    let review_after_weeks =
        ((recommended || case.treatment.is_some()) && !child).then_some(if pregnant_or_feeding {
            review.weeks_pregnant
        } else {
            review.weeks
        });
    if review_after_weeks.is_some() {
        // The review timing has no text of its own; firing it records trace, sources and status.
        out.fire(&review.meta);
    }
    let mut reasons = Vec::new();
    let mut decision = None;
    let mut decision_text = None;
    if case.treatment.is_some()
        && let Some(d) = kb
            .decisions
            .iter()
            .find(|d| d.rule.applies_to(case.guideline) && ctx.holds(&d.rule.when))
    {
        let r = reason(out, &d.rule.meta, level);
        decision = Some(d.decision);
        decision_text = Some(r.text.clone());
        reasons.push(r);
    }
    let checks = fire_rules(ctx, out, &kb.checks, level, &mut reasons);
    FollowUp {
        review_after_weeks,
        decision,
        decision_text,
        checks,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use kobalt_contract::FollowUpDecision;
    use serde_json::json;

    use super::*;
    use crate::stages::causes::causes;
    use crate::stages::testing::{after_triage, case, kb};

    fn run(person: serde_json::Value, treatment: Option<serde_json::Value>) -> FollowUp {
        let mut request = json!({
            "guideline": "nhg",
            "person": person,
            "labs": [{ "analyte": "b12_total", "value": 100, "unit": "pmol/L" }],
        });
        if let Some(t) = treatment {
            request["treatment"] = t;
        }
        let case = case(request);
        let (mut out, mut ctx, status, triage) = after_triage(&case);
        causes(kb(), &mut ctx, &mut out);
        let plan = crate::stages::treatment::treatment(
            kb(),
            &case,
            &mut ctx,
            &mut out,
            status.category,
            triage.level,
        );
        follow_up(
            kb(),
            &case,
            &mut ctx,
            &mut out,
            plan.recommended,
            triage.level,
        )
    }

    #[test]
    fn recommended_treatment_is_reviewed_after_the_profiles_weeks() {
        // profiles/nhg.toml [review]: weeks = 8, weeks_pregnant = 4.
        let f = run(json!({ "age_years": 50, "sex": "male" }), None);
        assert_eq!(f.review_after_weeks, Some(8.0));
        assert_eq!(f.decision, None);
        // Breastfeeding (not pregnancy, which makes total B12 indeterminate) keeps the advice.
        let f = run(
            json!({ "age_years": 30, "sex": "female", "breastfeeding": true }),
            None,
        );
        assert_eq!(f.review_after_weeks, Some(4.0));
    }

    #[test]
    fn a_worse_response_reassesses_the_diagnosis() {
        let treatment = json!({ "route": "oral", "substance": "cyanocobalamin", "dose_ug": 1000,
            "per": "day", "started": "2026-08-10", "response": "worse" });
        let f = run(json!({ "age_years": 70, "sex": "male" }), Some(treatment));
        assert_eq!(f.decision, Some(FollowUpDecision::ReassessDiagnosis));
        assert_eq!(f.reasons[0].rule, "followup_worse");
        assert_eq!(f.decision_text.as_ref(), Some(&f.reasons[0].text));
    }
}
