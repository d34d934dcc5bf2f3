//! The logic of one meeting room, without I/O: who is here, their media state, the chat and its history,
//! and what must be sent to whom when something happens.
//!
//! A [`Room`] takes events through its methods (join, leave, signal, media, chat) and queues [`Effect`]s
//! that its owner drains with [`Room::take_effects`] and delivers. It owns no socket, task or clock: the
//! wall-clock time of chat messages is passed in. The server wraps each `Room` in one task with a mailbox,
//! which makes that task the single owner of the room's state.

#![deny(missing_docs)]

mod chat;
mod lobby;
mod moderation;
mod relay;
mod room;

pub use relay::check_signal;
pub use room::{Effect, JoinRefusal, Joined, Room, RoomConfig};
