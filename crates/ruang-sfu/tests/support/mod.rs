//! An in-memory network for SFU tests: str0m client `Rtc`s and one `Sfu` in the same process, datagrams
//! passed by hand, a fake clock stepped to the earliest timeout. No sockets, no threads, no sleeping.

#![allow(dead_code)] // each test file uses part of the harness

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ruang_sfu::{Output, ParticipantId, Publishing, RoomKey, Sfu, SfuConfig, SfuError, SfuEvent, Transport};
use str0m::change::SdpApi;
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaData, MediaKind, MediaTime, Mid, Rid, Simulcast, SimulcastLayer};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output as RtcOutput, Rtc};

pub const SFU_ADDR: &str = "192.0.2.1:3479";
/// The room clients join unless a test says otherwise.
pub const ROOM: RoomKey = RoomKey(1);

/// What a client sends when it joins.
#[derive(Debug, Clone, Copy)]
pub enum Publish {
    /// Nothing: it offers only a data channel, as a pure viewer does.
    Nothing,
    Video,
    Audio,
    /// Video in these simulcast layers (smallest first).
    Simulcast(&'static [&'static str]),
}

/// One browser stand-in.
pub struct Client {
    pub id: ParticipantId,
    pub addr: SocketAddr,
    pub rtc: Rtc,
    timeout: Instant,
    pub connected: bool,
    /// The m-line this client publishes on, if it does.
    pub mid: Option<Mid>,
    /// Frames received, in order.
    pub frames: Vec<MediaData>,
    pub keyframe_requests: usize,
    /// SDP offers received from the SFU and answered.
    pub offers: Vec<String>,
    /// While set, the SFU's offers are kept in `held` unanswered (to make glare).
    pub hold_offers: bool,
    pub held: Vec<String>,
    /// While set, every datagram to or from this client is lost (a browser that has its answer but cannot
    /// connect yet).
    pub unreachable: bool,
}

pub struct Net {
    pub sfu: Sfu,
    pub clients: BTreeMap<ParticipantId, Client>,
    pub sfu_events: Vec<SfuEvent>,
    pub now: Instant,
    sfu_timeout: Instant,
    /// Client ports handed out so far.
    ports: u16,
    /// Real time spent inside the SFU's calls (for the forwarding-cost example; tests ignore it).
    pub sfu_busy: Duration,
    /// Loss: when set to n, every n-th datagram a connected client sends (media, retransmissions, RTCP
    /// alike) and every n-th the SFU sends to one is dropped, deterministically.
    pub drop_every: Option<u32>,
    /// Datagrams counted toward `drop_every`.
    sent_since_drop: u32,
    /// When set to n, the SFU's timers run only on every n-th step (a busy driver that wakes for them less
    /// often than frames come); the clients' run on every step.
    pub sfu_timers_every: Option<u32>,
    steps: u32,
}

fn rtc(now: Instant) -> Rtc {
    Rtc::builder().set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags())).build(now)
}

impl Net {
    pub fn new() -> Net {
        Self::with_config(|config| config)
    }

    /// An SFU whose default configuration `configure` changes.
    pub fn with_config(configure: impl FnOnce(SfuConfig) -> SfuConfig) -> Net {
        let now = Instant::now();
        let addr = SFU_ADDR.parse().expect("test address");
        let sfu = Sfu::new(configure(SfuConfig::new(addr)), now).expect("an SFU on a test address");
        Net {
            sfu,
            clients: BTreeMap::new(),
            sfu_events: Vec::new(),
            now,
            sfu_timeout: now,
            ports: 0,
            sfu_busy: Duration::ZERO,
            drop_every: None,
            sent_since_drop: 0,
            sfu_timers_every: None,
            steps: 0,
        }
    }

    /// A client that may publish joins: it offers what it publishes, the SFU answers.
    pub fn join(&mut self, id: u64, publish: Publish) -> ParticipantId {
        self.try_join(id, publish, Publishing::Allowed).expect("the SFU answers")
    }

    /// A client that may publish joins `room`.
    pub fn join_room(&mut self, room: RoomKey, id: u64, publish: Publish) -> ParticipantId {
        self.try_join_room(room, id, publish, Publishing::Allowed).expect("the SFU answers")
    }

    /// A client joins as `publishing` allows: it offers what it publishes, the SFU answers or refuses.
    pub fn try_join(&mut self, id: u64, publish: Publish, publishing: Publishing) -> Result<ParticipantId, SfuError> {
        self.try_join_room(ROOM, id, publish, publishing)
    }

