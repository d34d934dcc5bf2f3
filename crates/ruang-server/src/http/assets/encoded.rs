//! The embedded files as they are served: each one's body, its gzip form when that is at least an eighth
//! smaller (text: the client's JavaScript and CSS shrink to about a quarter), and a strong `ETag` from its
//! SHA-256. Prepared once, at the first request (about 20 ms for the whole client), and never changed: the
//! files are part of the binary, so a new binary is the only way they change (and their tags with them).

use std::collections::HashMap;
use std::io::Write;

use axum::body::Bytes;
use axum::http::HeaderValue;
use flate2::Compression;
use flate2::write::GzEncoder;
use include_dir::Dir;
use sha2::{Digest, Sha256};

use super::preload::{ENTRY, static_imports, with_module_preloads};
use super::{link, styles};

/// One file as served.
pub(super) struct Asset {
    pub body: Bytes,
    /// The gzip form, if it saves enough to be worth a client's decompression.
    pub gzip: Option<Bytes>,
    /// `"<first 16 bytes of the SHA-256, hex>"`.
    pub etag: HeaderValue,
}

/// Every embedded file by its path (`index.html`, `js/app.js`, …).
pub(super) struct Assets {
    files: HashMap<String, Asset>,
}

impl Assets {
    /// Prepares every file of `web`; `index.html` loading the linked script and the combined stylesheet
    /// (each served beside the files), or, if the modules cannot be linked, its modules preloaded.
    pub fn prepare(web: &'static Dir<'static>) -> Assets {
        let mut files = HashMap::new();
        let mut stack = vec![web];
        while let Some(dir) = stack.pop() {
            stack.extend(dir.dirs());
            for file in dir.files() {
                let path = file.path().to_string_lossy().into_owned();
                if path == "index.html" {
                    continue; // (served as page() makes it, below)
                }
                files.insert(path, Asset::new(Bytes::from_static(file.contents())));
            }
        }
        if let Some(index) = web.get_file("index.html") {
            let served = match index.contents_utf8() {
                Some(html) => Bytes::from(page(web, html, &mut files)),
                None => Bytes::from_static(index.contents()),
            };
            files.insert("index.html".into(), Asset::new(served));
        }
        Assets { files }
    }

    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.get(path)
    }
}

impl Asset {
    fn new(body: Bytes) -> Asset {
        let digest = Sha256::digest(&body);
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        // Hex digits in quotes are always a valid header value.
        let etag = HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        let gzip = gzip(&body).filter(|small| small.len() < body.len() - body.len() / 8);
        Asset { body, gzip, etag }
    }
}

/// `index.html` as served; adds the linked script and the combined stylesheet to `files`.
fn page(web: &'static Dir<'static>, html: &str, files: &mut HashMap<String, Asset>) -> String {
    let mut html = match styles::combine(web, html) {
        Some((page, style)) => {
            files.insert(styles::PATH.trim_start_matches('/').into(), Asset::new(Bytes::from(style)));
            page
        }
        None => html.to_owned(),
    };
    let entry_script = format!("<script type=\"module\" src=\"{ENTRY}\">");
    match link::link(web, ENTRY) {
        Ok(script) if html.contains(&entry_script) => {
            files.insert(LINKED.trim_start_matches('/').into(), Asset::new(Bytes::from(script)));
            html = html.replace(&entry_script, &format!("<script type=\"module\" src=\"{LINKED}\">"));
        }
        linked => {
            if let Err(err) = linked {
                tracing::warn!(%err, "the web client's modules are served unlinked");
            }
            html = with_module_preloads(&html, &static_imports(web, ENTRY));
        }
    }
    html
}

/// Where the linked script is served.
const LINKED: &str = "/js/app.linked.js";

fn gzip(body: &[u8]) -> Option<Bytes> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::best());
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

/// Whether an `If-None-Match` value names `etag` (or is `*`).
pub(super) fn etag_matches(value: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(value) = value.to_str() else { return false };
    let Ok(etag) = etag.to_str() else { return false };
    value.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// Whether an `Accept-Encoding` value takes gzip (not with `q=0`).
pub(super) fn accepts_gzip(value: &HeaderValue) -> bool {
    let Ok(value) = value.to_str() else { return false };
    value.split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        let coding = pieces.next().unwrap_or_default();
        let refused = pieces.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::assets::WEB;

    #[test]
    fn text_is_served_compressed_and_tagged_and_the_page_with_its_linked_script_and_stylesheet() {
        let assets = Assets::prepare(&WEB);
        let app = assets.get("js/app.js").expect("the entry module");
        let gzip = app.gzip.as_ref().expect("JavaScript compresses");
        assert!(gzip.len() * 2 < app.body.len(), "{} of {}", gzip.len(), app.body.len());
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip[..]), &mut plain).expect("gunzip");
        assert_eq!(plain, app.body);
        let index = assets.get("index.html").expect("the page");
        let html = std::str::from_utf8(&index.body).unwrap_or_default();
        assert!(html.contains("<script type=\"module\" src=\"/js/app.linked.js\">"), "{html}");
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/css/app.bundle.css\">"), "{html}");
        assert!(!html.contains("modulepreload"), "the linked script needs no preloads");
        for file in ["js/app.linked.js", "css/app.bundle.css"] {
            let asset = assets.get(file).expect(file);
            assert!(asset.gzip.is_some(), "{file} is served compressed");
        }
        assert_ne!(index.etag, app.etag);
        assert!(assets.get("favicon.svg").is_some() && assets.get("nope.js").is_none());
    }

    #[test]
    fn request_headers_are_read_as_http_says() {
        let tag = HeaderValue::from_static("\"abc\"");
        for (value, matches) in
            [("\"abc\"", true), ("W/\"abc\"", true), ("\"x\", \"abc\"", true), ("*", true), ("\"abcd\"", false)]
        {
            assert_eq!(etag_matches(&HeaderValue::from_static(value), &tag), matches, "{value}");
        }
        for (value, takes) in [
            ("gzip, deflate, br", true),
            ("br;q=1.0, gzip;q=0.8", true),
            ("gzip;q=0", false),
            ("identity", false),
            ("*", true),
        ] {
            assert_eq!(accepts_gzip(&HeaderValue::from_static(value)), takes, "{value}");
        }
    }
}
