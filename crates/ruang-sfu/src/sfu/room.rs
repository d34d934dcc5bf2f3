//! Rooms: the SFU holds many rooms behind its one port, and media never crosses from one to another. A room
//! is its members in join order (last-N fills with it) and its own active speaker; it exists while it has
//! members.

use crate::ParticipantId;
use crate::speaker::Speakers;

#[derive(Debug, Default)]
pub(crate) struct Room {
    /// Members in the order they joined.
    pub members: Vec<ParticipantId>,
    /// Who speaks in this room, and the recent speakers last-N prefers.
    pub speakers: Speakers,
    /// Everyone heard with audio levels, loudest first, as of the last poll (audio loudest-N only).
    pub loudest: Vec<ParticipantId>,
}

impl Room {
    /// Takes a member out; true when it was the active speaker (now nobody is).
    pub fn leave(&mut self, id: ParticipantId) -> bool {
        let was_speaker = self.speakers.current() == Some(id);
        self.members.retain(|member| *member != id);
        self.speakers.forget(id);
        was_speaker
    }
}
