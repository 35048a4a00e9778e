//! Scenarios in the terms people use (a diet, conditions, "oral 1000 µg
//! daily", years), turned into the model's phases with the parameter file's
//! diet and condition settings.

use serde::{Deserialize, Serialize};

use crate::KineticsError;
use crate::model::{
    Form, Injection, OralDose, Phase, RepeatedInjection, Scenario, Start, simulate,
};
use crate::params::ParamSet;

/// A B12 treatment the model can follow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "route", rename_all = "snake_case", deny_unknown_fields)]
pub enum Treatment {
    /// A tablet of `ug` every `every_days` days.
    Oral { ug: f64, every_days: u32 },
    /// Injections: `loading_days` first (1-based days of the phase), then one
    /// every `every_days` days after the last loading dose.
    Intramuscular {
        form: Form,
        ug: f64,
        #[serde(default)]
        loading_days: Vec<u32>,
        every_days: u32,
    },
}

/// The BNF loading schedule without neurological involvement: three times a
/// week for two weeks (kinetics.md 9.6: days 1, 3, 5, 8, 10, 12).
pub const LOADING_DAYS: [u32; 6] = [1, 3, 5, 8, 10, 12];

impl Treatment {
    /// Parses "oral 1000 ug daily", "oral 2 mg every 2 days", "im
    /// hydroxocobalamin 1000 ug loading then every 90 days", "im cyanocobalamin
    /// 1 mg monthly".
    pub fn parse(text: &str) -> Result<Treatment, KineticsError> {
        let bad = |why: &str| {
            KineticsError::Treatment(format!(
                "'{text}': {why} (examples: 'oral 1000 ug daily', 'im hydroxocobalamin 1000 ug loading then every 90 days')"
            ))
        };
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        let mut rest = words.as_slice();
        let route = match rest.first() {
            Some(&"oral") | Some(&"tablet") => "oral",
            Some(&"im") | Some(&"injection") | Some(&"intramuscular") => "im",
            _ => return Err(bad("start with 'oral' or 'im'")),
        };
        rest = &rest[1..];
        let mut form = Form::Hydroxocobalamin;
        if let Some(first) = rest.first() {
            if first.starts_with("hydroxo") {
                rest = &rest[1..];
            } else if first.starts_with("cyano") {
                form = Form::Cyanocobalamin;
                rest = &rest[1..];
            }
        }
        let dose: f64 = rest
            .first()
            .and_then(|d| d.parse().ok())
            .filter(|d: &f64| d.is_finite() && *d > 0.0)
            .ok_or_else(|| bad("a positive dose must follow"))?;
        let ug = match rest.get(1).copied() {
            Some("ug" | "µg" | "μg" | "mcg" | "microgram" | "micrograms") => dose,
            Some("mg" | "milligram" | "milligrams") => dose * 1000.0,
            _ => return Err(bad("the dose needs a unit: ug or mg")),
        };
        rest = &rest[2..];
        let loading = rest.first() == Some(&"loading");
        if loading {
            rest = &rest[1..];
            if rest.first() == Some(&"then") {
                rest = &rest[1..];
            }
        }
        let every_days = match rest {
            ["daily"] | ["every", "day"] => 1,
            ["weekly"] | ["every", "week"] => 7,
            ["monthly"] | ["every", "month"] => 30,
            ["every", n, unit] => {
                let n: u32 = n
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad("'every' needs a whole number above 0"))?;
                match *unit {
                    "day" | "days" => n,
                    "week" | "weeks" => n * 7,
                    "month" | "months" => n * 30,
                    _ => return Err(bad("the interval unit must be days, weeks or months")),
                }
            }
            _ => return Err(bad("end with daily, weekly, monthly or 'every N days'")),
        };
        Ok(match route {
            "oral" if loading => return Err(bad("loading applies to injections only")),
            "oral" => Treatment::Oral { ug, every_days },
            _ => Treatment::Intramuscular {
                form,
                ug,
                loading_days: if loading {
                    LOADING_DAYS.to_vec()
                } else {
                    Vec::new()
                },
                every_days,
            },
        })
    }

    /// Puts the treatment into a phase (its doses from day 1 of the phase).
    pub fn apply(&self, phase: &mut Phase) {
        match *self {
            Treatment::Oral { ug, every_days } => {
                phase.oral = Some(OralDose {
                    ug,
                    every_days: every_days.max(1),
                });
            }
            Treatment::Intramuscular {
                form,
                ug,
                ref loading_days,
                every_days,
            } => {
                phase.injections = loading_days
                    .iter()
                    .map(|&day| Injection { day, form, ug })
                    .collect();
                let last = loading_days.iter().copied().max();
                phase.repeated_injection = Some(RepeatedInjection {
                    first_day: last.map_or(1, |l| l + every_days.max(1)),
                    every_days: every_days.max(1),
                    form,
                    ug,
                });
            }
        }
    }
}

/// Where a scenario starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StartSpec {
    /// The stores of a long-time omnivore (kinetics.md 9.1).
    Omnivore,
    /// An untreated pernicious anaemia at diagnosis (kinetics.md 9.1).
    PerniciousAnaemiaAtDiagnosis,
    /// A given body store, µg.
    StoreUg(f64),
}

/// A stretch of time in everyday terms.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    /// Length: `days`, or `years` (365 days each).
    #[serde(default)]
    pub days: Option<u32>,
    #[serde(default)]
    pub years: Option<f64>,
    /// A diet of the parameter file (omnivore, vegan, ...), or
    #[serde(default)]
    pub diet: Option<String>,
    /// an explicit intake from food, µg/day.
    #[serde(default)]
    pub food_ug_per_day: Option<f64>,
    /// Conditions of the parameter file (pernicious_anaemia, gastric_bypass, ...).
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub treatment: Option<Treatment>,
    #[serde(default)]
    pub n2o_cartridges_per_day: f64,
    #[serde(default)]
    pub pregnant: bool,
    #[serde(default)]
    pub breastfeeding: bool,
}

