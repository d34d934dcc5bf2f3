//! Messages the server sends to clients; see `docs/protocol.md`. Clients only ever receive them; the server
//! reads them back (`Deserialize`) only from another server (a room's outputs crossing nodes), never from a
//! client, whose frames are read by [`parse_client_message`](crate::parse_client_message) alone.

use serde::{Deserialize, Serialize};

use crate::{ErrorCode, Limits, MediaMode, MediaState, PeerId, Reaction, RemovedReason, Role, RoomName, SignalPayload};

/// A server-to-client message.
///
/// It deserializes too, for server-to-server use only (a room's outputs sent to the node holding the
/// member): a client's frames are never read as a `ServerMessage`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to `join`.
    Welcome(Welcome),
    /// The answer to `resume`: the participant is back, with the same id.
    Resumed {
        /// Everything a `welcome` says.
        #[serde(flatten)]
        welcome: Welcome,
        /// Whether the missed messages follow, or the client must reconcile from `peers`.
        replay: Replay,
    },
    /// A fresh resume token.
    ResumeToken {
        /// The token, opaque to clients.
        token: String,
    },
    /// Somebody's connection was lost; the room keeps them for the grace period.
    PeerReconnecting {
        /// Who.
        id: PeerId,
    },
    /// Somebody resumed after a lost connection.
    PeerReconnected {
        /// Who.
        id: PeerId,
    },
    /// Somebody's role changed.
    Role {
        /// Whose.
        id: PeerId,
        /// The new role.
        role: Role,
    },
    /// Somebody raised or lowered their hand.
    Hand {
        /// Whose.
        id: PeerId,
        /// Raised.
        raised: bool,
    },
    /// Somebody reacted (the sender stamped by the server).
    Reaction {
        /// Who.
        id: PeerId,
        /// Which reaction.
        emoji: Reaction,
    },
    /// Somebody started recording the meeting (`id`), or the recording stopped (`None`).
    Recording {
        /// The recorder, or `None` (null on the wire) when nobody records any more.
        id: Option<PeerId>,
    },
    /// The room was locked or unlocked, its lobby turned on or off, or its spotlight changed.
    RoomState {
        /// New participants are refused.
        locked: bool,
        /// New participants wait in the lobby.
        lobby: bool,
        /// Whom a host or moderator put on everyone's stage (absent: nobody).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        spotlight: Option<PeerId>,
    },
    /// To a host or moderator that arrives, or becomes one, while someone waits: who is waiting in the lobby.
    /// Changes follow as [`ServerMessage::LobbyJoined`] and [`ServerMessage::LobbyLeft`].
    Lobby {
        /// In the order they arrived.
        waiting: Vec<Knock>,
    },
    /// To hosts and moderators: someone started waiting in the lobby (it goes at the end of the list).
    LobbyJoined {
        /// Its id (the one it gets if admitted).
        id: PeerId,
        /// Its display name (untrusted text).
        name: String,
    },
    /// To hosts and moderators: someone is no longer waiting (admitted, denied, or gave up).
    LobbyLeft {
        /// Its id.
        id: PeerId,
    },
    /// To someone who asked to join: you are in the lobby until a host or moderator lets you in (`welcome`)
    /// or turns you away (`removed` with `denied`).
    Waiting {
        /// The room.
        room: RoomName,
    },
    /// A host or moderator muted your microphone; unmute yourself if you want to speak.
    Muted {
        /// Who did.
        by: PeerId,
    },
    /// You were taken out of the room; the socket closes next (4005).
    Removed {
        /// Why.
        reason: RemovedReason,
        /// Who did it.
        by: PeerId,
    },
    /// Somebody joined the room.
    PeerJoined {
        /// Who.
        peer: PeerInfo,
    },
    /// Somebody left the room.
    PeerLeft {
        /// Who.
        id: PeerId,
        /// Why.
        reason: LeaveReason,
    },
    /// A relayed negotiation message.
    Signal {
        /// The sender, stamped by the server.
        from: PeerId,
        /// The payload as the sender gave it.
        data: SignalPayload,
    },
    /// A participant's new media state.
    Media {
        /// Whose.
        id: PeerId,
        /// Microphone sending.
        audio: bool,
        /// Camera sending.
        video: bool,
        /// Screen share sending.
        screen: bool,
    },
    /// A chat message of the room.
    Chat(ChatEntry),
    /// The room's media mode changed (sent only to clients that speak SFU).
    MediaMode {
        /// The new mode.
        mode: MediaMode,
        /// In SFU mode, the SFU's participant id for this period.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sfu: Option<PeerId>,
    },
    /// The SFU heard a new active speaker.
    Speaker {
        /// Who speaks.
        id: PeerId,
    },
    /// Something the client sent was refused.
    Error {
        /// Stable code.
        code: ErrorCode,
        /// Human text.
        message: String,
        /// The request id of the refused message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<u32>,
    },
    /// The answer to `ping`.
    Pong {
        /// The request id of the ping.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        req: Option<u32>,
    },
    /// Fresh ICE servers (new TURN credentials) to use from now on.
    IceServers {
        /// The servers.
        ice_servers: Vec<IceServer>,
        /// The transport policy.
        ice_transport_policy: IcePolicy,
    },
    /// The server is stopping; the socket closes next.
    Shutdown {
        /// Why.
        reason: ShutdownReason,
    },
}

