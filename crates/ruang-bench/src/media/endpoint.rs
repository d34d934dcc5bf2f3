//! One peer connection: a str0m `Rtc` driven by a task that owns its UDP socket, its clock and its media
//! sources. The signaling side talks to it through [`Endpoint`]'s async methods (make an offer, take an
//! answer, answer an offer) and gets its [`Tally`] back at the end.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::stamp::{self, Clock, Kind, Stamp, Tally};

/// Video frames per second.
const FPS: u32 = 30;
/// Audio frames (packets) per second: 20 ms Opus.
const AUDIO_PPS: u32 = 50;
/// Bytes of one audio frame (about 32 kbit/s).
const AUDIO_FRAME: usize = 80;

/// What an endpoint publishes once connected.
#[derive(Clone, Copy, Debug)]
pub struct Publish {
    /// Video bitrate in bit/s (delta frames; key frames are four times a delta frame).
    pub video_bitrate: u32,
    /// A key frame at least this often (and whenever the server asks).
    pub keyframe_every: Duration,
    /// Bots with an index below this talk: their audio carries a level of -20 dBov minus 5 dB per index
    /// (distinct, so a loudest-N ranking is stable) with voice activity; the others' audio is silence
    /// (-127, no voice). Every bot sends the audio-level header extension, as browsers do.
    pub speakers: u32,
}

impl Publish {
    /// The audio level (negative dBov) and voice activity bot `sender` sends.
    pub fn audio_level(&self, sender: u32) -> (i8, bool) {
        if sender < self.speakers {
            let level = 20 + 5 * sender.min(21);
            (-(level as i8), true)
        } else {
            (-127, false)
        }
    }
}

enum Command {
    Offer(Direction, oneshot::Sender<anyhow::Result<String>>),
    Answered(String, oneshot::Sender<anyhow::Result<()>>),
    Answer(String, oneshot::Sender<anyhow::Result<String>>),
    Finish,
}

/// A running peer connection.
pub struct Endpoint {
    commands: mpsc::Sender<Command>,
    /// Distinct streams (sender and kind) received so far, window or not: how far setup has come.
    pub streams_seen: Arc<AtomicUsize>,
    task: JoinHandle<anyhow::Result<Tally>>,
}

impl Endpoint {
    /// Binds a UDP socket on `ip` and starts the connection. `sender` is the bot's index, stamped on
    /// what it publishes; `publish` is `None` for a connection that only receives.
    pub async fn start(
        ip: std::net::IpAddr,
        sender: u32,
        publish: Option<Publish>,
        clock: Arc<Clock>,
    ) -> anyhow::Result<Endpoint> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await.context("bind UDP")?;
        let local = socket.local_addr()?;
        // Only the codecs the bots send: every m-line of an answer then lists two codecs, not str0m's dozen,
        // which keeps a big room's SDP within the server's SDP limit.
        let mut rtc = Rtc::builder()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(Instant::now());
        rtc.add_local_candidate(Candidate::host(local, "udp").map_err(|e| anyhow!("host candidate: {e}"))?);
        let (commands, receiver) = mpsc::channel(8);
        let state = State::new(sender, publish, clock);
        let streams_seen = Arc::clone(&state.streams_seen);
        let task = tokio::spawn(run(rtc, socket, local, receiver, state));
        Ok(Endpoint { commands, streams_seen, task })
    }

    /// Offers an audio and a video m-line in `direction`; returns the SDP offer.
    pub async fn offer(&self, direction: Direction) -> anyhow::Result<String> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Offer(direction, reply)).await?;
        answer.await.context("endpoint stopped")?
    }

    /// Takes the answer to the last offer.
    pub async fn accept_answer(&self, sdp: String) -> anyhow::Result<()> {
        let (reply, done) = oneshot::channel();
        self.send(Command::Answered(sdp, reply)).await?;
        done.await.context("endpoint stopped")?
    }

    /// Answers a remote offer; returns the SDP answer.
    pub async fn answer(&self, sdp: String) -> anyhow::Result<String> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Answer(sdp, reply)).await?;
        answer.await.context("endpoint stopped")?
    }

    /// Stops the connection and returns what it counted.
    pub async fn finish(self) -> anyhow::Result<Tally> {
        let _ = self.commands.send(Command::Finish).await;
        self.task.await.context("endpoint task")?
    }

    async fn send(&self, command: Command) -> anyhow::Result<()> {
        self.commands.send(command).await.map_err(|_| anyhow!("endpoint stopped"))
    }
}

