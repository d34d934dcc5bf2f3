//! A str0m client of the SFU for tests: it joins over the real signaling (a [`Client`]), offers to the
//! room's SFU, answers its offers, and sends or receives synthetic VP8 frames through the SFU's real UDP
//! port on loopback; [`exchange`] runs a publisher and a subscriber until frames arrive. Every loop is
//! bounded in rounds and time.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaData, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;

use super::{Client, TestServer};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A client that speaks SFU (`"modes": ["mesh", "sfu"]`), joined to `room` on `server`.
pub async fn join_sfu(server: &TestServer, room: &str, name: &str) -> Client {
    let mut client = server.client().await;
    client.send(json!({"type": "join", "room": room, "name": name, "modes": ["mesh", "sfu"]})).await;
    let welcome = client.recv().await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    client.id = welcome["you"].as_str().expect("you").to_owned();
    client.welcome = welcome;
    client
}

/// The SFU's id in a `welcome` or `media_mode` message.
pub fn sfu_id(message: &Value) -> String {
    message["sfu"].as_str().unwrap_or_else(|| panic!("an SFU id in {message}")).to_owned()
}

/// A browser stand-in: a str0m `Rtc` on its own loopback UDP socket, negotiating with the room's SFU
/// through its WebSocket client.
pub struct Media {
    pub ws: Client,
    pub sfu: String,
    pub socket: UdpSocket,
    addr: SocketAddr,
    rtc: Rtc,
    pub timeout: Instant,
    pub pending: Option<SdpPendingOffer>,
    /// Our last offer's SDP.
    pub last_offer: String,
    pub connected: bool,
    mid: Option<Mid>,
    pub frames: Vec<MediaData>,
    keyframe_requested: bool,
}

impl Media {
    /// Offers to the SFU (video to send, or a data channel only) over signaling.
    pub async fn offer(ws: Client, publishes: bool) -> Media {
        let sfu = sfu_id(&ws.welcome);
        let socket = UdpSocket::bind((LOOPBACK, 0)).await.expect("a loopback socket");
        let addr = socket.local_addr().expect("its address");
        let now = Instant::now();
        let mut rtc = Rtc::builder().set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags())).build(now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").expect("a host candidate"));
        let mut change = rtc.sdp_api();
        let mid = if publishes {
            Some(change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None))
        } else {
            change.add_channel("ruang".into());
            None
        };
        let (offer, pending) = change.apply().expect("a change to offer");
        let mut media = Media {
            ws,
            sfu,
            socket,
            addr,
            rtc,
            timeout: now,
            pending: Some(pending),
            last_offer: offer.to_sdp_string(),
            connected: false,
            mid,
            frames: Vec::new(),
            keyframe_requested: false,
        };
        let to = media.sfu.clone();
        media.ws.signal(&to, json!({"kind": "offer", "sdp": offer.to_sdp_string()})).await;
        media
    }

    /// Sends what the client has to send and takes its events, up to its next timer.
    pub async fn drain(&mut self) {
        for _ in 0..10_000 {
            match self.rtc.poll_output().expect("the client runs") {
                Output::Timeout(at) => {
                    self.timeout = at;
                    return;
                }
                Output::Transmit(t) => {
                    self.socket.send_to(&t.contents, t.destination).await.expect("a loopback send");
                }
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::MediaData(data)) => self.frames.push(data),
                Output::Event(Event::KeyframeRequest(_)) => self.keyframe_requested = true,
                Output::Event(_) => {}
            }
        }
        panic!("the client had output without end");
    }

    pub fn receive(&mut self, from: SocketAddr, bytes: &[u8]) {
        let Ok(contents) = bytes.try_into() else { return };
        let receive = Receive { proto: Protocol::Udp, source: from, destination: self.addr, contents };
        self.rtc.handle_input(Input::Receive(Instant::now(), receive)).expect("the client takes the datagram");
    }

    pub fn fire_timer(&mut self) {
        let now = Instant::now();
        if self.timeout <= now {
            self.rtc.handle_input(Input::Timeout(now)).expect("the client's timer runs");
        }
    }

    /// A message from the server: the SFU's answer to our offer, or its offer, which we answer.
    pub async fn on_message(&mut self, message: Value) {
        if message["type"] != "signal" {
            return;
        }
        assert_eq!(message["from"], self.sfu.as_str(), "only the SFU signals here: {message}");
        let sdp = message["data"]["sdp"].as_str().unwrap_or_default();
        match message["data"]["kind"].as_str() {
            Some("answer") => {
                let answer = SdpAnswer::from_sdp_string(sdp).expect("the SFU's answer parses");
                let pending = self.pending.take().expect("an offer of ours to answer");
                self.rtc.sdp_api().accept_answer(pending, answer).expect("the client accepts the answer");
            }
            Some("offer") => {
                let offer = SdpOffer::from_sdp_string(sdp).expect("the SFU's offer parses");
                let answer = self.rtc.sdp_api().accept_offer(offer).expect("the client accepts the offer");
                let to = self.sfu.clone();
                self.ws.signal(&to, json!({"kind": "answer", "sdp": answer.to_sdp_string()})).await;
            }
            other => panic!("unexpected signal from the SFU: {other:?}"),
        }
    }

    /// Writes the next synthetic VP8 frame (a key frame if one was asked for).
    pub fn send_frame(&mut self, n: u32) {
        let keyframe = std::mem::take(&mut self.keyframe_requested);
        let mut frame = vec![if keyframe { 0x10 } else { 0x11 }];
        frame.extend_from_slice(&n.to_be_bytes());
        frame.resize(if keyframe { 2500 } else { 300 }, (n % 251) as u8);
        let mid = self.mid.expect("a publishing client");
        let writer = self.rtc.writer(mid).expect("a writer for the published m-line");
        let pt = writer.payload_params().find(|p| p.spec().codec == Codec::Vp8).map(|p| p.pt()).expect("VP8");
        let time = MediaTime::new(u64::from(n) * 3000, Frequency::NINETY_KHZ);
        writer.write(pt, Instant::now(), time, frame).expect("the frame is written");
    }
}

