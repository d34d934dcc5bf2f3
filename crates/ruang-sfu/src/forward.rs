//! What one participant's str0m events mean for the others: a published track to offer around, a frame
//! to forward, a key-frame request to pass to the publisher. Collected as `Forward` work while that
//! participant is polled, done by the `Sfu` afterwards (another participant's `Rtc` cannot be written to
//! while this one is borrowed).

use std::collections::VecDeque;
use std::time::Instant;

use str0m::bwe::BweKind;
use str0m::media::{KeyframeRequestKind, MediaData, MediaKind, Rid, Rids};
use str0m::{Event, IceConnectionState};

use crate::participant::Participant;
use crate::sfu::{Output, SfuConfig, SfuEvent};
use crate::speaker::Speakers;
use crate::track::{Content, TrackId, TrackIn};
use crate::{ParticipantId, Publishing, RoomKey};

/// Work passed from one participant to others, done between polls (a participant's `Rtc` cannot be
/// written to while another is being polled).
// Nearly every Forward is a frame: boxing it would cost an allocation per frame to shrink the rare others.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Forward {
    Media(ParticipantId, MediaData),
    KeyframeRequest {
        track: TrackId,
        rid: Option<Rid>,
    },
    TrackPublished(TrackId, MediaKind, Option<Rid>, Content),
    /// The publisher stopped sending the track: its copies are negotiated away.
    TrackUnpublished(TrackId),
    /// The subscriber's bandwidth estimate moved: choose its simulcast layers again.
    Rechoose(ParticipantId),
    /// The set of simulcast layers arriving from this publisher changed: its subscribers' layers are chosen
    /// again.
    LayersChanged(ParticipantId),
    /// Who speaks or publishes in the room changed: each of its subscribers' last-N is worked out again.
    Revisit(RoomKey),
}

/// One str0m event of one participant.
pub(crate) fn on_event(
    participant: &mut Participant,
    event: Event,
    config: &SfuConfig,
    now: Instant,
    ready: &mut VecDeque<Output>,
    forwards: &mut VecDeque<Forward>,
    speakers: &mut Speakers,
) {
    let id = participant.id;
    if let Event::MediaAdded(added) = &event {
        participant.note_media_added(added.mid, added.kind);
    }
    match event {
        Event::Connected => {
            participant.media_up = true;
            ready.push_back(Output::Event(SfuEvent::Connected(id)));
        }
        Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
            participant.lost_at = Some(now + config.lost_after);
            ready.push_back(Output::Event(SfuEvent::Disconnected(id)));
        }
        Event::IceConnectionStateChange(state) if state.is_connected() => participant.lost_at = None,
        // A participant that may not publish has its sending offers refused; should media still be
        // announced (a demotion since), it is not published.
        Event::MediaAdded(added) if added.direction.is_receiving() && participant.publishing == Publishing::Allowed => {
            let rids: Vec<Rid> =
                added.simulcast.map(|s| s.recv.into_iter().map(|layer| layer.rid).collect()).unwrap_or_default();
            let content = participant.content_of(added.mid);
            publish(participant, TrackIn::new(added.mid, added.kind, rids, content), ready, forwards);
        }
        // A client's re-offer turned an m-line's sending off (a screen share stopped) or on again.
        Event::MediaChanged(changed) => {
            let published = participant.tracks_in.iter().position(|t| t.mid == changed.mid);
            let receiving = changed.direction.is_receiving() && participant.publishing == Publishing::Allowed;
            match (published, receiving) {
                (Some(index), false) => {
                    let track = TrackId { publisher: id, mid: participant.tracks_in.remove(index).mid };
                    ready.push_back(Output::Event(SfuEvent::TrackUnpublished { track }));
                    forwards.push_back(Forward::TrackUnpublished(track));
                }
                (None, true) => {
                    if let Some(media) = participant.rtc.media(changed.mid) {
                        let rids = match media.rids_rx() {
                            Rids::Specific(rids) => rids.clone(),
                            _ => Vec::new(),
                        };
                        let track = TrackIn::new(changed.mid, media.kind(), rids, participant.content_of(changed.mid));
                        publish(participant, track, ready, forwards);
                    }
                }
                _ => {}
            }
        }
        Event::MediaData(_) if participant.publishing == Publishing::Refused => {}
        Event::MediaData(data) => {
            if let Some(level) = data.ext_vals.audio_level {
                speakers.hear(id, level, data.ext_vals.voice_activity, data.network_time);
            }
            if let Some(track) = participant.tracks_in.iter_mut().find(|t| t.mid == data.mid) {
                let rate_moved = track.measure(data.rid, data.data.len(), now);
                // A simulcast layer starting to arrive: subscribers waiting on a smaller one may move up.
                if track.frame_arrived(data.rid, now) {
                    tracing::debug!(publisher = %id, rid = ?data.rid, "sfu: a simulcast layer arrives");
                    forwards.push_back(Forward::LayersChanged(id));
                } else if rate_moved {
                    forwards.push_back(Forward::LayersChanged(id));
                }
                if !data.contiguous
                    && track.kind == MediaKind::Video
                    && track.keyframe_request_due(data.rid, now, config.keyframe_request_interval)
                    && let Some(mut writer) = participant.rtc.writer(data.mid)
                    // Loss the publisher's retransmissions did not repair: every subscriber's decoder needs a
                    // fresh key frame.
                    && writer.request_keyframe(data.rid, KeyframeRequestKind::Pli).is_ok()
                {
                    track.keyframe_requested(data.rid, now);
                }
            }
            forwards.push_back(Forward::Media(id, data));
        }
        Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. }) => {
            let moved = participant.note_estimate(estimate.as_u64());
            tracing::debug!(participant = %id, estimate = estimate.as_u64(), moved, "sfu: bandwidth estimate");
            if moved {
                forwards.push_back(Forward::Rechoose(id));
            }
        }
        Event::KeyframeRequest(request) => {
            if let Some(track) = participant.tracks_out.iter().find(|t| t.mid() == Some(request.mid)) {
                forwards.push_back(Forward::KeyframeRequest { track: track.source, rid: track.wanted_rid() });
            }
        }
        _ => {}
    }
}

/// A participant's new track: recorded, announced, and offered to every other participant.
fn publish(
    participant: &mut Participant,
    track_in: TrackIn,
    ready: &mut VecDeque<Output>,
    forwards: &mut VecDeque<Forward>,
) {
    let track = TrackId { publisher: participant.id, mid: track_in.mid };
    let (kind, rid, content) = (track_in.kind, default_layer(&track_in.rids), track_in.content);
    let mut track_in = track_in;
    // Layers the publisher described before publishing this track apply when they are its rids.
    if kind == MediaKind::Video && track_in.matches(&participant.layers) {
        track_in.described = participant.layers.clone();
    }
    participant.tracks_in.push(track_in);
    ready.push_back(Output::Event(SfuEvent::TrackPublished { track, kind }));
    forwards.push_back(Forward::TrackPublished(track, kind, rid, content));
}

/// The layer a new copy starts on: the largest (ruang's client lists layers smallest first). The choice is
/// refined per subscriber once tile sizes and bandwidth estimates arrive (see `layer::choose_layer`).
pub(crate) fn default_layer(rids: &[Rid]) -> Option<Rid> {
    rids.last().copied()
}
