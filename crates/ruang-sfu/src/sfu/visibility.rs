//! Last-N: which of the others' videos each subscriber receives. The SFU works it out again whenever the
//! active speaker, a pin or the set of published tracks changes; copies beyond N stay negotiated but paused
//! (nothing forwarded), so bringing one back costs a key frame, not an SDP round trip.

use str0m::media::MediaKind;

use super::Sfu;
use crate::forward::Forward;
use crate::{ParticipantId, SfuError};

impl Sfu {
    /// The subscriber pins `pinned`'s video (or unpins, with `None`): it is always among its last-N.
    pub fn pin(&mut self, subscriber: ParticipantId, pinned: Option<ParticipantId>) -> Result<(), SfuError> {
        let participant = self.participants.get_mut(&subscriber).ok_or(SfuError::UnknownParticipant(subscriber))?;
        participant.pinned = pinned;
        self.revisit(subscriber);
        Ok(())
    }

    pub(super) fn revisit_all(&mut self) {
        let subscribers: Vec<ParticipantId> = self.participants.keys().copied().collect();
        for subscriber in subscribers {
            self.revisit(subscriber);
        }
    }

    /// Pauses the subscriber's video copies beyond its last-N and resumes the others (each resumed copy
    /// asks its publisher for a key frame), then shares its bandwidth among the visible ones again.
    fn revisit(&mut self, subscriber: ParticipantId) {
        let Some(participant) = self.participants.get(&subscriber) else { return };
        let visible = self.config.last_n.map(|n| self.last_n(subscriber, participant.pinned, n));
        let Some(participant) = self.participants.get_mut(&subscriber) else { return };
        let mut changed = false;
        for copy in participant.tracks_out.iter_mut().filter(|c| c.kind == MediaKind::Video && c.is_live()) {
            let show = visible.as_ref().is_none_or(|v| v.contains(&copy.source.publisher));
            let was_paused = copy.is_paused();
            if copy.set_paused(!show) {
                self.forwards.push_back(Forward::KeyframeRequest { track: copy.source, rid: copy.rid });
            }
            changed |= was_paused != copy.is_paused();
        }
        if changed {
            self.rechoose_layers(subscriber);
        }
    }
}
