//! What the router tests share: the app over the bundled knowledge base, one
//! request and its reply, form posts, and reading a page's HTML.
#![allow(dead_code)] // each test file uses its own part

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use kobalt_server::{AppState, router};
use serde_json::{Value, json};
use tower::ServiceExt;

pub(crate) static KB: LazyLock<kobalt_kb::Knowledge> =
    LazyLock::new(|| kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}")));

/// The server's state with few Monte Carlo draws, so projections are quick.
pub(crate) fn state() -> AppState {
    let mut state = AppState::new(KB.clone());
    state.projection_draws = 20;
    state
}

pub(crate) fn app() -> Router {
    router(state())
}

/// A response, read whole.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub(crate) fn no_store(&self) -> bool {
        self.headers
            .get(header::CACHE_CONTROL)
            .is_some_and(|v| v.as_bytes() == b"no-store")
    }
}

/// Sends `req` to a router over `state`.
pub(crate) async fn send_to(state: AppState, req: Request<Body>) -> Reply {
    let res = router(state)
        .oneshot(req)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    Reply {
        status,
        headers,
        body,
    }
}

/// Sends `req` to the app.
pub(crate) async fn send(req: Request<Body>) -> Reply {
    send_to(state(), req).await
}

/// A POST of url-encoded form fields.
pub(crate) fn form_request(uri: &str, fields: &[(&str, &str)]) -> Request<Body> {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter())
        .finish();
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Posts the form fields to `uri` on the app.
pub(crate) async fn post_form(uri: &str, fields: &[(&str, &str)]) -> Reply {
    send(form_request(uri, fields)).await
}

/// The value of the hidden input `name`, unescaped.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').map_or(html.len(), |e| start + e);
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The opening tag of the element with `id`.
pub(crate) fn tag<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = html[..at].rfind('<').unwrap_or(0);
    let end = html[at..].find('>').map_or(html.len(), |e| at + e + 1);
    &html[start..end]
}

/// Answers so far that make `next` the next question: every question before
/// it counts as answered.
pub(crate) fn state_before(next: &str, answers: Value) -> String {
    let answered: Vec<&str> = KB
        .interview
        .iter()
        .map(|q| q.id.as_str())
        .take_while(|id| *id != next)
        .collect();
    let mut state = answers;
    state["extensions"] = json!({ "kobalt_interview": { "answered": answered } });
    state.to_string()
}
