//! One participant of the SFU: its str0m `Rtc` (its whole WebRTC session with the SFU), the tracks it
//! publishes, the copies of others' tracks it receives, and the SDP offer the SFU has outstanding toward
//! it. Negotiation is the SFU's side of "perfect negotiation": the client's offers always win (accepting one
//! rolls back the SFU's pending offer, whose tracks are offered again afterwards).

use std::collections::HashMap;
use std::time::Instant;

use str0m::Rtc;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind, Mid, Rid};

use crate::layer::{Layer, TileHeight};
use crate::track::{Content, OutState, TrackId, TrackIn, TrackOut};
use crate::{ParticipantId, Publishing, RoomKey, SfuError};

/// At most this many tile heights are remembered per subscriber (the protocol allows one per participant of
/// the room, at most `max_sfu_participants`); more are ignored.
pub(crate) const MAX_TILES: usize = 1024;

pub(crate) struct Participant {
    pub id: ParticipantId,
    pub room: RoomKey,
    pub rtc: Rtc,
    pub tracks_in: Vec<TrackIn>,
    pub tracks_out: Vec<TrackOut>,
    /// The SFU's offer awaiting this participant's answer.
    pending: Option<SdpPendingOffer>,
    /// When that offer was made.
    offered_at: Option<Instant>,
    /// When `rtc` next wants `handle_input(Timeout)`.
    pub timeout: Instant,
    /// While its media connection is down (not yet up, or ICE disconnected): when it counts as lost.
    pub lost_at: Option<Instant>,
    /// `rtc` got input since it was last polled to its timeout.
    pub dirty: bool,
    /// Its media connection has been up (ICE and DTLS) at least once: frames are written to it from then
    /// on, also while ICE is briefly disconnected (str0m keeps sending on the nominated pair).
    pub media_up: bool,
    /// Whether it may send media; a viewer's offers may only receive.
    pub publishing: Publishing,
    /// The participant whose video this one always receives (last-N), if it pinned one.
    pub pinned: Option<ParticipantId>,
    /// The bandwidth toward this participant the current layer choice was made for (str0m's estimate).
    pub estimate: Option<u64>,
    /// How tall this participant shows each other participant's video (0: not shown), as it last said;
    /// applied to copies made later too.
    pub tiles: HashMap<ParticipantId, u32>,
    /// This participant's own simulcast layers as it described them (smallest first), applied to its video
    /// tracks, including ones it publishes later.
    pub layers: Vec<(Rid, Layer)>,
    /// The video m-lines of this participant's own offers, in the order it offered them: the first carries
    /// its camera, the second its screen share (the SFU's copies toward it are not among them).
    video_mids: Vec<Mid>,
}

impl Participant {
    /// A participant added at `now`; lost at `lost_at` unless its media connection comes up first.
    pub fn new(
        id: ParticipantId,
        room: RoomKey,
        publishing: Publishing,
        rtc: Rtc,
        now: Instant,
        lost_at: Instant,
    ) -> Self {
        Participant {
            id,
            room,
            rtc,
            tracks_in: Vec::new(),
            tracks_out: Vec::new(),
            pending: None,
            offered_at: None,
            timeout: now,
            lost_at: Some(lost_at),
            dirty: true,
            media_up: false,
            publishing,
            pinned: None,
            estimate: None,
            tiles: HashMap::new(),
            layers: Vec::new(),
            video_mids: Vec::new(),
        }
    }

    /// An m-line was negotiated (str0m's `MediaAdded`): one of the participant's own video m-lines is
    /// remembered in order, so that its second one is known as its screen share.
    pub fn note_media_added(&mut self, mid: Mid, kind: MediaKind) {
        let copy = self.tracks_out.iter().any(|t| t.mid() == Some(mid));
        if kind == MediaKind::Video && !copy && !self.video_mids.contains(&mid) {
            self.video_mids.push(mid);
        }
    }

    /// What the participant's own m-line `mid` carries.
    pub fn content_of(&self, mid: Mid) -> Content {
        if self.video_mids.iter().position(|m| *m == mid) == Some(1) { Content::Screen } else { Content::Camera }
    }

