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
//!
//! Rooms (room.rs): every participant belongs to one `RoomKey`; forwarding, last-N, pins and the active
//! speaker are per room, and nothing crosses between rooms. Participant ids are unique across the SFU.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::media::MediaKind;
use str0m::net::{DatagramRecv, Protocol, Receive, TcpType};
use str0m::{Candidate, Input, Output as RtcOutput};

mod forwarding;
mod membership;
mod room;
mod selection;
mod visibility;

use crate::forward::{Forward, on_event};
use crate::participant::Participant;
use crate::speaker::Speakers;
use crate::stats::{Counters, SfuStats};
use crate::track::TrackId;
use crate::{DatagramError, ParticipantId, RoomKey, SfuError};
use room::Room;

/// How the SFU presents itself to clients.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// The address clients send media to: the one port of the SFU as clients reach it (the public address
    /// behind NAT). It is every participant's ICE candidate, over UDP and (with `ice_tcp`) TCP.
    pub public_addr: SocketAddr,
    /// Whether participants are also given a passive TCP candidate on `public_addr` (ICE over TCP, RFC 6544,
    /// framed as RFC 4571): the driver listens on TCP on the same port.
    pub ice_tcp: bool,
    /// At most one key-frame request per published layer in this interval, however many subscribers ask.
    pub keyframe_request_interval: Duration,
    /// The bandwidth toward a new participant assumed until str0m's estimate (TWCC) says otherwise, in bits
    /// per second; `None` turns bandwidth estimation off (layers then follow tiles only).
    pub initial_estimate: Option<u64>,
    /// Each subscriber receives video from at most this many others (its pinned one, then the most recent
    /// speakers, then join order); the rest is paused. `None`: everyone's. Audio is not limited.
    pub last_n: Option<usize>,
    /// Each subscriber receives audio only from this many others, the loudest (then the most recent
    /// speakers); `None` (the default): everyone's. Audio sent without the audio-level extension cannot be
    /// ranked and is always forwarded.
    pub audio_last_n: Option<usize>,
    /// A participant whose media connection has been down this long (ICE disconnected) is removed and
    /// reported [`SfuEvent::Lost`]; the server then sends its client `reset`.
    pub lost_after: Duration,
    /// A participant whose media connection has not come up this long after it was added is removed and
    /// reported [`SfuEvent::Lost`] too. Longer than `lost_after`: a first connection carries the whole
    /// room's tracks, and a busy browser (eight pages on two cores: 5-12 s per answer) needs its time;
    /// starting it again would only cost it more.
    pub connect_within: Duration,
    /// A participant that has not answered an offer of the SFU for this long is removed and reported
    /// [`SfuEvent::Lost`] too: the copies in that offer would otherwise never open (an offer lost on the way
    /// or dropped by the client), and the SFU makes no other offer while one is outstanding. Generous for
    /// the same reason as `connect_within`: a slow answer is far likelier than a lost one.
    pub answer_within: Duration,
}

impl SfuConfig {
    /// The defaults for an SFU reached at `public_addr`.
    pub fn new(public_addr: SocketAddr) -> Self {
        SfuConfig {
            public_addr,
            ice_tcp: true,
            keyframe_request_interval: Duration::from_millis(500),
            initial_estimate: Some(1_000_000),
            last_n: Some(9),
            audio_last_n: None,
            lost_after: Duration::from_secs(15),
            connect_within: Duration::from_secs(30),
            answer_within: Duration::from_secs(30),
        }
    }
}

/// How a packet travels between a client and the SFU's port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    /// ICE over TCP: a connection the client opened to the SFU's port, packets framed by RFC 4571.
    Tcp,
}

/// A packet for the driver to send from its SFU port: a UDP datagram, or a frame on the TCP connection
/// from `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub transport: Transport,
    /// The local address to send from (the SFU's own).
    pub from: SocketAddr,
    /// The participant's address.
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
}

