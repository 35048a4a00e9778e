//! Kobalt's assessment engine: a pure function from the knowledge base and a
//! request to an assessment (contract v1). No I/O, no clock, no global state:
//! the caller supplies the evaluation date when the request has none.

mod assess;
mod case;
mod eval;

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
