//! Stage 2, B12 status: the marker combination (`crate::status::combine`)
//! over the bands of the labs stage, and the combined indicator (4cB12).

use kobalt_contract::{B12Status, CombinedIndicator, Marker};
use kobalt_kb::{AnalyteId, BandKind, FindingId, Knowledge, StatusOutcome};

use super::{Out, round4};
use crate::case::Case;
use crate::eval::{Ctx, Tri};
use crate::status::{StatusInputs, combine};

/// The B12 status of the case; records the category in `ctx.derived` for the later stages.
pub(crate) fn status<'a>(
    kb: &'a Knowledge,
    case: &Case,
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
    markers: Vec<Marker>,
    between: &[Vec<&kobalt_kb::Band>],
) -> B12Status {
    let which = status_outcome(ctx, between);
    let outcome = kb.outcome(which);
    ctx.derived.category = Some(outcome.category);
    ctx.derived.outcome = Some(which);
    let (text, sources) = out.fire(&outcome.meta);
    let combined_indicator = combined_indicator(kb, case, out);
    B12Status {
        category: outcome.category,
        text,
        rule: outcome.meta.id.clone(),
        sources,
        markers,
        combined_indicator,
    }
}

/// How the markers combine (see rules/status.toml and ARCHITECTURE.md): the
/// bands of the profile, and the findings that qualify them. A result
/// reported as a bound that does not settle its band is combined in each band
/// it can lie in: one outcome for all is that outcome; otherwise the bound
/// decides and the status is indeterminate (interop.md B.2).
fn status_outcome(ctx: &mut Ctx<'_>, between: &[Vec<&kobalt_kb::Band>]) -> StatusOutcome {
    let ids = ctx.kb.ids;
    let kinds = |a: AnalyteId| -> Vec<Option<BandKind>> {
        match (ctx.bands[a as usize], between[a as usize].as_slice()) {
            (None, several @ [_, ..]) => several.iter().map(|b| b.kind).collect(),
            (band, _) => vec![band.and_then(|b| b.kind)],
        }
    };
    let (totals, holos, mmas, hcys) = (
        kinds(ids.b12_total),
        kinds(ids.holotranscobalamin),
        kinds(ids.mma),
        kinds(ids.homocysteine),
    );
    // A B12 result dated before the treatment started is read as measured without B12.
    let b12_before_treatment = [ids.b12_total, ids.holotranscobalamin].iter().any(|a| {
        ctx.case.labs[*a as usize]
            .as_ref()
            .is_some_and(|lab| super::labs::before_treatment(lab, ctx.case))
    });
    let mut finding = |f: FindingId| ctx.finding(f) == Tri::True;
    let findings = StatusInputs {
        nitrous_oxide: finding(ids.nitrous_oxide_use),
        pregnant: finding(ids.pregnant),
        renal: finding(ids.kidney_disease),
        ifab_positive: finding(ids.ifab_positive),
        on_b12: finding(ids.on_b12_replacement) && !b12_before_treatment,
        ..StatusInputs::default()
    };
    let mut outcomes = Vec::new();
    for &total in &totals {
        for &holo in &holos {
            for &mma in &mmas {
                for &hcy in &hcys {
                    let inputs = StatusInputs {
                        total,
                        holo,
                        mma,
                        hcy,
                        ..findings
                    };
                    outcomes.push(combine(&inputs));
                }
            }
        }
    }
    match outcomes.as_slice() {
        [first, rest @ ..] if rest.iter().all(|o| o == first) => *first,
        _ => StatusOutcome::IndeterminateReportedAsBound,
    }
}