enum Wake {
    Datagram(usize, std::io::Result<(usize, SocketAddr)>),
    Message(usize, Value),
    Timer,
}

/// Runs `clients[0]` (publishing, a frame every 33 ms once connected) and `clients[1]` until the second has
/// received `frames` frames; fails after 30 s.
pub async fn exchange(clients: &mut [Media; 2], frames: usize) {
    let mut buffers = [vec![0u8; 2048], vec![0u8; 2048]];
    let mut next_frame = Instant::now();
    let mut sent = 0u32;
    let run = async {
        for _ in 0..100_000 {
            for client in clients.iter_mut() {
                client.drain().await;
            }
            if clients[1].frames.len() >= frames {
                return;
            }
            if clients[0].connected && Instant::now() >= next_frame {
                clients[0].send_frame(sent);
                sent += 1;
                next_frame = Instant::now() + Duration::from_millis(33);
                continue;
            }
            // Until the publisher is connected there is no frame to wait for (a past `next_frame` would spin
            // this loop through its rounds without waiting: fast enough in a release build to run out).
            let frame_due = if clients[0].connected { next_frame } else { Instant::now() + Duration::from_millis(50) };
            let deadline = clients.iter().map(|c| c.timeout).chain([frame_due]).min().unwrap_or(frame_due);
            let [a, b] = &mut buffers;
            let [first, second] = &mut *clients;
            let wake = tokio::select! {
                r = first.socket.recv_from(a) => Wake::Datagram(0, r),
                r = second.socket.recv_from(b) => Wake::Datagram(1, r),
                m = first.ws.recv() => Wake::Message(0, m),
                m = second.ws.recv() => Wake::Message(1, m),
                () = tokio::time::sleep_until(deadline.into()) => Wake::Timer,
            };
            match wake {
                Wake::Datagram(i, received) => {
                    let (len, from) = received.expect("a loopback receive");
                    clients[i].receive(from, &buffers[i][..len]);
                }
                Wake::Message(i, message) => clients[i].on_message(message).await,
                Wake::Timer => clients.iter_mut().for_each(Media::fire_timer),
            }
        }
        panic!("not done in 100000 rounds");
    };
    tokio::time::timeout(Duration::from_secs(30), run).await.expect("the frames arrive within 30 s");
}
