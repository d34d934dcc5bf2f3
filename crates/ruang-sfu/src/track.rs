//! Tracks as the SFU sees them: what a participant publishes (`TrackIn`, media the SFU receives), and the
//! copy of someone else's track a participant receives (`TrackOut`), with that copy's SDP negotiation state,
//! its simulcast layer and its key-frame gate (a subscriber gets no video until a key frame, so its decoder
//! never starts on a frame it cannot decode).

use std::fmt;
use std::time::{Duration, Instant};

use str0m::media::{MediaKind, Mid, Rid};

use crate::ParticipantId;
use crate::layer::{Layer, TileHeight};

/// One published track: the publisher and the m-line (mid) it arrives on in the publisher's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackId {
    /// Who publishes it.
    pub publisher: ParticipantId,
    /// Its m-line in the publisher's session with the SFU.
    pub mid: Mid,
}

impl fmt::Display for TrackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.publisher, self.mid)
    }
}

/// A track the SFU receives from its publisher.
#[derive(Debug)]
pub(crate) struct TrackIn {
    pub mid: Mid,
    pub kind: MediaKind,
    /// Simulcast layers as the publisher listed them (smallest first by ruang's convention); empty without
    /// simulcast.
    pub rids: Vec<Rid>,
    /// The layers' sizes and bitrates, as the publisher described them (`Sfu::describe_layers`), in
    /// `rids` order; empty until described.
    pub described: Vec<(Rid, Layer)>,
    /// When a key frame was last asked of the publisher, per layer, so many subscribers starting at once
    /// cost the publisher one key frame, not one each.
    last_keyframe_requests: Vec<(Option<Rid>, Instant)>,
}

impl TrackIn {
    pub fn new(mid: Mid, kind: MediaKind, rids: Vec<Rid>) -> Self {
        TrackIn { mid, kind, rids, described: Vec::new(), last_keyframe_requests: Vec::new() }
    }

    /// Whether `layers` are exactly this track's simulcast layers (same rids, any order; none without
    /// simulcast is no match).
    pub fn matches(&self, layers: &[(Rid, Layer)]) -> bool {
        !self.rids.is_empty()
            && layers.len() == self.rids.len()
            && layers.iter().all(|(rid, _)| self.rids.contains(rid))
    }

    /// Whether a key frame may be asked for `rid` now: at most one request per `interval`.
    pub fn keyframe_request_due(&self, rid: Option<Rid>, now: Instant, interval: Duration) -> bool {
        self.last_keyframe_requests
            .iter()
            .find(|(r, _)| *r == rid)
            .is_none_or(|(_, last)| now.saturating_duration_since(*last) >= interval)
    }

    /// Records a key-frame request sent for `rid`.
    pub fn keyframe_requested(&mut self, rid: Option<Rid>, now: Instant) {
        match self.last_keyframe_requests.iter_mut().find(|(r, _)| *r == rid) {
            Some((_, last)) => *last = now,
            None => self.last_keyframe_requests.push((rid, now)),
        }
    }
}

/// Where the m-line carrying a `TrackOut` stands in the subscriber's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutState {
    /// Wanted; not yet in an offer.
    ToOpen,
    /// Offered as `mid`; waiting for the answer.
    Negotiating(Mid),
    /// Negotiated: media flows on `mid`.
    Open(Mid),
    /// The source went away; the m-line must be stopped in the next offer.
    ToStop(Mid),
    /// Offered stopped; dropped when the answer comes.
    NegotiatingStop(Mid),
}

/// A copy of another participant's track that a subscriber receives.
#[derive(Debug)]
pub(crate) struct TrackOut {
    pub source: TrackId,
    pub kind: MediaKind,
    pub state: OutState,
    /// The simulcast layer forwarded (`None` without simulcast).
    pub rid: Option<Rid>,
    /// The height of the tile the subscriber shows this track in, as it last said.
    pub tile: TileHeight,
    /// No video passes until a key frame does (set at opening and at every layer switch).
    awaiting_keyframe: bool,
    /// Not among the subscriber's last-N: negotiated, but nothing is forwarded.
    paused: bool,
}

impl TrackOut {
    pub fn new(source: TrackId, kind: MediaKind, rid: Option<Rid>) -> Self {
        TrackOut {
            source,
            kind,
            state: OutState::ToOpen,
            rid,
            tile: None,
            awaiting_keyframe: kind == MediaKind::Video,
            paused: false,
        }
    }

    /// The subscriber-side m-line once negotiation has started.
    pub fn mid(&self) -> Option<Mid> {
        match self.state {
            OutState::ToOpen => None,
            OutState::Negotiating(m) | OutState::Open(m) | OutState::ToStop(m) | OutState::NegotiatingStop(m) => {
                Some(m)
            }
        }
    }

    /// Whether this copy is wanted (not being stopped). A track turned off and on again quickly can leave a
    /// stopping copy beside the live one for a moment; lookups by source take the live one.
    pub fn is_live(&self) -> bool {
        !matches!(self.state, OutState::ToStop(_) | OutState::NegotiatingStop(_))
    }

