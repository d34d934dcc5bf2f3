//! The interface through which a room reaches a member, and why deliveries fail or connections end. Plain
//! data, no WebSocket close codes: the WebSocket session maps [`Disconnect`] to its own codes.

use ruang_proto::Role;
use serde::{Deserialize, Serialize};

use crate::Frame;

/// Why a delivery failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum DeliveryError {
    /// The member's queue is full: it cannot keep up and must be dropped.
    #[error("the member's queue is full")]
    Full,
    /// The member's connection is gone.
    #[error("the member is gone")]
    Gone,
}

/// Why a room lets go of a member's connection while the member itself may stay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Disconnect {
    /// Its queue was full; the connection must end at once. The member may resume.
    Slow,
    /// The member resumed on another connection; this one must end.
    Replaced,
    /// A host took the member out of the room (or ended the meeting); the connection ends after the
    /// `removed` message already queued.
    Removed,
}

/// A member of a room, as whoever sends to it sees it. Implementations must never block or await: a room
/// delivers to everyone from one place, and one slow member must not stall the others.
pub trait Member: Send + Sync + 'static {
    /// Queues a message for the member; `n` is its number in the member's stream, if numbered.
    fn deliver(&self, frame: &Frame, n: Option<u64>) -> Result<(), DeliveryError>;

    /// Tells the connection the room no longer sends through it, and why.
    fn disconnect(&self, why: Disconnect);

    /// The room refused one of the member's messages for a reason that is the client's fault
    /// ([`ruang_proto::ErrorCode::is_violation`]): the connection counts it against its violation budget.
    fn violated(&self);

    /// Tells the connection the member is in the room (no longer in the lobby) with `role`, so what it
    /// renews (resume tokens, TURN credentials) starts now and says the right role.
    fn set_role(&self, role: Role) {
        let _ = role;
    }
}