/// A media source: its m-line, the next frame's number and when it is due.
struct Source {
    mid: Mid,
    next_number: u32,
    due: Instant,
}

/// Everything the task owns besides the `Rtc` and the socket.
struct State {
    sender: u32,
    publish: Option<Publish>,
    clock: Arc<Clock>,
    pending: Option<SdpPendingOffer>,
    video: Option<Source>,
    audio: Option<Source>,
    connected: bool,
    keyframe_wanted: bool,
    next_keyframe: Instant,
    seen: HashSet<(u32, Kind)>,
    streams_seen: Arc<AtomicUsize>,
    tally: Tally,
}

impl State {
    fn new(sender: u32, publish: Option<Publish>, clock: Arc<Clock>) -> State {
        let now = Instant::now();
        State {
            sender,
            publish,
            clock,
            pending: None,
            video: None,
            audio: None,
            connected: false,
            keyframe_wanted: true,
            next_keyframe: now,
            seen: HashSet::new(),
            streams_seen: Arc::default(),
            tally: Tally::default(),
        }
    }

    /// When the next frame is due, if anything is being sent.
    fn next_due(&self) -> Option<Instant> {
        if !self.connected {
            return None;
        }
        [&self.video, &self.audio].into_iter().flatten().map(|s| s.due).min()
    }

    fn command(&mut self, rtc: &mut Rtc, command: Command) {
        match command {
            Command::Offer(direction, reply) => {
                let mut api = rtc.sdp_api();
                let audio = api.add_media(MediaKind::Audio, direction, None, None, None);
                let video = api.add_media(MediaKind::Video, direction, None, None, None);
                let result = match api.apply() {
                    Some((offer, pending)) => {
                        self.pending = Some(pending);
                        if self.publish.is_some() && direction.is_sending() {
                            let now = Instant::now();
                            self.audio = Some(Source { mid: audio, next_number: 0, due: now });
                            self.video = Some(Source { mid: video, next_number: 0, due: now });
                        }
                        Ok(offer.to_sdp_string())
                    }
                    None => Err(anyhow!("nothing to offer")),
                };
                let _ = reply.send(result);
            }
            Command::Answered(sdp, reply) => {
                let result = (|| {
                    let pending = self.pending.take().context("no offer pending")?;
                    let answer = SdpAnswer::from_sdp_string(&sdp).context("parse answer")?;
                    rtc.sdp_api().accept_answer(pending, answer).context("accept answer")
                })();
                let _ = reply.send(result);
            }
            Command::Answer(sdp, reply) => {
                let result = (|| {
                    let offer = SdpOffer::from_sdp_string(&sdp).context("parse offer")?;
                    let answer = rtc.sdp_api().accept_offer(offer).context("accept offer")?;
                    Ok(answer.to_sdp_string())
                })();
                let _ = reply.send(result);
            }
            Command::Finish => {}
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Connected => self.connected = true,
            Event::KeyframeRequest(_) => {
                self.keyframe_wanted = true;
                self.tally.keyframe_requests += 1;
            }
            Event::MediaData(data) => {
                let Some(stamp) = stamp::read(&data.data) else { return };
                if self.seen.insert((stamp.sender, stamp.kind)) {
                    self.streams_seen.store(self.seen.len(), Ordering::Relaxed);
                }
                if !self.clock.counts(stamp.sent_us) {
                    return;
                }
                let delay = self.clock.micros(Instant::now()).saturating_sub(stamp.sent_us);
                let packets = (**data.seq_range.end()).saturating_sub(**data.seq_range.start()) + 1;
                self.tally.record(stamp, data.data.len(), packets, delay);
            }
            _ => {}
        }
    }

