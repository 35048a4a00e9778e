//! The public interface of Kobalt's assessment engine (contract v1): what a
//! caller sends ([`Request`]), what it gets back ([`Assessment`]) and how
//! invalid input is reported ([`ContractError`]).
//!
//! These are wire types only: they derive serde and carry no logic beyond
//! parsing. Identifiers that the knowledge base owns (symptoms, conditions,
//! analytes, ...) are plain strings here and are checked against the
//! knowledge base by the engine, so that adding a symptom is a data change.

mod assessment;
mod error;
mod request;
mod vocabulary;

pub use assessment::*;
pub use error::*;
pub use request::*;

/// Schema identifiers written into every document.
pub const REQUEST_SCHEMA: &str = "kobalt.request/v1";
pub const ASSESSMENT_SCHEMA: &str = "kobalt.assessment/v1";
