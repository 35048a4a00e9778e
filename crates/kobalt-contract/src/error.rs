use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why a request was rejected. Stable identifiers: callers match on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidJson,
    UnknownField,
    UnknownIdentifier,
    MissingField,
    InvalidValue,
    InvalidUnit,
    ImplausibleValue,
    ConflictingValues,
    InvalidDate,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::UnknownIdentifier => "unknown_identifier",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::InvalidValue => "invalid_value",
            ErrorCode::InvalidUnit => "invalid_unit",
            ErrorCode::ImplausibleValue => "implausible_value",
            ErrorCode::ConflictingValues => "conflicting_values",
            ErrorCode::InvalidDate => "invalid_date",
        }
    }
}

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
