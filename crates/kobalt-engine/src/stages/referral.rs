//! Stage 8, referral.

use kobalt_contract::Referral;
use kobalt_kb::Knowledge;

use super::Out;
use crate::case::Case;
use crate::eval::Ctx;

/// The referrals of the case: none yet. The referral rules come with the next
/// clinical issue (clinical safety); the contract requires the list, so it is
/// always present, and empty.
pub(crate) fn referral<'a>(
    _kb: &'a Knowledge,
    _case: &Case,
    _ctx: &mut Ctx<'a>,
    _out: &mut Out<'a>,
) -> Vec<Referral> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::stages::testing::{after_status, case, kb};

    #[test]
    fn no_referral_rules_yet() {
        let case = case(json!({
            "guideline": "nhg",
            "person": { "age_years": 44, "sex": "male" },
            "symptoms": [{ "id": "gait_disturbance", "present": true, "course": "rapid" }],
        }));
        let (mut out, mut ctx, _) = after_status(&case);
        let trace = out.trace.clone();
        assert!(referral(kb(), &case, &mut ctx, &mut out).is_empty());
        assert_eq!(out.trace, trace, "fires nothing");
    }
}
