//! Tracks as the SFU sees them: what a participant publishes (`TrackIn`, media the SFU receives), and the
//! copy of someone else's track a participant receives (`TrackOut`), with that copy's SDP negotiation state,
//! its simulcast layer and its key-frame gate (a subscriber gets no video until a key frame, so its decoder
//! never starts on a frame it cannot decode). A published simulcast track also knows which of its layers
//! are arriving: a browser short of uplink or CPU stops sending its larger layers, and a subscriber must
//! then get a smaller one instead of nothing.

use std::fmt;
use std::time::{Duration, Instant};

use str0m::media::{Frequency, MediaKind, MediaTime, Mid, Rid};

use crate::ParticipantId;
use crate::layer::{Layer, TileHeight};
use crate::rate::RateMeter;

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

/// What a published track carries. A client's first video m-line carries its camera, its second one its
/// screen share (docs/protocol.md, "Whose track is it"); audio counts as `Camera` (the participant itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// The participant itself: its microphone, its camera.
    Camera,
    /// A screen, window or tab it presents, beside its camera.
    Screen,
}

/// A track the SFU receives from its publisher.
#[derive(Debug)]
pub(crate) struct TrackIn {
    pub mid: Mid,
    pub kind: MediaKind,
    pub content: Content,
    /// Simulcast layers as the publisher listed them (smallest first by ruang's convention); empty without
    /// simulcast.
    pub rids: Vec<Rid>,
    /// The layers' sizes and bitrates, as the publisher described them (`Sfu::describe_layers`), in
    /// `rids` order; empty until described.
    pub described: Vec<(Rid, Layer)>,
    /// When a key frame was last asked of the publisher, per layer, so many subscribers starting at once
    /// cost the publisher one key frame, not one each.
    last_keyframe_requests: Vec<(Option<Rid>, Instant)>,
    /// When a frame of each layer last arrived (in `rids` order; `None`: never).
    last_frames: Vec<Option<Instant>>,
    /// When each layer's current run of frames began (in `rids` order).
    runs_since: Vec<Option<Instant>>,
    /// Which layers counted as arriving when that last changed (in `rids` order): the layer choice of every
    /// subscriber is made again when it changes.
    arriving: Vec<bool>,
    /// The bitrate each layer arrives at (in `rids` order).
    rates: Vec<RateMeter>,
}

/// The headroom over a layer's measured bitrate that the layer choice counts on (a quarter: motion and
/// key frames push a layer above its average).
const MEASURED_HEADROOM_DIVISOR: u64 = 4;

/// A simulcast layer without a frame for this long counts as stopped (browsers pause a layer entirely, and
/// even a starved one sends a few frames a second).
pub(crate) const LAYER_STOPPED_AFTER: Duration = Duration::from_millis(1500);

/// A layer counts as arriving once its frames have come this long, unless no other layer arrives (then at
/// once). A browser probing its uplink starts its larger layers for a few frames and stops them again;
/// moving every subscriber up and back down each time would cost key frames and frozen pictures.
pub(crate) const LAYER_STEADY_AFTER: Duration = Duration::from_secs(1);

impl TrackIn {
    pub fn new(mid: Mid, kind: MediaKind, rids: Vec<Rid>, content: Content) -> Self {
        let n = rids.len();
        TrackIn {
            mid,
            kind,
            content,
            rids,
            described: Vec::new(),
            last_keyframe_requests: Vec::new(),
            last_frames: vec![None; n],
            runs_since: vec![None; n],
            arriving: vec![false; n],
            rates: vec![RateMeter::default(); n],
        }
    }

    /// Counts `bytes` of layer `rid` arriving at `now` toward that layer's measured bitrate. True when that
    /// measure moved enough for the subscribers' layer choices to be made again (`RateMeter::add`).
    pub fn measure(&mut self, rid: Option<Rid>, bytes: usize, now: Instant) -> bool {
        let index = rid.and_then(|rid| self.rids.iter().position(|r| *r == rid));
        index.is_some_and(|index| self.rates[index].add(bytes, now)) && !self.described.is_empty()
    }

    /// The described layers with the bitrate each needs as far as the SFU can tell: the measured one plus
    /// headroom where it has been measured (never above the description: that is the publisher's cap), the
    /// description where not yet. See `rate.rs` for why.
    pub fn layers_as_sent(&self) -> Vec<(Rid, Layer)> {
        self.described
            .iter()
            .map(|(rid, layer)| {
                let measured = self.rids.iter().position(|r| r == rid).and_then(|index| self.rates[index].bitrate());
                let bitrate = measured.map_or(layer.bitrate, |m| {
                    m.saturating_add(m / MEASURED_HEADROOM_DIVISOR).clamp(1, layer.bitrate.max(1))
                });
                (*rid, Layer { bitrate, ..*layer })
            })
            .collect()
    }

