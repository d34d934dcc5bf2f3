//! The messages a room task's mailbox carries: everything that can happen to a room.

use ruang_proto::{LeaveReason, MediaState, PeerId, SignalData};
use tokio::sync::oneshot;

use super::participant::Participant;
use crate::ice::IceGrant;

/// A request to a room task.
pub enum RoomCommand {
    /// Add a participant; the answer says whether it is in.
    Join {
        /// The server-assigned id.
        id: PeerId,
        /// The validated display name.
        name: String,
        /// The starting media state.
        media: MediaState,
        /// The `req` of the client's `join`, echoed in `welcome`.
        req: Option<u32>,
        /// The ICE servers and policy for its `welcome`.
        ice: IceGrant,
        /// How the room reaches the participant.
        participant: Box<dyn Participant>,
        /// The answer.
        reply: oneshot::Sender<JoinReply>,
    },
    /// Remove a participant.
    Leave {
        /// Who.
        id: PeerId,
        /// Why, as the others will be told.
        reason: LeaveReason,
    },
    /// Relay negotiation data.
    Signal {
        /// The sender (stamped by its session, never by the client).
        from: PeerId,
        /// The target.
        to: PeerId,
        /// The payload.
        data: SignalData,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
    /// Set a participant's media state.
    Media {
        /// Whose.
        id: PeerId,
        /// The new state.
        media: MediaState,
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

/// The answer to [`RoomCommand::Join`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinReply {
    /// In: the `welcome` is already queued to the participant.
    Joined,
    /// The room is full.
    Full,
    /// The id is taken in this room; draw another.
    DuplicateId,
    /// The room was closing as the join arrived; look it up again.
    Closed,
}
