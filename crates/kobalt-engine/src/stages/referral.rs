//! Stage 8, referral: who should see the person, and how soon. The rules of
//! rules/referral.toml in file order; a rule that applies to the profile and
//! holds gives a referral, unless one to the same specialty, as urgent or
//! more, is already there.

use kobalt_contract::Referral;
use kobalt_kb::Knowledge;

use super::Out;
use crate::case::Case;
use crate::eval::Ctx;

pub(crate) fn referral<'a>(
    kb: &'a Knowledge,
    case: &Case,
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
) -> Vec<Referral> {
    let mut referrals: Vec<Referral> = Vec::new();
    for r in &kb.referrals {
        // One referral per specialty: an earlier one as urgent or more stands.
        let covered = referrals
            .iter()
            .any(|x| x.specialty == r.specialty && x.urgency >= r.urgency);
        if !covered && r.rule.applies_to(case.guideline) && ctx.holds(&r.rule.when) {
            let (reason, sources) = out.fire(&r.rule.meta);
            referrals.push(Referral {
                specialty: r.specialty,
                urgency: r.urgency,
                reason,
                rule: r.rule.meta.id.clone(),
                sources,
            });
        }
    }
    referrals
}

#[cfg(test)]
mod tests {
    use kobalt_contract::{Specialty, TriageLevel};
    use serde_json::json;

    use super::*;
    use crate::stages::testing::{after_status, case, kb};

    fn run(request: serde_json::Value) -> Vec<Referral> {
        let case = case(request);
        let (mut out, mut ctx, _) = after_status(&case);
        referral(kb(), &case, &mut ctx, &mut out)
    }

    #[test]
    fn rapid_gait_disturbance_with_a_grey_b12_is_admitted_the_same_day() {
        // G18 (NHS Lothian RefHelp): spinal cord symptoms, same-day emergency admission.
        let r = run(json!({
            "guideline": "nice",
            "person": { "age_years": 58, "sex": "male" },
            "symptoms": [{ "id": "gait_disturbance", "present": true, "course": "rapid" }],
            "labs": [{ "analyte": "b12_total", "value": 190, "unit": "pmol/L" }],
        }));
        let first = &r[0];
        assert_eq!(first.rule, "referral_cord_or_optic_signs");
        assert_eq!(
            (first.specialty, first.urgency),
            (Specialty::Haematology, TriageLevel::Urgent24h)
        );
        assert_eq!(first.sources, ["LOTHIAN-REFHELP"]);
    }

    #[test]
    fn a_child_is_referred_to_paediatrics() {
        // NG239 covers people aged 16 and over (G7).
        let r = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 12, "sex": "female" },
        }));
        assert!(r.iter().any(|r| r.specialty == Specialty::Paediatrics));
    }

    #[test]
    fn an_adult_without_complaints_is_not_referred() {
        let r = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 44, "sex": "male" },
            "labs": [{ "analyte": "b12_total", "value": 400, "unit": "pmol/L" }],
        }));
        assert!(r.is_empty(), "{r:?}");
    }
}
