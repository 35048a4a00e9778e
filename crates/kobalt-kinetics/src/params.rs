//! The model's parameters as data: parsed from `knowledge/kinetics.toml`,
//! validated, and drawn for Monte Carlo runs.

use std::collections::BTreeMap;

use rand::Rng;
use serde::Deserialize;

use crate::KineticsError;

macro_rules! params {
    ($($name:ident),* $(,)?) => {
        /// One set of parameter values (kinetics.md section 5).
        #[derive(Clone, Debug, PartialEq)]
        pub struct Params {
            $(pub $name: f64,)*
        }

        /// The parameter names the model needs, as in the parameter file.
        pub const PARAM_NAMES: &[&str] = &[$(stringify!($name)),*];

        impl Params {
            fn from_fn(mut value: impl FnMut(&str) -> f64) -> Params {
                Params { $($name: value(stringify!($name)),)* }
            }
        }
    };
}

params!(
    amax,
    f0,
    beta,
    p_passive,
    k_other,
    b_bile,
    r0,
    k_cs,
    s_ref,
    b_ref,
    gamma,
    alpha_c,
    h_s,
    alpha_tc,
    holotc_ref,
    q50,
    hill_n,
    mma_min,
    mma_max,
    hcy_min,
    hcy_max,
    tau_mma,
    tau_hcy,
    cn_dcap,
    cn_rho,
    oh_dcap,
    oh_rho,
    k_in,
    k_rec,
    tau_psi,
    k_ox,
    minutes_per_cartridge,
    l_extra_pregnancy,
    l_extra_lactation,
    s0_factor,
);

/// A parameter as the knowledge base states it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    pub value: f64,
    #[serde(default)]
    pub low: Option<f64>,
    #[serde(default)]
    pub high: Option<f64>,
    /// Sampled in Monte Carlo runs (between `low` and `high`).
    #[serde(default)]
    pub vary: bool,
    pub unit: String,
    pub sources: Vec<String>,
    pub status: String,
}

/// Multipliers of absorption for a condition (kinetics.md section 6).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSetting {
    /// Request items (`condition:…`, `procedure:…`, `medication:…`) that
    /// put a person in this setting.
    #[serde(default)]
    pub from: Vec<String>,
    #[serde(default = "one")]
    pub f_if: f64,
    #[serde(default = "one")]
    pub f_ileum: f64,
    #[serde(default = "one")]
    pub f_rel: f64,
    pub sources: Vec<String>,
    pub status: String,
}

/// Typical food intake of a diet.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DietSetting {
    pub food_ug_per_day: f64,
    pub meals: u32,
    pub sources: Vec<String>,
    pub status: String,
}

fn one() -> f64 {
    1.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamFile {
    param: BTreeMap<String, ParamSpec>,
    #[serde(default)]
    condition: BTreeMap<String, ConditionSetting>,
    #[serde(default)]
    diet: BTreeMap<String, DietSetting>,
}

/// Everything the parameter file holds, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSet {
    pub params: BTreeMap<String, ParamSpec>,
    pub conditions: BTreeMap<String, ConditionSetting>,
    pub diets: BTreeMap<String, DietSetting>,
}

impl ParamSet {
    /// Parses and checks the parameter file: every parameter the model needs
    /// and no other, finite values inside their ranges, multipliers in 0..=1.
    pub fn from_toml(text: &str) -> Result<ParamSet, KineticsError> {
        let file: ParamFile =
            toml::from_str(text).map_err(|e| KineticsError::Parse(e.to_string()))?;
        let mut problems = Vec::new();
        for name in PARAM_NAMES {
            if !file.param.contains_key(*name) {
                problems.push(format!("param.{name}: missing"));
            }
        }
        for (name, spec) in &file.param {
            if !PARAM_NAMES.contains(&name.as_str()) {
                problems.push(format!("param.{name}: not a parameter of the model"));
            }
            let low = spec.low.unwrap_or(spec.value);
            let high = spec.high.unwrap_or(spec.value);
            if !(spec.value.is_finite() && low.is_finite() && high.is_finite()) {
                problems.push(format!("param.{name}: values must be finite numbers"));
            } else if !(low <= spec.value && spec.value <= high) {
                problems.push(format!(
                    "param.{name}: value {} is outside its range {low}..{high}",
                    spec.value
                ));
            }
            if spec.vary && (spec.low.is_none() || spec.high.is_none()) {
                problems.push(format!("param.{name}: vary = true needs low and high"));
            }
            if spec.sources.is_empty() {
                problems.push(format!("param.{name}: no source"));
            }
        }
        for (name, c) in &file.condition {
            for (field, v) in [("f_if", c.f_if), ("f_ileum", c.f_ileum), ("f_rel", c.f_rel)] {
                if !(0.0..=1.0).contains(&v) {
                    problems.push(format!(
                        "condition.{name}.{field}: {v} is not between 0 and 1"
                    ));
                }
            }
        }
        for (name, d) in &file.diet {
            if !(d.food_ug_per_day.is_finite() && d.food_ug_per_day >= 0.0) || d.meals == 0 {
                problems.push(format!(
                    "diet.{name}: food must be ≥ 0 µg/day and meals at least 1"
                ));
            }
        }
        if problems.is_empty() {
            Ok(ParamSet {
                params: file.param,
                conditions: file.condition,
                diets: file.diet,
            })
        } else {
            Err(KineticsError::Invalid(problems))
        }
    }

    /// The default values.
    pub fn defaults(&self) -> Params {
        Params::from_fn(|name| self.params.get(name).map_or(f64::NAN, |s| s.value))
    }

    /// One Monte Carlo draw: parameters with `vary` from a triangular
    /// distribution over their range with the default as the mode.
    pub fn draw(&self, rng: &mut impl Rng) -> Params {
        Params::from_fn(|name| match self.params.get(name) {
            Some(s) if s.vary => triangular(
                s.low.unwrap_or(s.value),
                s.value,
                s.high.unwrap_or(s.value),
                rng,
            ),
            Some(s) => s.value,
            None => f64::NAN,
        })
    }

    /// Every source id the file cites, for checking against the register.
    pub fn cited_sources(&self) -> impl Iterator<Item = (String, &str)> {
        let params = self.params.iter().flat_map(|(n, s)| {
            s.sources
                .iter()
                .map(move |x| (format!("param.{n}"), x.as_str()))
        });
        let conditions = self.conditions.iter().flat_map(|(n, s)| {
            s.sources
                .iter()
                .map(move |x| (format!("condition.{n}"), x.as_str()))
        });
        let diets = self.diets.iter().flat_map(|(n, s)| {
            s.sources
                .iter()
                .map(move |x| (format!("diet.{n}"), x.as_str()))
        });
        params.chain(conditions).chain(diets)
    }
}

fn triangular(low: f64, mode: f64, high: f64, rng: &mut impl Rng) -> f64 {
    if high <= low {
        return mode;
    }
    let u: f64 = rng.random();
    let cut = (mode - low) / (high - low);
    if u < cut {
        low + (u * (high - low) * (mode - low)).sqrt()
    } else {
        high - ((1.0 - u) * (high - low) * (high - mode)).sqrt()
    }
}
