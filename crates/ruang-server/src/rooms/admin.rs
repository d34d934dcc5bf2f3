//! What a room answers the admin API: a summary of itself, and whether an operator's host control has a
//! target to act on. The control itself goes into the room as [`ruang_room::Input::Administer`], so the
//! rules of removing, banning, locking and ending stay in `ruang_room`'s moderation alone.

use ruang_proto::{Moderation, PeerId, PeerInfo, RoomName};
use ruang_room::Room;
use serde::Serialize;

/// One room as the admin API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct RoomSummary {
    /// Its name.
    pub room: RoomName,
    /// Whether newcomers are refused.
    pub locked: bool,
    /// Whether newcomers wait in the lobby.
    pub lobby: bool,
    /// Its members, in join order (reconnecting ones included).
    pub participants: Vec<PeerInfo>,
}

/// Why an operator's host control was not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminRefusal {
    /// The target is not a member of the room.
    #[error("no such participant in this room")]
    UnknownParticipant(PeerId),
}

/// The room as it is now.
pub(super) fn summary(room: &Room) -> RoomSummary {
    let roster = room.roster();
    RoomSummary {
        room: room.name().clone(),
        locked: roster.is_locked(),
        lobby: roster.has_lobby(),
        participants: roster.members().to_vec(),
    }
}

/// Whether `action`'s target (if it has one) is a member of the room.
pub(super) fn check(room: &Room, action: Moderation) -> Result<(), AdminRefusal> {
    let target = match action {
        Moderation::Remove(id) | Moderation::Ban(id) | Moderation::Mute(id) | Moderation::SetRole(id, _) => id,
        Moderation::Spotlight(id) => id,
        _ => return Ok(()),
    };
    match room.roster().members().iter().any(|member| member.id == target) {
        true => Ok(()),
        false => Err(AdminRefusal::UnknownParticipant(target)),
    }
}
