//! ruang's selective forwarding unit, sans-IO: the media member a room uses when it is too large for a
//! mesh (issue #15). One str0m `Rtc` per participant, all behind one UDP port; the core receives datagrams
//! and the time from its driver, and hands back datagrams to send, events for signaling, and the instant
//! it next wants to be woken. It owns no socket, no clock, no task: a tokio (or any) driver does, as quinn
//! drives quinn-proto. See docs/design/sfu.md.
//!
//! - [`Sfu`] (sfu/): datagram demultiplexing and the poll loop (mod.rs), participants and their SDP
//!   (membership.rs), forwarding and key-frame requests (forwarding.rs), simulcast layer choice per
//!   subscriber (selection.rs), last-N and tiles (visibility.rs), rooms (room.rs).
//! - forward.rs: what one participant's str0m events mean for the others.
//! - participant.rs: one participant's `Rtc` and its SDP negotiation.
//! - track.rs: published tracks, subscribed copies, the key-frame gate; rate.rs: the bitrate each
//!   simulcast layer arrives at.
//! - [`layer`]: which simulcast layer a subscriber gets (pure logic).
//! - stats.rs: [`SfuStats`], what the SFU has done and holds, for metrics.
//! - [`speaker`]: the active speaker from audio levels, and the last-N order of video (pure logic).
//! - [`driver`] (feature `tokio`): the async edge that owns the UDP socket, the TCP listener on the same
//!   port (ICE over TCP) and the clock.

#[cfg(feature = "tokio")]
pub mod driver;
mod error;
mod forward;
pub mod layer;
mod participant;
mod rate;
mod sfu;
pub mod speaker;
mod stats;
mod track;

pub use error::{DatagramError, SfuError};
pub use sfu::{Output, Sfu, SfuConfig, SfuEvent, Transmit, Transport};
pub use stats::SfuStats;
pub use str0m::media::MediaKind;
pub use track::{Content, TrackId};

use std::fmt;

/// Whether a participant may send media into the SFU. A viewer may not: its offers may only receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publishing {
    Allowed,
    Refused,
}

/// A participant of the SFU: the bits of its peer id in the room (random 64 bits, unique server-wide, so
/// one SFU holds every room's participants without a map). Displayed in its wire form, exactly 16 lowercase
/// hex digits: that is the `msid` stream id of every track the SFU forwards from it (docs/protocol.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId(pub u64);

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A room of the SFU: participants receive media only from participants with the same key. The server
/// assigns one per period a room spends in SFU mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomKey(pub u64);

impl fmt::Display for RoomKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "room {}", self.0)
    }
}