    /// Writes every frame that is due.
    fn send_due(&mut self, rtc: &mut Rtc, now: Instant) {
        let Some(publish) = self.publish else { return };
        if !self.connected {
            return;
        }
        if let Some(video) = self.video.as_mut().filter(|v| v.due <= now) {
            let key = self.keyframe_wanted || now >= self.next_keyframe;
            if key {
                self.keyframe_wanted = false;
                self.next_keyframe = now + publish.keyframe_every;
            }
            let delta = (publish.video_bitrate / 8 / FPS) as usize;
            let size = if key { delta * 4 } else { delta };
            let time = MediaTime::new(u64::from(video.next_number) * 3000, Frequency::NINETY_KHZ);
            let stamp = Stamp {
                kind: Kind::Video,
                sender: self.sender,
                number: video.next_number,
                sent_us: self.clock.micros(now),
            };
            if write(rtc, video.mid, Codec::Vp8, now, time, None, stamp::frame(stamp, key, size))
                && self.clock.counts(stamp.sent_us)
            {
                self.tally.sent[Kind::Video as usize] += 1;
            }
            video.next_number += 1;
            video.due += Duration::from_secs(1) / FPS;
            video.due = video.due.max(now);
        }
        if let Some(audio) = self.audio.as_mut().filter(|a| a.due <= now) {
            let time = MediaTime::new(u64::from(audio.next_number) * 960, Frequency::FORTY_EIGHT_KHZ);
            let stamp = Stamp {
                kind: Kind::Audio,
                sender: self.sender,
                number: audio.next_number,
                sent_us: self.clock.micros(now),
            };
            let level = Some(publish.audio_level(self.sender));
            if write(rtc, audio.mid, Codec::Opus, now, time, level, stamp::frame(stamp, false, AUDIO_FRAME))
                && self.clock.counts(stamp.sent_us)
            {
                self.tally.sent[Kind::Audio as usize] += 1;
            }
            audio.next_number += 1;
            audio.due += Duration::from_secs(1) / AUDIO_PPS;
            audio.due = audio.due.max(now);
        }
    }
}

/// Writes one frame on `mid` in `codec` (with an audio level and voice activity, if given); false if the
/// m-line or codec is not (yet) negotiated.
fn write(
    rtc: &mut Rtc,
    mid: Mid,
    codec: Codec,
    now: Instant,
    time: MediaTime,
    level: Option<(i8, bool)>,
    frame: Vec<u8>,
) -> bool {
    let Some(mut writer) = rtc.writer(mid) else { return false };
    if let Some((level, voice)) = level {
        writer = writer.audio_level(level, voice);
    }
    let Some(pt) = writer.payload_params().find(|p| p.spec().codec == codec).map(|p| p.pt()) else { return false };
    match writer.write(pt, now, time, frame) {
        Ok(()) => true,
        Err(e) => {
            if std::env::var_os("RUANG_BENCH_DEBUG").is_some() {
                eprintln!("write on {mid}: {e}");
            }
            false
        }
    }
}

async fn run(
    mut rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mut commands: mpsc::Receiver<Command>,
    mut state: State,
) -> anyhow::Result<Tally> {
    let mut buf = vec![0u8; 2048];
    loop {
        // Everything the connection has to say now: datagrams, events, and when it next needs time.
        let timeout = loop {
            match rtc.poll_output().context("rtc")? {
                Output::Timeout(at) => break at,
                Output::Transmit(t) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
                Output::Event(event) => state.event(event),
            }
        };
        let wake = state.next_due().map_or(timeout, |due| due.min(timeout));
        tokio::select! {
            command = commands.recv() => match command {
                None | Some(Command::Finish) => return Ok(state.tally),
                Some(command) => state.command(&mut rtc, command),
            },
            received = socket.recv_from(&mut buf) => {
                let (n, from) = received.context("UDP receive")?;
                if let Ok(receive) = Receive::new(Protocol::Udp, from, local, &buf[..n]) {
                    rtc.handle_input(Input::Receive(Instant::now(), receive)).context("rtc input")?;
                }
            }
            _ = tokio::time::sleep_until(wake.into()) => {
                let now = Instant::now();
                state.send_due(&mut rtc, now);
                rtc.handle_input(Input::Timeout(now)).context("rtc timeout")?;
            }
        }
    }
}
