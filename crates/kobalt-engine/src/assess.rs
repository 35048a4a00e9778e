//! The stages of one assessment, in order: labs, B12 status, triage (red flags
//! first), causes, differential, next tests, treatment, follow-up, warnings.

use std::collections::BTreeSet;

use kobalt_contract::*;
use kobalt_kb::{Knowledge, Meta, PlanPurpose, Scored, Status, StatusOutcome};

use crate::case::Case;
use crate::eval::{Ctx, Tri};

struct Out<'a> {
    language: Language,
    audience: Audience,
    trace: Vec<String>,
    sources: BTreeSet<&'a str>,
    unverified: Vec<String>,
}

impl<'a> Out<'a> {
    fn fire(&mut self, meta: &'a Meta) -> (String, Vec<String>) {
        self.trace.push(meta.id.clone());
        self.sources.extend(meta.sources.iter().map(String::as_str));
        if meta.status == Status::Unverified {
            self.unverified.push(meta.id.clone());
        }
        (
            meta.text.get(self.language, self.audience).to_owned(),
            meta.sources.clone(),
        )
    }
}

/// Assesses a validated case.
pub fn evaluate(kb: &Knowledge, case: &Case) -> Assessment {
    let profile = kb.profile(case.guideline);
    let (language, audience) = (case.language, case.audience);
    let mut out = Out {
        language,
        audience,
        trace: Vec::new(),
        sources: BTreeSet::new(),
        unverified: Vec::new(),
    };

    // Labs: each measured value placed in the profile's bands.
    let mut bands: Vec<Option<&kobalt_kb::Band>> = vec![None; kb.analytes.len()];
    let mut markers = Vec::new();
    for (idx, lab) in case.labs.iter().enumerate() {
        let Some(lab) = lab else { continue };
        let analyte = &kb.analytes[idx];
        let limits = profile.limits[idx].as_ref().map(|l| l.for_sex(case.sex));
        let (interpretation, rule, sources, decision_limits, marker_bands, unverified) =
            match (lab.value, limits) {
                (Some(v), Some((limits, _))) => {
                    let band = limits.band_of(v);
                    bands[idx] = Some(band);
                    out.trace.push(limits.rule_id.clone());
                    out.sources.extend(band.sources.iter().map(String::as_str));
                    let unverified =
                        band.status == Status::Unverified || analyte.conversion_unverified;
                    if unverified {
                        out.unverified
                            .push(format!("{}:{}", limits.rule_id, band.band));
                    }
                    let shown = limits
                        .bands
                        .iter()
                        .map(|b| Band {
                            band: b.band.clone(),
                            from: b.from,
                            to: b.to,
                            to_inclusive: b.to_inclusive,
                        })
                        .collect();
                    (
                        band.band.clone(),
                        limits.rule_id.clone(),
                        band.sources.clone(),
                        limits.named_limits(),
                        shown,
                        unverified,
                    )
                }
                (Some(_), None) => (
                    "no_limits".to_owned(),
                    String::new(),
                    vec![],
                    Default::default(),
                    vec![],
                    false,
                ),
                (None, _) => {
                    let r = lab.result.map_or("unknown", |r| r.as_str()).to_owned();
                    (r, String::new(), vec![], Default::default(), vec![], false)
                }
            };
        markers.push(Marker {
            analyte: analyte.id.clone(),
            name: analyte.name.get(language, audience).to_owned(),
            value: lab.value.map(round4),
            unit: lab.value.and(analyte.canonical_unit.clone()),
            reported: lab
                .reported
                .as_ref()
                .filter(|(_, u)| Some(u) != analyte.canonical_unit.as_ref())
                .map(|(v, u)| ReportedValue {
                    value: *v,
                    unit: u.clone(),
                }),
            result: lab.result,
            date: lab.date.map(|d| d.to_string()),
            interpretation,
            decision_limits: decision_limits
                .into_iter()
                .map(|(k, v)| (k, round4(v)))
                .collect(),
            bands: marker_bands,
            lab_reference: (lab.reference_low.is_some() || lab.reference_high.is_some()).then(
                || LabReference {
                    low: lab.reference_low.map(round4),
                    high: lab.reference_high.map(round4),
                },
            ),
            rule,
            sources,
            unverified,
        });
    }
    let mut ctx = Ctx::new(kb, case, profile, bands);

    // B12 status.
    let outcome_id = status_outcome(&mut ctx);
    let outcome = kb.outcome(outcome_id);
    ctx.derived.category = Some(outcome.category);
    let (status_text, status_sources) = out.fire(&outcome.meta);
    let combined_indicator = combined_indicator(kb, case, &mut out);

    // Triage: most urgent firing rule; red-flag symptoms never asked keep self care out of reach.
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
    // A red-flag rule that is still undecided keeps its unanswered symptoms
    // open: those are asked for, and they rule out self-care.
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
    if reasons.is_empty() {
        let closing = if unasked.is_empty() {
            &kb.no_concern
        } else {
            &kb.red_flags_not_asked
        };
        let (text, sources) = out.fire(&closing.meta);
        reasons.push(Reason {
            rule: closing.meta.id.clone(),
            level: closing.level,
            text,
            sources,
            derived: closing.meta.derived,
        });
    }
    let level = reasons
        .iter()
        .map(|r| r.level)
        .max()
        .unwrap_or(TriageLevel::Routine);
    reasons.sort_by_key(|r| std::cmp::Reverse(r.level));
    let triage = Triage {
        level,
        advice: kb
            .message(&format!("triage-{}", level.as_str()), language, audience)
            .to_owned(),
        reasons,
    };

    // Causes and differential.
    let mut missing_ids: Vec<String> = unasked
        .iter()
        .map(|s| format!("symptom:{}", kb.symptoms.ids[*s as usize]))
        .collect();
    let mut missing_text: Vec<String> = unasked
        .iter()
        .map(|s| {
            kb.symptoms.names[*s as usize]
                .get(language, audience)
                .to_owned()
        })
        .collect();
    let scored_causes = score_all(&mut ctx, &kb.causes);
    ctx.derived.ranked_causes = scored_causes.iter().map(|(i, s, ..)| (*i, *s)).collect();
    ctx.derived.causes_known = true;
    let causes: Vec<Cause> = scored_causes
        .iter()
        .enumerate()
        .map(|(rank, (idx, score, sup, against, missing))| {
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
        })
        .collect();
    let scored_diff = score_all(&mut ctx, &kb.differentials);
    let differential: Vec<Differential> = scored_diff
        .iter()
        .map(|(idx, score, sup, against, missing)| {
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
        })
        .collect();

    // Next tests.
    let mut next_tests: Vec<NextTest> = Vec::new();
    let mut offered = vec![false; kb.analytes.len()];
    let analyte_name = |a: u16| {
        kb.analytes[a as usize]
            .name
            .get(language, audience)
            .to_owned()
    };
    for t in &kb.tests {
        if !t.rule.applies_to(case.guideline) {
            continue;
        }
        let todo: Vec<_> = t
            .analytes
            .iter()
            .filter(|a| case.labs[**a as usize].is_none() && !offered[**a as usize])
            .collect();
        if todo.is_empty() || !ctx.holds(&t.rule.when) {
            continue;
        }
        let (why, sources) = out.fire(&t.rule.meta);
        for a in todo {
            offered[*a as usize] = true;
            next_tests.push(NextTest {
                analyte: kb.analytes[*a as usize].id.clone(),
                name: analyte_name(*a),
                why: why.clone(),
                rule: t.rule.meta.id.clone(),
                sources: sources.clone(),
            });
        }
    }
    for (idx, ..) in &scored_diff {
        let d = &kb.differentials[*idx];
        for a in &d.tests {
            if case.labs[*a as usize].is_none() && !offered[*a as usize] {
                offered[*a as usize] = true;
                next_tests.push(NextTest {
                    analyte: kb.analytes[*a as usize].id.clone(),
                    name: analyte_name(*a),
                    why: format!(
                        "{} ({})",
                        kb.differential_test_text.get(language, audience),
                        d.name.get(language, audience)
                    ),
                    rule: d.meta.id.clone(),
                    sources: d.meta.sources.clone(),
                });
            }
        }
    }
    for t in &next_tests {
        missing_ids.push(format!("lab:{}", t.analyte));
        missing_text.push(t.name.clone());
    }

    // Treatment.
    let category = outcome.category;
    let mut treatment_reasons = Vec::new();
    let start_rule = kb
        .start_before_results
        .iter()
        .find(|r| r.applies_to(case.guideline) && ctx.holds(&r.when));
    let start_before_results = start_rule.is_some() && category != B12Category::Unlikely;
    let symptomatic = ctx.finding(kb.ids.any_b12_symptom) == Tri::True;
    let purpose = if category == B12Category::Deficient || start_before_results {
        Some(PlanPurpose::Deficiency)
    } else if category == B12Category::Indeterminate && symptomatic {
        Some(PlanPurpose::Trial)
    } else if matches!(category, B12Category::Unlikely | B12Category::NotTested) {
        Some(PlanPurpose::Prevention)
    } else {
        None
    };
    let recommended = purpose == Some(PlanPurpose::Deficiency);
    if recommended {
        treatment_reasons.push(reason(&mut out, &kb.recommend.deficient, triage.level));
    }
    if let Some(r) = start_rule.filter(|_| start_before_results) {
        treatment_reasons.push(reason(&mut out, &r.meta, triage.level));
    }
    let mut regimens = Vec::new();
    if let Some(purpose) = purpose {
        let plan = profile
            .plans
            .iter()
            .find(|p| p.purpose == purpose && p.when.as_ref().is_none_or(|w| ctx.holds(w)));
        if let Some(plan) = plan {
            out.trace.push(plan.meta.id.clone());
            out.sources
                .extend(plan.meta.sources.iter().map(String::as_str));
            match purpose {
                PlanPurpose::Trial => treatment_reasons.push(reason(
                    &mut out,
                    &kb.recommend.trial_in_grey_zone,
                    triage.level,
                )),
                PlanPurpose::Prevention => {
                    treatment_reasons.push(reason(&mut out, &kb.recommend.prevention, triage.level))
                }
                PlanPurpose::Deficiency => {}
            }
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
                    unverified: g.meta.status == Status::Unverified,
                });
            }
        }
    }
    let lifelong_rule = kb
        .lifelong
        .iter()
        .find(|r| r.rule.applies_to(case.guideline) && ctx.holds(&r.rule.when));
    let lifelong = match lifelong_rule {
        Some(r) if recommended || case.treatment.is_some() => {
            treatment_reasons.push(reason(&mut out, &r.rule.meta, triage.level));
            if r.value { Lifelong::Yes } else { Lifelong::No }
        }
        _ => Lifelong::Unknown,
    };
    let advice = fire_rules(
        &mut ctx,
        &mut out,
        &kb.advice,
        triage.level,
        &mut treatment_reasons,
    );
    let treatment = TreatmentPlan {
        recommended,
        start_before_results,
        lifelong,
        regimens,
        advice,
        reasons: treatment_reasons,
    };

    // Follow-up.
    let review = &profile.review;
    let pregnant_or_feeding = case.pregnant == Some(true) || case.breastfeeding == Some(true);
    let review_after_weeks =
        (recommended || case.treatment.is_some()).then_some(if pregnant_or_feeding {
            review.weeks_pregnant
        } else {
            review.weeks
        });
    if review_after_weeks.is_some() {
        // The review timing has no text of its own; firing it records trace, sources and status.
        out.fire(&review.meta);
    }
    let mut followup_reasons = Vec::new();
    let mut decision = None;
    let mut decision_text = None;
    if case.treatment.is_some() {
        if let Some(d) = kb
            .decisions
            .iter()
            .find(|d| d.rule.applies_to(case.guideline) && ctx.holds(&d.rule.when))
        {
            let r = reason(&mut out, &d.rule.meta, triage.level);
            decision = Some(d.decision);
            decision_text = Some(r.text.clone());
            followup_reasons.push(r);
        }
        if case.treatment.as_ref().is_some_and(|t| t.started.is_none()) {
            missing_ids.push("treatment.started".to_owned());
            missing_text.push(
                kb.message("report-treatment", language, audience)
                    .to_owned(),
            );
        }
    }
    let checks = fire_rules(
        &mut ctx,
        &mut out,
        &kb.checks,
        triage.level,
        &mut followup_reasons,
    );
    let follow_up = FollowUp {
        review_after_weeks,
        decision,
        decision_text,
        checks,
        reasons: followup_reasons,
    };

    // Warnings, and the unverified values behind this assessment.
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
    let touches_long_term = ctx.case.medications.as_ref().is_some_and(|m| !m.is_empty());
    if touches_long_term && kb.values.long_term_medication_years.status == Status::Unverified {
        out.unverified
            .push(kb.values.long_term_medication_years.id.clone());
    }
    if !out.unverified.is_empty() {
        let mut details = std::mem::take(&mut out.unverified);
        details.sort();
        details.dedup();
        let (text, sources) = out.fire(&kb.unverified_warning);
        warnings.push(Warning {
            id: "unverified_value_used".to_owned(),
            text,
            rule: kb.unverified_warning.id.clone(),
            sources,
            details,
        });
    }
    // Absent lists are unknown, not "none": say which answers would help.
    for (field, unknown) in [
        ("diet", case.diet.is_none()),
        ("supplements", case.supplements.is_none()),
        ("medications", case.medications.is_none()),
    ] {
        if unknown {
            missing_ids.push(field.to_owned());
            missing_text.push(
                kb.message(&format!("report-missing-{field}"), language, audience)
                    .to_owned(),
            );
        }
    }

    let sources = out
        .sources
        .iter()
        .filter_map(|id| source_ref(kb, id))
        .collect();
    Assessment {
        schema: ASSESSMENT_SCHEMA.to_owned(),
        engine_version: crate::ENGINE_VERSION.to_owned(),
        knowledge: KnowledgeRef {
            version: kb.version.clone(),
            sha256: kb.sha256.clone(),
        },
        guideline: case.guideline,
        language,
        audience,
        evaluation_date: case.evaluation_date.to_string(),
        triage,
        b12_status: B12Status {
            category,
            text: status_text,
            rule: outcome.meta.id.clone(),
            sources: status_sources,
            markers,
            combined_indicator,
        },
        causes,
        differential,
        next_tests,
        treatment,
        follow_up,
        // Filled by referral rules (clinical safety issue); the contract requires the list.
        referral: Vec::new(),
        warnings,
        projection: None,
        missing_information: missing_ids,
        missing_information_text: missing_text,
        trace: out.trace,
        sources,
        disclaimer: kb.message("disclaimer", language, audience).to_owned(),
    }
}