/// A scenario in everyday terms (`kobalt simulate` reads it as JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    pub start: StartSpec,
    pub phases: Vec<PhaseSpec>,
}

/// The longest scenario simulated: 40 years.
pub const MAX_DAYS: u32 = 40 * 365;

impl ScenarioSpec {
    /// The model scenario, with the diets and conditions of `set`.
    pub fn build(&self, set: &ParamSet) -> Result<Scenario, KineticsError> {
        let bad = |field: String, why: String| KineticsError::Scenario { field, why };
        if self.phases.is_empty() {
            return Err(bad("phases".into(), "at least one phase is needed".into()));
        }
        let mut phases = Vec::with_capacity(self.phases.len());
        let defaults = set.defaults();
        let mut total = 0u32;
        for (i, spec) in self.phases.iter().enumerate() {
            let at = |f: &str| format!("phases[{i}].{f}");
            let days = match (spec.days, spec.years) {
                (Some(d), None) => d,
                (None, Some(y)) if y.is_finite() && y > 0.0 => (y * 365.0).round() as u32,
                (None, Some(y)) => {
                    return Err(bad(at("years"), format!("{y} is not a positive number")));
                }
                (Some(_), Some(_)) => {
                    return Err(bad(at("days"), "give days or years, not both".into()));
                }
                (None, None) => return Err(bad(at("days"), "give days or years".into())),
            };
            if days == 0 {
                return Err(bad(at("days"), "must be at least 1".into()));
            }
            total = total.saturating_add(days);
            if total > MAX_DAYS {
                return Err(bad(
                    at("days"),
                    format!("scenarios are limited to {MAX_DAYS} days (40 years)"),
                ));
            }
            let diet_name = spec.diet.as_deref().unwrap_or("omnivore");
            let diet = set.diets.get(diet_name).ok_or_else(|| {
                bad(
                    at("diet"),
                    format!(
                        "unknown diet '{diet_name}' (known: {})",
                        set.diets.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;
            let food = match spec.food_ug_per_day {
                Some(f) if f.is_finite() && (0.0..=1000.0).contains(&f) => f,
                Some(f) => {
                    return Err(bad(
                        at("food_ug_per_day"),
                        format!("{f} is not between 0 and 1000"),
                    ));
                }
                None => diet.food_ug_per_day,
            };
            let mut phase = Phase::diet(days, food, diet.meals);
            for c in &spec.conditions {
                let setting = set.conditions.get(c).ok_or_else(|| {
                    bad(
                        at("conditions"),
                        format!(
                            "unknown condition '{c}' (known: {})",
                            set.conditions
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
                phase.absorption = phase.absorption.with(setting);
            }
            if let Some(t) = &spec.treatment {
                let (ug, every) = match t {
                    Treatment::Oral { ug, every_days }
                    | Treatment::Intramuscular { ug, every_days, .. } => (*ug, *every_days),
                };
                if !(ug.is_finite() && ug > 0.0 && ug <= 10_000.0) {
                    return Err(bad(
                        at("treatment.ug"),
                        format!("{ug} is not between 0 and 10000 µg"),
                    ));
                }
                if every == 0 {
                    return Err(bad(at("treatment.every_days"), "must be at least 1".into()));
                }
                t.apply(&mut phase);
            }
            let cartridges = spec.n2o_cartridges_per_day;
            if !(cartridges.is_finite() && (0.0..=1000.0).contains(&cartridges)) {
                return Err(bad(
                    at("n2o_cartridges_per_day"),
                    format!("{cartridges} is not between 0 and 1000"),
                ));
            }
            phase.n2o_cartridges_per_day = cartridges;
            phase.l_extra = if spec.breastfeeding {
                defaults.l_extra_lactation
            } else if spec.pregnant {
                defaults.l_extra_pregnancy
            } else {
                0.0
            };
            phases.push(phase);
        }
        let start = match self.start {
            StartSpec::Omnivore => omnivore_start(set),
            StartSpec::PerniciousAnaemiaAtDiagnosis => Start {
                store_ug: 100.0,
                pool_ug: 0.0,
                mma: Some(3.85),
                hcy: Some(38.0),
            },
            StartSpec::StoreUg(s) if s.is_finite() && (0.0..=20_000.0).contains(&s) => Start {
                store_ug: s,
                pool_ug: 0.0,
                mma: None,
                hcy: None,
            },
            StartSpec::StoreUg(s) => {
                return Err(bad(
                    "start.store_ug".into(),
                    format!("{s} is not between 0 and 20000 µg"),
                ));
            }
        };
        Ok(Scenario { start, phases })
    }
}

/// The stores of a long-time omnivore (kinetics.md 9.1: the omnivore diet for
/// 40 years from 1000 µg).
pub fn omnivore_start(set: &ParamSet) -> Start {
    let (food, meals) = set
        .diets
        .get("omnivore")
        .map_or((5.0, 3), |d| (d.food_ug_per_day, d.meals));
    let run = simulate(
        &set.defaults(),
        &Scenario {
            start: Start {
                store_ug: 1000.0,
                pool_ug: 0.0,
                mma: None,
                hcy: None,
            },
            phases: vec![Phase::diet(MAX_DAYS, food, meals)],
        },
    );
    let end = run.last().copied();
    Start {
        store_ug: end.map_or(1865.0, |p| p.store_ug),
        pool_ug: end.map_or(18.0, |p| p.pool_ug),
        mma: None,
        hcy: None,
    }
}
