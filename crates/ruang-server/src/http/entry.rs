//! `GET /api/rooms/{room}/entry`: what entering a room takes, so the pre-join page can offer the right
//! fields before the first `join`: `{"access": "open" | "password" | "invite", "host_password": bool}`.
//! Only the configuration is read (rooms not listed are open, without a host password); nothing about who
//! is in the room, and no password or hash.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use crate::access::AccessKind;
use crate::state::AppState;

/// What entering a room takes.
#[derive(Serialize)]
pub struct Entry {
    access: &'static str,
    host_password: bool,
}

/// 200 with the room's [`Entry`]; 404 for a name that is not a valid room name.
pub async fn entry(State(state): State<Arc<AppState>>, Path(room): Path<String>) -> Result<Json<Entry>, StatusCode> {
    ruang_proto::RoomName::parse(&room).ok_or(StatusCode::NOT_FOUND)?;
    let policy = state.config.rooms.get(&room);
    let access = match policy.map(|p| p.access).unwrap_or_default() {
        AccessKind::Open => "open",
        AccessKind::Password => "password",
        AccessKind::Invite => "invite",
    };
    let host_password = policy.is_some_and(|p| p.host_password_hash.is_some());
    Ok(Json(Entry { access, host_password }))
}
