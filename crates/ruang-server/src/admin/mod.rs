//! The operator's HTTP surface: `GET /metrics` and the admin API under `/api/admin/`, on the main listener
//! or on their own (`admin.listen`). Every admin endpoint is behind the API key (the one `POST /api/invites`
//! takes, checked by [`crate::http::invites::refusal`]); `/metrics` is behind it too on the main
//! listener and open on the admin listener, which the operator keeps private.
//!
//! Rooms are reached through their mailboxes like everything else: a summary is asked of the room task
//! ([`RoomCommand::Inspect`]) and a host control goes in as the room's own input
//! ([`RoomCommand::Administer`]), so the moderation rules stay in `ruang_room`. The API: `docs/admin-api.md`.

mod rooms;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use crate::http::invites::refusal;
use crate::metrics::Held;
use crate::state::AppState;

/// The `[admin]` settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// A second listener for `/metrics` (open there) and the admin API (`/api/admin/…`, API key), both then
    /// off the main listener. Unset: both on `listen`, `/metrics` behind the API key.
    pub listen: Option<std::net::SocketAddr>,
}

/// The operator's routes; `/metrics` open when `open_metrics`, else behind the API key.
pub fn routes(open_metrics: bool) -> Router<Arc<AppState>> {
    let metrics = match open_metrics {
        true => get(metrics_open),
        false => get(metrics_with_key),
    };
    Router::new()
        .route("/metrics", metrics)
        .route("/api/admin/status", get(status))
        .route("/api/admin/drain", post(drain).delete(undrain))
        .route("/api/admin/invites", post(crate::http::invites::mint))
        .route("/api/admin/rooms", get(rooms::list))
        .route("/api/admin/rooms/{room}", get(rooms::show))
        .route("/api/admin/rooms/{room}/{action}", post(rooms::control))
        .route("/api/admin/rooms/{room}/participants/{id}/{action}", post(rooms::control_participant))
}

async fn metrics_open(State(state): State<Arc<AppState>>) -> Response {
    render_metrics(&state).await
}

async fn metrics_with_key(State(state): State<Arc<AppState>>, extensions: Extensions, headers: HeaderMap) -> Response {
    match refusal(&state, &extensions, &headers).await {
        None => render_metrics(&state).await,
        Some(refused) => refused,
    }
}

async fn render_metrics(state: &AppState) -> Response {
    let sfu = match &state.sfu {
        Some(sfu) => sfu.stats().await,
        None => None,
    };
    let held = Held {
        sfu,
        rooms: state.rooms.count(),
        connections: state.connection_count(),
        draining: state.rooms.is_draining(),
        turn: state.turn_stats.as_ref().map(ruang_turn::TurnStatsSource::read),
    };
    let text = state.metrics.render(held);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

/// What `status`, `drain` and `undrain` answer.
#[derive(Serialize)]
struct Status {
    draining: bool,
    rooms: usize,
    connections: usize,
}

fn node_status(state: &AppState) -> Status {
    Status { draining: state.rooms.is_draining(), rooms: state.rooms.count(), connections: state.connection_count() }
}

/// Checks the API key and counts the request: `None` if it may go on, else the refusal to send back.
async fn refused(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Option<Response> {
    let refused = refusal(state, extensions, headers).await;
    if refused.is_none() {
        state.metrics.admin_requests.increment(1);
    }
    refused
}

async fn status(State(state): State<Arc<AppState>>, extensions: Extensions, headers: HeaderMap) -> Response {
    if let Some(refused) = refused(&state, &extensions, &headers).await {
        return refused;
    }
    axum::Json(node_status(&state)).into_response()
}

/// Stops taking new rooms; the meetings under way go on (joins and resumes into them included), and
/// `/healthz` answers 503 `draining` so a load balancer sends new meetings elsewhere.
async fn drain(State(state): State<Arc<AppState>>, extensions: Extensions, headers: HeaderMap) -> Response {
    if let Some(refused) = refused(&state, &extensions, &headers).await {
        return refused;
    }
    state.rooms.set_draining(true);
    tracing::info!(rooms = state.rooms.count(), "draining: no new rooms");
    axum::Json(node_status(&state)).into_response()
}

async fn undrain(State(state): State<Arc<AppState>>, extensions: Extensions, headers: HeaderMap) -> Response {
    if let Some(refused) = refused(&state, &extensions, &headers).await {
        return refused;
    }
    state.rooms.set_draining(false);
    tracing::info!("no longer draining");
    axum::Json(node_status(&state)).into_response()
}

/// An error answer with a JSON body `{"error": "..."}`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message.into() }))).into_response()
}
