//! Serving HTTP/1.1 on one accepted connection with hyper: the request headers (and the next request on an
//! idle keep-alive connection) must arrive within the request timeout, WebSocket upgrades are handed on, and
//! shutdown lets the request in progress finish before closing.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tower_service::Service;

use super::Held;

/// Most bytes buffered while reading a request head (hyper's default is about 400 KiB): real requests to
/// ruang carry no cookies and fit in a few KiB, and this bounds what a slow client makes each connection hold.
const READ_BUFFER_LIMIT: usize = 32 * 1024;

/// How the client reached the server; in every request's extensions.
#[derive(Clone, Copy, Debug, Default)]
pub struct Transport {
    /// The connection is TLS (the page was served over `https`).
    pub https: bool,
}

/// Serves `io` until the client closes it, breaks a timeout, upgrades to a WebSocket, or shutdown.
pub async fn serve<I>(
    io: I,
    peer: SocketAddr,
    transport: Transport,
    router: Router,
    held: Arc<Held>,
    timeout: Duration,
    shutdown: CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let extensions = request.extensions_mut();
        extensions.insert(ConnectInfo(peer));
        extensions.insert(transport);
        extensions.insert(Arc::clone(&held));
        let mut router = router.clone();
        async move { Ok::<Response, Infallible>(router.call(request).await.unwrap_or_else(|never| match never {})) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .max_buf_size(READ_BUFFER_LIMIT)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = result {
        tracing::debug!(%err, "HTTP connection ended with an error");
    }
}
