//! Stage 6, treatment: whether to treat (the B12 category, rules to start
//! before results), the first matching plan of the profile, lifelong or not,
//! and the advice.

use kobalt_contract::{B12Category, Lifelong, Reason, Regimen, TreatmentPlan, TriageLevel};
use kobalt_kb::{Knowledge, PlanPurpose, Status, StatusOutcome};

use super::{Out, fire_rules, reason};
use crate::case::Case;
use crate::eval::{Ctx, Tri};

/// The treatment plan; `recommended` in it says whether treatment is advised.
pub(crate) fn treatment<'a>(
    kb: &'a Knowledge,
    case: &Case,
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
    category: B12Category,
    level: TriageLevel,
) -> TreatmentPlan {
    let mut reasons = Vec::new();
    let start_rule = kb
        .start_before_results
        .iter()
        .find(|r| r.applies_to(case.guideline) && ctx.holds(&r.when));
    // A treatment under way is followed up, not started again (F06; re-review).
    let under_way = case.treatment.is_some();
    let start_before_results =
        start_rule.is_some() && category != B12Category::Unlikely && !under_way;
    let bound_open = ctx.derived.outcome == Some(StatusOutcome::IndeterminateReportedAsBound);
    let mut holds = |f| ctx.finding(f) == Tri::True;
    // No trial and no new course for someone already taking B12 (re-review).
    let on_b12 = holds(kb.ids.on_b12_replacement);
    // Autoimmune gastritis established: treat whatever the B12 level (F02).
    let autoimmune = holds(kb.ids.autoimmune_gastritis_established) && !on_b12;
    let indication = Indication {
        treat_anyway: start_before_results || autoimmune,
        // A trial with symptoms, and in pregnancy without them (F04; G2: MMA or a trial).
        // Not when a bound left the status open: the value decides, not a trial (interop.md B.2).
        trial: (holds(kb.ids.any_b12_symptom) || holds(kb.ids.pregnant)) && !on_b12 && !bound_open,
        // Plant-based without a supplement and an unclear status: prevention (F04).
        prevention: holds(kb.ids.plant_based_no_supplement),
    };
    let purpose = purpose(category, &indication).filter(|_| !under_way);
    let recommended = purpose == Some(PlanPurpose::Deficiency)
        || (under_way && (category == B12Category::Deficient || autoimmune));
    if category == B12Category::Deficient || start_before_results {
        reasons.push(reason(out, &kb.recommend.deficient, level));
    }
    if autoimmune {
        reasons.push(reason(out, &kb.recommend.autoimmune_gastritis, level));
    }
    if let Some(r) = start_rule.filter(|_| start_before_results) {
        reasons.push(reason(out, &r.meta, level));
    }
    let regimens = purpose.map_or_else(Vec::new, |purpose| {
        regimens(kb, ctx, out, purpose, level, &mut reasons)
    });
    // Route and daily dose; a weekly or monthly regimen counts as no daily dose.
    ctx.derived.planned = regimens
        .iter()
        .map(|r| (r.route, if r.per == "day" { r.dose_ug } else { 0.0 }))
        .collect();
    let lifelong = lifelong(kb, case, ctx, out, recommended, level, &mut reasons);
    let advice = fire_rules(ctx, out, &kb.advice, level, &mut reasons);
    TreatmentPlan {
        recommended,
        start_before_results,
        lifelong,
        regimens,
        advice,
        reasons,
    }
}

/// Besides the category, what calls for a plan.
struct Indication {
    /// Treatment starts before results, or the cause alone calls for it.
    treat_anyway: bool,
    /// An unclear status may be tested by a treatment trial.
    trial: bool,
    /// An unclear status still calls for prevention.
    prevention: bool,
}

/// What a plan is for: treatment of a deficiency, a trial in the grey zone,
/// or prevention.
fn purpose(category: B12Category, i: &Indication) -> Option<PlanPurpose> {
    use B12Category::*;
    match category {
        Deficient => Some(PlanPurpose::Deficiency),
        _ if i.treat_anyway => Some(PlanPurpose::Deficiency),
        Indeterminate if i.prevention => Some(PlanPurpose::Prevention),
        Indeterminate if i.trial => Some(PlanPurpose::Trial),
        Unlikely | NotTested => Some(PlanPurpose::Prevention),
        Indeterminate => None,
    }
}

