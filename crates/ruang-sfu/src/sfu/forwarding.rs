//! The forwarding step of the poll loop: a `Forward` collected while polling one participant is carried out
//! on the others — a frame written into each subscriber's session (through its key-frame gate and layer
//! filter), a key frame asked of a publisher (throttled per layer), a new track's copies created, a
//! subscriber's layers chosen again. Only the publisher's room is looked at: nothing crosses rooms.

use str0m::RtcError;
use str0m::media::{KeyframeRequestKind, MediaData, Rid};

use super::Sfu;
use crate::ParticipantId;
use crate::forward::Forward;
use crate::speaker::Speakers;
use crate::track::{Admission, TrackId};

impl Sfu {
    pub(super) fn apply(&mut self, forward: Forward) {
        match forward {
            Forward::Media(origin, data) => self.forward_media(origin, &data),
            Forward::KeyframeRequest { track, rid } => self.request_keyframe(track, rid),
            Forward::Rechoose(subscriber) => self.rechoose_layers(subscriber),
            Forward::LayersChanged(publisher) => self.rechoose_subscribers_of(publisher),
            Forward::TrackUnpublished(track) => {
                let Some(room) = self.room_of(track.publisher) else { return };
                for member in self.rooms.get(&room).map_or(&[][..], |r| &r.members) {
                    if let Some(subscriber) = self.participants.get_mut(member) {
                        subscriber.drop_tracks(|source| *source == track);
                    }
                }
                self.forwards.push_back(Forward::Revisit(room));
            }
            Forward::Revisit(room) => self.revisit_room(room),
            Forward::TrackPublished(track, kind, rid, content) => {
                let Some(room) = self.room_of(track.publisher) else { return };
                let mut rechoose = Vec::new();
                for member in self.rooms.get(&room).map_or(&[][..], |r| &r.members) {
                    let Some(subscriber) = self.participants.get_mut(member) else { continue };
                    // A copy still being offered from before the track was turned off and on is reused.
                    let has_copy = subscriber.tracks_out.iter().any(|t| t.source == track && t.is_live());
                    if subscriber.id != track.publisher && !has_copy {
                        let copy = subscriber.new_copy(track, kind, rid, content);
                        subscriber.tracks_out.push(copy);
                        rechoose.push(subscriber.id);
                    }
                }
                // The publisher may have described its layers before publishing: choose them now.
                for subscriber in rechoose {
                    self.forwards.push_back(Forward::Rechoose(subscriber));
                }
                self.forwards.push_back(Forward::Revisit(room));
            }
        }
    }

    fn forward_media(&mut self, origin: ParticipantId, data: &MediaData) {
        let source = TrackId { publisher: origin, mid: data.mid };
        let is_keyframe = data.is_keyframe();
        let Some(room) = self.participants.get(&origin).map(|p| p.room) else { return };
        let Some(room) = self.rooms.get(&room) else { return };
        self.counters.received(data.data.len());
        // Audio loudest-N: only the loudest others are heard (per subscriber: it is not one of its own N).
        let audio_n = self.config.audio_last_n.filter(|_| data.params.spec().codec.is_audio());
        for member in &room.members {
            let Some(subscriber) = self.participants.get_mut(member) else { continue };
            if subscriber.id == origin {
                continue;
            }
            if let Some(n) = audio_n
                && !Speakers::among_loudest(&room.loudest, origin, subscriber.id, n)
            {
                continue;
            }
            let Some(track) = subscriber.tracks_out.iter_mut().find(|t| t.source == source && t.is_live()) else {
                continue;
            };
            let Some(mid) = track.open_mid() else { continue };
            // Not before its connection has come up (ICE, DTLS): str0m would only queue the frames, and a
            // browser that takes over ten seconds to connect (a late joiner on a busy machine) would fill the
            // queue. The copy starts at the next key frame once it is up.
            if !subscriber.media_up {
                continue;
            }
            if !data.contiguous {
                track.frames_lost(data.rid);
            }
            let before = track.rid;
            match track.admits(data.rid, is_keyframe) {
                Admission::Forward if track.rid != before => {
                    tracing::debug!(subscriber = %subscriber.id, track = %source, rid = ?track.rid, "sfu: layer took over");
                }
                Admission::Forward => {}
                Admission::OtherLayer | Admission::Paused => continue,
                Admission::AwaitingKeyframe => {
                    self.forwards.push_back(Forward::KeyframeRequest { track: source, rid: data.rid });
                    continue;
                }
            }
            let (time, wallclock) = track.stamp(data.rid, data.time, data.network_time);
            let Some(writer) = subscriber.rtc.writer(mid) else { continue };
            let Some(pt) = writer.match_params(data.params) else {
                tracing::trace!(subscriber = %subscriber.id, "sfu: subscriber lacks the publisher's codec");
                continue;
            };
            subscriber.dirty = true;
            match writer.write(pt, wallclock, time, data.data.clone()) {
                Ok(()) => self.counters.forwarded(data.data.len()),
                // The subscriber's queue of frames to packetize is full (str0m's bound): this frame is lost,
                // as on a congested link; NACK and key frames recover. Not a reason to end its session.
                Err(RtcError::WriteWithoutPoll) => {
                    tracing::debug!(subscriber = %subscriber.id, track = %source, "sfu: subscriber's queue full; frame dropped");
                    self.counters.frames_dropped += 1;
                }
                Err(e) => {
                    tracing::debug!(subscriber = %subscriber.id, error = %e, "sfu: write failed; closing");
                    subscriber.rtc.disconnect();
                }
            }
        }
    }

    fn request_keyframe(&mut self, track: TrackId, rid: Option<Rid>) {
        let interval = self.config.keyframe_request_interval;
        let now = self.now;
        let Some(publisher) = self.participants.get_mut(&track.publisher) else { return };
        let Some(track_in) = publisher.tracks_in.iter_mut().find(|t| t.mid == track.mid) else { return };
        if !track_in.keyframe_request_due(rid, now, interval) {
            return;
        }
        let Some(mut writer) = publisher.rtc.writer(track.mid) else { return };
        match writer.request_keyframe(rid, KeyframeRequestKind::Pli) {
            Ok(()) => {
                tracing::debug!(%track, ?rid, "sfu: key frame asked of the publisher");
                track_in.keyframe_requested(rid, now);
                publisher.dirty = true;
                self.counters.keyframe_requests += 1;
            }
            // No packet of that layer received yet: the gated subscriber asks again on its first frame.
            Err(e) => tracing::trace!(track = %track, error = %e, "sfu: key frame request not possible yet"),
        }
    }
}
