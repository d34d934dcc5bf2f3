//! The tokio driver over real UDP on loopback: str0m clients in the test process, each with its own socket,
//! connect to the driver's socket; one publishes synthetic VP8, another receives it. Wall-clock time, but
//! nothing asserted about it: the loops are bounded in rounds and the whole exchange in time.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ruang_sfu::driver::{self, DriverError, SfuEvents, SfuHandle};
use ruang_sfu::layer::Layer;
use ruang_sfu::{ParticipantId, Publishing, RoomKey, SfuError, SfuEvent};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaData, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A browser stand-in with its own UDP socket on loopback.
struct Client {
    id: ParticipantId,
    socket: UdpSocket,
    addr: SocketAddr,
    rtc: Rtc,
    timeout: Instant,
    connected: bool,
    /// The m-line it publishes video on, if it does.
    mid: Option<Mid>,
    frames: Vec<MediaData>,
    keyframe_requested: bool,
}

impl Client {
    /// Binds a socket, offers (video to send, or only a data channel), and joins the SFU through `sfu`.
    async fn join(sfu: &SfuHandle, id: u64, publishes: bool) -> Client {
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
        let id = ParticipantId(id);
        let answer =
            sfu.add_participant(RoomKey(1), id, Publishing::Allowed, offer.to_sdp_string()).await.expect("an answer");
        let answer = SdpAnswer::from_sdp_string(&answer).expect("the answer parses");
        rtc.sdp_api().accept_answer(pending, answer).expect("the client accepts the answer");
        Client {
            id,
            socket,
            addr,
            rtc,
            timeout: now,
            connected: false,
            mid,
            frames: Vec::new(),
            keyframe_requested: false,
        }
    }

    /// Sends what the client has to send and takes its events, up to its next timer.
    async fn drain(&mut self) {
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
        panic!("{} had output without end", self.id);
    }

    fn receive(&mut self, from: SocketAddr, bytes: &[u8]) {
        // Whatever arrives on the client's socket comes from the SFU; the client drops what it cannot read.
        let Ok(contents) = bytes.try_into() else { return };
        let receive = Receive { proto: Protocol::Udp, source: from, destination: self.addr, contents };
        self.rtc.handle_input(Input::Receive(Instant::now(), receive)).expect("the client takes the datagram");
    }

    fn fire_timer(&mut self) {
        let now = Instant::now();
        if self.timeout <= now {
            self.rtc.handle_input(Input::Timeout(now)).expect("the client's timer runs");
        }
    }

    /// Answers an offer the SFU sent over (what would be) signaling.
    async fn answer(&mut self, sfu: &SfuHandle, sdp: &str) {
        let offer = SdpOffer::from_sdp_string(sdp).expect("the SFU's offer parses");
        let answer = self.rtc.sdp_api().accept_offer(offer).expect("the client accepts the offer");
        sfu.handle_answer(self.id, answer.to_sdp_string()).await.expect("the SFU takes the answer");
    }
}

/// Synthetic VP8: frame `n` is the frame tag, `n` in 4 bytes, then filler; key frames span several packets.
fn vp8_frame(n: u32, keyframe: bool) -> Vec<u8> {
    let mut frame = vec![if keyframe { 0x10 } else { 0x11 }];
    frame.extend_from_slice(&n.to_be_bytes());
    frame.resize(if keyframe { 2500 } else { 300 }, (n % 251) as u8);
    frame
}

fn frame_number(data: &MediaData) -> u32 {
    u32::from_be_bytes(data.data[1..5].try_into().expect("a frame carries its number"))
}

/// Writes the publisher's next frame (a key frame if one was asked for since the last one).
fn send_frame(publisher: &mut Client, sent: &mut Vec<Vec<u8>>) {
    let keyframe = std::mem::take(&mut publisher.keyframe_requested);
    let n = sent.len() as u32;
    let frame = vp8_frame(n, keyframe);
    let mid = publisher.mid.expect("a publishing client");
    let writer = publisher.rtc.writer(mid).expect("a writer for the published m-line");
    let pt = writer.payload_params().find(|p| p.spec().codec == Codec::Vp8).map(|p| p.pt()).expect("VP8");
    let time = MediaTime::new(u64::from(n) * 3000, Frequency::NINETY_KHZ);
    writer.write(pt, Instant::now(), time, frame.clone()).expect("the frame is written");
    sent.push(frame);
}

