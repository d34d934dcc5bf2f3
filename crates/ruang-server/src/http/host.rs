//! The `Host` check, against DNS rebinding: a page on `attacker.example` whose name the attacker points at
//! this server would otherwise be served, and be same-origin with its own requests to it. Every request must
//! name the server by one of its own names: any IP address literal, `localhost` and `*.localhost`, the
//! names of its TLS certificate, the configured `public_hosts`, and the hosts of `allowed_origins`.
//! Anything else gets 421.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::HOST;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The host names this server answers to, besides IP literals and `localhost`.
#[derive(Clone, Debug, Default)]
pub struct ServerNames {
    /// Lower case, without a trailing dot; a certificate's `*.example.org` is kept as is.
    names: Vec<String>,
}

impl ServerNames {
    /// The names from `public_hosts`, the hosts of `allowed_origins` and the TLS certificate's names.
    pub fn new<'a>(
        public_hosts: &'a [String],
        allowed_origins: &'a [String],
        certificate: impl IntoIterator<Item = &'a String>,
    ) -> Self {
        let origin_hosts = allowed_origins.iter().filter_map(|origin| {
            let authority = origin.split_once("://").map_or(origin.as_str(), |(_, rest)| rest);
            Some(without_port(authority.split('/').next()?))
        });
        let names = public_hosts
            .iter()
            .map(|host| without_port(host))
            .chain(origin_hosts)
            .chain(certificate.into_iter().map(String::as_str));
        let mut names: Vec<String> = names.map(normalize).filter(|name| !name.is_empty() && name != "*").collect();
        names.sort();
        names.dedup();
        ServerNames { names }
    }

    /// Whether a request's `Host` (`name[:port]`) names this server.
    pub fn is_ours(&self, host: &str) -> bool {
        let name = normalize(without_port(host));
        if name.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok() {
            return true;
        }
        if name == "localhost" || name.ends_with(".localhost") {
            return true;
        }
        self.names.iter().any(|ours| matches_name(ours, &name))
    }
}

/// Refuses requests whose `Host` is not one of the server's names with 421. Requests without `Host` (not
/// from a browser) pass.
pub async fn check(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let host = request.headers().get(HOST).map(|value| value.to_str().unwrap_or(""));
    if let Some(host) = host
        && !state.names.is_ours(host)
    {
        tracing::debug!("refused a request for a host name that is not the server's");
        let message = "this server does not answer to that host name; its operator can add it to public_hosts";
        return (StatusCode::MISDIRECTED_REQUEST, message).into_response();
    }
    next.run(request).await
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// `name` of `name:port`, `[v6]` of `[v6]:port`.
fn without_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.split_inclusive(']').next().unwrap_or(authority);
    }
    match authority.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => authority,
    }
}

/// `ours` is a name or a certificate wildcard (`*.example.org` covers exactly one more label).
fn matches_name(ours: &str, name: &str) -> bool {
    match ours.strip_prefix("*.") {
        Some(parent) => name.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => ours == name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> ServerNames {
        let public = ["Meet.Example.org".to_owned()];
        let origins = ["https://app.example.net:8443".to_owned(), "*".to_owned()];
        let certificate = ["*.cdn.example.com".to_owned()];
        ServerNames::new(&public, &origins, &certificate)
    }

    #[test]
    fn ip_literals_and_localhost_are_always_ours() {
        let names = ServerNames::default();
        for host in ["127.0.0.1:8080", "[::1]:8080", "[::1]", "203.0.113.7", "localhost", "LOCALHOST:80", "x.localhost"]
        {
            assert!(names.is_ours(host), "{host}");
        }
    }

    #[test]
    fn configured_origin_and_certificate_names_are_ours_and_others_are_not() {
        let names = names();
        for host in ["meet.example.org", "meet.example.org.:443", "app.example.net:8443", "a.cdn.example.com"] {
            assert!(names.is_ours(host), "{host}");
        }
        for host in [
            "attacker.example",
            "attacker.example:8080",
            "cdn.example.com",
            "a.b.cdn.example.com",
            "",
            "localhost.evil",
        ] {
            assert!(!names.is_ours(host), "{host}");
        }
    }
}