    /// When the SFU's outstanding offer counts as unanswered, if one is out.
    pub fn answer_deadline(&self, within: std::time::Duration) -> Option<Instant> {
        self.offered_at.map(|at| at + within)
    }

    /// Whether this participant said it does not show `publisher`'s video (a tile of height 0).
    pub fn hides(&self, publisher: ParticipantId) -> bool {
        self.tiles.get(&publisher) == Some(&0)
    }

    /// The tile this participant shows `publisher`'s video in, if it said one (`None` also when hidden).
    pub fn tile_of(&self, publisher: ParticipantId) -> TileHeight {
        self.tiles.get(&publisher).copied().filter(|height| *height > 0)
    }

    /// A new copy of `source` for this participant, its tile as already said.
    pub fn new_copy(&self, source: TrackId, kind: MediaKind, rid: Option<Rid>, content: Content) -> TrackOut {
        let mut copy = TrackOut::new(source, kind, rid);
        copy.content = content;
        copy.tile = self.tile_of(source.publisher);
        copy
    }

    /// Takes a new bandwidth estimate. True when it moved enough (a tenth) from the one the layers were
    /// chosen for to choose again; small wobbles would otherwise switch layers back and forth.
    pub fn note_estimate(&mut self, bps: u64) -> bool {
        let moved = self.estimate.is_none_or(|old| bps.abs_diff(old) > old / 10);
        if moved {
            self.estimate = Some(bps);
        }
        moved
    }

    /// Accepts the client's offer and returns the SDP answer. A participant that may not publish has an
    /// offer that sends audio or video refused whole (nothing of it is applied).
    pub fn accept_offer(&mut self, sdp: &str) -> Result<String, SfuError> {
        if self.publishing == Publishing::Refused && offers_to_send(sdp) {
            return Err(SfuError::PublishingRefused(self.id));
        }
        let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| SfuError::BadSdp(e.to_string()))?;
        let answer = self.rtc.sdp_api().accept_offer(offer)?;
        // str0m rolled our pending offer back: its tracks go into the next one.
        self.offered_at = None;
        if self.pending.take().is_some() {
            tracing::debug!(participant = %self.id, "sfu: the client's offer rolled ours back");
            for track in &mut self.tracks_out {
                track.state = match track.state {
                    OutState::Negotiating(_) => OutState::ToOpen,
                    OutState::NegotiatingStop(m) => OutState::ToStop(m),
                    other => other,
                };
            }
        }
        self.dirty = true;
        Ok(answer.to_sdp_string())
    }

    /// Accepts the client's answer to the SFU's outstanding offer. Returns the indexes in `tracks_out` of
    /// the tracks it opened.
    pub fn accept_answer(&mut self, sdp: &str) -> Result<Vec<usize>, SfuError> {
        let answer = SdpAnswer::from_sdp_string(sdp).map_err(|e| SfuError::BadSdp(e.to_string()))?;
        let pending = self.pending.take().ok_or(SfuError::NoOfferOutstanding(self.id))?;
        self.offered_at = None;
        self.rtc.sdp_api().accept_answer(pending, answer)?;
        self.tracks_out.retain(|t| !matches!(t.state, OutState::NegotiatingStop(_)));
        let mut opened = Vec::new();
        for (index, track) in self.tracks_out.iter_mut().enumerate() {
            if let OutState::Negotiating(m) = track.state {
                track.state = OutState::Open(m);
                opened.push(index);
            }
        }
        self.dirty = true;
        tracing::debug!(participant = %self.id, opened = opened.len(), "sfu: answer taken");
        Ok(opened)
    }

    /// When tracks wait to be added or stopped and no offer is outstanding, makes the SFU's next offer (at
    /// `now`).
    pub fn negotiate(&mut self, now: Instant) -> Option<String> {
        if self.pending.is_some() || !self.rtc.is_alive() {
            return None;
        }
        // Called for every participant at every poll: most have nothing to offer.
        if !self.tracks_out.iter().any(|t| matches!(t.state, OutState::ToOpen | OutState::ToStop(_))) {
            return None;
        }
        let mut change = self.rtc.sdp_api();
        for track in &mut self.tracks_out {
            match track.state {
                OutState::ToOpen => {
                    // The stream id names the publisher, so the client knows whose tile it is (and
                    // `<id>-screen` its screen share, beside its camera).
                    let stream_id = match track.content {
                        Content::Camera => track.source.publisher.to_string(),
                        Content::Screen => format!("{}-screen", track.source.publisher),
                    };
                    let track_id = track.source.to_string();
                    let mid = change.add_media(track.kind, Direction::SendOnly, Some(stream_id), Some(track_id), None);
                    track.state = OutState::Negotiating(mid);
                }
                OutState::ToStop(mid) => {
                    change.stop_media(mid);
                    track.state = OutState::NegotiatingStop(mid);
                }
                _ => {}
            }
        }
        let (offer, pending) = change.apply()?;
        self.pending = Some(pending);
        self.offered_at = Some(now);
        self.dirty = true;
        let offered = self.tracks_out.iter().filter(|t| matches!(t.state, OutState::Negotiating(_))).count();
        tracing::debug!(participant = %self.id, offered, "sfu: offering copies");
        Some(offer.to_sdp_string())
    }

    /// Stops the copies of every track `publisher` published (it left).
    pub fn drop_tracks_of(&mut self, publisher: ParticipantId) {
        self.drop_tracks(|source| source.publisher == publisher);
    }

    /// Stops the copies of the tracks `gone` says are gone.
    pub fn drop_tracks(&mut self, gone: impl Fn(&TrackId) -> bool) {
        self.tracks_out.retain_mut(|track| {
            if !gone(&track.source) {
                return true;
            }
            match track.state {
                OutState::ToOpen => false,
                OutState::Open(m) => {
                    track.state = OutState::ToStop(m);
                    true
                }
                // An offered copy is stopped once its answer opens it (see `Sfu::handle_answer`).
                OutState::Negotiating(_) | OutState::ToStop(_) | OutState::NegotiatingStop(_) => true,
            }
        });
    }
}