/// What woke the test's loop.
enum Wake {
    Datagram(usize, std::io::Result<(usize, SocketAddr)>),
    Event(Option<SfuEvent>),
    Timer,
}

/// Runs both clients and the SFU's events until `done`, publishing 30 frames per second once the publisher
/// is connected. Bounded in rounds; the caller bounds it in time.
async fn run(
    sfu: &SfuHandle,
    events: &mut SfuEvents,
    clients: &mut [Client; 2],
    sent: &mut Vec<Vec<u8>>,
    seen: &mut Vec<SfuEvent>,
    done: impl Fn(&[Client; 2]) -> bool,
) {
    let mut buffers = [vec![0u8; 2048], vec![0u8; 2048]];
    let mut next_frame = Instant::now();
    for _ in 0..100_000 {
        for client in clients.iter_mut() {
            client.drain().await;
        }
        if done(clients) {
            return;
        }
        if clients[0].connected && Instant::now() >= next_frame {
            send_frame(&mut clients[0], sent);
            next_frame = Instant::now() + Duration::from_millis(33);
            continue;
        }
        let deadline = clients.iter().map(|c| c.timeout).chain([next_frame]).min().unwrap_or(next_frame);
        let [a, b] = &mut buffers;
        let wake = tokio::select! {
            r = clients[0].socket.recv_from(a) => Wake::Datagram(0, r),
            r = clients[1].socket.recv_from(b) => Wake::Datagram(1, r),
            e = events.recv() => Wake::Event(e),
            () = tokio::time::sleep_until(deadline.into()) => Wake::Timer,
        };
        match wake {
            Wake::Datagram(i, received) => {
                let (len, from) = received.expect("a loopback receive");
                clients[i].receive(from, &buffers[i][..len]);
            }
            Wake::Event(Some(SfuEvent::Offer { participant, sdp })) => {
                let client = clients.iter_mut().find(|c| c.id == participant).expect("an offer to a client");
                client.answer(sfu, &sdp).await;
            }
            Wake::Event(Some(event)) => seen.push(event),
            Wake::Event(None) => panic!("the driver stopped"),
            Wake::Timer => clients.iter_mut().for_each(Client::fire_timer),
        }
    }
    panic!("not done in 100000 rounds");
}

#[tokio::test]
async fn a_video_published_over_udp_reaches_a_subscriber_through_the_driver() {
    let (sfu, mut events) = driver::start((LOOPBACK, 0).into(), LOOPBACK, |c| c).await.expect("the SFU starts");
    assert_eq!(sfu.addresses().public.ip(), LOOPBACK);
    assert_ne!(sfu.addresses().public.port(), 0, "the public address carries the port drawn");
    let publisher = Client::join(&sfu, 1, true).await;
    let subscriber = Client::join(&sfu, 2, false).await;
    let mut clients = [publisher, subscriber];
    let (mut sent, mut seen) = (Vec::new(), Vec::new());

    let exchange = run(&sfu, &mut events, &mut clients, &mut sent, &mut seen, |c| c[1].frames.len() >= 20);
    tokio::time::timeout(Duration::from_secs(30), exchange).await.expect("20 frames arrive within 30 s");

    let [publisher, subscriber] = &clients;
    assert!(publisher.connected && subscriber.connected, "both clients connected over UDP");
    assert!(seen.contains(&SfuEvent::Connected(publisher.id)) && seen.contains(&SfuEvent::Connected(subscriber.id)));
    assert!(
        seen.iter().any(|e| matches!(e, SfuEvent::TrackPublished { track, kind: MediaKind::Video }
            if track.publisher == publisher.id)),
        "the driver passed on the published track: {seen:?}"
    );
    let frames = &subscriber.frames;
    assert!(frames[0].is_keyframe(), "the subscriber starts on a key frame");
    let mut last = None;
    for frame in frames {
        let n = frame_number(frame);
        assert_eq!(&frame.data[..], &sent[n as usize][..], "frame {n} arrives byte for byte");
        assert!(last < Some(n), "frames arrive in order");
        last = Some(n);
    }
}

