//! The limits a server enforces on every connection, sent to clients in `welcome`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Size, count and rate limits. Defaults are sized for a mesh room of browsers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest accepted text frame, in bytes.
    pub max_frame_bytes: usize,
    /// Largest SDP in an offer or answer to a peer, in bytes.
    pub max_sdp_bytes: usize,
    /// Largest SDP in an offer or answer to the room's SFU, in bytes: an answer to the SFU's offer carries
    /// two media sections per other participant (~150 KB from a browser in a room of 100).
    pub max_sfu_sdp_bytes: usize,
    /// Largest candidate string (and `sdpMid`, `usernameFragment`), in bytes.
    pub max_candidate_bytes: usize,
    /// Largest chat text, in bytes.
    pub max_chat_bytes: usize,
    /// Largest display name, in bytes after trimming.
    pub max_name_bytes: usize,
    /// Participants per room.
    pub max_participants: usize,
    /// Participants per room in SFU mode, and the most entries of a `tiles` message. Neither sent in
    /// `welcome` (whose `max_participants` says the room's current limit) nor read with the limits: the
    /// server's configuration sets it (`max_sfu_participants`).
    #[serde(skip)]
    pub max_sfu_participants: usize,
    /// Sustained messages per second per connection.
    pub messages_per_second: u32,
    /// Messages a connection may send at once before the rate applies.
    pub message_burst: u32,
    /// How often the server pings, in milliseconds.
    pub heartbeat_interval_ms: u64,
    /// Silence after which a connection is closed, in milliseconds.
    pub heartbeat_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // The largest signal (an SFU answer of `max_sfu_sdp_bytes`), its escapes (`\r\n` is four
            // bytes in JSON) and the rest of the frame.
            max_frame_bytes: 288 * 1024,
            max_sdp_bytes: 32 * 1024,
            max_sfu_sdp_bytes: 256 * 1024,
            max_candidate_bytes: 1024,
            max_chat_bytes: 4096,
            max_name_bytes: 64,
            max_participants: 8,
            max_sfu_participants: 100,
            messages_per_second: 50,
            message_burst: 200,
            heartbeat_interval_ms: 3_000,
            heartbeat_timeout_ms: 9_000,
        }
    }
}

impl Limits {
    /// [`Limits::heartbeat_interval_ms`] as a duration (at least 1 ms).
    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_millis(self.heartbeat_interval_ms.max(1))
    }

    /// The limits a frame is read with before its target is known: an SDP may be as large as the SFU's
    /// limit (`max_sdp_bytes` raised to `max_sfu_sdp_bytes`). The relay then holds an SDP to any other
    /// target to `max_sdp_bytes` ([`crate::check_peer_sdp`]).
    pub fn for_reading(&self) -> Limits {
        Limits { max_sdp_bytes: self.max_sdp_bytes.max(self.max_sfu_sdp_bytes), ..self.clone() }
    }

    /// [`Limits::heartbeat_timeout_ms`] as a duration (at least 1 ms).
    pub fn heartbeat_timeout(&self) -> Duration {
        Duration::from_millis(self.heartbeat_timeout_ms.max(1))
    }
}