impl From<str0m::net::Transmit> for Transmit {
    fn from(t: str0m::net::Transmit) -> Transmit {
        let transport = if t.proto == Protocol::Udp { Transport::Udp } else { Transport::Tcp };
        Transmit { transport, from: t.source, to: t.destination, bytes: t.contents.into() }
    }
}

/// Something the driver must act on beyond sending datagrams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SfuEvent {
    /// The SFU offers `participant` a change (others' tracks added or stopped): send this SDP offer over
    /// signaling and give the answer to [`Sfu::handle_answer`].
    Offer { participant: ParticipantId, sdp: String },
    /// The participant's media connection is up (ICE and DTLS).
    Connected(ParticipantId),
    /// ICE lost the participant; it may come back (a new path, an ICE restart) within
    /// [`SfuConfig::lost_after`], or it is [`SfuEvent::Lost`].
    Disconnected(ParticipantId),
    /// The participant's media connection was down for [`SfuConfig::lost_after`] (or did not come up within
    /// [`SfuConfig::connect_within`]), or it
    /// left an offer of the SFU unanswered for [`SfuConfig::answer_within`]: it has been removed from the SFU.
    /// The server sends its client `reset`; the client offers anew.
    Lost(ParticipantId),
    /// The participant's session ended (DTLS closed, or a fatal error); it has been removed.
    Closed(ParticipantId),
    /// The participant published a track; every other participant is being offered a copy.
    TrackPublished { track: TrackId, kind: MediaKind },
    /// The participant stopped sending a track (a re-offer made it inactive); its copies are being
    /// negotiated away. (A participant that leaves takes its tracks without this event.)
    TrackUnpublished { track: TrackId },
    /// A new active speaker in `room` (from the audio-level header extension); announced once per change.
    /// `None` when the active speaker left the room and nobody has spoken since.
    ActiveSpeaker { room: RoomKey, participant: Option<ParticipantId> },
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
    /// Every participant's local candidates: UDP and, with `ice_tcp`, passive TCP on the same address.
    candidates: Vec<Candidate>,
    participants: BTreeMap<ParticipantId, Participant>,
    /// Each room's members in join order and its speakers; a room exists while it has members.
    rooms: HashMap<RoomKey, Room>,
    /// Source (transport and address) → participant, learnt from accepted datagrams.
    routes: HashMap<(Transport, SocketAddr), ParticipantId>,
    ready: VecDeque<Output>,
    forwards: VecDeque<Forward>,
    /// The latest time the driver has given.
    now: Instant,
    /// When the simulcast layers that stopped arriving are next looked for.
    layers_checked_at: Instant,
    /// What has been forwarded, for [`Sfu::stats`].
    counters: Counters,
}

/// How often stopped simulcast layers are looked for (a layer counts as stopped after
/// `track::LAYER_STOPPED_AFTER` without a frame).
const LAYER_CHECK_INTERVAL: Duration = Duration::from_millis(500);

impl Sfu {
    /// An SFU without participants. Fails when `public_addr` cannot be an ICE candidate (unspecified).
    pub fn new(config: SfuConfig, now: Instant) -> Result<Sfu, SfuError> {
        let udp = Candidate::host(config.public_addr, "udp").map_err(|e| SfuError::BadAddress(e.to_string()))?;
        let mut candidates = vec![udp];
        if config.ice_tcp {
            let tcp = Candidate::builder().tcp().host(config.public_addr).tcptype(TcpType::Passive);
            candidates.push(tcp.build().map_err(|e| SfuError::BadAddress(e.to_string()))?);
        }
        Ok(Sfu {
            config,
            candidates,
            participants: BTreeMap::new(),
            rooms: HashMap::new(),
            routes: HashMap::new(),
            ready: VecDeque::new(),
            forwards: VecDeque::new(),
            now,
            layers_checked_at: now,
            counters: Counters::default(),
        })
    }

    /// str0m's latest estimate of the bandwidth toward `participant` that layer choices use (bits per
    /// second), if bandwidth estimation is on and has produced one.
    pub fn estimate(&self, participant: ParticipantId) -> Option<u64> {
        self.participants.get(&participant).and_then(|p| p.estimate)
    }

