//! The web client, embedded in the binary at compile time from the repository's `web/` folder.
//! `/`, `/r/<room>` and `/check` serve `index.html` (the client routes on the path); other paths serve the
//! file of that name, or 404.
//!
//! - link.rs: the client's modules linked into one script, which the page loads (one request, not 55).
//! - styles.rs: the page's stylesheets served as one.
//! - preload.rs: if the modules cannot be linked, `index.html` names the first screen's for preloading.
//! - encoded.rs: every file prepared once at start: gzip-compressed where that pays, with an `ETag`, so a
//!   browser on a real network downloads a quarter of the bytes, and a returning one revalidates with a 304.

mod encoded;
mod link;
mod preload;
mod styles;

use axum::http::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};
use std::sync::LazyLock;

use encoded::Assets;

static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../web");

/// Every file, prepared once (immutable after).
static ASSETS: LazyLock<Assets> = LazyLock::new(|| Assets::prepare(&WEB));

/// Serves an embedded file for `uri`.
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    let page = path == "/" || path == "/check" || path.starts_with("/r/");
    let file_path = if page { "index.html" } else { path.trim_start_matches('/') };
    let Some(asset) = ASSETS.get(file_path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut answer = HeaderMap::new();
    answer.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(file_path)));
    answer.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    answer.insert(ETAG, asset.etag.clone());
    if asset.gzip.is_some() {
        answer.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    let revalidated = headers.get_all(IF_NONE_MATCH).iter().any(|v| encoded::etag_matches(v, &asset.etag));
    if revalidated {
        return (StatusCode::NOT_MODIFIED, answer).into_response();
    }
    let gzip_accepted = headers.get_all(ACCEPT_ENCODING).iter().any(encoded::accepts_gzip);
    match (&asset.gzip, gzip_accepted) {
        (Some(gzip), true) => {
            answer.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (answer, gzip.clone()).into_response()
        }
        _ => (answer, asset.body.clone()).into_response(),
    }
}

fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, ext)| ext);
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "webmanifest" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
