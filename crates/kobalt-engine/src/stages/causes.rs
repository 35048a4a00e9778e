//! Stage 4, causes and differential: scored findings. The ranked causes are
//! recorded in `ctx.derived` before the differential is scored.

use kobalt_contract::{B12Category, Cause, Differential};
use kobalt_kb::{Knowledge, Scored};

use super::{Out, texts};
use crate::eval::{Ctx, Tri};

/// One scored cause or differential: index, score, and the supporting,
/// against and missing findings.
pub(crate) type ScoredRow = (usize, i32, Vec<usize>, Vec<usize>, Vec<usize>);

/// The causes stage's output.
pub(crate) struct CausesOutcome {
    pub(crate) causes: Vec<Cause>,
    /// When deficiency is unlikely the ranked items are risk factors, not
    /// causes (clinical review F24).
    pub(crate) risk_factors: Vec<Cause>,
    pub(crate) differential: Vec<Differential>,
    /// The differential's rows, best first (the next tests stage reads their tests).
    pub(crate) differential_rows: Vec<ScoredRow>,
}

pub(crate) fn causes<'a>(kb: &'a Knowledge, ctx: &mut Ctx<'a>, out: &mut Out<'a>) -> CausesOutcome {
    let scored_causes = score_all(ctx, &kb.causes);
    ctx.derived.ranked_causes = scored_causes.iter().map(|(i, s, ..)| (*i, *s)).collect();
    ctx.derived.causes_known = true;
    let ranked: Vec<Cause> = scored_causes
        .iter()
        .enumerate()
        .map(|(rank, row)| cause(kb, out, rank, row))
        .collect();
    let (causes, risk_factors) = if ctx.derived.category == Some(B12Category::Unlikely) {
        (Vec::new(), ranked)
    } else {
        (ranked, Vec::new())
    };
    let differential_rows = score_all(ctx, &kb.differentials);
    let differential = differential_rows
        .iter()
        .map(|row| differential(kb, out, row))
        .collect();
    CausesOutcome {
        causes,
        risk_factors,
        differential,
        differential_rows,
    }
}

fn cause<'a>(kb: &'a Knowledge, out: &mut Out<'a>, rank: usize, row: &ScoredRow) -> Cause {
    let (idx, score, sup, against, missing) = row;
    let (language, audience) = (out.language, out.audience);
    let c = &kb.causes[*idx];
    let (text, sources) = out.fire(&c.meta);
    Cause {
        id: c.id,
        name: c.name.get(language, audience).to_owned(),
        rank: rank as u32 + 1,
        score: *score,
        score_kind: "ordinal_not_probability".to_owned(),
        supporting: texts(kb, sup, language, audience),
        against: texts(kb, against, language, audience),
        missing: texts(kb, missing, language, audience),
        text,
        rule: c.meta.id.clone(),
        sources,
    }
}

fn differential<'a>(kb: &'a Knowledge, out: &mut Out<'a>, row: &ScoredRow) -> Differential {
    let (idx, score, sup, against, missing) = row;
    let (language, audience) = (out.language, out.audience);
    let d = &kb.differentials[*idx];
    let (text, sources) = out.fire(&d.meta);
    Differential {
        id: d.id,
        name: d.name.get(language, audience).to_owned(),
        score: *score,
        supporting: texts(kb, sup, language, audience),
        against: texts(kb, against, language, audience),
        missing: texts(kb, missing, language, audience),
        tests: d
            .tests
            .iter()
            .map(|a| kb.analytes[*a as usize].id.clone())
            .collect(),
        text,
        rule: d.meta.id.clone(),
        sources,
    }
}

