//! Who is recording the meeting: a host or moderator records in its browser and tells the room, which
//! keeps the recorder, tells everyone (and newcomers in their `welcome`), and clears it, telling everyone,
//! when the recorder stops or leaves for good.

use ruang_proto::{ErrorCode, PeerId, Rejection, ServerMessage};

use crate::roster::{Roster, not_in_room};

impl Roster {
    /// The member recording the meeting, if any.
    pub fn recorder(&self) -> Option<PeerId> {
        self.recording
    }

    /// `id` starts (`on`) or stops recording. Only hosts and moderators may start, and one member records
    /// at a time; stopping is only the recorder's (anyone else's stop changes nothing).
    pub fn record(&mut self, id: PeerId, on: bool) -> Result<(), Rejection> {
        let role = self.member(id).ok_or_else(not_in_room)?.role;
        match (on, self.recording) {
            (true, Some(recorder)) if recorder == id => Ok(()),
            (true, Some(_)) => {
                Err(Rejection::new(ErrorCode::Forbidden, "someone else is recording; one recording at a time"))
            }
            (true, None) if !role.moderates() => {
                Err(Rejection::new(ErrorCode::Forbidden, "only hosts and moderators may record the meeting"))
            }
            (true, None) => {
                self.set_recorder(Some(id));
                Ok(())
            }
            (false, Some(recorder)) if recorder == id => {
                self.set_recorder(None);
                Ok(())
            }
            (false, _) => Ok(()),
        }
    }

    /// Stops the recording if `gone` (a member leaving for good) was recording.
    pub(crate) fn stop_recording_of(&mut self, gone: PeerId) {
        if self.recording == Some(gone) {
            self.set_recorder(None);
        }
    }

    fn set_recorder(&mut self, recorder: Option<PeerId>) {
        self.recording = recorder;
        self.broadcast(None, ServerMessage::Recording { id: recorder });
    }
}
