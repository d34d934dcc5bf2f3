//! Who runs a meeting: participant roles and the host controls a client may ask for.

use serde::{Deserialize, Serialize};

use crate::PeerId;

/// What a participant may do in its room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the meeting: every control, including ending it and giving roles.
    Host,
    /// Keeps order: removes, bans and mutes participants and viewers, locks the room.
    Moderator,
    /// Takes part: sends audio, video, screen and chat.
    #[default]
    Participant,
    /// Watches: receives, chats and raises a hand, but sends no media.
    Viewer,
}

impl Role {
    /// Whether this role may use the host controls that keep order (remove, ban, mute, lock).
    pub fn moderates(self) -> bool {
        matches!(self, Role::Host | Role::Moderator)
    }
}

/// A host control, as a client asks for it.
///
/// Its serde form is for server-to-server use (a room's inputs crossing nodes): clients ask for host
/// controls with their own messages, read by [`parse_client_message`](crate::parse_client_message).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Moderation {
    /// Remove a participant; it may join again (unless the room is locked).
    Remove(PeerId),
    /// Remove a participant for the rest of the meeting: its identity and invite no longer get in.
    Ban(PeerId),
    /// Mute a participant's microphone; only it can unmute itself.
    Mute(PeerId),
    /// Mute everyone else.
    MuteAll,
    /// Refuse new participants.
    Lock,
    /// Accept new participants again.
    Unlock,
    /// End the meeting for everyone.
    End,
    /// Give a participant a role (host only); giving `host` hands the meeting over.
    SetRole(PeerId, Role),
    /// Make newcomers wait in the lobby until a host or moderator admits them.
    LobbyOn,
    /// Let newcomers straight in, and everyone waiting too.
    LobbyOff,
    /// Let someone waiting in the lobby in.
    Admit(PeerId),
    /// Turn someone waiting in the lobby away.
    Deny(PeerId),
    /// Put a participant on everyone's stage (one at a time; it replaces an earlier spotlight).
    Spotlight(PeerId),
    /// Take the spotlight away: everyone's own layout again.
    SpotlightOff,
}

/// Why a participant was taken out of its room by someone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovedReason {
    /// A host or moderator removed it.
    Removed,
    /// A host or moderator banned it for the rest of the meeting.
    Banned,
    /// A host ended the meeting.
    Ended,
    /// A host or moderator turned it away from the lobby.
    Denied,
}
