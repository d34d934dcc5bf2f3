//! Messages a client sends to the server, after validation.
//!
//! Serde reads frames into the private `RawClientMessage` mirror in `parse`; only validated values become a
//! [`ClientMessage`], so code that holds one can rely on its room name, display name and sizes.

use crate::{Layer, MediaState, Moderation, PeerId, Reaction, RoomName, SignalPayload, Tile};

/// The longest resume token a client may send, in bytes.
pub const MAX_TOKEN_BYTES: usize = 1024;

/// The longest room password a client may send, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 256;

/// The longest invitation a client may send, in bytes.
pub const MAX_INVITE_BYTES: usize = 2048;

/// The most simulcast layers a `layers` message may describe.
pub const MAX_LAYERS: usize = 4;

/// The longest simulcast `rid`, in bytes (1 to this many characters `A-Z a-z 0-9`).
pub const MAX_RID_BYTES: usize = 16;

/// The longest browser key a client may send, in bytes.
pub const MAX_BROWSER_KEY_BYTES: usize = 128;

/// What a client presents to enter a room that is not open: a password, or an invitation (a signed token).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The room password (at most [`MAX_PASSWORD_BYTES`]).
    pub password: Option<String>,
    /// The room's host password (at most [`MAX_PASSWORD_BYTES`]): enters as host where one is configured.
    pub host_password: Option<String>,
    /// An invitation token (at most [`MAX_INVITE_BYTES`]).
    pub invite: Option<String>,
    /// A random key the browser keeps for this server (at most [`MAX_BROWSER_KEY_BYTES`]), so a ban can tell
    /// the same browser again; the server keeps only its hash.
    pub browser_key: Option<String>,
}

/// A validated client-to-server message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientMessage {
    /// Join a room; the first message of a connection.
    Join {
        /// The room to join (created if it does not exist).
        room: RoomName,
        /// The display name, trimmed.
        name: String,
        /// The media the client starts with.
        media: MediaState,
        /// What proves the client may enter a protected room.
        credentials: Credentials,
        /// Whether the client listed `"sfu"` in `modes` (it can negotiate with the room's SFU); `false`
        /// means mesh only, as when `modes` is absent.
        sfu: bool,
        /// The request id to echo in `welcome` or `error`.
        req: Option<u32>,
    },
    /// Take a participant back after a lost connection; the first message of a connection, instead of `join`.
    Resume {
        /// The latest resume token the client received (opaque to the client; at most [`MAX_TOKEN_BYTES`]).
        token: String,
        /// The number (`n`) of the last numbered message the client received.
        last_n: u64,
        /// The media the client sends now.
        media: MediaState,
        /// The request id to echo in `resumed` or `error`.
        req: Option<u32>,
    },
    /// Relay negotiation data to one participant of the same room.
    Signal {
        /// The target participant.
        to: PeerId,
        /// The payload, bounded by the limits.
        data: SignalPayload,
        /// The request id to echo in an `error`.
        req: Option<u32>,
    },
    /// Set the sender's media state.
    Media {
        /// The new state.
        media: MediaState,
        /// The request id to echo in an `error`.
        req: Option<u32>,
    },
    /// Send a chat message to the room.
    Chat {
        /// The text, bounded by the limits and not blank.
        text: String,
        /// The request id to echo in an `error`.
        req: Option<u32>,
    },
    /// Raise or lower the sender's hand.
    Hand {
        /// Raised.
        raised: bool,
        /// The request id to echo in an `error`.
        req: Option<u32>,
    },
    /// Send a reaction to the room, shown briefly over the sender's tile.
    React {
        /// Which one (only the fixed set exists).
        emoji: Reaction,
        /// The request id to echo in an `error`.
        req: Option<u32>,
    },
    /// Start or stop recording the meeting in the sender's browser (hosts and moderators start).
    Recording {
        /// Recording from now on.
        on: bool,
        /// The request id to echo in an `error`.
        req: Option<u32>,
    },
    /// Use a host control.
    Moderate {
        /// What to do.
        action: Moderation,
        /// The request id to echo in an `error`.
        req: Option<u32>,
    },
    /// The simulcast layers of the sender's video, smallest first (SFU rooms only).
    Layers {
        /// At most [`MAX_LAYERS`], each checked.
        layers: Vec<Layer>,
        /// The request id to echo in an `error`.
        req: Option<u32>,
    },
    /// How tall the sender shows each other participant's video (SFU rooms only).
    Tiles {
        /// At most `max_sfu_participants` entries.
        tiles: Vec<Tile>,
        /// The request id to echo in an `error`.
        req: Option<u32>,
    },
    /// Keep one participant's video forwarded whatever last-N decides, or unpin (SFU rooms only).
    Pin {
        /// Whom; `None` unpins.
        id: Option<PeerId>,
        /// The request id to echo in an `error`.
        req: Option<u32>,
    },
    /// Leave the room and close the connection.
    Leave,
    /// Ask for a `pong`, and say how far the participant's numbered stream has arrived.
    Ping {
        /// The request id to echo in `pong`.
        req: Option<u32>,
        /// The highest message number `n` received so far: the server need not keep anything up to it for
        /// a replay.
        ack: Option<u64>,
    },
}

impl ClientMessage {
    /// The request id the message carries, if any.
    pub fn req(&self) -> Option<u32> {
        match self {
            ClientMessage::Join { req, .. }
            | ClientMessage::Resume { req, .. }
            | ClientMessage::Signal { req, .. }
            | ClientMessage::Media { req, .. }
            | ClientMessage::Chat { req, .. }
            | ClientMessage::Hand { req, .. }
            | ClientMessage::React { req, .. }
            | ClientMessage::Recording { req, .. }
            | ClientMessage::Moderate { req, .. }
            | ClientMessage::Layers { req, .. }
            | ClientMessage::Tiles { req, .. }
            | ClientMessage::Pin { req, .. }
            | ClientMessage::Ping { req, .. } => *req,
            ClientMessage::Leave => None,
        }
    }

    /// The wire name of the message type, for logs and errors.
    pub fn type_name(&self) -> &'static str {
        match self {
            ClientMessage::Join { .. } => "join",
            ClientMessage::Resume { .. } => "resume",
            ClientMessage::Signal { .. } => "signal",
            ClientMessage::Media { .. } => "media",
            ClientMessage::Chat { .. } => "chat",
            ClientMessage::Hand { .. } => "hand",
            ClientMessage::React { .. } => "react",
            ClientMessage::Recording { .. } => "recording",
            ClientMessage::Moderate { .. } => "moderate",
            ClientMessage::Layers { .. } => "layers",
            ClientMessage::Tiles { .. } => "tiles",
            ClientMessage::Pin { .. } => "pin",
            ClientMessage::Leave => "leave",
            ClientMessage::Ping { .. } => "ping",
        }
    }
}
