//! Projections in assessments: where they help, the kinetics model answers
//! "how long until total B12 falls below the limit" (an at-risk person who is
//! not deficient) or "how long until B12 and MMA are normal on the proposed
//! regimen" (a deficient person). Always labelled a model estimate.

use kobalt_contract::{
    Assessment, B12Category, Language, Per, Phase as RegimenPhase, ProjectedCrossing,
    ProjectionQuestion, ProjectionSummary, Regimen, Route,
};
use kobalt_kb::{Knowledge, fill};
use kobalt_kinetics::{
    Absorption, Criterion, Form, Marker, Options, Phase, Scenario, Start, Treatment, project,
};

use crate::case::Case;

const YEARS_AHEAD: u32 = 10 * 365;
const TREATMENT_DAYS: u32 = 365;
/// A loading course given "until no further improvement" is modelled as two weeks.
const OPEN_LOADING_DAYS: f64 = 14.0;

pub(crate) fn project_case(
    kb: &Knowledge,
    case: &Case,
    a: &Assessment,
    options: Options,
) -> Option<(ProjectionSummary, kobalt_kinetics::Projection)> {
    // The kinetics model's parameters are adult ones (F03).
    if crate::eval::is_child(kb, case) {
        return None;
    }
    let set = &kb.kinetics;
    let p = set.defaults();
    let low = kb.limit(case.guideline, "b12_total", "low")?;
    let serum = lab(kb, case, "b12_total");
    let absorption = absorption(kb, case);
    let diet = case
        .diet
        .and_then(|d| set.diets.get(d.as_str()))
        .or_else(|| set.diets.get("omnivore"))?;
    let start_from_serum = |serum: f64| Start {
        store_ug: (p.s_ref * (serum / p.b_ref).powf(1.0 / p.gamma)).clamp(0.0, 20_000.0),
        pool_ug: 0.0,
        mma: lab(kb, case, "mma"),
        hcy: lab(kb, case, "homocysteine"),
    };
    let mut phase = Phase::diet(0, diet.food_ug_per_day, diet.meals);
    phase.absorption = absorption;

    let deficient = a.b12_status.category == B12Category::Deficient;
    let (question, scenario, criteria) = if deficient && a.treatment.recommended {
        let treatment = treatment_of(&a.treatment.regimens)?;
        treatment.apply(&mut phase);
        phase.days = TREATMENT_DAYS;
        let mma_limit = kb.limit(case.guideline, "mma", "high")?;
        (
            ProjectionQuestion::WeeksUntilNormal,
            Scenario {
                start: start_from_serum(serum?),
                phases: vec![phase],
            },
            vec![
                Criterion {
                    marker: Marker::SerumB12,
                    below: false,
                    threshold: low,
                },
                Criterion {
                    marker: Marker::Mma,
                    below: true,
                    threshold: mma_limit,
                },
            ],
        )
    } else if !deficient && case.treatment.is_none() && !takes_cobalamin(kb, case) {
        // At risk: a diet that cannot keep omnivore stores, or impaired absorption.
        let at_risk = diet.food_ug_per_day < 2.0
            || absorption.f_if * absorption.f_ileum < 1.0
            || absorption.f_rel < 1.0;
        let supplements_known = case.supplements.is_some();
        if !at_risk || !supplements_known {
            return None;
        }
        phase.days = YEARS_AHEAD;
        // Only from a measured B12: a default start would project an untested
        // person's future and reassure (web review D9).
        let start = start_from_serum(serum?);
        (
            ProjectionQuestion::YearsUntilDeficient,
            Scenario {
                start,
                phases: vec![phase],
            },
            vec![Criterion {
                marker: Marker::SerumB12,
                below: true,
                threshold: low,
            }],
        )
    } else {
        return None;
    };
    let horizon = scenario.days();
    let projection = project(
        set,
        &scenario,
        &criteria,
        Options {
            every_days: if horizon > 2 * 365 { 30 } else { 7 },
            ..options
        },
    );
    // A limit already crossed at the start answers nothing.
    if projection
        .crossings
        .iter()
        .any(|c| c.default_day == Some(0))
    {
        return None;
    }
    let (unit_days, time_unit) = match question {
        ProjectionQuestion::YearsUntilDeficient => (365.0, "years"),
        ProjectionQuestion::WeeksUntilNormal => (7.0, "weeks"),
    };
    let estimates: Vec<ProjectedCrossing> = projection
        .crossings
        .iter()
        .map(|c| {
            let t = |d: Option<f64>| d.map(|d| (d / unit_days * 100.0).round() / 100.0);
            let (analyte, unit) = match c.criterion.marker {
                Marker::Mma => ("mma", "µmol/L"),
                _ => ("b12_total", "pmol/L"),
            };
            ProjectedCrossing {
                id: format!(
                    "{analyte}_{}_{}",
                    if c.criterion.below { "below" } else { "above" },
                    if analyte == "mma" { "high" } else { "low" }
                ),
                analyte: analyte.to_owned(),
                threshold: (c.criterion.threshold * 100.0).round() / 100.0,
                unit: unit.to_owned(),
                time_unit: time_unit.to_owned(),
                default: t(c.default_day.map(f64::from)),
                median: t(c.median_day),
                p5: t(c.p5_day),
                p95: t(c.p95_day),
                reached_fraction: c.reached,
            }
        })
        .collect();
    let text = projection_text(
        kb,
        case,
        a,
        question,
        &estimates,
        Horizon {
            low,
            days: horizon,
            store_ug: scenario.start.store_ug,
            mma_measured: lab(kb, case, "mma").is_some(),
        },
    );
    let mut sources: Vec<String> = set
        .params
        .values()
        .filter(|s| s.vary)
        .flat_map(|s| s.sources.iter().cloned())
        .chain(MODEL_SOURCES.iter().map(|s| (*s).to_owned()))
        .collect();
    sources.sort();
    sources.dedup();
    Some((
        ProjectionSummary {
            question,
            text,
            model_estimate: true,
            estimates,
            start_store_ug: scenario.start.store_ug.round(),
            draws: projection.draws,
            seed: projection.seed,
            sources,
        },
        projection,
    ))
}