#[tokio::test]
async fn the_driver_survives_garbage_and_reports_what_the_core_refuses() {
    let (sfu, _events) = driver::start((LOOPBACK, 0).into(), LOOPBACK, |c| c).await.expect("the SFU starts");
    let stranger = UdpSocket::bind((LOOPBACK, 0)).await.expect("a loopback socket");
    stranger.send_to(b"not webrtc", sfu.addresses().local).await.expect("a loopback send");
    stranger.send_to(&[0u8; 1], sfu.addresses().local).await.expect("a loopback send");

    let unknown = sfu.remove_participant(ParticipantId(9)).await;
    assert!(matches!(unknown, Err(DriverError::Sfu(SfuError::UnknownParticipant(ParticipantId(9))))), "{unknown:?}");
    let bad = sfu.add_participant(RoomKey(1), ParticipantId(1), Publishing::Allowed, "v=0 nonsense".into()).await;
    assert!(matches!(bad, Err(DriverError::Sfu(_))), "an offer that does not parse is refused: {bad:?}");
}

#[tokio::test]
async fn after_shutdown_calls_fail_and_the_events_end() {
    let (sfu, mut events) = driver::start((LOOPBACK, 0).into(), LOOPBACK, |c| c).await.expect("the SFU starts");
    let other = sfu.clone();
    sfu.shutdown().await;
    let after = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.expect("the events end");
    assert_eq!(after, None);
    assert!(matches!(other.remove_participant(ParticipantId(1)).await, Err(DriverError::Stopped)));
}

#[tokio::test]
async fn a_taken_port_is_a_start_error() {
    let (sfu, _events) = driver::start((LOOPBACK, 0).into(), LOOPBACK, |c| c).await.expect("the SFU starts");
    let taken = driver::start(sfu.addresses().local, LOOPBACK, |c| c).await;
    assert!(matches!(taken, Err(driver::StartError::Bind { .. })), "{taken:?}");
}

#[tokio::test]
async fn the_handle_carries_the_protocol_calls_and_their_errors() {
    let (sfu, _events) = driver::start((LOOPBACK, 0).into(), LOOPBACK, |c| c).await.expect("the SFU starts");
    let (viewer, stranger) = (ParticipantId(2), ParticipantId(9));
    let unknown = sfu.set_tile_of(stranger, viewer, 240).await;
    assert!(matches!(unknown, Err(DriverError::Sfu(SfuError::UnknownParticipant(id))) if id == stranger));

    let publisher = Client::join(&sfu, 1, true).await;
    Client::join(&sfu, viewer.0, false).await;
    let small = Layer { height: 180, bitrate: 150_000 };
    sfu.describe_layers_of(publisher.id, vec![("l".into(), small)]).await.expect("remembered for later tracks");
    let repeated = sfu.describe_layers_of(publisher.id, vec![("l".into(), small), ("l".into(), small)]).await;
    assert!(matches!(repeated, Err(DriverError::Sfu(SfuError::InvalidLayers(_)))), "{repeated:?}");
    sfu.set_tile_of(viewer, publisher.id, 0).await.expect("a tile");
    sfu.set_tiles(viewer, vec![(publisher.id, 360)]).await.expect("tiles");
    sfu.pin(viewer, Some(publisher.id)).await.expect("a pin");
    sfu.pin(viewer, None).await.expect("an unpin");
    assert!(matches!(sfu.pin(stranger, None).await, Err(DriverError::Sfu(SfuError::UnknownParticipant(_)))));
}
