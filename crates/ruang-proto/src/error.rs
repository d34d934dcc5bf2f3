//! Stable error codes sent in `error` messages, the reason a frame was rejected, and WebSocket close codes.

use serde::{Deserialize, Serialize};

/// A stable, machine-readable error code (`error.code` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not valid JSON, or not a JSON object.
    InvalidJson,
    /// `type` is missing or not a client message type.
    UnknownType,
    /// A field is missing, unknown, of the wrong type, or has an invalid value.
    InvalidMessage,
    /// A binary frame was sent.
    UnsupportedFrame,
    /// The frame is larger than `max_frame_bytes`.
    FrameTooLarge,
    /// An SDP, candidate, chat text or name is longer than its limit.
    FieldTooLarge,
    /// `join.v` is not a version this server speaks.
    UnsupportedVersion,
    /// The room name is invalid.
    InvalidRoom,
    /// The display name is invalid.
    InvalidName,
    /// A room message before a successful `join`.
    NotJoined,
    /// A second `join` on one connection.
    AlreadyJoined,
    /// The room is full.
    RoomFull,
    /// The server holds its maximum number of rooms.
    TooManyRooms,
    /// This client address created its most rooms for this minute.
    TooManyNewRooms,
    /// The `signal` target is not in the sender's room.
    UnknownPeer,
    /// Too many messages; the message was dropped.
    RateLimited,
    /// Too many reactions from this participant; the reaction was dropped (not a violation).
    TooManyReactions,
    /// The server is stopping.
    ShuttingDown,
    /// The sender's role does not allow this.
    Forbidden,
    /// The room is locked: no new participants.
    RoomLocked,
    /// The room's lobby holds as many as it may.
    LobbyFull,
    /// Banned from this meeting.
    Banned,
    /// The room needs a password, and none was given.
    PasswordRequired,
    /// The password is wrong.
    WrongPassword,
    /// Too many password attempts from this address or for this room, or too many being checked; wait.
    TooManyAttempts,
    /// The room is invite-only, and no invitation was given.
    InviteRequired,
    /// The invitation is forged, altered, expired, or for another room.
    InvalidInvite,
    /// The room is in SFU mode and the `join` did not list `"sfu"` in `modes`.
    SfuRequired,
    /// An SFU-only message (`layers`, `tiles`, `pin`) while the room is in mesh mode.
    SfuUnavailable,
    /// A `resume` token is forged, expired, used, or its participant is gone.
    ResumeRefused,
    /// A server fault.
    Internal,
}

impl ErrorCode {
    /// The wire form of the code, as in `docs/protocol.md`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::UnsupportedFrame => "unsupported_frame",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::FieldTooLarge => "field_too_large",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::InvalidRoom => "invalid_room",
            ErrorCode::InvalidName => "invalid_name",
            ErrorCode::NotJoined => "not_joined",
            ErrorCode::AlreadyJoined => "already_joined",
            ErrorCode::RoomFull => "room_full",
            ErrorCode::TooManyRooms => "too_many_rooms",
            ErrorCode::TooManyNewRooms => "too_many_new_rooms",
            ErrorCode::UnknownPeer => "unknown_peer",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::TooManyReactions => "too_many_reactions",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::ResumeRefused => "resume_refused",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RoomLocked => "room_locked",
            ErrorCode::LobbyFull => "lobby_full",
            ErrorCode::Banned => "banned",
            ErrorCode::PasswordRequired => "password_required",
            ErrorCode::WrongPassword => "wrong_password",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::InviteRequired => "invite_required",
            ErrorCode::InvalidInvite => "invalid_invite",
            ErrorCode::SfuRequired => "sfu_required",
            ErrorCode::SfuUnavailable => "sfu_unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

impl ErrorCode {
    /// Whether an error with this code counts against the connection's violation budget: it is the
    /// client's fault (a malformed or oversized message, one its role or state does not allow, too many
    /// messages, a join or resume that is refused for what the client sent). Errors an honest client can
    /// get through a race or through the room's state (`unknown_peer`: the target just left; `room_full`,
    /// `room_locked`, `lobby_full`, `banned`, `too_many_rooms`, `sfu_required`, `sfu_unavailable` (the mode
    /// may have just changed); `too_many_reactions` (a keen audience: dropped, never a disconnect);
    /// `resume_refused`: the grace period just ended; a step of the
    /// entry flow such as `password_required`; `shutting_down`, `internal`) do not count.
    pub fn is_violation(self) -> bool {
        !matches!(
            self,
            ErrorCode::UnknownPeer
                | ErrorCode::RoomFull
                | ErrorCode::RoomLocked
                | ErrorCode::LobbyFull
                | ErrorCode::Banned
                | ErrorCode::TooManyRooms
                | ErrorCode::ResumeRefused
                | ErrorCode::PasswordRequired
                | ErrorCode::InviteRequired
                | ErrorCode::SfuRequired
                | ErrorCode::SfuUnavailable
                | ErrorCode::TooManyReactions
                | ErrorCode::ShuttingDown
                | ErrorCode::Internal
        )
    }
}

/// Why a client frame was not accepted: the code, a human message, and the `req` if it could be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct Rejection {
    /// The stable code.
    pub code: ErrorCode,
    /// A human-readable explanation; never contains the rejected content itself.
    pub message: String,
    /// The request id of the rejected message, when it could be read.
    pub req: Option<u32>,
}

impl Rejection {
    /// A rejection without a request id.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Rejection { code, message: message.into(), req: None }
    }

    /// The same rejection, answering request `req`.
    pub fn with_req(mut self, req: Option<u32>) -> Self {
        self.req = req;
        self
    }
}

/// WebSocket close codes the server uses (see `docs/protocol.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseCode {
    /// 1000: after `leave`.
    Normal,
    /// 1001: the server is shutting down.
    GoingAway,
    /// 1002: the client broke the WebSocket protocol (a reserved opcode or bit, an unmasked frame, ...).
    ProtocolError,
    /// 1007: a text frame that is not UTF-8.
    InvalidData,
    /// 1009: a frame beyond the transport's hard limit.
    TooBig,
    /// 4000: too many protocol violations.
    Violations,
    /// 4001: no `join` in time.
    JoinTimeout,
    /// 4002: nothing received for the heartbeat timeout.
    HeartbeatTimeout,
    /// 4003: the outgoing queue was full.
    TooSlow,
    /// 4004: the participant resumed on another connection.
    Replaced,
    /// 4005: a host removed the participant, or ended the meeting.
    Removed,
}

impl CloseCode {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::InvalidData => 1007,
            CloseCode::TooBig => 1009,
            CloseCode::Violations => 4000,
            CloseCode::JoinTimeout => 4001,
            CloseCode::HeartbeatTimeout => 4002,
            CloseCode::TooSlow => 4003,
            CloseCode::Replaced => 4004,
            CloseCode::Removed => 4005,
        }
    }

    /// The close reason text sent with the code.
    pub fn reason(self) -> &'static str {
        match self {
            CloseCode::Normal => "left",
            CloseCode::GoingAway => "server shutting down",
            CloseCode::ProtocolError => "websocket protocol error",
            CloseCode::InvalidData => "text frame is not utf-8",
            CloseCode::TooBig => "frame too large",
            CloseCode::Violations => "too many protocol violations",
            CloseCode::JoinTimeout => "no join in time",
            CloseCode::HeartbeatTimeout => "heartbeat timeout",
            CloseCode::TooSlow => "too slow to keep up",
            CloseCode::Replaced => "resumed on another connection",
            CloseCode::Removed => "removed from the meeting",
        }
    }
}
