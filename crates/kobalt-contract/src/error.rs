use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::vocabulary;

vocabulary!(
    /// Why a request was rejected. Stable identifiers: callers match on them.
    ErrorCode {
        InvalidJson = "invalid_json",
        UnknownField = "unknown_field",
        UnknownIdentifier = "unknown_identifier",
        MissingField = "missing_field",
        InvalidValue = "invalid_value",
        InvalidUnit = "invalid_unit",
        ImplausibleValue = "implausible_value",
        ConflictingValues = "conflicting_values",
        InvalidDate = "invalid_date",
    }
);

/// Invalid input: no assessment, but a code, a message and the JSON pointer of
/// the offending value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContractError {
    pub code: ErrorCode,
    pub message: String,
    pub path: String,
}

impl ContractError {
    pub fn new(code: ErrorCode, message: impl Into<String>, path: impl Into<String>) -> Self {
        ContractError {
            code,
            message: message.into(),
            path: path.into(),
        }
    }

    /// The error as the contract's JSON document: `{"error": {...}}`.
    pub fn to_document(&self) -> ErrorDocument {
        ErrorDocument {
            error: self.clone(),
        }
    }
}

impl std::fmt::Display for ContractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.code.as_str(), self.message)
        } else {
            write!(
                f,
                "{} at {}: {}",
                self.code.as_str(),
                self.path,
                self.message
            )
        }
    }
}

impl std::error::Error for ContractError {}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDocument {
    pub error: ContractError,
}
