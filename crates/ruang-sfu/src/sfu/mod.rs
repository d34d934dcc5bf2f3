//! The SFU core: the set of participants, which participant an incoming datagram belongs to, and the
//! forwarding between them. Everything is driven from outside: `handle_datagram` / `handle_timeout` /
//! the SDP calls put input in, `poll_output` is called until it returns `Output::Timeout`.
//!
//! Demultiplexing: every participant's `Rtc` has the same host candidate (the one SFU port), so a datagram
//! is matched by str0m's `accepts()`: STUN by its ICE username (the participant's ufrag), everything else
//! by the source address ICE nominated. A map from source address to participant makes the common case one
//! lookup; an unknown source falls back to asking each participant.
//!
//! Forwarding runs in str0m's frame mode: a publisher's `MediaData` (a depacketized frame) is written to each
//! subscriber's `Rtc`, which packetizes, paces, retransmits (NACK) and encrypts it for that subscriber
//! (forwarding.rs). Simulcast layer choice is in selection.rs.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::bwe::Bitrate;
use str0m::media::MediaKind;
use str0m::net::{DatagramRecv, Protocol, Receive};
use str0m::{Candidate, Input, Output as RtcOutput, Rtc};

mod forwarding;
mod selection;

use crate::forward::{Forward, default_layer, on_event};
use crate::participant::Participant;
use crate::speaker::Speakers;
use crate::track::{OutState, TrackId, TrackOut};
use crate::{DatagramError, ParticipantId, Publishing, SfuError};

/// How the SFU presents itself to clients.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// The address clients send media to: the one UDP port of the SFU as clients reach it (the public
    /// address behind NAT). It is every participant's only ICE candidate.
    pub public_addr: SocketAddr,
    /// At most one key-frame request per published layer in this interval, however many subscribers ask.
    pub keyframe_request_interval: Duration,
    /// The bandwidth toward a new participant assumed until str0m's estimate (TWCC) says otherwise, in bits
    /// per second; `None` turns bandwidth estimation off (layers then follow tiles only).
    pub initial_estimate: Option<u64>,
}

impl SfuConfig {
    /// The defaults for an SFU reached at `public_addr`.
    pub fn new(public_addr: SocketAddr) -> Self {
        SfuConfig {
            public_addr,
            keyframe_request_interval: Duration::from_millis(500),
            initial_estimate: Some(1_000_000),
        }
    }
}

/// A datagram for the driver to send from its SFU socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The local address to send from (the SFU's own).
    pub from: SocketAddr,
    /// The participant's address.
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
}

/// Something the driver must act on beyond sending datagrams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SfuEvent {
    /// The SFU offers `participant` a change (others' tracks added or stopped): send this SDP offer over
    /// signaling and give the answer to [`Sfu::handle_answer`].
    Offer { participant: ParticipantId, sdp: String },
    /// The participant's media connection is up (ICE and DTLS).
    Connected(ParticipantId),
    /// ICE lost the participant; it may come back (a new path, an ICE restart). The driver decides how long
    /// to wait before [`Sfu::remove_participant`].
    Disconnected(ParticipantId),
    /// The participant's session ended (DTLS closed, or a fatal error); it has been removed.
    Closed(ParticipantId),
    /// The participant published a track; every other participant is being offered a copy.
    TrackPublished { track: TrackId, kind: MediaKind },
    /// A new active speaker (from the audio-level header extension); announced once per change.
    ActiveSpeaker(ParticipantId),
}

/// What [`Sfu::poll_output`] returns.
#[derive(Debug)]
pub enum Output {
    Transmit(Transmit),
    Event(SfuEvent),
    /// Nothing more until this instant (or new input): call [`Sfu::handle_timeout`] then.
    Timeout(Instant),
}

/// The SFU core. See the module documentation.
pub struct Sfu {
    config: SfuConfig,
    candidate: Candidate,
    participants: BTreeMap<ParticipantId, Participant>,
    /// Participant ids in the order they joined (last-N fills with it).
    joined: Vec<ParticipantId>,
    speakers: Speakers,
    /// Source address → participant, learnt from accepted datagrams.
    routes: HashMap<SocketAddr, ParticipantId>,
    ready: VecDeque<Output>,
    forwards: VecDeque<Forward>,
    /// The latest time the driver has given.
    now: Instant,
}

impl Sfu {
    /// An SFU without participants. Fails when `public_addr` cannot be an ICE candidate (unspecified).
    pub fn new(config: SfuConfig, now: Instant) -> Result<Sfu, SfuError> {
        let candidate = Candidate::host(config.public_addr, "udp").map_err(|e| SfuError::BadAddress(e.to_string()))?;
        Ok(Sfu {
            config,
            candidate,
            participants: BTreeMap::new(),
            joined: Vec::new(),
            speakers: Speakers::new(),
            routes: HashMap::new(),
            ready: VecDeque::new(),
            forwards: VecDeque::new(),
            now,
        })
    }

