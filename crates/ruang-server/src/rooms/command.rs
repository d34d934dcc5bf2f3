//! The messages a room task's mailbox carries: the room's own [`Input`]s, plus what only this process can
//! carry beside them: a joiner's connection and the channel its answer goes back on.

use ruang_room::{Entered, Input, Refusal};
use tokio::sync::oneshot;

use crate::access::{Access, Proof};
use ruang_member::Link;

/// A join or resume on its way to a room: the room's input, the connection it names, and where the answer
/// goes.
pub struct Entering {
    /// [`Input::Join`] or [`Input::Resume`], naming `link.conn`.
    pub input: Input,
    /// For a join, what the joiner proved (nothing, the password, or an invitation), checked against the
    /// room's access as it is now.
    pub proof: Option<Proof>,
    /// The connection.
    pub link: Link,
    /// The answer.
    pub reply: oneshot::Sender<Answer>,
}

/// The answer to a join or resume: in, waiting in the lobby, or refused.
pub type Answer = Result<Entered, Refusal>;

/// A request to a room task.
pub enum RoomCommand {
    /// Tell how the room is entered now, so the session can prepare its proof.
    Access {
        /// The answer.
        reply: oneshot::Sender<Access>,
    },
    /// Join or resume (boxed, as the rare large commands are, so that a mailbox slot stays small: a room's
    /// mailbox allocates slots 32 at a time).
    Enter(Box<Entering>),
    /// Anything else that happens to the room.
    Input(Input),
    /// Describe the room for the admin API.
    Inspect {
        /// The answer.
        reply: oneshot::Sender<super::admin::RoomSummary>,
    },
    /// Apply the operator's host control ([`Input::Administer`]) if its target is in the room.
    Administer {
        /// What to do.
        action: ruang_proto::Moderation,
        /// Whether it was applied.
        reply: oneshot::Sender<Result<(), super::admin::AdminRefusal>>,
    },
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
