//! The HTTP side of the server: the router, the WebSocket upgrade at `/ws`, the health check, the
//! embedded web client, the `Host` check and request deadline on every request, and the security headers on
//! every response.

mod assets;
mod client;
mod entry;
mod headers;
mod health;
mod host;
pub(crate) mod invites;
mod origin;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State, WebSocketUpgrade};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use host::ServerNames;

use crate::conn::{Held, Transport};
use crate::session;
use crate::state::AppState;

/// Read buffer size of each WebSocket connection, allocated up front (the library's default is 128 KiB).
/// Candidates and control messages fit; a 3 KB SDP takes three reads. 1 KiB instead of 4 saved 3 KiB per
/// idle participant (`ruang-bench scale`, 10k participants).
const READ_BUFFER_BYTES: usize = 1024;

/// Frames queued for writing are flushed once this many bytes are buffered (not allocated up front).
const WRITE_BUFFER_BYTES: usize = 4 * 1024;

/// The server's routes; `/metrics` and the admin API too unless they have their own listener
/// (`admin.listen`, [`admin_router`]).
pub fn router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route("/ws", get(upgrade))
        .route("/healthz", get(health::healthz))
        .route("/api/invites", axum::routing::post(invites::mint))
        .route("/api/rooms/{room}/entry", get(entry::entry));
    let routes = match state.config.admin.listen {
        Some(_) => routes,
        None => routes.merge(crate::admin::routes(false)),
    };
    with_edge(routes.fallback(get(assets::serve)), state)
}

/// The routes of the admin listener: `/metrics` (open: the listener is the operator's), the admin API
/// (API key) and `/healthz`.
pub fn admin_router(state: Arc<AppState>) -> Router {
    let routes = crate::admin::routes(true).route("/healthz", get(health::healthz));
    with_edge(routes, state)
}

/// Every request's deadline and `Host` check, and every response's security headers.
fn with_edge(routes: Router<Arc<AppState>>, state: Arc<AppState>) -> Router {
    routes
        .layer(axum::middleware::from_fn_with_state(state.clone(), deadline))
        .layer(axum::middleware::from_fn_with_state(state.clone(), host::check))
        .layer(axum::middleware::map_response(headers::add))
        .with_state(state)
}

/// Answers 408 when a request (its body included) is not handled within `http_timeout_ms`, so a client
/// cannot hold a connection by sending a body slowly. A WebSocket upgrade is answered at once; the session
/// that follows has its own deadlines.
async fn deadline(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let timeout = Duration::from_millis(state.config.http_timeout_ms);
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "request timed out").into_response(),
    }
}

/// Upgrades to a WebSocket session after checking the origin and the connection limit.
async fn upgrade(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    extensions: Extensions,
    ws: WebSocketUpgrade,
) -> Response {
    let https = extensions.get::<Transport>().is_some_and(|transport| transport.https);
    if !origin::allowed(&headers, &state.config.allowed_origins, https) {
        tracing::info!("refused a WebSocket upgrade from a foreign origin");
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "server is stopping").into_response();
    }
    let Ok(permit) = Arc::clone(&state.connections).try_acquire_owned() else {
        tracing::warn!(max = state.config.max_connections, "refused a connection: too many connections");
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections").into_response();
    };
    let peer = client::peer(&extensions);
    let address = client::address(peer, &headers, &state.config.trusted_proxies);
    // A direct client's connection was counted against its address at accept; one behind a trusted proxy is
    // counted here, by the address the proxy names.
    let proxied = peer.is_some_and(|peer| state.config.trusted_proxies.contains(&peer));
    let client_slot = match (proxied, address) {
        (true, Some(address)) => match state.per_address.try_acquire(address) {
            Some(slot) => Some(slot),
            None => {
                tracing::debug!("refused a connection: too many from one address");
                return (StatusCode::TOO_MANY_REQUESTS, "too many connections from your address").into_response();
            }
        },
        _ => None,
    };
    // The session keeps the connection's places (socket, address) for as long as it runs.
    let held = (extensions.get::<Arc<Held>>().cloned(), client_slot);
    let hard_limit = state.config.hard_frame_limit();
    let sessions = state.sessions.clone();
    // Signaling frames are small: modest buffers keep an idle connection cheap (the library defaults are
    // 128 KiB each way, allocated up front), and large frames still work, only in more reads.
    ws.read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(hard_limit)
        .max_frame_size(hard_limit)
        .on_upgrade(move |socket| {
            sessions.track_future(async move {
                session::run(socket, state, address, permit).await;
                drop(held);
            })
        })
}
