//! Kobalt on the web: one axum router with the JSON API (`/api/v1/...`), the
//! bilingual questionnaire (`/`) and the result page. Stateless: nothing about
//! the people who use it is stored, and request bodies are never logged. The
//! interview's answers travel in the page's form, not in a session.

mod api;
mod error;
mod favicon;
mod openapi;
mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use kobalt_kb::Knowledge;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// Largest request body accepted (a request with every field filled is a few KB).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Longest time a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a projection waits for a free slot before the answer is 503.
pub const PROJECTION_WAIT: Duration = Duration::from_secs(5);

/// What every handler shares: the knowledge base, loaded once.
#[derive(Clone)]
pub struct AppState {
    pub kb: Arc<Knowledge>,
    /// Monte Carlo draws for projections on the result page and on request.
    pub projection_draws: usize,
    /// The CDS Hooks endpoints; without configured issuers every call is refused.
    pub cds: kobalt_cds::CdsState,
    /// Projections (Monte Carlo, CPU-bound) run at most this many at a time,
    /// one per core by default: more connections wait, not more threads.
    pub projection_slots: Arc<Semaphore>,
    /// How long a projection waits for a slot before the answer is 503.
    pub projection_wait: Duration,
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
            fhir_servers: Vec::new(),
        };
        AppState {
            cds: kobalt_cds::state(kb.clone(), &settings, Vec::new()),
            kb,
            projection_draws: 500,
            projection_slots: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, usize::from),
            )),
            projection_wait: PROJECTION_WAIT,
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

    /// Runs `work` (a projection) on the blocking pool once a slot is free;
    /// `Busy` (503) when none frees within `projection_wait`. The slot goes
    /// with the work, so work whose request timed out still holds it until it
    /// ends: never more projections running than slots.
    pub(crate) async fn project<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, error::ApiError> {
        let slot = tokio::time::timeout(
            self.projection_wait,
            self.projection_slots.clone().acquire_owned(),
        )
        .await
        .map_err(|_| error::ApiError::Busy)?
        .map_err(|_| error::ApiError::Internal)?;
        Ok(tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await?)
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
        .route(
            "/clinician",
            get(web::clinician_form).post(web::clinician_submit),
        )
        .route("/result", post(web::result))
        .route("/result.json", post(web::result_json))
        .route("/summary", post(web::summary))
        .route("/summary.pdf", post(web::summary_pdf))
        .route("/static/kobalt.css", get(web::stylesheet))
        .route("/favicon.svg", get(favicon::favicon))
        .route("/favicon.ico", get(favicon::favicon))
        .fallback(web::not_found)
        .with_state(state.clone())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(axum::middleware::from_fn(api_body))
        // CDS Hooks bring their own, larger limit (kobalt_cds::BODY_LIMIT).
        .merge(kobalt_cds::router(state.cds))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // gzip when the client accepts it (Vary: Accept-Encoding is added).
        .layer(CompressionLayer::new());
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    app
}

/// How the server treats connections (reliability review X01, X02, X07).
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// A request head (request line and headers) must arrive within this, also
    /// on an idle keep-alive connection; else the connection is closed.
    pub header_read_timeout: Duration,
    /// Open connections at most; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// After the stop signal, open connections get this long to finish;
    /// then they are closed.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: REQUEST_TIMEOUT,
            max_connections: 512,
            shutdown_grace: Duration::from_secs(3),
        }
    }
}

/// Files the server keeps open besides its connections (listener, standard
/// streams, the runtime's own), with room to spare.
const RESERVED_FILES: u64 = 64;

/// The connections an open-file limit of `nofile` leaves room for, at most
/// `wanted` and at least one: beyond it `accept` would fail with EMFILE for
/// every newcomer instead of letting it wait in the backlog.
pub fn connections_for(nofile: u64, wanted: usize) -> usize {
    let room = usize::try_from(nofile.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
    wanted.min(room).max(1)
}

/// The serving options for this process: the soft open-file limit is raised
/// towards the hard one, and the connection limit fitted to what it allows.
pub fn options_for_this_process() -> ServeOptions {
    let defaults = ServeOptions::default();
    let nofile = rlimit::increase_nofile_limit(u64::MAX).ok().or_else(|| {
        rlimit::getrlimit(rlimit::Resource::NOFILE)
            .ok()
            .map(|(soft, _)| soft)
    });
    match nofile {
        Some(n) => ServeOptions {
            max_connections: connections_for(n, defaults.max_connections),
            ..defaults
        },
        None => defaults,
    }
}

/// Serves the application on `addr` until Ctrl-C (SIGINT) or SIGTERM, with
/// `options` (see `options_for_this_process`).
pub async fn serve(
    addr: SocketAddr,
    state: AppState,
    options: &ServeOptions,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    serve_on(listener, router(state), options, stop_signal()).await
}

/// Ctrl-C (SIGINT), or SIGTERM on Unix.
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Serves `app` on `listener` (HTTP/1.1, hyper) until `stop` completes, then
/// stops gracefully: no new connections, open ones finish within
/// `shutdown_grace`, the rest are closed.
pub async fn serve_on(
    listener: TcpListener,
    app: Router,
    options: &ServeOptions,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    let limit = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = limit.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors, or the client gave up: go on shortly.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(options.shutdown_grace, graceful.shutdown()).await;
    connections.shutdown().await;
    Ok(())
}

/// The date assessments are made for when the request has none.
pub(crate) fn today() -> jiff::civil::Date {
    jiff::Zoned::now().date()
}

#[cfg(test)]
mod connection_limit {
    use super::connections_for;

    /// A low open-file limit (`ulimit -n 256`) lowers the connection limit so
    /// that accepting never fails; a high one keeps the configured 512.
    #[test]
    fn the_connection_limit_fits_the_open_file_limit() {
        assert_eq!(connections_for(1_048_576, 512), 512);
        assert_eq!(connections_for(1024, 512), 512);
        assert_eq!(connections_for(256, 512), 192);
        assert_eq!(connections_for(64, 512), 1);
        assert_eq!(connections_for(0, 512), 1);
    }
}
