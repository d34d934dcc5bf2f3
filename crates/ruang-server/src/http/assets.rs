//! The web client, embedded in the binary at compile time from the repository's `web/` folder.
//! `/`, `/r/<room>` and `/check` serve `index.html` (the client routes on the path); other paths serve the
//! file of that name, or 404.
//!
//! The client is plain ES modules without a build step, a dozen imports deep: a browser would discover them
//! level by level, a round trip each, before the page could run. `index.html` is therefore served with a
//! `<link rel="modulepreload">` for every module its entry script imports statically, directly or not
//! (found once from the embedded files), so the browser fetches them all at once. The modules the entry
//! loads later with `import()` (the call, while the pre-join screen shows) are not preloaded: they would
//! compete with the first screen. Measured in docs/benchmarks.md, "Call setup together".

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;

use include_dir::{Dir, include_dir};

static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../web");

/// `index.html` with the module preloads, derived once from the embedded files (immutable).
static INDEX: LazyLock<Option<String>> = LazyLock::new(|| {
    let html = WEB.get_file("index.html")?.contents_utf8()?;
    Some(with_module_preloads(html, &static_imports(ENTRY)))
});

/// The client's entry module, as `index.html` names it.
const ENTRY: &str = "/js/app.js";

/// `entry` and every module it imports statically, directly or through others: `/js/…` paths, sorted.
/// Imports are read as `from '…'` / `import '…'` with a relative path (the client's only forms); a
/// dynamic `import('…')` is not followed.
fn static_imports(entry: &str) -> Vec<String> {
    let mut found = vec![entry.to_owned()];
    let mut next = 0;
    while let Some(module) = found.get(next).cloned() {
        next += 1;
        let Some(text) = WEB.get_file(module.trim_start_matches('/')).and_then(|f| f.contents_utf8()) else {
            continue;
        };
        let dir = module.rsplit_once('/').map_or("", |(dir, _)| dir);
        for marker in ["from '", "import '"] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let Some(path) = rest.split('\'').next().filter(|p| p.ends_with(".js")) else { continue };
                if let Some(resolved) = resolve(dir, path)
                    && !found.contains(&resolved)
                {
                    found.push(resolved);
                }
            }
        }
    }
    found.sort();
    found
}

/// `path` (`./x.js`, `../x.js`) relative to the folder `dir` (`/js/ui`), if it stays inside the site.
fn resolve(dir: &str, path: &str) -> Option<String> {
    if !path.starts_with("./") && !path.starts_with("../") {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// `html` with a `modulepreload` link for each of `modules` before its first module script.
fn with_module_preloads(html: &str, modules: &[String]) -> String {
    let links: String =
        modules.iter().map(|m| format!("<link rel=\"modulepreload\" href=\"{m}\">\n  ")).collect();
    match html.find("<script type=\"module\"") {
        Some(at) => format!("{}{links}{}", &html[..at], &html[at..]),
        None => html.to_owned(),
    }
}

/// Serves an embedded file for `uri`.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path();
    let page = path == "/" || path == "/check" || path.starts_with("/r/");
    let file_path = if page { "index.html" } else { path.trim_start_matches('/') };
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(content_type(file_path))),
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if let (true, Some(index)) = (page, INDEX.as_ref()) {
        return (headers, index.as_str()).into_response();
    }
    let Some(file) = WEB.get_file(file_path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_preloads_what_its_first_screen_imports_and_not_the_call() {
        let index = INDEX.as_deref().unwrap_or_default();
        let modules = static_imports(ENTRY);
        for first_screen in ["/js/app.js", "/js/ui/prejoin.js", "/js/media.js", "/js/signaling.js", "/js/i18n/en.js"] {
            assert!(modules.iter().any(|m| m == first_screen), "{first_screen} in {modules:?}");
        }
        for later in ["/js/ui/call.js", "/js/transport.js", "/js/mesh.js", "/js/sfu.js", "/js/files.js"] {
            assert!(!modules.iter().any(|m| m == later), "{later} is loaded with import(), not preloaded");
        }
        assert!(modules.iter().all(|m| WEB.get_file(m.trim_start_matches('/')).is_some()), "{modules:?}");
        let script = index.find("<script type=\"module\"").unwrap_or(0);
        for module in &modules {
            let link = format!("<link rel=\"modulepreload\" href=\"{module}\">");
            assert!(index.find(&link).is_some_and(|at| at < script), "{link} before the app's script");
        }
        assert_eq!(with_module_preloads("<p>no script</p>", &modules), "<p>no script</p>");
    }

    #[test]
    fn relative_imports_resolve_inside_the_site() {
        assert_eq!(resolve("/js/ui", "../media.js").as_deref(), Some("/js/media.js"));
        assert_eq!(resolve("/js", "./i18n/en.js").as_deref(), Some("/js/i18n/en.js"));
        assert_eq!(resolve("/js", "../../../etc.js"), None);
        assert_eq!(resolve("/js", "https://cdn.example/x.js"), None);
    }
}