    /// The m-line media is written to, only while open.
    pub fn open_mid(&self) -> Option<Mid> {
        match self.state {
            OutState::Open(m) => Some(m),
            _ => None,
        }
    }

    /// Switches the forwarded simulcast layer; the new layer starts at its next key frame.
    pub fn switch_layer(&mut self, rid: Option<Rid>) -> bool {
        if self.rid == rid {
            return false;
        }
        self.rid = rid;
        self.awaiting_keyframe = self.kind == MediaKind::Video;
        true
    }

    /// Pauses or resumes the copy (last-N). Returns true when a paused copy resumes: it then waits for a
    /// key frame, which the caller asks for.
    pub fn set_paused(&mut self, paused: bool) -> bool {
        let resumed = self.paused && !paused;
        self.paused = paused;
        if resumed {
            self.awaiting_keyframe = self.kind == MediaKind::Video;
        }
        resumed
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Whether a received frame of layer `rid` is forwarded to this subscriber; opens the key-frame gate
    /// when `is_keyframe`. Audio always passes (it has no layers and no key frames).
    pub fn admits(&mut self, rid: Option<Rid>, is_keyframe: bool) -> Admission {
        if self.kind == MediaKind::Audio {
            return Admission::Forward;
        }
        if self.paused {
            return Admission::Paused;
        }
        if rid.is_some() && rid != self.rid {
            return Admission::OtherLayer;
        }
        if self.awaiting_keyframe {
            if !is_keyframe {
                return Admission::AwaitingKeyframe;
            }
            self.awaiting_keyframe = false;
        }
        Admission::Forward
    }
}

/// What happens to one received frame for one subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    Forward,
    /// The copy is paused (beyond the subscriber's last-N).
    Paused,
    /// Another simulcast layer than the subscriber's.
    OtherLayer,
    /// The subscriber's layer, but its gate waits for a key frame (the SFU asks again, throttled: the first
    /// request may have found no stream yet, or been lost).
    AwaitingKeyframe,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video_out(rid: Option<&str>) -> TrackOut {
        let source = TrackId { publisher: ParticipantId(1), mid: Mid::from("0") };
        TrackOut::new(source, MediaKind::Video, rid.map(Rid::from))
    }

    #[test]
    fn video_waits_for_a_keyframe_then_flows() {
        let mut out = video_out(None);
        assert_eq!(out.admits(None, false), Admission::AwaitingKeyframe);
        assert_eq!(out.admits(None, true), Admission::Forward);
        assert_eq!(out.admits(None, false), Admission::Forward);
    }

    #[test]
    fn a_paused_copy_passes_nothing_and_resumes_on_a_keyframe() {
        let mut out = video_out(None);
        assert_eq!(out.admits(None, true), Admission::Forward);
        assert!(!out.set_paused(true), "pausing is no resumption");
        assert_eq!(out.admits(None, true), Admission::Paused);
        assert!(out.set_paused(false));
        assert_eq!(out.admits(None, false), Admission::AwaitingKeyframe);
        assert_eq!(out.admits(None, true), Admission::Forward);
    }

    #[test]
    fn audio_is_never_gated() {
        let source = TrackId { publisher: ParticipantId(1), mid: Mid::from("1") };
        let mut out = TrackOut::new(source, MediaKind::Audio, None);
        assert_eq!(out.admits(None, false), Admission::Forward);
    }

    #[test]
    fn only_the_chosen_layer_passes() {
        let mut out = video_out(Some("h"));
        assert_eq!(out.admits(Some(Rid::from("l")), true), Admission::OtherLayer);
        assert_eq!(out.admits(Some(Rid::from("h")), true), Admission::Forward);
        assert_eq!(out.admits(Some(Rid::from("l")), false), Admission::OtherLayer);
    }

    #[test]
    fn a_layer_switch_closes_the_gate_until_the_new_layer_sends_a_keyframe() {
        let mut out = video_out(Some("h"));
        assert_eq!(out.admits(Some(Rid::from("h")), true), Admission::Forward);
        assert!(out.switch_layer(Some(Rid::from("l"))));
        assert_eq!(out.admits(Some(Rid::from("l")), false), Admission::AwaitingKeyframe);
        assert_eq!(out.admits(Some(Rid::from("h")), true), Admission::OtherLayer);
        assert_eq!(out.admits(Some(Rid::from("l")), true), Admission::Forward);
        assert!(!out.switch_layer(Some(Rid::from("l"))), "same layer is no switch");
    }

    #[test]
    fn keyframe_requests_are_throttled_per_layer() {
        let start = Instant::now();
        let interval = Duration::from_millis(500);
        let mut track = TrackIn::new(Mid::from("0"), MediaKind::Video, vec![]);
        let h = Some(Rid::from("h"));
        assert!(track.keyframe_request_due(h, start, interval));
        track.keyframe_requested(h, start);
        assert!(!track.keyframe_request_due(h, start + Duration::from_millis(100), interval));
        assert!(track.keyframe_request_due(None, start + Duration::from_millis(100), interval));
        assert!(track.keyframe_request_due(h, start + interval, interval));
    }
}