    /// The active speaker of `room`, if anyone there has spoken.
    pub fn active_speaker(&self, room: RoomKey) -> Option<ParticipantId> {
        self.rooms.get(&room).and_then(|r| r.speakers.current())
    }

    /// The room `participant` is in.
    pub fn room_of(&self, participant: ParticipantId) -> Option<RoomKey> {
        self.participants.get(&participant).map(|p| p.room)
    }

    /// The participants of `room`, in the order they joined.
    pub fn members(&self, room: RoomKey) -> &[ParticipantId] {
        self.rooms.get(&room).map_or(&[], |r| &r.members)
    }

    /// At most `n` participants of its room whose video `subscriber` should receive, most important first:
    /// `pinned`, then the most recent speakers, then join order; only participants publishing video that
    /// the subscriber has not hidden (a tile of height 0).
    pub fn last_n(&self, subscriber: ParticipantId, pinned: Option<ParticipantId>, n: usize) -> Vec<ParticipantId> {
        let Some(me) = self.participants.get(&subscriber) else { return Vec::new() };
        let Some(room) = self.rooms.get(&me.room) else { return Vec::new() };
        let publishers: Vec<ParticipantId> = room
            .members
            .iter()
            .copied()
            .filter(|id| *id != subscriber && !me.hides(*id))
            .filter(|id| {
                self.participants.get(id).is_some_and(|p| p.tracks_in.iter().any(|t| t.kind == MediaKind::Video))
            })
            .collect();
        room.speakers.last_n(&publishers, pinned, n)
    }

    /// What the SFU holds now and has forwarded since it started; the wire counters are the driver's and
    /// stay zero here.
    pub fn stats(&self) -> SfuStats {
        let outs = || self.participants.values().flat_map(|p| p.tracks_out.iter().filter(|t| t.is_live()));
        SfuStats {
            participants: self.participants.len(),
            rooms: self.rooms.len(),
            streams_in: self.participants.values().map(|p| p.tracks_in.len()).sum(),
            streams_out: outs().count(),
            streams_paused: outs().filter(|t| t.is_paused()).count(),
            frames_received: self.counters.frames_received,
            frame_bytes_received: self.counters.frame_bytes_received,
            frames_forwarded: self.counters.frames_forwarded,
            frame_bytes_forwarded: self.counters.frame_bytes_forwarded,
            keyframe_requests: self.counters.keyframe_requests,
            frames_dropped: self.counters.frames_dropped,
            ..SfuStats::default()
        }
    }

    /// How many participants the SFU holds.
    pub fn len(&self) -> usize {
        self.participants.len()
    }

