//! The messages a room task's mailbox carries: everything that can happen to a room.

use std::net::IpAddr;

use ruang_proto::{LeaveReason, MediaState, Moderation, PeerId, Role};
use tokio::sync::oneshot;

use super::Link;
use crate::access::{Access, Proof};
use crate::store::BrowserKeyHash;

/// What a `welcome` or `resumed` needs besides the room's own state. Its resume token and ICE servers are
/// minted by the room when it lets the participant in, never before (not while it waits in the lobby).
pub struct Arrival {
    /// The participant.
    pub id: PeerId,
    /// The media it sends.
    pub media: MediaState,
    /// The `req` of the client's request, echoed.
    pub req: Option<u32>,
    /// The generation of the resume token it gets.
    pub generation: u32,
    /// Where it connects from, if known: a ban covers the address.
    pub address: Option<IpAddr>,
    /// The hash of the key its browser keeps, if it sent one: a ban covers the browser.
    pub browser_key: Option<BrowserKeyHash>,
    /// Its connection.
    pub link: Link,
}

/// What a token from a previous server instance says about its participant.
pub struct Restore {
    /// Its display name.
    pub name: String,
    /// Its role when the token was minted (used only when the meeting has no record).
    pub role: Role,
}

/// A request to a room task.
pub enum RoomCommand {
    /// Tell how the room is entered now, so the session can prepare its proof.
    Access {
        /// The answer.
        reply: oneshot::Sender<Access>,
    },
    /// Add a participant; the answer says whether it is in.
    Join {
        /// Who, and how to reach it (boxed, as the rare large parts of commands are, so that a mailbox
        /// slot stays small: a room's mailbox allocates slots 32 at a time).
        arrival: Box<Arrival>,
        /// The validated display name.
        name: String,
        /// What it proved (nothing, the password, or an invitation).
        proof: Box<Proof>,
        /// The answer.
        reply: oneshot::Sender<JoinReply>,
    },
    /// Take back a participant after a lost connection, as its resume token says.
    Resume {
        /// Who, and how to reach it now.
        arrival: Box<Arrival>,
        /// The token generation the client presented; it must be the member's current one.
        generation: u32,
        /// The last numbered message the client received.
        last_n: u64,
        /// `Some` when the token comes from a previous server instance, so the participant may be restored
        /// into the room if the meeting's record (or, without one, the token) says it is in the meeting.
        restore: Option<Box<Restore>>,
        /// The answer.
        reply: oneshot::Sender<JoinReply>,
    },
    /// A participant's connection ended without `leave`: keep it for the grace period.
    Detach {
        /// Who.
        id: PeerId,
        /// Which connection ended (ignored if it is no longer the participant's current one).
        conn: u64,
        /// What it will leave with if it does not come back.
        reason: LeaveReason,
    },
    /// Remove a participant now.
    Leave {
        /// Who.
        id: PeerId,
        /// Which connection asked (ignored if it is no longer the participant's current one).
        conn: u64,
        /// Why, as the others will be told.
        reason: LeaveReason,
    },
    /// The participant has received its stream up to message `n`: those need not be kept for a replay.
    Ack {
        /// Whose stream.
        id: PeerId,
        /// Which connection says so (ignored if it is no longer the participant's current one).
        conn: u64,
        /// The highest message number received.
        n: u64,
    },
    /// Set a participant's media state.
    Media {
        /// Whose.
        id: PeerId,
        /// The new state.
        media: MediaState,
    },
    /// Raise or lower a hand.
    Hand {
        /// Whose.
        id: PeerId,
        /// Raised.
        raised: bool,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
    /// Use a host control.
    Moderate {
        /// Who asks (its role decides).
        by: PeerId,
        /// What to do.
        action: Moderation,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
    /// Post a chat message.
    Chat {
        /// The sender.
        from: PeerId,
        /// The validated text.
        text: String,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
}

/// The answer to [`RoomCommand::Join`] and [`RoomCommand::Resume`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinReply {
    /// In: the `welcome` (or `resumed`) is already queued to the participant.
    Joined,
    /// Waiting in the lobby: `waiting` is queued; `welcome` or `removed` follows when someone decides.
    Waiting,
    /// The room is full.
    Full,
    /// The room is locked.
    Locked,
    /// The participant was banned from this meeting.
    Banned,
    /// The lobby is on and full.
    LobbyFull,
    /// The id is taken in this room; draw another.
    DuplicateId,
    /// The room was closing as the request arrived; look it up again.
    Closed,
    /// The resume is refused, for this reason.
    Refused(&'static str),
    /// The proof no longer fits the room's access (it changed meanwhile): ask again.
    AccessChanged,
}

#[cfg(test)]
mod tests {
    /// Every room allocates its mailbox 32 slots at a time, each as large as the largest command: with 10k
    /// rooms that is memory per participant (it was 7.7 KiB per room at 240 bytes).
    #[test]
    fn commands_stay_small() {
        assert!(std::mem::size_of::<super::RoomCommand>() <= 64, "{}", std::mem::size_of::<super::RoomCommand>());
    }
}