impl ServerMessage {
    /// A media-state message for participant `id`.
    pub fn media(id: PeerId, media: MediaState) -> Self {
        let MediaState { audio, video, screen } = media;
        ServerMessage::Media { id, audio, video, screen }
    }

    /// The error message for a rejection.
    pub fn error(rejection: crate::Rejection) -> Self {
        ServerMessage::Error { code: rejection.code, message: rejection.message, req: rejection.req }
    }

    /// The message as one JSON text frame.
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: every map key is a string and no value is a non-finite float.
        serde_json::to_string(self)
            .unwrap_or_else(|_| String::from(r#"{"type":"error","code":"internal","message":"serialization failed"}"#))
    }
}

/// The body of `welcome`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Welcome {
    /// The protocol version of this connection.
    pub protocol: u32,
    /// The request id of the `join`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req: Option<u32>,
    /// The participant id the server gave the newcomer.
    pub you: PeerId,
    /// The newcomer's display name, as others see it (an invitation may have set it).
    pub name: String,
    /// The newcomer's role.
    pub role: Role,
    /// Whether the room is locked.
    pub locked: bool,
    /// Whether newcomers wait in the lobby.
    pub lobby: bool,
    /// Whom a host or moderator put on everyone's stage (absent: nobody).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spotlight: Option<PeerId>,
    /// The room joined.
    pub room: RoomName,
    /// Everyone already in the room, in join order.
    pub peers: Vec<PeerInfo>,
    /// ICE servers to pass to `RTCPeerConnection`.
    pub ice_servers: Vec<IceServer>,
    /// `iceTransportPolicy` to pass to `RTCPeerConnection`.
    pub ice_transport_policy: IcePolicy,
    /// The latest chat messages, oldest first.
    pub chat_history: Vec<ChatEntry>,
    /// The limits the server enforces.
    pub limits: Limits,
    /// The token to resume this participant with.
    pub resume_token: String,
    /// How long the server keeps a participant whose connection was lost, in milliseconds.
    pub resume_grace_ms: u64,
    /// The room's media mode, for a client that speaks SFU (absent for the others, and meaning mesh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_mode: Option<MediaMode>,
    /// In SFU mode, the SFU's participant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sfu: Option<PeerId>,
    /// Who is recording the meeting, if anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<PeerId>,
}

/// What follows a `resumed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replay {
    /// The messages the client missed follow, in order.
    Replayed,
    /// They could not be kept (server restart, or too many); `peers` is the room as it is now.
    Reset,
}

/// A participant as others see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerInfo {
    /// Its id.
    pub id: PeerId,
    /// Its display name (untrusted text).
    pub name: String,
    /// What it is sending.
    pub media: MediaState,
    /// What it may do.
    pub role: Role,
    /// Its hand is raised.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hand: bool,
    /// Its connection was lost and it has not resumed yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reconnecting: bool,
}

/// Someone waiting in the lobby.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Knock {
    /// Its id (the one it gets if admitted).
    pub id: PeerId,
    /// Its display name (untrusted text).
    pub name: String,
}

/// One chat message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatEntry {
    /// Position in the room's chat, from 1.
    pub seq: u64,
    /// The sender.
    pub from: PeerId,
    /// The sender's display name when it was sent.
    pub name: String,
    /// The text (untrusted).
    pub text: String,
    /// Server time, milliseconds since the Unix epoch.
    pub ts: u64,
}

/// An `RTCIceServer`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IceServer {
    /// `stun:`/`turn:`/`turns:` URLs.
    pub urls: Vec<String>,
    /// TURN username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Why a participant left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// It sent `leave`.
    Left,
    /// Its socket closed and it did not resume within the grace period.
    Disconnected,
    /// Its socket went silent (heartbeat timeout) and it did not resume within the grace period.
    Timeout,
    /// Its outgoing queue was full and it did not resume within the grace period.
    Slow,
    /// Closed for repeated violations.
    Kicked,
    /// A host or moderator removed it.
    Removed,
    /// A host or moderator banned it.
    Banned,
    /// Reserved: a stopping server no longer makes participants leave.
    Shutdown,
}

/// Why the server stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShutdownReason {
    /// The process was asked to stop.
    Stopping,
}

/// `RTCIceTransportPolicy`: `relay` keeps participants' addresses private by using TURN only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IcePolicy {
    /// Any candidate.
    #[default]
    All,
    /// Relay candidates only.
    Relay,
}