    /// As `try_join`, into `room`.
    pub fn try_join_room(
        &mut self,
        room: RoomKey,
        id: u64,
        publish: Publish,
        publishing: Publishing,
    ) -> Result<ParticipantId, SfuError> {
        let id = ParticipantId(id);
        // Every client its own port, whatever its id.
        self.ports += 1;
        let addr: SocketAddr = format!("198.51.100.1:{}", 5000 + self.ports).parse().expect("test address");
        let mut rtc = rtc(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").expect("a host candidate"));
        let mut change = rtc.sdp_api();
        let mid = match publish {
            Publish::Nothing => {
                change.add_channel("ruang".into());
                None
            }
            Publish::Video => Some(change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None)),
            Publish::Audio => Some(change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None)),
            Publish::Simulcast(rids) => {
                let mut simulcast = Simulcast::new();
                for rid in rids {
                    simulcast.add_send_layer(SimulcastLayer::new(rid));
                }
                Some(change.add_media(MediaKind::Video, Direction::SendOnly, None, None, Some(simulcast)))
            }
        };
        let (offer, pending) = change.apply().expect("a change to offer");
        let answer = self.sfu.add_participant(room, id, publishing, &offer.to_sdp_string(), self.now)?;
        let answer = str0m::change::SdpAnswer::from_sdp_string(&answer).expect("the answer parses");
        rtc.sdp_api().accept_answer(pending, answer).expect("the client accepts the answer");
        let client = Client {
            id,
            addr,
            rtc,
            timeout: self.now,
            connected: false,
            mid,
            frames: Vec::new(),
            keyframe_requests: 0,
            offers: Vec::new(),
            hold_offers: false,
            held: Vec::new(),
            unreachable: false,
        };
        self.clients.insert(id, client);
        Ok(id)
    }

    /// The client renegotiates: `change` edits its session, the SFU answers the offer. Returns what
    /// `change` returned.
    pub fn client_offers<T>(&mut self, id: ParticipantId, change: impl FnOnce(&mut SdpApi) -> T) -> T {
        self.try_client_offers(id, change).expect("the SFU answers")
    }

    /// As `client_offers`, but the SFU may refuse (the client then keeps its pending change unapplied).
    pub fn try_client_offers<T>(
        &mut self,
        id: ParticipantId,
        change: impl FnOnce(&mut SdpApi) -> T,
    ) -> Result<T, SfuError> {
        let client = self.clients.get_mut(&id).expect("a known client");
        let mut api = client.rtc.sdp_api();
        let made = change(&mut api);
        let (offer, pending) = api.apply().expect("a change to offer");
        let answer = self.sfu.handle_offer(id, &offer.to_sdp_string())?;
        let answer = str0m::change::SdpAnswer::from_sdp_string(&answer).expect("the answer parses");
        let client = self.clients.get_mut(&id).expect("a known client");
        client.rtc.sdp_api().accept_answer(pending, answer).expect("the client accepts the answer");
        Ok(made)
    }

    /// Moves every datagram, offer and answer until nobody has anything more to say at this instant.
    pub fn settle(&mut self) {
        for _ in 0..1000 {
            let mut moved = self.drain_sfu();
            for id in self.clients.keys().copied().collect::<Vec<_>>() {
                moved |= self.drain_client(id);
            }
            if !moved {
                return;
            }
        }
        panic!("the network did not settle in 1000 rounds");
    }

    fn drain_sfu(&mut self) -> bool {
        let mut moved = false;
        loop {
            let started = Instant::now();
            let output = self.sfu.poll_output();
            self.sfu_busy += started.elapsed();
            match output {
                Output::Timeout(at) => {
                    self.sfu_timeout = at;
                    return moved;
                }
                Output::Transmit(t) => {
                    moved = true;
                    let Some(client) = self.clients.values_mut().find(|c| c.addr == t.to) else { continue };
                    if client.unreachable {
                        continue;
                    }
                    if client.connected && lose(self.drop_every, &mut self.sent_since_drop) {
                        continue;
                    }
                    let contents = t.bytes.as_slice().try_into().expect("the SFU sends WebRTC datagrams");
                    let receive = Receive { proto: Protocol::Udp, source: t.from, destination: t.to, contents };
                    client.rtc.handle_input(Input::Receive(self.now, receive)).expect("the client takes it");
                }
                Output::Event(SfuEvent::Offer { participant, sdp }) => {
                    moved = true;
                    let client = self.clients.get_mut(&participant).expect("an offer to a known client");
                    if client.hold_offers {
                        client.held.push(sdp);
                        continue;
                    }
                    let offer = str0m::change::SdpOffer::from_sdp_string(&sdp).expect("the offer parses");
                    let answer = client.rtc.sdp_api().accept_offer(offer).expect("the client accepts the offer");
                    client.offers.push(sdp);
                    let started = Instant::now();
                    let taken = self.sfu.handle_answer(participant, &answer.to_sdp_string());
                    self.sfu_busy += started.elapsed();
                    taken.expect("the SFU takes the answer");
                }
                Output::Event(event) => {
                    moved = true;
                    self.sfu_events.push(event);
                }
            }
        }
    }

    fn drain_client(&mut self, id: ParticipantId) -> bool {
        let mut moved = false;
        let Some(client) = self.clients.get_mut(&id) else { return false };
        loop {
            match client.rtc.poll_output().expect("the client runs") {
                RtcOutput::Timeout(at) => {
                    client.timeout = at;
                    return moved;
                }
                RtcOutput::Transmit(t) => {
                    moved = true;
                    if client.unreachable {
                        continue;
                    }
                    if client.connected && lose(self.drop_every, &mut self.sent_since_drop) {
                        continue;
                    }
                    // Datagrams nobody claims are the SFU's to drop; the tests look at what arrives.
                    let started = Instant::now();
                    let _ = self.sfu.handle_datagram(Transport::Udp, t.source, t.destination, &t.contents, self.now);
                    self.sfu_busy += started.elapsed();
                }
                RtcOutput::Event(event) => {
                    moved = true;
                    match event {
                        Event::Connected => client.connected = true,
                        Event::MediaData(data) => client.frames.push(data),
                        Event::KeyframeRequest(_) => client.keyframe_requests += 1,
                        _ => {}
                    }
                }
            }
        }
    }

    /// Settles, then moves the clock to the earliest timeout (at least 1 ms, at most `max` ahead) and fires
    /// every due timer.
    pub fn step(&mut self, max: Duration) {
        self.settle();
        let earliest = self.clients.values().map(|c| c.timeout).chain([self.sfu_timeout]).min().unwrap_or(self.now);
        self.now = earliest.clamp(self.now + Duration::from_millis(1), self.now + max);
        self.steps = self.steps.wrapping_add(1);
        if self.sfu_timers_every.is_none_or(|n| self.steps.is_multiple_of(n.max(1))) {
            let started = Instant::now();
            self.sfu.handle_timeout(self.now);
            self.sfu_busy += started.elapsed();
        }
        for client in self.clients.values_mut() {
            if client.timeout <= self.now {
                client.rtc.handle_input(Input::Timeout(self.now)).expect("the client's timer runs");
            }
        }
        self.settle();
    }

    /// Steps until `done` holds, for at most `limit` of fake time.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Net) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if done(self) {
                return true;
            }
            self.step(Duration::from_millis(10));
        }
        done(self)
    }

    pub fn client(&self, id: ParticipantId) -> &Client {
        &self.clients[&id]
    }
}

