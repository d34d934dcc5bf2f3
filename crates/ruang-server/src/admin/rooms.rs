//! The admin API's rooms: list them, show one, and use a host control on a room or one of its
//! participants (remove, ban, mute; lock, unlock, end), each as the room task's own input.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ruang_proto::{Moderation, PeerId, RoomName};
use tokio::sync::oneshot;

use super::{error, refused};
use crate::rooms::{AdminRefusal, RoomCommand, RoomHandle, RoomSummary};
use crate::state::AppState;

/// How long one room may take to answer (its mailbox may be busy).
const ROOM_ANSWER: Duration = Duration::from_secs(5);

/// `GET /api/admin/rooms`: every room with its participants, sorted by name.
pub(super) async fn list(State(state): State<Arc<AppState>>, extensions: Extensions, headers: HeaderMap) -> Response {
    if let Some(refused) = refused(&state, &extensions, &headers).await {
        return refused;
    }
    let mut summaries = Vec::new();
    for (_, handle) in state.rooms.list() {
        // A room that closed meanwhile is simply not listed.
        if let Some(summary) = inspect(&handle).await {
            summaries.push(summary);
        }
    }
    axum::Json(summaries).into_response()
}

/// `GET /api/admin/rooms/{room}`.
pub(super) async fn show(
    State(state): State<Arc<AppState>>,
    Path(room): Path<String>,
    extensions: Extensions,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refused(&state, &extensions, &headers).await {
        return refused;
    }
    let Some(handle) = find(&state, &room) else { return no_room() };
    match inspect(&handle).await {
        Some(summary) => axum::Json(summary).into_response(),
        None => no_room(),
    }
}

/// `POST /api/admin/rooms/{room}/{lock|unlock|end}`.
pub(super) async fn control(
    State(state): State<Arc<AppState>>,
    Path((room, action)): Path<(String, String)>,
    extensions: Extensions,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refused(&state, &extensions, &headers).await {
        return refused;
    }
    let action = match action.as_str() {
        "lock" => Moderation::Lock,
        "unlock" => Moderation::Unlock,
        "end" => Moderation::End,
        _ => return error(StatusCode::NOT_FOUND, "unknown room action (lock, unlock, end)"),
    };
    apply(&state, &room, action).await
}

/// `POST /api/admin/rooms/{room}/participants/{id}/{remove|ban|mute}`.
pub(super) async fn control_participant(
    State(state): State<Arc<AppState>>,
    Path((room, id, action)): Path<(String, String, String)>,
    extensions: Extensions,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refused(&state, &extensions, &headers).await {
        return refused;
    }
    let Some(id) = PeerId::parse(&id) else {
        return error(StatusCode::BAD_REQUEST, "a participant id is 16 lowercase hex characters");
    };
    let action = match action.as_str() {
        "remove" => Moderation::Remove(id),
        "ban" => Moderation::Ban(id),
        "mute" => Moderation::Mute(id),
        _ => return error(StatusCode::NOT_FOUND, "unknown participant action (remove, ban, mute)"),
    };
    apply(&state, &room, action).await
}

/// Hands `action` to room `room` and answers what became of it.
async fn apply(state: &AppState, room: &str, action: Moderation) -> Response {
    let Some(handle) = find(state, room) else { return no_room() };
    let (reply, answer) = oneshot::channel();
    let command = RoomCommand::Administer { action, reply };
    let answered = tokio::time::timeout(ROOM_ANSWER, async {
        handle.send(command).await.ok()?;
        answer.await.ok()
    })
    .await;
    match answered {
        Ok(Some(Ok(()))) => axum::Json(serde_json::json!({ "ok": true })).into_response(),
        Ok(Some(Err(AdminRefusal::UnknownParticipant(_)))) => {
            error(StatusCode::NOT_FOUND, "no such participant in this room")
        }
        Ok(None) => no_room(),
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the room did not answer in time"),
    }
}

fn find(state: &AppState, room: &str) -> Option<RoomHandle> {
    RoomName::parse(room).and_then(|name| state.rooms.get(&name))
}

async fn inspect(handle: &RoomHandle) -> Option<RoomSummary> {
    let (reply, answer) = oneshot::channel();
    tokio::time::timeout(ROOM_ANSWER, async {
        handle.send(RoomCommand::Inspect { reply }).await.ok()?;
        answer.await.ok()
    })
    .await
    .ok()
    .flatten()
}

fn no_room() -> Response {
    error(StatusCode::NOT_FOUND, "no such room (open rooms are listed at /api/admin/rooms)")
}
