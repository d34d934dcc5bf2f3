//! Whose video each subscriber receives: last-N (the pinned one, recent speakers, join order) among the
//! publishers of its room it shows, and nothing for a publisher whose tile it hides (height 0). The SFU works
//! it out again whenever the active speaker, a pin, a tile or the set of published tracks changes; copies
//! not shown stay negotiated but paused (nothing forwarded), so bringing one back costs a key frame, not an
//! SDP round trip.

use str0m::media::MediaKind;

use super::Sfu;
use crate::forward::Forward;
use crate::participant::MAX_TILES;
use crate::track::Content;
use crate::{ParticipantId, RoomKey, SfuError};

impl Sfu {
    /// The subscriber pins `pinned`'s video (or unpins, with `None`): it is always among its last-N.
    pub fn pin(&mut self, subscriber: ParticipantId, pinned: Option<ParticipantId>) -> Result<(), SfuError> {
        let participant = self.participants.get_mut(&subscriber).ok_or(SfuError::UnknownParticipant(subscriber))?;
        participant.pinned = pinned;
        self.revisit(subscriber);
        Ok(())
    }

    /// The subscriber shows `publisher`'s video in a tile `height` pixels tall; 0 means it does not show it:
    /// nothing of that video is forwarded until a later non-zero height resumes it (from a key frame). The
    /// SFU chooses the simulcast layer from the height. Remembered for tracks `publisher` publishes later,
    /// and for a publisher not (yet) in the SFU.
    pub fn set_tile_of(
        &mut self,
        subscriber: ParticipantId,
        publisher: ParticipantId,
        height: u32,
    ) -> Result<(), SfuError> {
        let participant = self.participants.get_mut(&subscriber).ok_or(SfuError::UnknownParticipant(subscriber))?;
        if participant.tiles.len() < MAX_TILES || participant.tiles.contains_key(&publisher) {
            participant.tiles.insert(publisher, height);
        }
        self.apply_tiles(subscriber);
        Ok(())
    }

    /// Replaces every tile the subscriber said before (a `tiles` message): publishers it does not list
    /// count as not said (shown, the largest layer the estimate allows). At most `MAX_TILES` are kept.
    pub fn set_tiles(&mut self, subscriber: ParticipantId, tiles: &[(ParticipantId, u32)]) -> Result<(), SfuError> {
        let participant = self.participants.get_mut(&subscriber).ok_or(SfuError::UnknownParticipant(subscriber))?;
        participant.tiles = tiles.iter().take(MAX_TILES).copied().collect();
        self.apply_tiles(subscriber);
        Ok(())
    }

    /// Gives every copy the subscriber receives the tile it said, then pauses and resumes as the tiles say.
    fn apply_tiles(&mut self, subscriber: ParticipantId) {
        if let Some(participant) = self.participants.get_mut(&subscriber) {
            let tiles: Vec<_> =
                participant.tracks_out.iter().map(|c| participant.tile_of(c.source.publisher)).collect();
            for (copy, tile) in participant.tracks_out.iter_mut().zip(tiles) {
                copy.tile = tile;
            }
        }
        self.revisit(subscriber);
        self.rechoose_layers(subscriber);
    }

    pub(super) fn revisit_room(&mut self, room: RoomKey) {
        let subscribers: Vec<ParticipantId> = self.members(room).to_vec();
        for subscriber in subscribers {
            self.revisit(subscriber);
        }
    }

    /// Pauses the subscriber's video copies beyond its last-N or hidden, resumes the others (each resumed
    /// copy asks its publisher for a key frame), then shares its bandwidth among the visible ones again.
    fn revisit(&mut self, subscriber: ParticipantId) {
        let Some(participant) = self.participants.get(&subscriber) else { return };
        let visible = self.config.last_n.map(|n| self.last_n(subscriber, participant.pinned, n));
        let Some(participant) = self.participants.get_mut(&subscriber) else { return };
        let hidden: Vec<bool> = participant.tracks_out.iter().map(|c| participant.hides(c.source.publisher)).collect();
        let mut changed = false;
        for (copy, hidden) in participant.tracks_out.iter_mut().zip(hidden) {
            if copy.kind != MediaKind::Video || !copy.is_live() {
                continue;
            }
            // A screen share is what everyone came to see: never held back by last-N or a hidden camera tile.
            let show = copy.content == Content::Screen
                || (!hidden && visible.as_ref().is_none_or(|v| v.contains(&copy.source.publisher)));
            let was_paused = copy.is_paused();
            if copy.set_paused(!show) {
                self.forwards.push_back(Forward::KeyframeRequest { track: copy.source, rid: copy.wanted_rid() });
            }
            if was_paused != copy.is_paused() {
                changed = true;
                tracing::debug!(%subscriber, track = %copy.source, paused = !show, hidden, "sfu: video copy paused or resumed");
            }
        }
        if changed {
            self.rechoose_layers(subscriber);
        }
    }
}
