//! Kobalt as a CDS Hooks 3.0 service (interop.md part A): discovery at
//! `GET /cds-services`, `patient-view` and `order-select` / `order-sign`
//! services, the feedback endpoint, and JWT bearer validation (ES384 / RS384,
//! issuer allow list with JWK Sets, exact `aud`, `exp` / `iat`, `jti` replay).
//! An unauthenticated development mode exists behind a setting that is off by
//! default. Errors are OperationOutcomes; 412 names the missing prefetch keys.

pub mod auth;
pub mod fetch;
pub mod service;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kobalt_contract::{Guideline, Language};
use kobalt_kb::Knowledge;
use serde::Deserialize;
use serde_json::{Value, json};

pub use auth::{AuthError, Issuer, Verifier};
use service::{HookError, Services};

/// How the CDS Hooks endpoints are configured (a TOML file for `kobalt serve`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdsSettings {
    /// The public base URL clients call (the `aud` of their tokens is this URL
    /// plus the endpoint path), e.g. `https://kobalt.example`.
    pub base_url: String,
    /// Development only: accept calls without a token.
    #[serde(default)]
    pub allow_unauthenticated: bool,
    #[serde(default = "default_leeway")]
    pub leeway_seconds: u64,
    #[serde(default)]
    pub guideline: Option<Guideline>,
    #[serde(default)]
    pub issuer: Vec<IssuerSettings>,
    /// FHIR servers (base URL prefixes) from which absent prefetch may be
    /// fetched with the request's `fhirAuthorization`; empty: none.
    #[serde(default)]
    pub fhir_servers: Vec<String>,
}

fn default_leeway() -> u64 {
    30
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerSettings {
    pub iss: String,
    /// A JWK Set file, relative to the settings file, or
    #[serde(default)]
    pub jwks_file: Option<String>,
    /// a JWK Set URL (read when the server starts, and again for a token
    /// whose kid the set lacks, at most every five minutes).
    #[serde(default)]
    pub jwks_url: Option<String>,
    #[serde(default)]
    pub jku: Vec<String>,
}

#[derive(Clone)]
pub struct CdsState {
    pub kb: Arc<Knowledge>,
    pub base_url: String,
    pub allow_unauthenticated: bool,
    pub guideline: Guideline,
    pub verifier: Arc<Verifier>,
    pub fhir_servers: Arc<Vec<String>>,
}

fn outcome(status: StatusCode, code: &str, text: &str, diagnostics: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/fhir+json")],
        Json(json!({
            "resourceType": "OperationOutcome",
            "issue": [{ "severity": "error", "code": code, "details": { "text": text }, "diagnostics": diagnostics }],
        })),
    )
        .into_response()
}

fn language(headers: &HeaderMap) -> Language {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.trim_start().to_lowercase().starts_with("en") {
        Language::En
    } else {
        Language::Nl
    }
}

fn now() -> u64 {
    jiff::Timestamp::now().as_second().max(0) as u64
}

impl CdsState {
    /// A 401 unless the call carries a valid token for `path` (or dev mode is on).
    /// The token is checked off the async threads: an unknown `kid` may read
    /// the issuer's JWK Set again over the network.
    async fn authorize(&self, headers: &HeaderMap, path: &str) -> Option<Response> {
        if self.allow_unauthenticated {
            return None;
        }
        let audience = format!("{}{}", self.base_url.trim_end_matches('/'), path);
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let verifier = self.verifier.clone();
        let (verified, auth, audience) = tokio::task::spawn_blocking(move || {
            let verified = verifier.verify(auth.as_deref(), &audience, now());
            (verified.map(|_| ()), auth, audience)
        })
        .await
        .unwrap_or_else(|_| {
            (
                Err(AuthError::Invalid("verification failed")),
                None,
                String::new(),
            )
        });
        // No detail that helps an attacker in the answer; the operator reads
        // why on stderr (never the token, never a body).
        verified.err().map(|why| {
            eprintln!("kobalt cds: token refused for {audience}: {why}");
            let mut response = outcome(
                StatusCode::UNAUTHORIZED,
                "security",
                "authentication required",
                "KOBALT-AUTH",
            );
            let challenge = if auth.is_some() {
                "Bearer error=\"invalid_token\""
            } else {
                "Bearer"
            };
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static(challenge),
            );
            response
        })
    }

    fn services(&self) -> Services<'_> {
        Services {
            kb: &self.kb,
            guideline: self.guideline,
            base_url: &self.base_url,
        }
    }
}

async fn discovery(State(state): State<CdsState>, headers: HeaderMap) -> Response {
    if let Some(r) = state.authorize(&headers, "/cds-services").await {
        return r;
    }
    Json(state.services().discovery(language(&headers))).into_response()
}

/// The 404 for a service id that does not exist.
fn unknown_service(id: &str) -> Response {
    outcome(
        StatusCode::NOT_FOUND,
        "not-found",
        &format!("no CDS service '{id}'"),
        "KOBALT-UNKNOWN-SERVICE",
    )
}

/// The 400 for a body that is not JSON.
fn not_json() -> Response {
    outcome(
        StatusCode::BAD_REQUEST,
        "invalid",
        "the body is not JSON",
        "KOBALT-INVALID-JSON",
    )
}