    /// Adds a participant from its first SDP offer and returns the SDP answer. The participant is offered
    /// copies of everyone else's tracks right after (as [`SfuEvent::Offer`]). With `Publishing::Refused` (a
    /// viewer), an offer that sends audio or video is refused and the participant is not added.
    pub fn add_participant(
        &mut self,
        id: ParticipantId,
        publishing: Publishing,
        offer: &str,
        now: Instant,
    ) -> Result<String, SfuError> {
        if self.participants.contains_key(&id) {
            return Err(SfuError::DuplicateParticipant(id));
        }
        self.now = self.now.max(now);
        let mut rtc = Rtc::builder()
            .set_ice_lite(true)
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .enable_bwe(self.config.initial_estimate.map(Bitrate::bps))
            .build(now);
        rtc.add_local_candidate(self.candidate.clone());
        let mut participant = Participant::new(id, publishing, rtc, now);
        let answer = participant.accept_offer(offer)?;
        for publisher in self.participants.values() {
            for track in &publisher.tracks_in {
                let source = TrackId { publisher: publisher.id, mid: track.mid };
                participant.tracks_out.push(TrackOut::new(source, track.kind, default_layer(&track.rids)));
            }
        }
        self.participants.insert(id, participant);
        self.joined.push(id);
        tracing::debug!(participant = %id, "sfu: participant added");
        Ok(answer)
    }

    /// Changes whether a participant may publish (a role change in the room). It applies to its next offers;
    /// a demoted participant's media is no longer forwarded from now on (the room asks its client to
    /// renegotiate its tracks away).
    pub fn set_publishing(&mut self, id: ParticipantId, publishing: Publishing) -> Result<(), SfuError> {
        let participant = self.participants.get_mut(&id).ok_or(SfuError::UnknownParticipant(id))?;
        participant.publishing = publishing;
        Ok(())
    }

    /// A new offer from a participant (it added or removed a track of its own, or restarts ICE).
    pub fn handle_offer(&mut self, id: ParticipantId, offer: &str) -> Result<String, SfuError> {
        let participant = self.participants.get_mut(&id).ok_or(SfuError::UnknownParticipant(id))?;
        participant.accept_offer(offer)
    }

    /// The participant's answer to the SFU's last [`SfuEvent::Offer`]. Opened video copies get a key frame
    /// asked of their publisher.
    pub fn handle_answer(&mut self, id: ParticipantId, answer: &str) -> Result<(), SfuError> {
        let live: Vec<ParticipantId> = self.participants.keys().copied().collect();
        let participant = self.participants.get_mut(&id).ok_or(SfuError::UnknownParticipant(id))?;
        let opened = participant.accept_answer(answer)?;
        for index in opened {
            let track = &mut participant.tracks_out[index];
            if !live.contains(&track.source.publisher) {
                // The publisher left while this copy was being offered: stop it in the next offer.
                if let OutState::Open(m) = track.state {
                    track.state = OutState::ToStop(m);
                }
            } else if track.kind == MediaKind::Video {
                let request = Forward::KeyframeRequest { track: track.source, rid: track.rid };
                self.forwards.push_back(request);
            }
        }
        Ok(())
    }

    /// Removes a participant: its session is closed and every other participant is offered the removal of
    /// its tracks.
    pub fn remove_participant(&mut self, id: ParticipantId) -> Result<(), SfuError> {
        let mut gone = self.participants.remove(&id).ok_or(SfuError::UnknownParticipant(id))?;
        // A close_notify to a client still listening; its datagrams are sent by no one afterwards, so only a
        // best effort.
        let _ = gone.rtc.close();
        self.forget(id);
        Ok(())
    }

    fn forget(&mut self, id: ParticipantId) {
        self.joined.retain(|joined| *joined != id);
        self.speakers.forget(id);
        self.routes.retain(|_, owner| *owner != id);
        self.forwards.retain(|forward| match forward {
            Forward::Media(origin, _) => *origin != id,
            Forward::KeyframeRequest { track, .. } | Forward::TrackPublished(track, ..) => track.publisher != id,
            Forward::Rechoose(subscriber) => *subscriber != id,
        });
        for other in self.participants.values_mut() {
            other.drop_tracks_of(id);
        }
        tracing::debug!(participant = %id, "sfu: participant removed");
    }

    /// str0m's latest estimate of the bandwidth toward `participant` that layer choices use (bits per
    /// second), if bandwidth estimation is on and has produced one.
    pub fn estimate(&self, participant: ParticipantId) -> Option<u64> {
        self.participants.get(&participant).and_then(|p| p.estimate)
    }

    /// The active speaker, if anyone has spoken.
    pub fn active_speaker(&self) -> Option<ParticipantId> {
        self.speakers.current()
    }

    /// At most `n` participants whose video `subscriber` should receive, most important first: `pinned`,
    /// then the most recent speakers, then join order; only participants publishing video.
    pub fn last_n(&self, subscriber: ParticipantId, pinned: Option<ParticipantId>, n: usize) -> Vec<ParticipantId> {
        let publishers: Vec<ParticipantId> = self
            .joined
            .iter()
            .copied()
            .filter(|id| *id != subscriber)
            .filter(|id| {
                self.participants.get(id).is_some_and(|p| p.tracks_in.iter().any(|t| t.kind == MediaKind::Video))
            })
            .collect();
        self.speakers.last_n(&publishers, pinned, n)
    }

