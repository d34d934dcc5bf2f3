//! The ruang wire protocol, version 1: message types named by direction, their validation and the limits
//! that bound them. No I/O, no async runtime, no clock: everything here can be tested alone.
//!
//! `docs/protocol.md` is the human-readable form of this crate and the contract for clients.
//!
//! - [`ClientMessage`] is what a client may send; [`parse_client_message`] turns a text frame into one,
//!   checking every field against [`Limits`], or explains with an [`ErrorCode`] why it could not.
//! - [`ServerMessage`] is what the server sends; it reads one back only from another server, never from a
//!   client.
//! - [`TokenBucket`] is the rate limiter used per connection, with time passed in.

#![deny(missing_docs)]

mod client;
mod error;
mod escaped;
mod ids;
mod limits;
mod media;
mod moderation;
mod numbered;
mod parse;
mod rate;
mod reaction;
mod server;
mod sfu;
mod signal;
mod signal_serde;

pub use client::{
    ClientMessage, Credentials, MAX_BROWSER_KEY_BYTES, MAX_INVITE_BYTES, MAX_LAYERS, MAX_PASSWORD_BYTES, MAX_RID_BYTES,
    MAX_TOKEN_BYTES,
};
pub use error::{CloseCode, ErrorCode, Rejection};
pub use ids::{PeerId, RoomName};
pub use limits::Limits;
pub use media::MediaState;
pub use moderation::{Moderation, RemovedReason, Role};
pub use numbered::numbered;
#[doc(hidden)]
pub use parse::fuzzing;
pub use parse::{check_peer_sdp, parse_client_message, read_req, validate_display_name};
pub use rate::TokenBucket;
pub use reaction::Reaction;
pub use server::{
    ChatEntry, IcePolicy, IceServer, Knock, LeaveReason, PeerInfo, Replay, ServerMessage, ShutdownReason, Welcome,
};
pub use sfu::{Layer, MediaMode, Tile};
pub use signal::{IceCandidate, SignalData, SignalPayload};

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;