    /// Whether the SFU holds no participant.
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// A datagram (or, over TCP, one RFC 4571 frame) received on the SFU port from `from`, at local address
    /// `to`.
    pub fn handle_datagram(
        &mut self,
        transport: Transport,
        from: SocketAddr,
        to: SocketAddr,
        bytes: &[u8],
        now: Instant,
    ) -> Result<(), DatagramError> {
        self.now = self.now.max(now);
        let contents = DatagramRecv::try_from(bytes).map_err(|_| DatagramError::NotWebRtc)?;
        let proto = match transport {
            Transport::Udp => Protocol::Udp,
            Transport::Tcp => Protocol::Tcp,
        };
        let input = Input::Receive(now, Receive { proto, source: from, destination: to, contents });
        let routed = self
            .routes
            .get(&(transport, from))
            .copied()
            .filter(|id| self.participants.get(id).is_some_and(|p| p.rtc.accepts(&input)));
        let owner = match routed {
            Some(id) => id,
            None => {
                let found = self.participants.values().find(|p| p.rtc.accepts(&input));
                let id = found.map(|p| p.id).ok_or(DatagramError::Unclaimed)?;
                self.routes.insert((transport, from), id);
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

    /// Time has reached `now`: every participant whose timer is due runs it, and participants whose media
    /// connection has been down for `lost_after` (or not up `connect_within` after being added), or who left
    /// an offer unanswered for `answer_within`, are
    /// removed and reported `Lost`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let within = self.config.answer_within;
        let lost: Vec<ParticipantId> = self
            .participants
            .values()
            .filter(|p| [p.lost_at, p.answer_deadline(within)].into_iter().flatten().any(|at| at <= now))
            .map(|p| p.id)
            .collect();
        for id in lost {
            tracing::debug!(participant = %id, "sfu: media connection lost, or an offer unanswered; removing");
            if self.remove_participant(id).is_ok() {
                self.ready.push_back(Output::Event(SfuEvent::Lost(id)));
            }
        }
        if now >= self.layers_checked_at + LAYER_CHECK_INTERVAL {
            self.layers_checked_at = now;
            for participant in self.participants.values_mut() {
                let mut stopped = false;
                for track in &mut participant.tracks_in {
                    stopped |= track.expire_layers(now);
                }
                if stopped {
                    tracing::debug!(publisher = %participant.id, "sfu: a simulcast layer stopped");
                    self.forwards.push_back(Forward::LayersChanged(participant.id));
                }
            }
        }
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
        let within = self.config.answer_within;
        let earliest = self
            .participants
            .values()
            .flat_map(|p| [Some(p.timeout), p.lost_at, p.answer_deadline(within)])
            .flatten()
            .min()?;
        Some(earliest.min(self.layers_checked_at + LAYER_CHECK_INTERVAL))
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
        // Rooms whose members had input: only their speakers can have changed.
        let mut touched: Vec<RoomKey> = Vec::new();
        for participant in self.participants.values_mut() {
            if !participant.dirty {
                continue;
            }
            participant.dirty = false;
            if !touched.contains(&participant.room) {
                touched.push(participant.room);
            }
            while participant.rtc.is_alive() {
                match participant.rtc.poll_output() {
                    Ok(RtcOutput::Timeout(at)) => {
                        participant.timeout = at;
                        break;
                    }
                    Ok(RtcOutput::Transmit(t)) => self.ready.push_back(Output::Transmit(Transmit::from(t))),
                    Ok(RtcOutput::Event(event)) => {
                        let (ready, forwards) = (&mut self.ready, &mut self.forwards);
                        // Every participant's room exists; a stray one would only lose its levels.
                        let mut stray = Speakers::new();
                        let speakers = self.rooms.get_mut(&participant.room).map_or(&mut stray, |r| &mut r.speakers);
                        on_event(participant, event, &self.config, self.now, ready, forwards, speakers);
                    }
                    Err(e) => {
                        tracing::debug!(participant = %participant.id, error = %e, "sfu: session failed");
                        participant.rtc.disconnect();
                    }
                }
            }
            // A session ends when the client closed it (its close drained) or it failed.
            if !participant.rtc.is_alive() {
                closed.push(participant.id);
            }
        }
        for id in closed {
            if let Some(gone) = self.participants.remove(&id) {
                self.forget(id, gone.room);
            }
            self.ready.push_back(Output::Event(SfuEvent::Closed(id)));
        }
        for key in touched {
            let Some(room) = self.rooms.get_mut(&key) else { continue };
            if self.config.audio_last_n.is_some() {
                room.loudest = room.speakers.loudest(self.now);
            }
            if let Some(speaker) = room.speakers.update(self.now) {
                let event = SfuEvent::ActiveSpeaker { room: key, participant: Some(speaker) };
                self.ready.push_back(Output::Event(event));
                self.forwards.push_back(Forward::Revisit(key));
            }
        }
        (self.ready.len(), self.forwards.len()) != before
    }

    /// Makes the offers participants are due. True when any was made.
    fn negotiate(&mut self) -> bool {
        let mut any = false;
        let now = self.now;
        for participant in self.participants.values_mut() {
            if let Some(sdp) = participant.negotiate(now) {
                self.ready.push_back(Output::Event(SfuEvent::Offer { participant: participant.id, sdp }));
                any = true;
            }
        }
        any
    }
}
