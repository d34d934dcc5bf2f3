//! The `Origin` check on WebSocket upgrades: a browser page may only open a session from the server's own
//! origin or from one the operator allowed, so another site cannot use a visitor's browser against ruang.

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// Whether an upgrade with these headers may proceed. Requests without `Origin` come from non-browser
/// clients, which could forge the header anyway, and are allowed.
pub fn allowed(headers: &HeaderMap, allow_list: &[String]) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return headers.get(ORIGIN).is_none();
    };
    if allow_list.iter().any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
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
        assert!(allowed(&headers(Some("http://localhost:8080"), "localhost:8080"), &[]));
        assert!(allowed(&headers(Some("https://Meet.Example"), "meet.example"), &[]));
        assert!(allowed(&headers(None, "localhost:8080"), &[]));
    }

    #[test]
    fn foreign_origins_need_the_allow_list() {
        let evil = headers(Some("https://evil.example"), "localhost:8080");
        assert!(!allowed(&evil, &[]));
        assert!(!allowed(&headers(Some("null"), "localhost:8080"), &[]));
        assert!(!allowed(&headers(Some("http://localhost:8081"), "localhost:8080"), &[]));
        assert!(allowed(&evil, &["https://evil.example".into()]));
        assert!(allowed(&evil, &["*".into()]));
    }
}