/// The regimens of the profile's first plan for `purpose` whose condition holds.
fn regimens<'a>(
    kb: &'a Knowledge,
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
    purpose: PlanPurpose,
    level: TriageLevel,
    reasons: &mut Vec<Reason>,
) -> Vec<Regimen> {
    let profile = ctx.profile;
    // Adult plans never apply to children, nor children's plans to adults (F03).
    let child = ctx.finding(kb.ids.child) == Tri::True;
    let Some(plan) = profile.plans.iter().find(|p| {
        p.purpose == purpose && p.children == child && p.when.as_ref().is_none_or(|w| ctx.holds(w))
    }) else {
        return Vec::new();
    };
    out.trace.push(plan.meta.id.clone());
    out.cite(&plan.meta.id, &plan.meta.sources, plan.meta.status);
    match purpose {
        PlanPurpose::Trial => {
            // "MMA or a trial" (G1): once MMA is measured only the trial remains.
            let rule = if ctx.bands[kb.ids.mma as usize].is_some() {
                &kb.recommend.trial_after_mma
            } else {
                &kb.recommend.trial_in_grey_zone
            };
            reasons.push(reason(out, rule, level));
        }
        PlanPurpose::Prevention => reasons.push(reason(out, &kb.recommend.prevention, level)),
        PlanPurpose::Deficiency => {}
    }
    let mut regimens = Vec::new();
    for r in &plan.regimens {
        let g = &profile.regimens[*r];
        let (text, sources) = out.fire(&g.meta);
        regimens.push(Regimen {
            id: g.meta.id.clone(),
            substance: g.substance.clone(),
            route: g.route,
            dose_ug: g.dose_ug,
            dose_ug_max: g.dose_ug_max,
            times: g.times,
            every: g.every,
            every_max: g.every_max,
            per: g.per.clone(),
            doses: g.doses,
            phase: g.phase,
            text,
            rule: plan.meta.id.clone(),
            sources,
            unverified: g.meta.status == Status::Unverified
                || plan.meta.status == Status::Unverified
                || !kb.sources_for(&g.meta.sources, ctx.case.guideline).1,
        });
    }
    regimens
}

