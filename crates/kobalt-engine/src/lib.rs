//! Kobalt's assessment engine: a pure function from the knowledge base and a
//! request to an assessment (contract v1). No I/O, no clock, no global state:
//! the caller supplies the evaluation date when the request has none.

mod assess;
mod case;
mod eval;
pub mod interview;
mod projection;
pub mod screen;
mod stages;
pub mod status;

pub use assess::evaluate;
pub use case::{
    Case, LabFact, MedicationFact, SupplementFact, SymptomFact, TreatmentFact, validate,
};

use kobalt_contract::{Assessment, ContractError, Request};
use kobalt_kb::Knowledge;

/// The engine's version, reported in every assessment.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Validates `request` and assesses it. `today` is used when the request has no `evaluation_date`.
pub fn assess(
    kb: &Knowledge,
    request: &Request,
    today: jiff::civil::Date,
) -> Result<Assessment, ContractError> {
    let case = validate(kb, request, today)?;
    Ok(evaluate(kb, &case))
}

/// `assess`, and where it helps a projection of the body's B12 stores by the
/// kinetics model (Monte Carlo over `options.draws`): slower than `assess`
/// (milliseconds, not microseconds), so callers ask for it.
pub fn assess_with_projection(
    kb: &Knowledge,
    request: &Request,
    today: jiff::civil::Date,
    options: kobalt_kinetics::Options,
) -> Result<Assessment, ContractError> {
    assess_with_projection_series(kb, request, today, options).map(|(a, _)| a)
}

/// `assess_with_projection`, with the projection's series for a chart.
pub fn assess_with_projection_series(
    kb: &Knowledge,
    request: &Request,
    today: jiff::civil::Date,
    options: kobalt_kinetics::Options,
) -> Result<(Assessment, Option<kobalt_kinetics::Projection>), ContractError> {
    let case = validate(kb, request, today)?;
    let mut assessment = evaluate(kb, &case);
    let projected = projection::project_case(kb, &case, &assessment, options);
    let series = projected.as_ref().map(|(_, p)| p.clone());
    assessment.projection = projected.map(|(s, _)| s);
    if let Some(p) = &assessment.projection {
        for id in &p.sources {
            if !assessment.sources.iter().any(|s| &s.id == id)
                && let Some(source) = assess::source_ref(kb, id)
            {
                assessment.sources.push(source);
            }
        }
    }
    Ok((assessment, series))
}

pub(crate) fn weeks_between(from: jiff::civil::Date, to: jiff::civil::Date) -> f64 {
    let days = (to
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_second())
        .unwrap_or(0)
        - from
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_second())
            .unwrap_or(0))
        / 86_400;
    days as f64 / 7.0
}