async fn call(
    State(state): State<CdsState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = state
        .authorize(&headers, &format!("/cds-services/{id}"))
        .await
    {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return not_json();
    };
    let today = jiff::Zoned::now().date();
    let (body, fetch_failed) = fill_prefetch(&state, body, today).await;
    match state.services().call(&id, &body, language(&headers), today) {
        Ok(cards) => Json(cards).into_response(),
        Err(HookError::Bad(why)) => outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            &why,
            "KOBALT-INVALID-REQUEST",
        ),
        Err(HookError::UnknownService(id)) => unknown_service(&id),
        Err(HookError::Missing(keys)) => outcome(
            StatusCode::PRECONDITION_FAILED,
            "required",
            &match fetch_failed {
                Some(why) => format!(
                    "prefetch missing: {}; fetching it from fhirServer failed: {why}",
                    keys.join(", ")
                ),
                None => format!(
                    "prefetch missing and no FHIR server access: {}",
                    keys.join(", ")
                ),
            },
            &format!("KOBALT-PREFETCH-MISSING {}", keys.join(" ")),
        ),
    }
}

/// The request with every prefetch key it lacks (absent, or an
/// OperationOutcome) fetched from its `fhirServer`, when that server is on
/// the settings' list; and why fetching failed, if it did.
async fn fill_prefetch(
    state: &CdsState,
    mut body: Value,
    today: jiff::civil::Date,
) -> (Value, Option<String>) {
    let templates = state.services().prefetch_templates();
    let absent: Vec<(String, String)> = templates
        .iter()
        .filter(|(key, _)| match body["prefetch"].get(key.as_str()) {
            None => true,
            Some(v) => v["resourceType"] == "OperationOutcome",
        })
        .filter_map(|(key, t)| t.as_str().map(|t| (key.clone(), t.to_owned())))
        .collect();
    if absent.is_empty() || body.get("fhirServer").is_none() {
        return (body, None);
    }
    let access = match fetch::FhirAccess::from_request(&body, &state.fhir_servers) {
        Ok(a) => a,
        Err(why) => return (body, Some(why)),
    };
    let patient = body["context"]["patientId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let jobs = absent
        .into_iter()
        .map(|(key, t)| (key, fetch::fill_template(&t, &patient, today)))
        .collect::<Vec<_>>();
    let fetched = tokio::task::spawn_blocking(move || {
        jobs.into_iter()
            .map(|(key, query)| (key, query.and_then(|q| access.get(&q))))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let mut failed = Vec::new();
    if !body["prefetch"].is_object() {
        body["prefetch"] = json!({});
    }
    for (key, result) in fetched {
        match result {
            Ok(value) => body["prefetch"][key.as_str()] = value,
            Err(why) => {
                eprintln!("kobalt cds: fetching prefetch '{key}' failed: {why}");
                failed.push(format!("{key}: {why}"));
            }
        }
    }
    (body, (!failed.is_empty()).then(|| failed.join("; ")))
}

/// Feedback is checked and acknowledged; the service is stateless and keeps
/// no record of it.
async fn feedback(
    State(state): State<CdsState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = state
        .authorize(&headers, &format!("/cds-services/{id}/feedback"))
        .await
    {
        return r;
    }
    if !service::is_service(&id) {
        return unknown_service(&id);
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return not_json();
    };
    let Some(items) = body["feedback"].as_array() else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            "feedback must be an array",
            "KOBALT-FEEDBACK",
        );
    };
    for (i, f) in items.iter().enumerate() {
        let ok = f["card"].as_str().is_some()
            && matches!(f["outcome"].as_str(), Some("accepted" | "overridden"))
            && f["outcomeTimestamp"].as_str().is_some()
            && (f["outcome"] != "accepted" || f["acceptedSuggestions"].is_array());
        if !ok {
            return outcome(
                StatusCode::BAD_REQUEST,
                "invalid",
                &format!(
                    "feedback[{i}] needs card, outcome (accepted or overridden), outcomeTimestamp and, when accepted, acceptedSuggestions"
                ),
                "KOBALT-FEEDBACK",
            );
        }
    }
    StatusCode::OK.into_response()
}

/// The CDS Hooks routes, to merge into the server's router. CORS is open
/// for them (browser-based CDS clients); the bearer token is the protection.
pub fn router(state: CdsState) -> Router {
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT_LANGUAGE,
        ]);
    Router::new()
        .route("/cds-services", get(discovery))
        .route("/cds-services/{id}", post(call))
        .route("/cds-services/{id}/feedback", post(feedback))
        .with_state(state)
        .layer(axum::middleware::from_fn(too_large_as_outcome))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(cors)
}

/// The largest hook request taken: a real patient's prefetch is far larger
/// than a web form (the EHR review measured up to 335 KB for Synthea patients
/// with Kobalt's own templates; real records carry narrative and extensions).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// A body over `BODY_LIMIT` is refused as FHIR: 413 with an OperationOutcome.
async fn too_large_as_outcome(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(req).await;
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    outcome(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-costly",
        &format!(
            "the request is larger than {} MB",
            BODY_LIMIT / (1024 * 1024)
        ),
        "KOBALT-TOO-LARGE",
    )
}

/// The state from settings and the JWK Sets read for them.
pub fn state(kb: Arc<Knowledge>, settings: &CdsSettings, issuers: Vec<Issuer>) -> CdsState {
    CdsState {
        kb,
        base_url: settings.base_url.clone(),
        allow_unauthenticated: settings.allow_unauthenticated,
        guideline: settings.guideline.unwrap_or(Guideline::Nhg),
        verifier: Arc::new(Verifier::new(issuers, settings.leeway_seconds)),
        fhir_servers: Arc::new(settings.fhir_servers.clone()),
    }
}