    /// A frame of layer `rid` arrived at `now`. True when that layer now counts as arriving and did not
    /// before (the subscribers' layers are then chosen again): at once if no other layer arrives, else
    /// once its frames have come for [`LAYER_STEADY_AFTER`].
    pub fn frame_arrived(&mut self, rid: Option<Rid>, now: Instant) -> bool {
        let Some(index) = rid.and_then(|rid| self.rids.iter().position(|r| *r == rid)) else { return false };
        let run_goes_on =
            self.last_frames[index].is_some_and(|at| now.saturating_duration_since(at) < LAYER_STOPPED_AFTER);
        if !run_goes_on {
            self.runs_since[index] = Some(now);
        }
        self.last_frames[index] = Some(now);
        if self.arriving[index] {
            return false;
        }
        let steady =
            self.runs_since[index].is_some_and(|since| now.saturating_duration_since(since) >= LAYER_STEADY_AFTER);
        let alone = !self.arriving.iter().any(|a| *a);
        self.arriving[index] = steady || alone;
        self.arriving[index]
    }

    /// Marks the layers without a frame for [`LAYER_STOPPED_AFTER`] as stopped. True when any was arriving
    /// until now.
    pub fn expire_layers(&mut self, now: Instant) -> bool {
        let mut changed = false;
        for (arriving, last) in self.arriving.iter_mut().zip(&self.last_frames) {
            let stopped = last.is_none_or(|at| now.saturating_duration_since(at) >= LAYER_STOPPED_AFTER);
            if *arriving && stopped {
                *arriving = false;
                changed = true;
            }
        }
        changed
    }

    /// Which layers are arriving, in `rids` order.
    pub fn arriving(&self) -> &[bool] {
        &self.arriving
    }

