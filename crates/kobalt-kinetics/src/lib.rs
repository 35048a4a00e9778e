//! Kobalt's whole-body vitamin B12 model (described in docs/kinetics-model.md;
//! section numbers in comments, "kinetics.md section N", are those of the
//! reference it follows and are given there in brackets): a slow body store and an exchangeable pool fed by food, tablets and
//! injections, the serum markers read off them, and nitrous oxide's effect on
//! methionine synthase. Pure: no I/O, no clock, no global state; the
//! parameters come from the knowledge base as data.
//!
//! The model is proposed, not validated: callers present its output as a
//! model estimate with the Monte Carlo band, never as a diagnostic fact.

mod model;
mod params;
mod projection;
mod scenario;

pub use model::{
    Absorption, Form, Injection, OralDose, Phase, Point, RepeatedInjection, Scenario, Start,
    absorbed, k_store, retained, simulate,
};
pub use params::{ConditionSetting, DietSetting, PARAM_NAMES, ParamSet, ParamSpec, Params};
pub use projection::{Band, Criterion, Crossing, Marker, Options, Projection, Series, project};
pub use scenario::{
    LOADING_DAYS, MAX_DAYS, PhaseSpec, ScenarioSpec, StartSpec, Treatment, omnivore_start,
};

/// Serum B12 above the binding capacity of serum (about 1330 pmol/L, SMPC-CH)
/// is not resolved by the model (kinetics.md section 10: values during IM
/// loading are not realistic): presentations show "above" this value instead.
pub const SERUM_SHOWN_MAX: f64 = 1330.0;

/// Why a parameter file was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KineticsError {
    #[error("kinetics parameters: {0}")]
    Parse(String),
    #[error("kinetics parameters are invalid: {}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("treatment {0}")]
    Treatment(String),
    #[error("scenario {field}: {why}")]
    Scenario { field: String, why: String },
}