fn lab(kb: &Knowledge, case: &Case, analyte: &str) -> Option<f64> {
    let idx = kb.analyte(analyte)? as usize;
    case.labs.get(idx)?.as_ref()?.exact()
}

/// The absorption settings of kinetics.toml whose `from` items the person has.
fn absorption(kb: &Knowledge, case: &Case) -> Absorption {
    let has = |item: &str| match item.split_once(':') {
        Some(("condition", id)) => kb
            .conditions
            .get(id)
            .is_some_and(|i| case.conditions.as_ref().is_some_and(|c| c.contains(&i))),
        Some(("procedure", id)) => kb
            .procedures
            .get(id)
            .is_some_and(|i| case.procedures.as_ref().is_some_and(|p| p.contains(&i))),
        Some(("medication", id)) => kb.medications.get(id).is_some_and(|i| {
            case.medications
                .as_ref()
                .is_some_and(|m| m.iter().any(|f| f.id == i))
        }),
        _ => false,
    };
    kb.kinetics
        .conditions
        .values()
        .filter(|c| c.from.iter().any(|item| has(item)))
        .fold(Absorption::default(), |a, c| a.with(c))
}

/// Whether a B12 supplement is taken now.
fn takes_cobalamin(kb: &Knowledge, case: &Case) -> bool {
    kb.supplements.get("cobalamin").is_some_and(|cobalamin| {
        case.supplements
            .as_ref()
            .is_some_and(|list| list.iter().any(|s| s.id == cobalamin))
    })
}

/// The proposed regimen as the model's treatment: the first treatment or
/// loading regimen, with the maintenance interval after a loading course.
fn treatment_of(regimens: &[Regimen]) -> Option<Treatment> {
    let first = regimens
        .iter()
        .find(|r| matches!(r.phase, RegimenPhase::Treatment | RegimenPhase::Loading))?;
    let interval = |r: &Regimen| -> Option<f64> {
        Some(r.every * Per::parse(&r.per)?.days() / r.times.max(1.0))
    };
    let first_interval = interval(first)?;
    match first.route {
        Route::Oral => Some(Treatment::Oral {
            ug: first.dose_ug,
            every_days: first_interval.round().max(1.0) as u32,
        }),
        // The model has one injection route: subcutaneous injections are taken up like intramuscular ones.
        Route::Intramuscular | Route::Subcutaneous => {
            let form = if first.substance.starts_with("cyano") {
                Form::Cyanocobalamin
            } else {
                Form::Hydroxocobalamin
            };
            let doses = first
                .doses
                .map_or((OPEN_LOADING_DAYS / first_interval).ceil(), f64::from)
                .max(1.0) as u32;
            let loading_days = if first.phase == RegimenPhase::Loading {
                (0..doses)
                    .map(|i| 1 + (f64::from(i) * first_interval).round() as u32)
                    .collect()
            } else {
                Vec::new()
            };
            let maintenance = regimens
                .iter()
                .find(|r| r.phase == RegimenPhase::Maintenance && r.route == Route::Intramuscular)
                .and_then(interval)
                .unwrap_or(first_interval);
            Some(Treatment::Intramuscular {
                form,
                ug: first.dose_ug,
                loading_days,
                every_days: maintenance.round().max(1.0) as u32,
            })
        }
    }
}

