//! The web client, embedded in the binary at compile time from the repository's `web/` folder.
//! `/`, `/r/<room>` and `/check` serve `index.html` (the client routes on the path); other paths serve the
//! file of that name, or 404.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};

static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../web");

/// Serves an embedded file for `uri`.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path();
    let page = path == "/" || path == "/check" || path.starts_with("/r/");
    let file_path = if page { "index.html" } else { path.trim_start_matches('/') };
    let Some(file) = WEB.get_file(file_path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(content_type(file_path))),
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    (headers, file.contents()).into_response()
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
