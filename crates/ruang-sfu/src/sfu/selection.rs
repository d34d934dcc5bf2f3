//! Which simulcast layer each subscriber receives: set by hand (`select_layer`), or chosen by the SFU from
//! the layers the publisher described, the tile each subscriber shows the track in, and str0m's bandwidth
//! estimate toward the subscriber (`layer::allocate`). Every switch closes the copy's key-frame gate and asks
//! the publisher for a key frame of the new layer.

use str0m::bwe::Bitrate;
use str0m::media::Rid;

use super::Sfu;
use crate::forward::Forward;
use crate::layer::{Layer, TileHeight, Wanted, allocate, choose_layer};
use crate::track::TrackOut;
use crate::{ParticipantId, SfuError, TrackId};

/// One copy whose publisher described its layers, as the choice sees it.
struct DescribedCopy {
    /// Its index in the subscriber's `tracks_out`.
    index: usize,
    layers: Vec<(Rid, Layer)>,
    tile: TileHeight,
}

impl Sfu {
    /// Forwards simulcast layer `rid` of `track` to `subscriber`, from that layer's next key frame on (one
    /// is asked of the publisher now). A rid the track does not publish is refused. For tracks whose layers were described, the SFU's own choice
    /// replaces this at the next tile or estimate change.
    pub fn select_layer(&mut self, subscriber: ParticipantId, track: TrackId, rid: &str) -> Result<(), SfuError> {
        let rid = Rid::from(rid);
        let published = self
            .participants
            .get(&track.publisher)
            .and_then(|p| p.tracks_in.iter().find(|t| t.mid == track.mid))
            .ok_or(SfuError::UnknownTrack(track))?;
        if !published.rids.contains(&rid) {
            return Err(SfuError::LayersMismatch(track));
        }
        let copy = self.live_copy(subscriber, track)?;
        if copy.switch_layer(Some(rid)) {
            self.forwards.push_back(Forward::KeyframeRequest { track, rid: Some(rid) });
        }
        Ok(())
    }

    /// The publisher's description of its simulcast layers (from signaling): each rid with its frame
    /// height and bitrate, in any order. From now on the SFU chooses every subscriber's layer of this
    /// track itself.
    pub fn describe_layers(&mut self, track: TrackId, layers: &[(&str, Layer)]) -> Result<(), SfuError> {
        let publisher =
            self.participants.get_mut(&track.publisher).ok_or(SfuError::UnknownParticipant(track.publisher))?;
        let published =
            publisher.tracks_in.iter_mut().find(|t| t.mid == track.mid).ok_or(SfuError::UnknownTrack(track))?;
        let mut described: Vec<(Rid, Layer)> = layers.iter().map(|(rid, layer)| (Rid::from(*rid), *layer)).collect();
        // The choice needs them smallest first, whatever order the client listed them in.
        described.sort_by_key(|(_, layer)| (layer.height, layer.bitrate));
        let same_rids =
            described.len() == published.rids.len() && described.iter().all(|(rid, _)| published.rids.contains(rid));
        if !same_rids {
            return Err(SfuError::LayersMismatch(track));
        }
        published.described = described;
        let subscribers: Vec<ParticipantId> = self
            .participants
            .values()
            .filter(|p| p.tracks_out.iter().any(|t| t.source == track))
            .map(|p| p.id)
            .collect();
        for subscriber in subscribers {
            self.rechoose_layers(subscriber);
        }
        Ok(())
    }

    /// The subscriber shows `track` in a tile `tile` pixels high (`None`: it did not say).
    pub fn set_tile(&mut self, subscriber: ParticipantId, track: TrackId, tile: TileHeight) -> Result<(), SfuError> {
        let copy = self.live_copy(subscriber, track)?;
        copy.tile = tile;
        self.rechoose_layers(subscriber);
        Ok(())
    }

    /// Chooses again the layer of every described simulcast copy `subscriber` receives, and tells str0m's
    /// bandwidth estimator how much the subscriber's tiles could use (so it probes up to that, no further).
    pub(super) fn rechoose_layers(&mut self, subscriber: ParticipantId) {
        let Some(participant) = self.participants.get(&subscriber) else { return };
        let copies: Vec<DescribedCopy> = participant
            .tracks_out
            .iter()
            .enumerate()
            .filter(|(_, copy)| !copy.is_paused())
            .filter_map(|(index, copy)| {
                let publisher = self.participants.get(&copy.source.publisher)?;
                let published = publisher.tracks_in.iter().find(|t| t.mid == copy.source.mid)?;
                (!published.described.is_empty()).then(|| DescribedCopy {
                    index,
                    layers: published.described.clone(),
                    tile: copy.tile,
                })
            })
            .collect();
        if copies.is_empty() {
            return;
        }
        let layers: Vec<Vec<Layer>> = copies.iter().map(|c| c.layers.iter().map(|(_, l)| *l).collect()).collect();
        let wanted: Vec<Wanted<'_>> =
            copies.iter().zip(&layers).map(|(copy, layers)| Wanted { layers, tile: copy.tile }).collect();
        let chosen = allocate(&wanted, participant.estimate);
        // Bitrates come from clients: saturate rather than overflow.
        let desired = wanted
            .iter()
            .filter_map(|w| choose_layer(w.layers, w.tile, None).map(|i| w.layers[i].bitrate))
            .fold(0, u64::saturating_add);

        let Some(participant) = self.participants.get_mut(&subscriber) else { return };
        for (described, choice) in copies.iter().zip(chosen) {
            let Some(choice) = choice else { continue };
            let rid = described.layers[choice].0;
            let copy = &mut participant.tracks_out[described.index];
            if copy.switch_layer(Some(rid)) {
                self.forwards.push_back(Forward::KeyframeRequest { track: copy.source, rid: Some(rid) });
            }
        }
        if self.config.initial_estimate.is_some() && desired > 0 {
            participant.rtc.bwe().set_desired_bitrate(Bitrate::bps(desired));
            participant.dirty = true;
        }
    }

    /// The live copy of `track` that `subscriber` receives.
    fn live_copy(&mut self, subscriber: ParticipantId, track: TrackId) -> Result<&mut TrackOut, SfuError> {
        let participant = self.participants.get_mut(&subscriber).ok_or(SfuError::UnknownParticipant(subscriber))?;
        participant
            .tracks_out
            .iter_mut()
            .find(|t| t.source == track && t.is_live())
            .ok_or(SfuError::UnknownTrack(track))
    }
}
