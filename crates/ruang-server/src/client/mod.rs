//! A small HTTP/1.1 client, for what the server and its binary send out themselves: webhook POSTs and
//! `ruang ctl`'s calls to the admin API. One request per connection, the whole exchange bounded by a timeout
//! and the answer's body by a size, so a slow or hostile peer costs one bounded task.
//!
//! `http://`, and `https://` with a [`Trust`] (trust.rs: the system's roots plus an optional CA file, or
//! one pinned certificate), over rustls as the server's own TLS is.

mod trust;

use std::time::Duration;

use axum::http::{HeaderMap, Request, StatusCode, Uri};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

pub use trust::{Trust, read_pem};

/// Largest answer body read.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is not `http(s)://host[:port]/path`.
    #[error("not an http:// or https:// URL: {0}")]
    Url(String),
    /// TLS could not be set up or the server was not the one trusted.
    #[error("TLS: {0}")]
    Tls(String),
    /// The peer could not be reached or broke off.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The exchange was not HTTP/1.1 as expected.
    #[error("{0}")]
    Http(String),
    /// No answer within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// A checked `http://` or `https://` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpUrl {
    uri: Uri,
    /// `host:port` to connect to.
    authority: String,
    /// Whether it is `https://`.
    secure: bool,
}

impl HttpUrl {
    /// Parses an `http://` or `https://` URL.
    pub fn parse(text: &str) -> Result<Self, ClientError> {
        let uri: Uri = text.parse().map_err(|_| ClientError::Url(text.to_owned()))?;
        let secure = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(ClientError::Url(text.to_owned())),
        };
        let Some(authority) = uri.authority().map(|a| a.as_str().to_owned()) else {
            return Err(ClientError::Url(text.to_owned()));
        };
        if authority.contains('@') || uri.host().is_none_or(str::is_empty) {
            return Err(ClientError::Url(text.to_owned()));
        }
        let authority = match uri.port_u16() {
            Some(_) => authority,
            None => format!("{authority}:{}", if secure { 443 } else { 80 }),
        };
        Ok(HttpUrl { uri, authority, secure })
    }

    /// Whether it is an `https://` URL.
    pub fn is_https(&self) -> bool {
        self.secure
    }

    /// The same server with another path (and query).
    pub fn join(&self, path_and_query: &str) -> Result<Self, ClientError> {
        let base = self.uri.to_string();
        HttpUrl::parse(&format!("{}{path_and_query}", base.trim_end_matches('/')))
    }
}

impl std::fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.uri.fmt(f)
    }
}

pub use axum::http::Method;

/// Sends a request with an optional bearer key and JSON body (as `ruang ctl` does) and reads its answer;
/// `trust` decides whom to believe on `https://`.
pub async fn call(
    trust: &Trust,
    method: Method,
    url: &HttpUrl,
    bearer: Option<&str>,
    json: Option<Vec<u8>>,
    timeout: Duration,
) -> Result<(StatusCode, Bytes), ClientError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = bearer {
        let value = axum::http::HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| ClientError::Http("the API key has characters a header cannot carry".into()))?;
        headers.insert(axum::http::header::AUTHORIZATION, value);
    }
    if json.is_some() {
        headers.insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    }
    request(trust, method, url, headers, Bytes::from(json.unwrap_or_default()), timeout).await
}

/// Sends one request and reads its answer (status and body), all within `timeout`.
pub async fn request(
    trust: &Trust,
    method: Method,
    url: &HttpUrl,
    headers: HeaderMap,
    body: Bytes,
    timeout: Duration,
) -> Result<(StatusCode, Bytes), ClientError> {
    let tls = match url.secure {
        false => None,
        true => {
            let config =
                trust.client_config().ok_or_else(|| ClientError::Tls(format!("{url}: no TLS trust configured")))?;
            let host = url.uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
            let name = ServerName::try_from(host.to_owned()).map_err(|_| ClientError::Url(url.to_string()))?;
            Some((TlsConnector::from(config), name))
        }
    };
    let exchange = async {
        let stream = TcpStream::connect(&url.authority).await?;
        match tls {
            None => exchange(stream, method, url, headers, body).await,
            Some((connector, name)) => {
                let stream = connector.connect(name, stream).await.map_err(|e| ClientError::Tls(e.to_string()))?;
                exchange(stream, method, url, headers, body).await
            }
        }
    };
    tokio::time::timeout(timeout, exchange).await.map_err(|_| ClientError::Timeout(timeout))?
}

async fn exchange<S>(
    stream: S,
    method: Method,
    url: &HttpUrl,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Bytes), ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let http = |err: hyper::Error| ClientError::Http(err.to_string());
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(http)?;
    let driver = tokio::spawn(connection);
    let path = url.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = Request::builder().method(method).uri(path);
    if let Some(host) = url.uri.authority() {
        request = request.header(axum::http::header::HOST, host.as_str());
    }
    let mut request = request.body(Full::new(body)).map_err(|err| ClientError::Http(err.to_string()))?;
    request.headers_mut().extend(headers);
    let answer = sender.send_request(request).await.map_err(http);
    let answer = match answer {
        Ok(answer) => answer,
        Err(err) => {
            driver.abort();
            return Err(err);
        }
    };
    let status = answer.status();
    let body = Limited::new(answer.into_body(), MAX_ANSWER_BYTES).collect().await;
    driver.abort();
    let body = body.map_err(|err| ClientError::Http(err.to_string()))?.to_bytes();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_are_taken() {
        assert!(HttpUrl::parse("http://127.0.0.1:9/hook").is_ok());
        assert_eq!(
            HttpUrl::parse("http://example.test/x").map(|u| u.authority).ok().as_deref(),
            Some("example.test:80")
        );
        let https = HttpUrl::parse("https://example.test/hook").ok();
        assert_eq!(https.as_ref().map(|u| (u.authority.as_str(), u.is_https())), Some(("example.test:443", true)));
        for bad in ["ftp://x/", "/relative", "http:///nohost", "https://user:pw@example.test/", ""] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
        let base = HttpUrl::parse("http://127.0.0.1:8080").ok();
        assert_eq!(
            base.and_then(|b| b.join("/admin/rooms").ok()).map(|u| u.to_string()).as_deref(),
            Some("http://127.0.0.1:8080/admin/rooms")
        );
    }
}
