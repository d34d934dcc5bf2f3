//! The `Origin` check on WebSocket upgrades: a browser page may only open a session from the server's own
//! origin or from one the operator allowed, so another site cannot use a visitor's browser against ruang.
//! The server's own origin is the request's `Host` (already checked to be one of the server's names) with a
//! scheme the page could have been served with: `https` on a TLS connection; `http` or `https` on a plain one
//! (a TLS-terminating reverse proxy serves `https` pages from a plain-HTTP ruang).

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// Whether an upgrade with these headers, on a TLS connection or not (`https`), may proceed. Requests
/// without `Origin` come from non-browser clients, which could forge the header anyway, and are allowed.
pub fn allowed(headers: &HeaderMap, allow_list: &[String], https: bool) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return headers.get(ORIGIN).is_none();
    };
    if allow_list.iter().any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    let scheme_fits = match https {
        true => scheme.eq_ignore_ascii_case("https"),
        false => scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"),
    };
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    scheme_fits && host.is_some_and(|host| authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(HOST, HeaderValue::from_static(host));
        if let Some(origin) = origin {
            map.insert(ORIGIN, HeaderValue::from_static(origin));
        }
        map
    }

    #[test]
    fn same_origin_and_no_origin_are_allowed() {
        assert!(allowed(&headers(Some("http://localhost:8080"), "localhost:8080"), &[], false));
        assert!(allowed(&headers(Some("https://Meet.Example"), "meet.example"), &[], false));
        assert!(allowed(&headers(Some("https://Meet.Example"), "meet.example"), &[], true));
        assert!(allowed(&headers(None, "localhost:8080"), &[], true));
    }

    #[test]
    fn foreign_origins_need_the_allow_list() {
        let evil = headers(Some("https://evil.example"), "localhost:8080");
        assert!(!allowed(&evil, &[], false));
        assert!(!allowed(&headers(Some("null"), "localhost:8080"), &[], false));
        assert!(!allowed(&headers(Some("http://localhost:8081"), "localhost:8080"), &[], false));
        assert!(allowed(&evil, &["https://evil.example".into()], false));
        assert!(allowed(&evil, &["*".into()], false));
    }

    #[test]
    fn a_plain_http_page_may_not_open_a_session_on_a_tls_connection() {
        assert!(!allowed(&headers(Some("http://meet.example"), "meet.example"), &[], true));
        assert!(!allowed(&headers(Some("ftp://meet.example"), "meet.example"), &[], false));
        assert!(!allowed(&headers(Some("chrome-extension://meet.example"), "meet.example"), &[], true));
    }
}