/// 4cB12 when holoTC, total B12, MMA and homocysteine are all measured (unverified formula).
fn combined_indicator<'a>(
    kb: &'a Knowledge,
    case: &Case,
    out: &mut Out<'a>,
) -> Option<CombinedIndicator> {
    let value = |a: AnalyteId| case.labs[a as usize].as_ref().and_then(|l| l.exact());
    let ids = kb.ids;
    let (holo, b12, mma, hcy) = (
        value(ids.holotranscobalamin)?,
        value(ids.b12_total)?,
        value(ids.mma)?,
        value(ids.homocysteine)?,
    );
    if holo <= 0.0 || b12 <= 0.0 || mma <= 0.0 || hcy <= 0.0 {
        return None;
    }
    let p = &kb.combined_indicator;
    let age_term = p.age_constant / (1.0 + (case.age_years / p.age_scale).powf(p.age_exponent));
    let cb12 = ((holo * b12) / (mma * hcy)).log10() - age_term;
    let band = p
        .bands
        .iter()
        .find(|b| b.to.is_none_or(|to| cb12 < to))
        .map(|b| b.band.clone())
        .unwrap_or_default();
    let (text, sources) = out.fire(&p.meta);
    Some(CombinedIndicator {
        value: round4(cb12),
        markers_used: 4,
        band,
        unverified: true,
        text,
        sources,
    })
}

#[cfg(test)]
mod tests {
    use kobalt_contract::B12Category;
    use serde_json::json;

    use crate::stages::testing::{after_status, case};

    fn nhg(labs: serde_json::Value) -> serde_json::Value {
        json!({
            "guideline": "nhg",
            "person": { "age_years": 66, "sex": "male" },
            "labs": labs,
        })
    }

    #[test]
    fn grey_zone_b12_with_raised_mma_is_deficient() {
        let case = case(nhg(json!([
            { "analyte": "b12_total", "value": 200, "unit": "pmol/L" },
            { "analyte": "mma", "value": 0.5, "unit": "µmol/L" },
        ])));
        let (out, ctx, status) = after_status(&case);
        assert_eq!(status.category, B12Category::Deficient);
        assert_eq!(status.rule, "deficient_grey_zone_mma_raised");
        assert_eq!(ctx.derived.category, Some(B12Category::Deficient));
        assert_eq!(status.markers.len(), 2);
        assert!(status.combined_indicator.is_none());
        assert_eq!(
            out.trace,
            [
                "limits_b12_total",
                "limits_mma",
                "deficient_grey_zone_mma_raised"
            ]
        );
    }

    #[test]
    fn grey_zone_b12_alone_is_indeterminate_and_no_b12_is_not_tested() {
        let grey = case(nhg(
            json!([{ "analyte": "b12_total", "value": 200, "unit": "pmol/L" }]),
        ));
        assert_eq!(after_status(&grey).2.rule, "indeterminate_grey_zone");
        let none = case(nhg(json!([])));
        let (_, ctx, status) = after_status(&none);
        assert_eq!(status.category, B12Category::NotTested);
        assert_eq!(ctx.derived.category, Some(B12Category::NotTested));
    }

    #[test]
    fn all_four_markers_give_the_combined_indicator() {
        let case = case(nhg(json!([
            { "analyte": "b12_total", "value": 300, "unit": "pmol/L" },
            { "analyte": "holotranscobalamin", "value": 60, "unit": "pmol/L" },
            { "analyte": "mma", "value": 0.2, "unit": "µmol/L" },
            { "analyte": "homocysteine", "value": 10, "unit": "µmol/L" },
        ])));
        let ci = after_status(&case).2.combined_indicator;
        let ci = ci.unwrap_or_else(|| panic!("no combined indicator"));
        // log10(60 * 300 / (0.2 * 10)) - 3.79 / (1 + (66 / 230)^2.6) = 3.954 - 3.648 = 0.31:
        // the band from -0.5 to 1.5 in rules/status.toml.
        assert!((ci.value - 0.306).abs() < 0.005, "{}", ci.value);
        assert_eq!(ci.band, "adequate");
        assert_eq!(ci.markers_used, 4);
        assert!(ci.unverified);
    }
}
