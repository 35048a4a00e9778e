//! The favicon: a tiny SVG served by the app itself (no third-party request;
//! an image, so the script-free CSP is untouched).

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The favicon: a small inline SVG (a cobalt-blue "B12" tile), no scripts.
const FAVICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f4fa3"/><text x="16" y="21" font-family="sans-serif" font-size="13" font-weight="bold" fill="#fff" text-anchor="middle">B12</text></svg>"##;

pub(crate) async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
        .into_response()
}