    /// Whether frames of layer `rid` are arriving.
    pub fn layer_arrives(&self, rid: Rid) -> bool {
        self.rids.iter().position(|r| *r == rid).is_some_and(|index| self.arriving[index])
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
    /// The publisher's camera (and microphone) or its screen share: a screen is never paused by last-N.
    pub content: Content,
    pub state: OutState,
    /// The simulcast layer forwarded (`None` without simulcast).
    pub rid: Option<Rid>,
    /// The layer being switched to: `rid` keeps flowing until this one's first key frame, so a switch
    /// costs the subscriber no frozen picture.
    target: Option<Rid>,
    /// Where the frames written to the subscriber stand in media time (see `stamp`).
    timeline: Option<Timeline>,
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
            content: Content::Camera,
            state: OutState::ToOpen,
            rid,
            target: None,
            timeline: None,
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

    /// Switches the forwarded simulcast layer: the new layer takes over at its next key frame, and until
    /// then the current one keeps flowing (unless nothing has been forwarded yet: then there is nothing to
    /// keep). True when a key frame of `rid` is needed (the caller asks the publisher for one).
    pub fn switch_layer(&mut self, rid: Option<Rid>) -> bool {
        if self.rid == rid {
            // Back to the layer still flowing (if any switch was under way, it is called off).
            self.target = None;
            return false;
        }
        if rid.is_some() && self.target == rid {
            return false;
        }
        if self.awaiting_keyframe || self.kind != MediaKind::Video || rid.is_none() {
            self.rid = rid;
            self.target = None;
            self.awaiting_keyframe = self.kind == MediaKind::Video;
        } else {
            self.target = rid;
        }
        true
    }

    /// The layer this copy wants key frames of: the one it switches to, else the one it forwards.
    pub fn wanted_rid(&self) -> Option<Rid> {
        self.target.or(self.rid)
    }

    /// The media time and the wall clock to write a forwarded frame of layer `rid` with, which arrived at
    /// `arrived`. Each simulcast layer has its own RTP timestamp base (a browser picks one at random per
    /// stream), so at a switch the new layer is put on the subscriber's timeline where the old one left it,
    /// advanced by the time that passed; a receiver sees one stream whose timestamps only grow.
    ///
    /// The wall clock never goes back either: str0m orders a subscriber's frames by it before packetizing.
    /// A browser answers a key-frame request with a key frame on every layer at once; the larger layer's
    /// first packet may arrive before the smaller layer's, though its frame completes after. Written with
    /// their own arrival times, the old layer's key frame would be sent after the new layer's, and the
    /// subscriber would decode the new layer's frames on the old layer's picture: a smaller, garbled video
    /// with no decoding error to ask for a key frame (seen in Chromium: a 320-wide layer decoded 160 wide).
    pub fn stamp(&mut self, rid: Option<Rid>, time: MediaTime, arrived: Instant) -> (MediaTime, Instant) {
        let frequency = time.frequency();
        let incoming = i128::from(time.numer());
        let wallclock = self.timeline.map_or(arrived, |line| arrived.max(line.written));
        let out = match self.timeline {
            Some(line) if line.rid == rid && line.frequency == frequency => {
                // The same layer: its own spacing (one tick on at least, should a frame repeat a timestamp).
                (incoming + line.offset).max(line.last + 1)
            }
            Some(line) => {
                let elapsed = arrived.saturating_duration_since(line.arrived).as_secs_f64();
                let ticks = (elapsed * f64::from(frequency.get())) as i128;
                line.last + ticks.max(1)
            }
            None => incoming,
        };
        let out = out.max(0);
        self.timeline =
            Some(Timeline { rid, frequency, offset: out - incoming, last: out, arrived, written: wallclock });
        (MediaTime::new(u64::try_from(out).unwrap_or(u64::MAX), frequency), wallclock)
    }

    /// Pauses or resumes the copy (last-N). Returns true when a paused copy resumes: it then waits for a
    /// key frame, which the caller asks for.
    pub fn set_paused(&mut self, paused: bool) -> bool {
        let resumed = self.paused && !paused;
        self.paused = paused;
        if resumed {
            // Nothing flowed while paused: a switch under way can take over at once.
            if let Some(target) = self.target.take() {
                self.rid = Some(target);
            }
            self.awaiting_keyframe = self.kind == MediaKind::Video;
        }
        resumed
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Frames of layer `rid` were lost before this one reached the SFU: a subscriber given the frames after
    /// the gap would decode them against a picture it never got (the SFU writes new sequence numbers, so it
    /// could not even tell). Forwarding that layer waits for its next key frame (which the SFU asks for).
    pub fn frames_lost(&mut self, rid: Option<Rid>) {
        if self.kind == MediaKind::Video && rid == self.rid {
            self.awaiting_keyframe = true;
        }
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
        if rid.is_some() && rid == self.target {
            if !is_keyframe {
                return Admission::AwaitingKeyframe;
            }
            // The new layer takes over from its key frame on.
            self.rid = self.target.take();
            self.awaiting_keyframe = false;
            return Admission::Forward;
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

/// A copy's media timeline toward its subscriber: the layer last written, and the offset from that layer's
/// media time to the subscriber's.
#[derive(Debug, Clone, Copy)]
struct Timeline {
    rid: Option<Rid>,
    frequency: Frequency,
    offset: i128,
    /// The media time last written, and when its frame arrived.
    last: i128,
    arrived: Instant,
    /// The wall clock it was written with (the latest of the arrival times so far).
    written: Instant,
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
    fn after_lost_frames_the_layer_waits_for_a_keyframe_and_others_are_not_touched() {
        let (h, l) = (Some(Rid::from("h")), Some(Rid::from("l")));
        let mut out = video_out(Some("h"));
        assert_eq!(out.admits(h, true), Admission::Forward);
        out.frames_lost(l);
        assert_eq!(out.admits(h, false), Admission::Forward, "a gap in another layer changes nothing");
        out.frames_lost(h);
        assert_eq!(out.admits(h, false), Admission::AwaitingKeyframe);
        assert_eq!(out.admits(h, true), Admission::Forward);
        assert_eq!(out.admits(h, false), Admission::Forward);
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
    fn before_anything_flowed_a_layer_switch_waits_for_the_new_layers_keyframe() {
        let mut out = video_out(Some("h"));
        assert!(out.switch_layer(Some(Rid::from("l"))));
        assert_eq!(out.admits(Some(Rid::from("l")), false), Admission::AwaitingKeyframe);
        assert_eq!(out.admits(Some(Rid::from("h")), true), Admission::OtherLayer);
        assert_eq!(out.admits(Some(Rid::from("l")), true), Admission::Forward);
        assert!(!out.switch_layer(Some(Rid::from("l"))), "same layer is no switch");
    }

    #[test]
    fn a_flowing_layer_keeps_flowing_until_the_new_one_sends_a_keyframe() {
        let (h, l) = (Some(Rid::from("h")), Some(Rid::from("l")));
        let mut out = video_out(Some("h"));
        assert_eq!(out.admits(h, true), Admission::Forward);
        assert!(out.switch_layer(l), "the new layer needs a key frame");
        assert_eq!(out.wanted_rid(), l);
        assert_eq!(out.admits(l, false), Admission::AwaitingKeyframe);
        assert_eq!(out.admits(h, false), Admission::Forward, "the old layer still flows");
        assert_eq!(out.admits(l, true), Admission::Forward, "the new layer takes over at its key frame");
        assert_eq!(out.admits(h, false), Admission::OtherLayer);
        assert_eq!(out.admits(l, false), Admission::Forward);
    }

    #[test]
    fn switching_back_before_the_keyframe_calls_the_switch_off() {
        let (h, l) = (Some(Rid::from("h")), Some(Rid::from("l")));
        let mut out = video_out(Some("h"));
        assert_eq!(out.admits(h, true), Admission::Forward);
        assert!(out.switch_layer(l));
        assert!(!out.switch_layer(h), "h still flows: nothing to ask for");
        assert_eq!(out.admits(l, true), Admission::OtherLayer);
        assert_eq!(out.admits(h, false), Admission::Forward);
    }

    #[test]
    fn frames_are_written_in_the_order_they_are_forwarded_whatever_their_arrival_times() {
        // A key frame on every layer at once: the large layer's first packet arrived first, but its frame
        // completed (and is forwarded) after the small layer's.
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let (m, h) = (Some(Rid::from("m")), Some(Rid::from("h")));
        let mut out = video_out(Some("m"));
        let ninety = Frequency::NINETY_KHZ;
        let (_, first) = out.stamp(m, MediaTime::new(1_000, ninety), at(0));
        let (m_time, m_wall) = out.stamp(m, MediaTime::new(4_000, ninety), at(40));
        let (h_time, h_wall) = out.stamp(h, MediaTime::new(777_000, ninety), at(35));
        assert!(first <= m_wall && m_wall <= h_wall, "str0m sends the switched-to key frame after the old layer's");
        assert!(h_time.numer() > m_time.numer(), "and its media time is later too");
        // the new layer then goes on with its own spacing
        let (next, _) = out.stamp(h, MediaTime::new(780_000, ninety), at(75));
        assert_eq!(next.numer() - h_time.numer(), 3_000);
    }

    #[test]
    fn a_layer_counts_as_arriving_from_its_first_frame_until_it_stops() {
        let start = Instant::now();
        let (l, h) = (Rid::from("l"), Rid::from("h"));
        let mut track = TrackIn::new(Mid::from("0"), MediaKind::Video, vec![l, h], Content::Camera);
        assert!(!track.layer_arrives(l));
        assert!(track.frame_arrived(Some(l), start), "a first frame is a change");
        assert!(!track.frame_arrived(Some(l), start + Duration::from_millis(30)), "a second is not");
        assert!(track.layer_arrives(l) && !track.layer_arrives(h));
        assert!(!track.frame_arrived(None, start), "a frame without a rid names no layer");
        assert!(!track.expire_layers(start + Duration::from_millis(1000)));
        assert!(track.expire_layers(start + Duration::from_millis(30) + LAYER_STOPPED_AFTER));
        assert!(!track.layer_arrives(l));
        assert!(!track.expire_layers(start + Duration::from_secs(10)), "already stopped");
    }

    #[test]
    fn beside_an_arriving_layer_another_counts_only_once_it_keeps_coming() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let (l, h) = (Rid::from("l"), Rid::from("h"));
        let mut track = TrackIn::new(Mid::from("0"), MediaKind::Video, vec![l, h], Content::Camera);
        assert!(track.frame_arrived(Some(l), at(0)));
        // A burst of the large layer (a browser probing its uplink) does not count...
        for ms in (0..300).step_by(100) {
            assert!(!track.frame_arrived(Some(h), at(ms)));
        }
        // ...and after it stopped, a new run starts from scratch.
        assert!(!track.frame_arrived(Some(h), at(300) + LAYER_STOPPED_AFTER));
        let mut counted = None;
        for ms in (0..=1200).step_by(100) {
            if track.frame_arrived(Some(h), at(300) + LAYER_STOPPED_AFTER + Duration::from_millis(ms)) {
                counted = Some(ms);
            }
        }
        assert_eq!(counted, Some(1000), "counted once its frames came for a second");
        assert!(track.layer_arrives(h));
    }

    #[test]
    fn keyframe_requests_are_throttled_per_layer() {
        let start = Instant::now();
        let interval = Duration::from_millis(500);
        let mut track = TrackIn::new(Mid::from("0"), MediaKind::Video, vec![], Content::Camera);
        let h = Some(Rid::from("h"));
        assert!(track.keyframe_request_due(h, start, interval));
        track.keyframe_requested(h, start);
        assert!(!track.keyframe_request_due(h, start + Duration::from_millis(100), interval));
        assert!(track.keyframe_request_due(None, start + Duration::from_millis(100), interval));
        assert!(track.keyframe_request_due(h, start + interval, interval));
    }
}
