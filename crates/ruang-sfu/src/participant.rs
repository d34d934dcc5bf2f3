//! One participant of the SFU: its str0m `Rtc` (its whole WebRTC session with the SFU), the tracks it
//! publishes, the copies of others' tracks it receives, and the SDP offer the SFU has outstanding toward
//! it. Negotiation is the SFU's side of "perfect negotiation": the client's offers always win (accepting one
//! rolls back the SFU's pending offer, whose tracks are offered again afterwards).

use std::time::Instant;

use str0m::Rtc;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::Direction;

use crate::track::{OutState, TrackIn, TrackOut};
use crate::{ParticipantId, SfuError};

pub(crate) struct Participant {
    pub id: ParticipantId,
    pub rtc: Rtc,
    pub tracks_in: Vec<TrackIn>,
    pub tracks_out: Vec<TrackOut>,
    /// The SFU's offer awaiting this participant's answer.
    pending: Option<SdpPendingOffer>,
    /// When `rtc` next wants `handle_input(Timeout)`.
    pub timeout: Instant,
    /// `rtc` got input since it was last polled to its timeout.
    pub dirty: bool,
    /// The bandwidth toward this participant the current layer choice was made for (str0m's estimate).
    pub estimate: Option<u64>,
}

impl Participant {
    pub fn new(id: ParticipantId, rtc: Rtc, now: Instant) -> Self {
        Participant {
            id,
            rtc,
            tracks_in: Vec::new(),
            tracks_out: Vec::new(),
            pending: None,
            timeout: now,
            dirty: true,
            estimate: None,
        }
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

    /// Accepts the client's offer and returns the SDP answer.
    pub fn accept_offer(&mut self, sdp: &str) -> Result<String, SfuError> {
        let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| SfuError::BadSdp(e.to_string()))?;
        let answer = self.rtc.sdp_api().accept_offer(offer)?;
        // str0m rolled our pending offer back: its tracks go into the next one.
        if self.pending.take().is_some() {
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
        Ok(opened)
    }

    /// When tracks wait to be added or stopped and no offer is outstanding, makes the SFU's next offer.
    pub fn negotiate(&mut self) -> Option<String> {
        if self.pending.is_some() || !self.rtc.is_alive() {
            return None;
        }
        let mut change = self.rtc.sdp_api();
        for track in &mut self.tracks_out {
            match track.state {
                OutState::ToOpen => {
                    // The stream id names the publisher, so the client knows whose tile it is.
                    let stream_id = track.source.publisher.to_string();
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
        self.dirty = true;
        Some(offer.to_sdp_string())
    }

    /// Stops the copies of every track `publisher` published (it left).
    pub fn drop_tracks_of(&mut self, publisher: ParticipantId) {
        self.tracks_out.retain_mut(|track| {
            if track.source.publisher != publisher {
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
