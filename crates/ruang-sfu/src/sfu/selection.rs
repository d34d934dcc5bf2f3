//! Which simulcast layer each subscriber receives: set by hand (`select_layer`), or chosen by the SFU from
//! the layers the publisher described (at the bitrates they are measured to arrive at, once measured:
//! `rate.rs`), the tile each subscriber shows the track in, and str0m's bandwidth
//! estimate toward the subscriber (`layer::allocate`), then moved to a layer that is actually arriving
//! (`layer::fit_to_arriving`: a publisher short of uplink sends only its smallest layers). Without a
//! description, a subscriber gets the largest layer arriving. Every switch asks the publisher for a key
//! frame of the new layer, which takes over from the old one at that key frame.

use str0m::bwe::Bitrate;
use str0m::media::{MediaKind, Rid};

use super::Sfu;
use crate::forward::Forward;
use crate::layer::{Layer, TileHeight, Wanted, allocate, choose_layer, fit_to_arriving};
use crate::track::TrackOut;
use crate::{ParticipantId, SfuError, TrackId};

/// At most this many simulcast layers are described per track (the protocol allows 4).
const MAX_LAYERS: usize = 8;

/// The bitrate a copy of a video track without described layers is assumed to need, for the bandwidth
/// estimator's probing only (bits per second; a camera at 720p sends up to about this).
const UNDESCRIBED_VIDEO_BITRATE: u64 = 1_500_000;

/// One copy whose publisher described its layers, as the choice sees it.
struct DescribedCopy {
    /// Its index in the subscriber's `tracks_out`.
    index: usize,
    layers: Vec<(Rid, Layer)>,
    /// Which of `layers` are arriving from the publisher.
    arriving: Vec<bool>,
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
        let described = sorted_layers(layers).ok_or(SfuError::LayersMismatch(track))?;
        if !published.matches(&described) {
            return Err(SfuError::LayersMismatch(track));
        }
        published.described = described;
        self.rechoose_subscribers_of(track.publisher);
        Ok(())
    }

    /// The publisher's description of its video's simulcast layers (a `layers` message): each rid with its
    /// frame height and bitrate, in any order. It applies to the publisher's simulcast video track, and to
    /// the ones it publishes later (a screen share), whose rids it must then be; a track already published
    /// with other rids refuses it (`LayersMismatch`). An empty list forgets the description.
    pub fn describe_layers_of(&mut self, publisher: ParticipantId, layers: &[(&str, Layer)]) -> Result<(), SfuError> {
        let participant = self.participants.get_mut(&publisher).ok_or(SfuError::UnknownParticipant(publisher))?;
        let described = sorted_layers(layers).ok_or(SfuError::InvalidLayers(publisher))?;
        let simulcast = participant.tracks_in.iter_mut().filter(|t| t.kind == MediaKind::Video && !t.rids.is_empty());
        let mut tracks: Vec<_> = simulcast.collect();
        if let Some(wrong) = tracks.iter().find(|t| !described.is_empty() && !t.matches(&described)) {
            return Err(SfuError::LayersMismatch(TrackId { publisher, mid: wrong.mid }));
        }
        for track in &mut tracks {
            track.described = described.clone();
        }
        participant.layers = described;
        self.rechoose_subscribers_of(publisher);
        Ok(())
    }

    /// Chooses again the layers of everyone in the publisher's room (after its layers were described).
    pub(super) fn rechoose_subscribers_of(&mut self, publisher: ParticipantId) {
        let Some(room) = self.room_of(publisher) else { return };
        let subscribers: Vec<ParticipantId> =
            self.members(room).iter().copied().filter(|member| *member != publisher).collect();
        for subscriber in subscribers {
            self.rechoose_layers(subscriber);
        }
    }

    /// The subscriber shows `track` in a tile `tile` pixels high (`None`: it did not say). Per track; the
    /// protocol's per-participant form, which also hides a video, is [`Sfu::set_tile_of`].
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
        // One pass over the copies shown: those whose publisher described its layers are chosen for below;
        // an undescribed simulcast copy gets the largest layer arriving. Undescribed video still needs
        // bandwidth: without a desired bitrate str0m never probes, and its pacer holds every packet to 1.1 x
        // an estimate that then creeps up from `initial_estimate` (1 Mbps, for 24 x 300 kbps at 25 bots):
        // queues, seconds of delay, lost frames and key-frame requests. Each is counted at an assumed bitrate.
        let mut copies: Vec<DescribedCopy> = Vec::new();
        let mut largest_arriving: Vec<(usize, Rid)> = Vec::new();
        let mut undescribed: u64 = 0;
        for (index, copy) in participant.tracks_out.iter().enumerate().filter(|(_, copy)| !copy.is_paused()) {
            let published = self
                .participants
                .get(&copy.source.publisher)
                .and_then(|publisher| publisher.tracks_in.iter().find(|t| t.mid == copy.source.mid));
            if let Some(published) = published.filter(|p| !p.described.is_empty()) {
                let arriving = published.described.iter().map(|(rid, _)| published.layer_arrives(*rid)).collect();
                copies.push(DescribedCopy { index, layers: published.layers_as_sent(), arriving, tile: copy.tile });
                continue;
            }
            if copy.kind == MediaKind::Video {
                undescribed += 1;
            }
            if let Some(published) = published
                && let Some(largest) = published.rids.len().checked_sub(1)
            {
                largest_arriving.push((index, published.rids[fit_to_arriving(largest, published.arriving())]));
            }
        }
        if copies.is_empty() && undescribed == 0 && largest_arriving.is_empty() {
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
            .fold(0, u64::saturating_add)
            .saturating_add(undescribed.saturating_mul(UNDESCRIBED_VIDEO_BITRATE));

        let Some(participant) = self.participants.get_mut(&subscriber) else { return };
        let described = copies.iter().zip(chosen).filter_map(|(described, choice)| {
            let choice = fit_to_arriving(choice?, &described.arriving);
            Some((described.index, described.layers[choice].0))
        });
        for (index, rid) in described.chain(largest_arriving) {
            let copy = &mut participant.tracks_out[index];
            if copy.switch_layer(Some(rid)) {
                tracing::debug!(%subscriber, track = %copy.source, %rid, "sfu: switching layer");
                self.forwards.push_back(Forward::KeyframeRequest { track: copy.source, rid: Some(rid) });
            }
        }
        tracing::debug!(%subscriber, desired, undescribed, "sfu: desired bitrate toward a subscriber");
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

/// Layers as a publisher described them, smallest first (the choice needs that order, whatever order the
/// client listed them in); `None` when there are too many or a rid repeats.
fn sorted_layers(layers: &[(&str, Layer)]) -> Option<Vec<(Rid, Layer)>> {
    if layers.len() > MAX_LAYERS {
        return None;
    }
    let mut described: Vec<(Rid, Layer)> = layers.iter().map(|(rid, layer)| (Rid::from(*rid), *layer)).collect();
    described.sort_by_key(|(_, layer)| (layer.height, layer.bitrate));
    let distinct = described.iter().enumerate().all(|(i, (rid, _))| described[..i].iter().all(|(r, _)| r != rid));
    distinct.then_some(described)
}