    /// How many participants the SFU holds.
    pub fn len(&self) -> usize {
        self.participants.len()
    }

    /// Whether the SFU holds no participant.
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// A datagram received on the SFU port from `from`, at local address `to`.
    pub fn handle_datagram(
        &mut self,
        from: SocketAddr,
        to: SocketAddr,
        bytes: &[u8],
        now: Instant,
    ) -> Result<(), DatagramError> {
        self.now = self.now.max(now);
        let contents = DatagramRecv::try_from(bytes).map_err(|_| DatagramError::NotWebRtc)?;
        let input = Input::Receive(now, Receive { proto: Protocol::Udp, source: from, destination: to, contents });
        let routed = self
            .routes
            .get(&from)
            .copied()
            .filter(|id| self.participants.get(id).is_some_and(|p| p.rtc.accepts(&input)));
        let owner = match routed {
            Some(id) => id,
            None => {
                let found = self.participants.values().find(|p| p.rtc.accepts(&input));
                let id = found.map(|p| p.id).ok_or(DatagramError::Unclaimed)?;
                self.routes.insert(from, id);
                id
            }
        };
        if let Some(participant) = self.participants.get_mut(&owner) {
            participant.dirty = true;
            if let Err(e) = participant.rtc.handle_input(input) {
                tracing::debug!(participant = %owner, error = %e, "sfu: input refused; closing the session");
                participant.rtc.disconnect();
            }
        }
        Ok(())
    }

    /// Time has reached `now`: every participant whose timer is due runs it.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        for participant in self.participants.values_mut() {
            if participant.timeout <= now {
                participant.dirty = true;
                if let Err(e) = participant.rtc.handle_input(Input::Timeout(now)) {
                    tracing::debug!(participant = %participant.id, error = %e, "sfu: timer failed; closing");
                    participant.rtc.disconnect();
                }
            }
        }
    }

    /// The earliest instant any participant wants [`Sfu::handle_timeout`]; valid after `poll_output`
    /// returned `Output::Timeout`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.participants.values().map(|p| p.timeout).min()
    }

    /// The next thing to do. Call until it returns `Output::Timeout`.
    pub fn poll_output(&mut self) -> Output {
        loop {
            if let Some(output) = self.ready.pop_front() {
                return output;
            }
            if let Some(forward) = self.forwards.pop_front() {
                self.apply(forward);
                continue;
            }
            if self.drain_participants() {
                continue;
            }
            if self.negotiate() {
                continue;
            }
            // Without participants nothing is due; an hour is as good as never.
            let idle = self.now + Duration::from_secs(3600);
            return Output::Timeout(self.poll_timeout().unwrap_or(idle));
        }
    }

    /// Polls every participant that had input to its timeout. True when that produced any work.
    fn drain_participants(&mut self) -> bool {
        let before = (self.ready.len(), self.forwards.len());
        let mut closed = Vec::new();
        for participant in self.participants.values_mut() {
            if !participant.dirty {
                continue;
            }
            participant.dirty = false;
            loop {
                if !participant.rtc.is_alive() {
                    closed.push(participant.id);
                    break;
                }
                match participant.rtc.poll_output() {
                    Ok(RtcOutput::Timeout(at)) => {
                        participant.timeout = at;
                        break;
                    }
                    Ok(RtcOutput::Transmit(t)) => {
                        let transmit = Transmit { from: t.source, to: t.destination, bytes: t.contents.into() };
                        self.ready.push_back(Output::Transmit(transmit));
                    }
                    Ok(RtcOutput::Event(event)) => {
                        let (ready, forwards, speakers) = (&mut self.ready, &mut self.forwards, &mut self.speakers);
                        on_event(participant, event, &self.config, self.now, ready, forwards, speakers);
                    }
                    Err(e) => {
                        tracing::debug!(participant = %participant.id, error = %e, "sfu: session failed");
                        participant.rtc.disconnect();
                    }
                }
            }
        }
        for id in closed {
            self.participants.remove(&id);
            self.forget(id);
            self.ready.push_back(Output::Event(SfuEvent::Closed(id)));
        }
        if let Some(speaker) = self.speakers.update(self.now) {
            self.ready.push_back(Output::Event(SfuEvent::ActiveSpeaker(speaker)));
        }
        (self.ready.len(), self.forwards.len()) != before
    }

    /// Makes the offers participants are due. True when any was made.
    fn negotiate(&mut self) -> bool {
        let mut any = false;
        for participant in self.participants.values_mut() {
            if let Some(sdp) = participant.negotiate() {
                self.ready.push_back(Output::Event(SfuEvent::Offer { participant: participant.id, sdp }));
                any = true;
            }
        }
        any
    }
}