fn regimen_label(regimens: &[Regimen]) -> String {
    regimens
        .iter()
        .find(|r| matches!(r.phase, RegimenPhase::Treatment | RegimenPhase::Loading))
        .map(|r| format!("{} {} µg {}", r.substance, r.dose_ug, r.route))
        .unwrap_or_default()
}

/// A decision limit as printed in the guideline (0.45, 148).
fn limit_text(v: f64, language: Language) -> String {
    let s = format!("{}", (v * 100.0).round() / 100.0);
    match language {
        Language::Nl => s.replace('.', ","),
        Language::En => s,
    }
}

fn number(v: f64, language: Language) -> String {
    let s = if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    };
    match language {
        Language::Nl => s.replace('.', ","),
        Language::En => s,
    }
}

/// Sources of the model's read-outs that every projection cites (serum B12 and
/// MMA from the store), besides those of the parameters it varies.
const MODEL_SOURCES: [&str; 2] = ["KUZMINSKI-1998", "GILSING-2010"];

/// What the text of a projection needs besides its estimates.
struct Horizon {
    /// The guideline's deficiency limit (pmol/L).
    low: f64,
    /// The simulated time in days: a crossing not reached within it is "more
    /// than" this.
    days: u32,
    store_ug: f64,
    mma_measured: bool,
}

/// The sentence of a projection. A crossing not reached within the simulated
/// time is "more than 10 years" (never "later"); when most people do not reach
/// it, the text says they stay above the limit; MMA is only mentioned when it
/// was measured.
fn projection_text(
    kb: &Knowledge,
    case: &Case,
    a: &Assessment,
    question: ProjectionQuestion,
    estimates: &[ProjectedCrossing],
    h: Horizon,
) -> String {
    let msg = |id: &'static str| kb.message(id, case.language, case.audience);
    let num = |v: f64| number(v, case.language);
    let weeks_text = |w: f64| {
        let (id, n) = if w < 2.0 {
            let days = (w * 7.0).round().max(1.0);
            let id = if days == 1.0 {
                "projection-day"
            } else {
                "projection-days"
            };
            (id, days)
        } else {
            ("projection-weeks", w.round())
        };
        fill(msg(id), &[("n", &num(n))])
    };
    let more_than = |n: &str| fill(msg("projection-more-than"), &[("n", n)]);
    let horizon_years = (f64::from(h.days) / 365.0).round();
    let horizon_weeks = (f64::from(h.days) / 7.0).round();
    let years = |v: Option<f64>| v.map_or_else(|| more_than(&num(horizon_years)), num);
    let duration =
        |v: Option<f64>| v.map_or_else(|| more_than(&weeks_text(horizon_weeks)), weeks_text);
    let limit = limit_text(h.low.round(), case.language);
    match question {
        ProjectionQuestion::YearsUntilDeficient => {
            let e = &estimates[0];
            let store = format!("{:.0}", h.store_ug);
            if e.median.is_none() {
                return fill(
                    msg("projection-years-not-reached"),
                    &[
                        ("limit", &limit),
                        ("years", &num(horizon_years)),
                        ("store", &store),
                    ],
                );
            }
            fill(
                msg("projection-years-until-deficient"),
                &[
                    ("limit", &limit),
                    ("median", &years(e.median)),
                    ("low", &years(e.p5)),
                    ("high", &years(e.p95)),
                    ("store", &store),
                ],
            )
        }
        ProjectionQuestion::WeeksUntilNormal => {
            let (s, m) = (&estimates[0], &estimates[1]);
            let id = if h.mma_measured {
                "projection-weeks-until-normal"
            } else {
                "projection-weeks-until-b12"
            };
            fill(
                msg(id),
                &[
                    ("regimen", &regimen_label(&a.treatment.regimens)),
                    ("limit", &limit),
                    ("serum", &duration(s.median)),
                    ("serum_low", &duration(s.p5)),
                    ("serum_high", &duration(s.p95)),
                    ("mma_limit", &limit_text(m.threshold, case.language)),
                    ("mma", &duration(m.median)),
                    ("mma_low", &duration(m.p5)),
                    ("mma_high", &duration(m.p95)),
                ],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    /// The source ids written here exist in the register (a typo would be dropped silently).
    #[test]
    fn model_sources_are_in_the_register() {
        let kb = kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}"));
        for id in super::MODEL_SOURCES {
            assert!(kb.sources.contains_key(id), "{id}");
        }
    }
}