/// Fires every applicable rule that holds: its reason goes to `reasons`, its text is returned.
fn fire_rules<'a>(
    ctx: &mut Ctx<'a>,
    out: &mut Out<'a>,
    rules: &'a [kobalt_kb::Rule],
    level: TriageLevel,
    reasons: &mut Vec<Reason>,
) -> Vec<String> {
    let mut texts = Vec::new();
    for rule in rules {
        if rule.applies_to(ctx.case.guideline) && ctx.holds(&rule.when) {
            let r = reason(out, &rule.meta, level);
            texts.push(r.text.clone());
            reasons.push(r);
        }
    }
    texts
}

fn reason<'a>(out: &mut Out<'a>, meta: &'a Meta, level: TriageLevel) -> Reason {
    let (text, sources) = out.fire(meta);
    Reason {
        rule: meta.id.clone(),
        level,
        text,
        sources,
        derived: meta.derived,
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

fn texts(
    kb: &Knowledge,
    findings: &[usize],
    language: Language,
    audience: Audience,
) -> Vec<String> {
    findings
        .iter()
        .map(|f| kb.findings[*f].text.get(language, audience).to_owned())
        .collect()
}

type ScoredRow = (usize, i32, Vec<usize>, Vec<usize>, Vec<usize>);

/// Scores causes or differentials; listed when a supporting finding holds. Ties keep file order.
fn score_all<Id>(ctx: &mut Ctx<'_>, items: &[Scored<Id>]) -> Vec<ScoredRow> {
    let mut rows = Vec::new();
    for (idx, item) in items.iter().enumerate() {
        if item.requires.is_some_and(|r| ctx.finding(r) != Tri::True) {
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
        if !sup.is_empty() {
            rows.push((idx, score, sup, against, missing));
        }
    }
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows
}

/// How the markers combine (see rules/status.toml and ARCHITECTURE.md): the
/// bands of the profile, and the findings that qualify them.
fn status_outcome(ctx: &mut Ctx<'_>) -> StatusOutcome {
    let ids = ctx.kb.ids;
    let band = |a: kobalt_kb::AnalyteId| ctx.bands[a as usize].and_then(|b| b.kind);
    let (total, holo, mma, hcy) = (
        band(ids.b12_total),
        band(ids.holotranscobalamin),
        band(ids.mma),
        band(ids.homocysteine),
    );
    let mut finding = |f: kobalt_kb::FindingId| ctx.finding(f) == Tri::True;
    crate::status::combine(&crate::status::StatusInputs {
        total,
        holo,
        mma,
        hcy,
        nitrous_oxide: finding(ids.nitrous_oxide_use),
        pregnant: finding(ids.pregnant),
        renal: finding(ids.kidney_disease),
    })
}

/// 4cB12 when holoTC, total B12, MMA and homocysteine are all measured (unverified formula).
fn combined_indicator<'a>(
    kb: &'a Knowledge,
    case: &Case,
    out: &mut Out<'a>,
) -> Option<CombinedIndicator> {
    let value = |a: kobalt_kb::AnalyteId| case.labs[a as usize].as_ref().and_then(|l| l.value);
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

/// A source of the register as the assessment lists it.
pub(crate) fn source_ref(kb: &Knowledge, id: &str) -> Option<SourceRef> {
    kb.sources.get(id).map(|s| SourceRef {
        id: s.id.clone(),
        title: s.title.clone(),
        year: s.year,
        url: s.url.clone(),
        kind: s.kind.clone(),
    })
}
