//! Stage 9, warnings: the warning rules, and last the unverified values
//! behind this assessment (collected in `Out` by every earlier stage).

use kobalt_contract::Warning;
use kobalt_kb::{Knowledge, Status};

use super::Out;
use crate::case::Case;
use crate::eval::Ctx;

pub(crate) fn warnings<'a>(
    kb: &'a Knowledge,
    case: &Case,
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for w in &kb.warnings {
        if w.applies_to(case.guideline) && ctx.holds(&w.when) {
            let (text, sources) = out.fire(&w.meta);
            warnings.push(Warning {
                id: w.meta.id.clone(),
                text,
                rule: w.meta.id.clone(),
                sources,
                details: vec![],
            });
        }
    }
    let touches_long_term = case.medications.as_ref().is_some_and(|m| !m.is_empty());
    if touches_long_term && kb.values.long_term_medication_years.status == Status::Unverified {
        out.unverified
            .push(kb.values.long_term_medication_years.id.clone());
    }
    warnings.extend(unverified_warning(kb, out));
    warnings
}

/// `unverified_value_used`, with the unverified values in `out` as details (sorted, once each).
fn unverified_warning<'a>(kb: &'a Knowledge, out: &mut Out<'a>) -> Option<Warning> {
    if out.unverified.is_empty() {
        return None;
    }
    let mut details = std::mem::take(&mut out.unverified);
    details.sort();
    details.dedup();
    // Internal identifiers are for clinicians; a patient reads the warning's text (F33).
    if out.audience == kobalt_contract::Audience::Patient {
        details.clear();
    }
    let (text, sources) = out.fire(&kb.unverified_warning);
    Some(Warning {
        id: "unverified_value_used".to_owned(),
        text,
        rule: kb.unverified_warning.id.clone(),
        sources,
        details,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::stages::testing::{after_status, case, kb};

    fn run(request: serde_json::Value) -> Vec<Warning> {
        let case = case(request);
        let (mut out, mut ctx, _) = after_status(&case);
        warnings(kb(), &case, &mut ctx, &mut out)
    }

    #[test]
    fn b6_above_12_mg_a_day_warns() {
        let w = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 50, "sex": "female" },
            "supplements": [{ "id": "pyridoxine", "dose_mg": 30, "per": "day" }],
        }));
        assert!(w.iter().any(|w| w.id == "b6_above_upper_level"), "{w:?}");
        let w = run(json!({
            "guideline": "nhg",
            "person": { "age_years": 50, "sex": "female" },
            "supplements": [{ "id": "pyridoxine", "dose_mg": 10, "per": "day" }],
        }));
        assert!(!w.iter().any(|w| w.id == "b6_above_upper_level"), "{w:?}");
    }

    #[test]
    fn an_unverified_band_is_named_in_the_last_warning() {
        // profiles/nhg.toml: B12 above 1000 pmol/L is the unverified band "high".
        let w = run(json!({
            "guideline": "nhg",
            "audience": "clinician",
            "person": { "age_years": 50, "sex": "female" },
            "supplements": [],
            "labs": [{ "analyte": "b12_total", "value": 1500, "unit": "pmol/L" }],
        }));
        assert!(w.iter().any(|w| w.id == "high_b12_unexplained"));
        let last = w.last().unwrap_or_else(|| panic!("no warnings"));
        assert_eq!(last.id, "unverified_value_used");
        assert!(last.details.iter().any(|d| d == "limits_b12_total:high"));
        assert!(last.details.iter().any(|d| d == "high_b12_unexplained"));
    }

    #[test]
    fn a_patient_reads_no_internal_identifiers() {
        // Clinical review F33: "(limits_haemoglobin:normal)" in Dutch patient text.
        let w = run(json!({
            "guideline": "nhg",
            "audience": "patient",
            "person": { "age_years": 50, "sex": "female" },
            "labs": [{ "analyte": "b12_total", "value": 1500, "unit": "pmol/L" }],
        }));
        let last = w.last().unwrap_or_else(|| panic!("no warnings"));
        assert_eq!(last.id, "unverified_value_used");
        assert!(last.details.is_empty(), "{:?}", last.details);
    }
}
