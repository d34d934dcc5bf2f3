//! The HTTP side of the server: the router, the WebSocket upgrade at `/ws`, the health check, the
//! embedded web client, and the security headers on every response.

mod assets;
mod client;
mod headers;
mod health;
mod invites;
mod origin;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::serve::IncomingStream;

use crate::tls::TlsListener;
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::session;
use crate::state::AppState;

/// Read buffer size of each WebSocket connection, allocated up front (the library's default is 128 KiB).
/// Candidates and control messages fit; a 3 KB SDP takes three reads. 1 KiB instead of 4 saved 3 KiB per
/// idle participant (`ruang-bench scale`, 10k participants).
const READ_BUFFER_BYTES: usize = 1024;

/// Frames queued for writing are flushed once this many bytes are buffered (not allocated up front).
const WRITE_BUFFER_BYTES: usize = 4 * 1024;

/// The address of a connection's peer on the TLS listener (the plain listener gives a `SocketAddr`).
#[derive(Clone, Copy, Debug)]
pub struct PeerAddress(pub SocketAddr);

impl Connected<IncomingStream<'_, TlsListener>> for PeerAddress {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        PeerAddress(*stream.remote_addr())
    }
}

/// The server's routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ws", get(upgrade))
        .route("/healthz", get(health::healthz))
        .route("/api/invites", axum::routing::post(invites::mint))
        .fallback(get(assets::serve))
        .layer(axum::middleware::map_response(headers::add))
        .with_state(state)
}

/// Upgrades to a WebSocket session after checking the origin and the connection limit.
async fn upgrade(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    extensions: Extensions,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin::allowed(&headers, &state.config.allowed_origins) {
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
    let plain = extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let peer = plain.or_else(|| extensions.get::<ConnectInfo<PeerAddress>>().map(|info| info.0.0)).map(|a| a.ip());
    let address = client::address(peer, &headers, &state.config.trusted_proxies);
    let hard_limit = state.config.hard_frame_limit();
    let sessions = state.sessions.clone();
    // Signaling frames are small: modest buffers keep an idle connection cheap (the library defaults are
    // 128 KiB each way, allocated up front), and large frames still work, only in more reads.
    ws.read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(hard_limit)
        .max_frame_size(hard_limit)
        .on_upgrade(move |socket| sessions.track_future(session::run(socket, state, address, permit)))
}