/// Scores causes or differentials: listed when the necessary condition holds,
/// a supporting finding holds and the score is positive. Ties keep file order.
fn score_all<Id>(ctx: &mut Ctx<'_>, items: &[Scored<Id>]) -> Vec<ScoredRow> {
    let mut rows = Vec::new();
    for (idx, item) in items.iter().enumerate() {
        // The necessary condition (positive evidence, checked at load).
        if ctx.eval(&item.requires) != Tri::True {
            continue;
        }
        let (mut score, mut sup, mut against, mut missing) = (0, vec![], vec![], vec![]);
        for e in &item.supporting {
            match ctx.finding(e.finding) {
                Tri::True => {
                    score += e.weight;
                    sup.push(e.finding);
                }
                Tri::Unknown => missing.push(e.finding),
                Tri::False => {}
            }
        }
        for e in &item.against {
            match ctx.finding(e.finding) {
                Tri::True => {
                    score -= e.weight;
                    against.push(e.finding);
                }
                Tri::Unknown => missing.push(e.finding),
                Tri::False => {}
            }
        }
        // Listed when the evidence for outweighs the evidence against.
        if !sup.is_empty() && score > 0 {
            rows.push((idx, score, sup, against, missing));
        }
    }
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows
}

#[cfg(test)]
mod tests {
    use kobalt_contract::CauseId;
    use serde_json::json;

    use super::*;
    use crate::stages::testing::{after_triage, case, kb};

    #[test]
    fn a_vegan_without_supplements_leads_with_dietary_insufficiency() {
        let case = case(json!({
            "guideline": "nhg",
            "person": { "age_years": 30, "sex": "female" },
            "diet": "vegan",
            "supplements": [],
            "labs": [{ "analyte": "b12_total", "value": 100, "unit": "pmol/L" }],
        }));
        let (mut out, mut ctx, ..) = after_triage(&case);
        let c = causes(kb(), &mut ctx, &mut out);
        let first = &c.causes[0];
        assert_eq!(first.id, CauseId::DietaryInsufficiency);
        assert_eq!(first.rank, 1);
        // rules/causes.toml: vegan_diet 4 + plant_based_diet 1 + plant_based_no_supplement 2.
        assert_eq!(first.score, 7);
        assert_eq!(first.supporting.len(), 3);
        assert!(ctx.derived.causes_known);
        let (idx, score) = ctx.derived.ranked_causes[0];
        assert_eq!(
            (kb().causes[idx].id, score),
            (CauseId::DietaryInsufficiency, 7)
        );
        assert!(out.trace.iter().any(|r| r == &first.rule));
    }

    #[test]
    fn no_supporting_finding_lists_no_cause() {
        let case = case(json!({
            "guideline": "nhg",
            "person": { "age_years": 30, "sex": "male" },
        }));
        let (mut out, mut ctx, ..) = after_triage(&case);
        let c = causes(kb(), &mut ctx, &mut out);
        assert!(c.causes.is_empty());
        assert!(ctx.derived.ranked_causes.is_empty());
        assert!(ctx.derived.causes_known);
        assert_eq!(c.differential.len(), c.differential_rows.len());
    }

    #[test]
    fn no_laughing_gas_cause_without_reported_use() {
        // Clinical review F01 / P01b: nerve symptoms alone never name nitrous oxide.
        let case = case(json!({
            "guideline": "nhg",
            "person": { "age_years": 45, "sex": "female" },
            "exposures": [],
            "symptoms": [{ "id": "paresthesia", "present": true, "weeks": 10, "course": "gradual" }],
            "labs": [{ "analyte": "b12_total", "value": 120, "unit": "pmol/L" }],
        }));
        let (mut out, mut ctx, ..) = after_triage(&case);
        let c = causes(kb(), &mut ctx, &mut out);
        assert!(
            !c.causes.iter().any(|c| c.id == CauseId::NitrousOxide),
            "{:?}",
            c.causes
        );
    }

    #[test]
    fn when_deficiency_is_unlikely_causes_are_risk_factors() {
        // Clinical review F24 / P46: a sleeve gastrectomy with a normal B12.
        let case = case(json!({
            "guideline": "nhg",
            "person": { "age_years": 40, "sex": "female" },
            "supplements": [],
            "procedures": [{ "id": "sleeve_gastrectomy" }],
            "labs": [{ "analyte": "b12_total", "value": 300, "unit": "pmol/L" }],
        }));
        let (mut out, mut ctx, ..) = after_triage(&case);
        let c = causes(kb(), &mut ctx, &mut out);
        assert!(c.causes.is_empty());
        assert_eq!(c.risk_factors[0].id, CauseId::BariatricSurgery);
    }
}
