//! The logic of one meeting room, without I/O: who is here and with which role, the lobby, bans and
//! invitations, host controls, chat, connections coming and going (resume generations, reconnect
//! deadlines), a meeting carried over from a previous server instance, and when its record is saved.
//!
//! A [`Room`] is a state machine in the style of str0m's `Rtc`: [`Room::handle_input`] takes an [`Input`]
//! with the time ([`Now`]), [`Room::poll_output`] gives the [`Output`]s in order, and
//! [`Room::poll_timeout`] says when to come back with [`Input::Timeout`]. It owns no socket, task or clock;
//! inputs and outputs are plain data, so the server's tokio task that drives it is thin, and tests drive it
//! with a fake clock.
//!
//! Modules: [`roster`] (members, media, join rules; with `lobby`, `moderation` and `chat` as its parts),
//! `room` (the state machine and the order of its outputs), `entry` (newcomers, bans, invitations, the
//! lobby's arrivals), `resume` (reconnecting and resuming), `keeping` (role tokens and record saving),
//! [`record`] (what a meeting keeps across restarts), `io` (the inputs and outputs), `relay` (the rules for
//! relaying a signal, shared with the direct relay path), `reactions` (each member's reaction budget), `recording` (who records the meeting), `media` (the media mode: mesh or SFU, the rule
//! that switches it, the SFU's id, and what members ask of the SFU), `log_name` (a room as logs name it: a
//! short hash).

#![deny(missing_docs)]

mod chat;
mod entry;
mod io;
mod keeping;
mod lobby;
mod log_name;
mod media;
mod moderation;
mod reactions;
pub mod record;
mod recording;
mod relay;
mod resume;
mod room;
pub mod roster;

pub use io::{
    Disconnect, Entered, Entry, Greeting, Input, Join, Joined, MediaView, Now, Output, Refusal, Restore, Resume,
    ResumeRefusal,
};
pub use log_name::LogName;
pub use media::{MediaPolicy, MediaSettings, SfuRequest};
pub use moderation::OPERATOR;
pub use reactions::{REACTION_BURST, REACTION_REFILL};
pub use relay::check_signal;
pub use room::{FIRST_JOIN_WAIT, Room, Settings};
pub use roster::{Admission, Effect, RoomConfig, Roster};
