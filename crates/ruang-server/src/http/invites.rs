//! `POST /api/invites`: an application backend mints an invitation. Authenticated by a bearer API key whose
//! SHA-256 is configured (`api_key_sha256`); the key itself is never stored. Without that setting the
//! endpoint does not exist (404). Wrong keys are throttled per client address (429 with `Retry-After`
//! beyond 5 a minute; every request is counted before its key is checked and a right key is given back), and
//! each is logged at `warn` with the address, for tools such as fail2ban.
//!
//! Request: `{"room": "standup", "role": "host", "name": "Ayu", "ttl_secs": 3600}` (`role` defaults to
//! participant, `name` is optional, `ttl_secs` defaults to 3600 and is at most `max_invite_ttl_secs`, 30 days
//! by default).
//! Answer: `{"token": "<JWT>", "path": "/r/standup#invite=<JWT>", "expires": 1764003600}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::header::RETRY_AFTER;
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ruang_proto::{Role, RoomName, validate_display_name};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::client;
use crate::clock::wall_clock_secs;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    room: RoomName,
    #[serde(default)]
    role: Role,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    ttl_secs: Option<u64>,
}

#[derive(Serialize)]
struct Minted {
    token: String,
    path: String,
    expires: u64,
}

/// Mints an invitation for an authenticated caller.
pub async fn mint(
    State(state): State<Arc<AppState>>,
    extensions: Extensions,
    headers: HeaderMap,
    request: Result<Json<MintRequest>, JsonRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, &extensions, &headers).await {
        return refused;
    }
    let Json(request) = match request {
        Ok(request) => request,
        Err(rejection) => return (StatusCode::BAD_REQUEST, rejection.body_text()).into_response(),
    };
    let name = match request.name.as_deref().map(|name| validate_display_name(name, &state.config.limits)) {
        Some(Err(rejection)) => return (StatusCode::BAD_REQUEST, rejection.message).into_response(),
        Some(Ok(name)) => Some(name),
        None => None,
    };
    let ttl = request.ttl_secs.unwrap_or(3600).clamp(1, state.invites.max_lifetime_secs());
    let now = wall_clock_secs();
    let room = request.room;
    let Some(token) = state.invites.invite(room.clone(), request.role, name, ttl, now) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    tracing::info!(room = %ruang_room::LogName::of(&room), role = ?request.role, ttl, "minted an invitation");
    let path = format!("/r/{room}#invite={token}");
    Json(Minted { token, path, expires: now + ttl }).into_response()
}

/// `None` (let through) if the request carries the API key (`Authorization: Bearer <key>`), else the
/// refusal to answer: 404 without
/// `api_key_sha256`, 429 beyond 5 wrong keys a minute from its address (every request is counted before its
/// key is checked, and a right key gives its count back), 401 for a wrong key (logged at `warn` with the
/// address). The one check of every endpoint behind the API key (`/api/invites`, the admin API).
pub(crate) async fn refusal(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Option<Response> {
    let Some(expected) = &state.config.api_key_sha256 else {
        return Some(StatusCode::NOT_FOUND.into_response());
    };
    let address = client::address(client::peer(extensions), headers, &state.config.trusted_proxies);
    if !state.wrong_api_keys.take_one(address).await {
        let headers = [(RETRY_AFTER, "60")];
        return Some(
            (StatusCode::TOO_MANY_REQUESTS, headers, "too many wrong API keys; wait a minute").into_response(),
        );
    }
    if !authorized(headers, expected) {
        let client = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        tracing::warn!(%client, "refused a request with a wrong API key");
        let refusal = (StatusCode::UNAUTHORIZED, "a valid API key is needed (Authorization: Bearer <key>)");
        return Some(refusal.into_response());
    }
    state.wrong_api_keys.give_one_back(address);
    None
}

/// Whether the request carries the API key whose SHA-256 is `expected` (hex), compared in constant time.
fn authorized(headers: &HeaderMap, expected: &str) -> bool {
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let Some(key) = presented else { return false };
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let expected = expected.to_ascii_lowercase();
    hex.len() == expected.len() && hex.bytes().zip(expected.bytes()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}
