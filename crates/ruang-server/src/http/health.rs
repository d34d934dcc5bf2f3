//! `GET /healthz`: whether the server takes connections, with a few counts for operators (rooms, open
//! connections, and the room and session tasks still running, which is how tests see that nothing leaks).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::state::AppState;

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    rooms: usize,
    connections: usize,
    room_tasks: usize,
    sessions: usize,
}

/// 200 with `"status": "ok"` while serving; 503 with `"draining"` once shutdown has begun or while the node
/// drains (opens no new rooms: a load balancer sends new meetings elsewhere).
pub async fn healthz(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Health>) {
    let draining = state.shutdown.is_cancelled() || state.rooms.is_draining();
    let health = Health {
        status: if draining { "draining" } else { "ok" },
        rooms: state.rooms.count(),
        connections: state.connection_count(),
        room_tasks: state.room_tasks.len(),
        sessions: state.sessions.len(),
    };
    let code = if draining { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    (code, Json(health))
}