/// Whether the next datagram is the n-th since the last one dropped (and so is dropped).
fn lose(every: Option<u32>, count: &mut u32) -> bool {
    let Some(n) = every else { return false };
    *count += 1;
    if *count >= n {
        *count = 0;
        return true;
    }
    false
}

/// A synthetic VP8 video source, one or more simulcast layers: frame `n` of layer `l` is the VP8 frame tag,
/// `n` in 4 bytes, `l` in one byte, then filler; key frames are larger than one packet, so they cross
/// packetization. Audio frames (Opus) are `n` and `l` after a zero byte.
pub struct MediaSource {
    kind: MediaKind,
    layers: Vec<Option<Rid>>,
    /// Frames sent, by layer then number.
    sent: Vec<Vec<Vec<u8>>>,
    keyframe_next: bool,
    /// The audio level (-dBov) every audio frame carries in its header extension, if any.
    level: Option<i8>,
    /// A byte every frame carries after the layer, to tell sources apart at a receiver.
    tag: u8,
    /// Layers made but not sent (a browser pausing a layer for lack of uplink).
    stopped: Vec<bool>,
    /// Each layer's first RTP timestamp: a browser picks one at random per stream, so simulcast layers'
    /// media times have nothing in common.
    bases: Vec<u64>,
}

impl MediaSource {
    /// One video stream. Starts on delta frames: a subscriber's first picture must come from a key frame
    /// the SFU asked for.
    pub fn video() -> Self {
        Self::new(MediaKind::Video, vec![None])
    }

    /// Video in simulcast layers (smallest first), each layer's timestamps from its own base (the smaller
    /// layers' far ahead: a switch up would go back in time if forwarded as is).
    pub fn simulcast(rids: &[&str]) -> Self {
        let source = Self::new(MediaKind::Video, rids.iter().map(|r| Some(Rid::from(*r))).collect());
        let bases = (0..rids.len()).map(|i| (rids.len() - i) as u64 * 1_000_000_000).collect();
        MediaSource { bases, ..source }
    }

    pub fn audio() -> Self {
        Self::new(MediaKind::Audio, vec![None])
    }

    /// Audio whose frames carry `level` (-dBov: 0 loudest, -127 silence) in the audio-level extension.
    pub fn audio_at(level: i8) -> Self {
        MediaSource { level: Some(level), ..Self::audio() }
    }

