//! The JSON API: the contract over HTTP.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kobalt_contract::{Audience, ContractError, ErrorCode, Language, parse_request};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::{AppState, openapi, today};

/// Query parameters, checked strictly: a repeated or invalid value is a 400
/// with the contract's error object, naming the parameter.
struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    fn new(raw: Option<String>) -> QueryParams {
        QueryParams(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn bad(name: &str, why: String) -> ApiError {
        ApiError::Query(ContractError::new(
            ErrorCode::InvalidValue,
            why,
            format!("?{name}"),
        ))
    }

    /// The value of `name` when given once and allowed by `parse`.
    fn get<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Result<Option<T>, ApiError> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let (Some(first), None) = (values.next(), values.next()) else {
            return match self.0.iter().filter(|(k, _)| k == name).count() {
                0 => Ok(None),
                _ => Err(Self::bad(
                    name,
                    format!("query parameter {name} is given more than once"),
                )),
            };
        };
        parse(first).map(Some).ok_or_else(|| {
            Self::bad(
                name,
                format!("query parameter {name} must be {expected}, not '{first}'"),
            )
        })
    }
}

/// The body as text: the contract's one policy (a leading byte-order mark
/// skipped; otherwise `invalid_json` naming the first byte that is not UTF-8).
fn body_text(body: &[u8]) -> Result<&str, ApiError> {
    Ok(kobalt_contract::request_text(body)?)
}

fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "knowledge": { "version": state.kb.version, "sha256": state.kb.sha256 },
    }))
}

pub(crate) async fn assess(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let query = QueryParams::new(raw);
    let projection = query
        .get(
            "projection",
            |v| match v {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            "true or false",
        )?
        .unwrap_or(false);
    let draws = query.get(
        "draws",
        |v| v.parse::<usize>().ok().filter(|d| *d <= 2000),
        "an integer from 0 to 2000",
    )?;
    let request = parse_request(body_text(&body)?)?;
    let assessment = if projection {
        let options = kobalt_kinetics::Options {
            draws: draws.unwrap_or(state.projection_draws),
            seed: 1,
            every_days: 7,
            threads: 1,
        };
        let kb = state.kb.clone();
        // Monte Carlo takes milliseconds of CPU: off the async workers, and
        // only as many at a time as there are slots.
        state
            .project(move || kobalt_engine::assess_with_projection(&kb, &request, today(), options))
            .await??
    } else {
        kobalt_engine::assess(&state.kb, &request, today())?
    };
    let bytes = serde_json::to_vec(&assessment).map_err(|_| ApiError::Internal)?;
    Ok(json_bytes(StatusCode::OK, bytes))
}

pub(crate) fn language(code: Option<&str>) -> Option<Language> {
    code.and_then(Language::parse)
}

pub(crate) async fn interview(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let query = QueryParams::new(raw);
    let lang = query.get("lang", Language::parse, "nl or en")?;
    let audience = query.get("audience", Audience::parse, "patient or clinician")?;
    let invalid = |why: String| ContractError::new(ErrorCode::InvalidJson, why, "");
    let partial = match serde_json::from_str(body_text(&body)?) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return Err(invalid(
                "the body must be a JSON object: the answers so far, in the shape of a request"
                    .into(),
            )
            .into());
        }
        Err(e) => return Err(invalid(e.to_string()).into()),
    };
    let lang = lang
        .or_else(|| language(partial.get("language").and_then(Value::as_str)))
        .unwrap_or(Language::Nl);
    let audience = audience
        .or_else(|| {
            partial
                .get("audience")
                .and_then(Value::as_str)
                .and_then(Audience::parse)
        })
        .unwrap_or(Audience::Patient);
    let step =
        kobalt_engine::interview::next_question(&state.kb, &partial, lang, audience, today());
    Ok(Json(json!({
        "next": step.next,
        "done": step.done,
        "progress": { "answered": step.answered, "total": step.total },
        "seek_help": step.seek_help,
        "answered_pointer": kobalt_engine::interview::ANSWERED_POINTER,
    }))
    .into_response())
}

pub(crate) async fn knowledge(State(state): State<AppState>) -> Json<Value> {
    let kb = &state.kb;
    let sources: Vec<Value> = kb
        .sources
        .values()
        .map(|s| {
            json!({ "id": s.id, "title": s.title, "year": s.year, "url": s.url, "kind": s.kind })
        })
        .collect();
    Json(json!({
        "name": kb.name,
        "version": kb.version,
        "sha256": kb.sha256,
        "sources": sources,
        "identifiers": kb.identifiers(),
    }))
}

pub(crate) async fn knowledge_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let lang = QueryParams::new(raw)
        .get("lang", Language::parse, "nl or en")?
        .unwrap_or(Language::En);
    let entries = state.kb.describe(&id, lang, Audience::Clinician);
    if entries.is_empty() {
        return Ok((
            StatusCode::NOT_FOUND,
            Json(
                ContractError::new(
                    ErrorCode::UnknownIdentifier,
                    format!("nothing in the knowledge base is called '{id}'"),
                    "",
                )
                .to_document(),
            ),
        )
            .into_response());
    }
    Ok(Json(json!({ "id": id, "entries": entries })).into_response())
}

pub(crate) async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(openapi::document(&state.kb))
}
