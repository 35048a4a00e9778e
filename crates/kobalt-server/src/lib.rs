//! Kobalt on the web: one axum router with the JSON API (`/api/v1/...`), the
//! bilingual questionnaire (`/`) and the result page. Stateless: nothing about
//! the people who use it is stored, and request bodies are never logged. The
//! interview's answers travel in the page's form, not in a session.

mod api;
mod error;
mod openapi;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kobalt_kb::Knowledge;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// Largest request body accepted (a request with every field filled is a few KB).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Longest time a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler shares: the knowledge base, loaded once.
#[derive(Clone)]
pub struct AppState {
    pub kb: Arc<Knowledge>,
    /// Monte Carlo draws for projections on the result page and on request.
    pub projection_draws: usize,
    /// The CDS Hooks endpoints; without configured issuers every call is refused.
    pub cds: kobalt_cds::CdsState,
}

impl AppState {
    pub fn new(kb: Knowledge) -> Self {
        let kb = Arc::new(kb);
        let settings = kobalt_cds::CdsSettings {
            base_url: "http://127.0.0.1:8080".into(),
            allow_unauthenticated: false,
            leeway_seconds: 30,
            guideline: None,
            issuer: Vec::new(),
        };
        AppState {
            cds: kobalt_cds::state(kb.clone(), &settings, Vec::new()),
            kb,
            projection_draws: 500,
        }
    }

    /// CDS Hooks with these settings and trusted issuers.
    pub fn with_cds(
        mut self,
        settings: &kobalt_cds::CdsSettings,
        issuers: Vec<kobalt_cds::Issuer>,
    ) -> Self {
        self.cds = kobalt_cds::state(self.kb.clone(), settings, issuers);
        self
    }
}

/// No scripts at all (the pages work without them), styles only from this
/// server, no third-party requests.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The JSON API's body rules, as the contract's error object: a compressed
/// body is refused (415, naming the encoding) and an oversized one is 413.
async fn api_body(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    if let Some(encoding) = req.headers().get(header::CONTENT_ENCODING) {
        let encoding = String::from_utf8_lossy(encoding.as_bytes());
        if !encoding.trim().eq_ignore_ascii_case("identity") {
            let shown: String = encoding.chars().take(40).collect();
            return error::ApiError::Encoding(shown).into_response();
        }
    }
    let response = next.run(req).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return error::ApiError::TooLarge.into_response();
    }
    response
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
        // Assessments, answers and result pages are health data: no copies in
        // browser or proxy caches (the stylesheet sets its own).
        (header::CACHE_CONTROL, "no-store"),
    ];
    let mut app = Router::new()
        .route("/healthz", get(api::healthz))
        .route("/api/v1/assess", post(api::assess))
        .route("/api/v1/interview", post(api::interview))
        .route("/api/v1/knowledge", get(api::knowledge))
        .route("/api/v1/knowledge/{id}", get(api::knowledge_id))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/", get(web::start))
        .route("/interview", post(web::interview))
        .route("/result", post(web::result))
        .route("/result.json", post(web::result_json))
        .route("/static/kobalt.css", get(web::stylesheet))
        .fallback(web::not_found)
        .with_state(state.clone())
        .merge(kobalt_cds::router(state.cds))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(axum::middleware::from_fn(api_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    app
}

/// Serves the application on `addr` until Ctrl-C.
pub async fn serve(addr: SocketAddr, state: AppState) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// The date assessments are made for when the request has none.
pub(crate) fn today() -> jiff::civil::Date {
    jiff::Zoned::now().date()
}