/// Whether an SDP offer has an audio or video section that sends: not rejected (port 0) and not `recvonly`
/// or `inactive` (no direction attribute means `sendrecv`). Checked on the text, before str0m parses it, so a
/// refused offer changes nothing.
fn offers_to_send(sdp: &str) -> bool {
    let mut sends = false;
    let mut in_media = false;
    for line in sdp.lines().map(str::trim_end) {
        if let Some(m) = line.strip_prefix("m=") {
            if in_media && sends {
                return true;
            }
            let mut fields = m.split(' ');
            let kind = fields.next().unwrap_or("");
            let port = fields.next().unwrap_or("0");
            in_media = (kind == "audio" || kind == "video") && port != "0";
            sends = true;
        } else if in_media && matches!(line, "a=recvonly" | "a=inactive") {
            sends = false;
        }
    }
    in_media && sends
}

#[cfg(test)]
mod tests {
    use super::offers_to_send;

    const SESSION: &str = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";

    fn sdp(sections: &[&str]) -> String {
        let mut text = SESSION.to_string();
        for section in sections {
            text.push_str(section);
        }
        text
    }

    #[test]
    fn receive_only_media_and_data_channels_do_not_send() {
        let offer = sdp(&[
            "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=recvonly\r\n",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=inactive\r\n",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n",
        ]);
        assert!(!offers_to_send(&offer));
    }

    #[test]
    fn a_sending_section_anywhere_sends() {
        let first = sdp(&["m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n", "m=video 9 X 96\r\na=recvonly\r\n"]);
        let last = sdp(&["m=video 9 X 96\r\na=recvonly\r\n", "m=video 9 X 96\r\na=sendrecv\r\n"]);
        assert!(offers_to_send(&first));
        assert!(offers_to_send(&last));
    }

    #[test]
    fn a_section_without_direction_is_sendrecv() {
        assert!(offers_to_send(&sdp(&["m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n"])));
    }

    #[test]
    fn a_rejected_section_does_not_send() {
        assert!(!offers_to_send(&sdp(&["m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n"])));
    }
}
