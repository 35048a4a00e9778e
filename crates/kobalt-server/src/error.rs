//! What the JSON API answers instead of a result: the contract's error object
//! (`{"error": {"code", "message", "path"}}`) with the status that says whose
//! fault it is.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kobalt_contract::{ContractError, ErrorCode};

use crate::BODY_LIMIT;

#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// The request breaks the contract: 400 for malformed JSON, else 422.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// A query parameter is repeated or invalid: 400.
    #[error("{0}")]
    Query(ContractError),
    /// The body is over `BODY_LIMIT`: 413.
    #[error("the request body is larger than {} KB", BODY_LIMIT / 1024)]
    TooLarge,
    /// A `Content-Encoding` other than identity: 415.
    #[error("Content-Encoding '{0}' is not supported: send the body uncompressed")]
    Encoding(String),
    /// The assessment task panicked or was cancelled, or its answer could not
    /// be written: the server's fault, 500.
    #[error("the assessment could not be completed")]
    Internal,
    /// Every projection slot stayed taken: 503, try again shortly.
    #[error("the server is busy with other projections; try again in a moment")]
    Busy,
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(_: tokio::task::JoinError) -> ApiError {
        ApiError::Internal
    }
}

impl ApiError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::Contract(e) if e.code == ErrorCode::InvalidJson => StatusCode::BAD_REQUEST,
            ApiError::Contract(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Query(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Encoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// What a person reads: the message, and where in the request.
    pub(crate) fn problem(&self) -> String {
        match self {
            ApiError::Contract(e) | ApiError::Query(e) if !e.path.is_empty() => {
                format!("{} ({})", e.message, e.path)
            }
            ApiError::Contract(e) | ApiError::Query(e) => e.message.clone(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let error = match self {
            ApiError::Contract(e) | ApiError::Query(e) => e,
            ApiError::Internal => return status.into_response(),
            // Not a fault in the request, so no contract error object (its codes
            // name invalid input): a plain sentence and when to try again.
            ApiError::Busy => {
                let headers = [
                    (header::RETRY_AFTER, "1"),
                    (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                ];
                return (status, headers, ApiError::Busy.to_string()).into_response();
            }
            other => ContractError::new(ErrorCode::InvalidValue, other.to_string(), ""),
        };
        let body = Json(error.to_document());
        if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            return (status, [(header::ACCEPT_ENCODING, "identity")], body).into_response();
        }
        (status, body).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic in the blocking assessment is the server's fault: 500, not 422.
    #[tokio::test]
    async fn a_panicked_assessment_is_a_500() {
        let panicked = tokio::task::spawn_blocking(|| -> Result<(), ContractError> {
            panic!("the projection failed")
        })
        .await;
        let status = match panicked {
            Ok(_) => StatusCode::OK,
            Err(e) => ApiError::from(e).into_response().status(),
        };
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