/// The first lifelong rule that holds decides, when treatment is advised or under way.
fn lifelong<'a>(
    kb: &'a Knowledge,
    case: &Case,
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
    recommended: bool,
    level: TriageLevel,
    reasons: &mut Vec<Reason>,
) -> Lifelong {
    let rule = kb
        .lifelong
        .iter()
        .find(|r| r.rule.applies_to(case.guideline) && ctx.holds(&r.rule.when));
    match rule {
        Some(r) if recommended || case.treatment.is_some() => {
            reasons.push(reason(out, &r.rule.meta, level));
            if r.value { Lifelong::Yes } else { Lifelong::No }
        }
        _ => Lifelong::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::stages::causes::causes;
    use crate::stages::testing::{after_triage, case, kb};

    fn run(b12_pmol_l: f64) -> (TreatmentPlan, Vec<String>) {
        let case = case(json!({
            "guideline": "nhg",
            "person": { "age_years": 50, "sex": "female" },
            "diet": "omnivore",
            "symptoms": [{ "id": "fatigue", "present": true, "weeks": 12, "course": "gradual" }],
            "labs": [{ "analyte": "b12_total", "value": b12_pmol_l, "unit": "pmol/L" }],
        }));
        let (mut out, mut ctx, status, triage) = after_triage(&case);
        causes(kb(), &mut ctx, &mut out);
        let plan = treatment(
            kb(),
            &case,
            &mut ctx,
            &mut out,
            status.category,
            triage.level,
        );
        (plan, out.trace)
    }

    #[test]
    fn low_b12_with_symptoms_recommends_oral_treatment() {
        let (plan, trace) = run(100.0);
        assert!(plan.recommended);
        assert!(!plan.start_before_results);
        assert_eq!(plan.reasons[0].rule, "recommend_deficient");
        // profiles/nhg.toml: without neurological severity or malabsorption, the oral plan.
        assert!(trace.iter().any(|r| r == "nhg_plan_oral"));
        let ids: Vec<_> = plan.regimens.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["nhg_oral_treatment"]);
        assert_eq!(plan.regimens[0].rule, "nhg_plan_oral");
        // rules/treatment.toml: no lifelong rule holds without a cause; the advice for any
        // deficiency follows the recommendation.
        assert_eq!(plan.lifelong, Lifelong::Unknown);
        let rules: Vec<_> = plan.reasons.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "recommend_deficient",
                "advice_oral_cyanocobalamin",
                "advice_recovery_time"
            ]
        );
        assert_eq!(plan.advice.len(), 2);
    }

    #[test]
    fn grey_zone_b12_with_symptoms_is_a_trial_not_a_recommendation() {
        let (plan, trace) = run(200.0);
        assert!(!plan.recommended);
        assert!(trace.iter().any(|r| r == "nhg_plan_trial"));
        assert!(
            plan.reasons
                .iter()
                .any(|r| r.rule == "recommend_trial_in_grey_zone")
        );
        let ids: Vec<_> = plan.regimens.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["nhg_oral_trial"]);
        assert_eq!(plan.lifelong, Lifelong::Unknown);
    }

    fn plan_of(request: serde_json::Value) -> TreatmentPlan {
        let case = case(request);
        let (mut out, mut ctx, status, triage) = after_triage(&case);
        causes(kb(), &mut ctx, &mut out);
        treatment(
            kb(),
            &case,
            &mut ctx,
            &mut out,
            status.category,
            triage.level,
        )
    }

    #[test]
    fn a_treatment_under_way_is_not_started_again() {
        // Clinical review F06 / P52: six years of injections, no new loading course.
        let plan = plan_of(json!({
            "guideline": "nhg",
            "person": { "age_years": 60, "sex": "female" },
            "conditions": [{ "id": "autoimmune_gastritis" }],
            "labs": [{ "analyte": "b12_total", "value": 90, "unit": "pmol/L", "date": "2020-01-10" }],
            "treatment": { "route": "intramuscular", "started": "2020-02-01", "response": "resolved" },
        }));
        assert!(plan.regimens.is_empty(), "{:?}", plan.regimens);
        assert!(!plan.start_before_results);
        assert!(plan.recommended, "treatment stays indicated");
        assert_eq!(plan.lifelong, Lifelong::Yes);
    }

    #[test]
    fn children_get_no_adult_regimens() {
        // Clinical review F03 (G6, G7): a 6-year-old vegan, no adult prevention dose; a 12-year-old
        // with a low B12 gets the Kinderformularium plan under NHG and none under NICE.
        let plan = plan_of(json!({
            "guideline": "nhg",
            "person": { "age_years": 6, "sex": "male" },
            "diet": "vegan",
            "supplements": [],
        }));
        assert!(plan.regimens.is_empty(), "{:?}", plan.regimens);
        let low = |g: &str| {
            plan_of(json!({
                "guideline": g,
                "person": { "age_years": 12, "sex": "female" },
                "labs": [{ "analyte": "b12_total", "value": 100, "unit": "pmol/L" }],
            }))
        };
        let nhg = low("nhg");
        assert!(
            nhg.regimens
                .iter()
                .all(|r| r.sources == ["KINDERFORMULARIUM"]),
            "{:?}",
            nhg.regimens
        );
        assert!(!nhg.regimens.is_empty());
        assert!(low("nice").regimens.is_empty());
    }

    #[test]
    fn severe_anaemia_gets_injections_under_nhg() {
        // Farmacotherapeutisch Kompas (G4): parenteral hydroxocobalamin in severe anaemia (F12).
        let plan = plan_of(json!({
            "guideline": "nhg",
            "person": { "age_years": 72, "sex": "female" },
            "labs": [
                { "analyte": "b12_total", "value": 90, "unit": "pmol/L" },
                { "analyte": "haemoglobin", "value": 4.9, "unit": "mmol/L" },
            ],
        }));
        assert!(
            plan.regimens
                .iter()
                .any(|r| r.route == kobalt_contract::Route::Intramuscular)
        );
    }
}