    fn new(kind: MediaKind, layers: Vec<Option<Rid>>) -> Self {
        let sent = layers.iter().map(|_| Vec::new()).collect();
        let (stopped, bases) = (vec![false; layers.len()], vec![0; layers.len()]);
        MediaSource { kind, layers, sent, keyframe_next: false, level: None, tag: 0, stopped, bases }
    }

    /// Stops or restarts sending `layer` (its frames are still made and numbered, not sent).
    pub fn send_layer(&mut self, layer: usize, on: bool) {
        self.stopped[layer] = !on;
    }

    /// The same source, its frames carrying `tag` (see [`MediaSource::tag_of`]).
    pub fn tagged(self, tag: u8) -> Self {
        MediaSource { tag, ..self }
    }

    /// How many frames each layer has sent.
    pub fn frames_sent(&self) -> usize {
        self.sent[0].len()
    }

    /// The bytes of frame `n` of `layer` (made, and sent unless the layer was stopped).
    pub fn sent(&self, layer: usize, n: u32) -> &[u8] {
        &self.sent[layer][n as usize]
    }

    /// Writes the next frame on every layer (key frames if one was asked for since the last frame).
    pub fn send_frame(&mut self, net: &mut Net, publisher: ParticipantId) {
        let now = net.now;
        let client = net.clients.get_mut(&publisher).expect("the publisher");
        if client.keyframe_requests > 0 {
            self.keyframe_next = true;
            client.keyframe_requests = 0;
        }
        let mid = client.mid.expect("a publishing client");
        let keyframe = std::mem::take(&mut self.keyframe_next);
        let (codec, clock) = match self.kind {
            MediaKind::Video => (Codec::Vp8, Frequency::NINETY_KHZ),
            MediaKind::Audio => (Codec::Opus, Frequency::FORTY_EIGHT_KHZ),
        };
        let n = self.sent[0].len() as u32;
        for (index, rid) in self.layers.iter().enumerate() {
            let frame = match self.kind {
                MediaKind::Video => {
                    // VP8 frame tag: bit 0 clear is a key frame; bit 4 is show_frame.
                    let mut frame = vec![if keyframe { 0x10 } else { 0x11 }];
                    frame.extend_from_slice(&n.to_be_bytes());
                    frame.push(index as u8);
                    frame.push(self.tag);
                    frame.resize(if keyframe { 2500 } else { 300 }, (n % 251) as u8);
                    frame
                }
                MediaKind::Audio => {
                    let mut frame = vec![0];
                    frame.extend_from_slice(&n.to_be_bytes());
                    frame.push(index as u8);
                    frame.push(self.tag);
                    frame.resize(80, (n % 251) as u8);
                    frame
                }
            };
            if self.stopped[index] {
                self.sent[index].push(frame);
                continue;
            }
            let mut writer = client.rtc.writer(mid).expect("a writer for the published m-line");
            let pt =
                writer.payload_params().find(|p| p.spec().codec == codec).map(|p| p.pt()).expect("codec negotiated");
            if let Some(rid) = rid {
                writer = writer.rid(*rid);
            }
            if let Some(level) = self.level {
                writer = writer.audio_level(level, true);
            }
            let time = MediaTime::new(self.bases[index] + u64::from(n) * (u64::from(clock.get()) / 30), clock);
            writer.write(pt, now, time, frame.clone()).expect("the frame is written");
            self.sent[index].push(frame);
        }
    }

    /// The frame number a received frame carries.
    pub fn number(data: &MediaData) -> u32 {
        let bytes: [u8; 4] = data.data[1..5].try_into().expect("a frame carries its number");
        u32::from_be_bytes(bytes)
    }

    /// The tag of the source a received frame came from.
    pub fn tag_of(data: &MediaData) -> u8 {
        data.data[6]
    }

    /// The layer (index) a received frame came from.
    pub fn layer(data: &MediaData) -> usize {
        usize::from(data.data[5])
    }
}

/// Runs the publisher at 30 frames per second for `duration` of fake time.
pub fn publish_for(net: &mut Net, source: &mut MediaSource, publisher: ParticipantId, duration: Duration) {
    publish_all(net, &mut [(source, publisher)], duration);
}

/// Runs several publishers at once, each at 30 frames per second, for `duration` of fake time.
pub fn publish_all(net: &mut Net, sources: &mut [(&mut MediaSource, ParticipantId)], duration: Duration) {
    let frame_interval = Duration::from_millis(33);
    let end = net.now + duration;
    let mut next_frame = net.now;
    while net.now < end {
        if net.now >= next_frame {
            for (source, publisher) in sources.iter_mut() {
                source.send_frame(net, *publisher);
            }
            next_frame = net.now + frame_interval;
        }
        net.step(next_frame.saturating_duration_since(net.now).max(Duration::from_millis(1)));
    }
}
