//! ICE over TCP through the driver, on real loopback TCP: str0m clients whose only candidate is TCP (active)
//! connect to the SFU's port, which frames packets by RFC 4571; one publishes synthetic VP8, another
//! receives it. And the limits an outsider meets: oversized frames, connections nobody claims, too many
//! connections from one address. Wall-clock time, nothing asserted about it: loops are bounded in rounds
//! and each exchange in time.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ruang_sfu::driver::{self, SfuEvents, SfuHandle, TcpLimits};
use ruang_sfu::{ParticipantId, Publishing, RoomKey, SfuEvent};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaData, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const ROOM: RoomKey = RoomKey(1);

/// A browser stand-in whose only path to the SFU is one TCP connection.
struct Client {
    id: ParticipantId,
    stream: TcpStream,
    local: SocketAddr,
    sfu: SocketAddr,
    rtc: Rtc,
    timeout: Instant,
    connected: bool,
    mid: Option<Mid>,
    frames: Vec<MediaData>,
    keyframe_requested: bool,
    /// Bytes read and not yet a whole frame.
    unread: Vec<u8>,
}

impl Client {
    async fn join(sfu: &SfuHandle, id: u64, publishes: bool) -> Client {
        let address = sfu.addresses().local;
        let stream = TcpStream::connect(address).await.expect("a loopback connection");
        let local = stream.local_addr().expect("its address");
        let now = Instant::now();
        let mut rtc = Rtc::builder().set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags())).build(now);
        let candidate = Candidate::builder().tcp().host(local).tcptype(TcpType::Active).build();
        rtc.add_local_candidate(candidate.expect("a TCP host candidate"));
        let mut change = rtc.sdp_api();
        let mid = if publishes {
            Some(change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None))
        } else {
            change.add_channel("ruang".into());
            None
        };
        let (offer, pending) = change.apply().expect("a change to offer");
        let id = ParticipantId(id);
        let answer = sfu.add_participant(ROOM, id, Publishing::Allowed, offer.to_sdp_string()).await.expect("answer");
        assert!(answer.contains(" tcp ") && answer.contains("tcptype passive"), "the SFU offers TCP: {answer}");
        let answer = SdpAnswer::from_sdp_string(&answer).expect("the answer parses");
        rtc.sdp_api().accept_answer(pending, answer).expect("the client accepts the answer");
        let sfu = sfu.addresses().public;
        let (timeout, connected, frames, unread) = (now, false, Vec::new(), Vec::new());
        Client { id, stream, local, sfu, rtc, timeout, connected, mid, frames, keyframe_requested: false, unread }
    }

    async fn drain(&mut self) {
        for _ in 0..10_000 {
            match self.rtc.poll_output().expect("the client runs") {
                Output::Timeout(at) => {
                    self.timeout = at;
                    return;
                }
                Output::Transmit(t) => {
                    assert_eq!(t.proto, Protocol::Tcp, "the client has no other candidate");
                    let mut framed = u16::try_from(t.contents.len()).expect("a small packet").to_be_bytes().to_vec();
                    framed.extend_from_slice(&t.contents);
                    self.stream.write_all(&framed).await.expect("a loopback write");
                }
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::MediaData(data)) => self.frames.push(data),
                Output::Event(Event::KeyframeRequest(_)) => self.keyframe_requested = true,
                Output::Event(_) => {}
            }
        }
        panic!("{} had output without end", self.id);
    }

    fn receive(&mut self, bytes: &[u8]) {
        self.unread.extend_from_slice(bytes);
        while let Some(header) = self.unread.first_chunk::<2>() {
            let len = usize::from(u16::from_be_bytes(*header));
            if self.unread.len() < 2 + len {
                return;
            }
            let frame: Vec<u8> = self.unread.drain(..2 + len).skip(2).collect();
            let Ok(contents) = frame.as_slice().try_into() else { continue };
            let receive = Receive { proto: Protocol::Tcp, source: self.sfu, destination: self.local, contents };
            self.rtc.handle_input(Input::Receive(Instant::now(), receive)).expect("the client takes the frame");
        }
    }

    fn fire_timer(&mut self) {
        let now = Instant::now();
        if self.timeout <= now {
            self.rtc.handle_input(Input::Timeout(now)).expect("the client's timer runs");
        }
    }
}

fn vp8_frame(n: u32, keyframe: bool) -> Vec<u8> {
    let mut frame = vec![if keyframe { 0x10 } else { 0x11 }];
    frame.extend_from_slice(&n.to_be_bytes());
    frame.resize(if keyframe { 2500 } else { 300 }, (n % 251) as u8);
    frame
}

fn send_frame(publisher: &mut Client, sent: &mut Vec<Vec<u8>>) {
    let keyframe = std::mem::take(&mut publisher.keyframe_requested);
    let n = sent.len() as u32;
    let frame = vp8_frame(n, keyframe);
    let writer = publisher.rtc.writer(publisher.mid.expect("a publisher")).expect("a writer");
    let pt = writer.payload_params().find(|p| p.spec().codec == Codec::Vp8).map(|p| p.pt()).expect("VP8");
    let time = MediaTime::new(u64::from(n) * 3000, Frequency::NINETY_KHZ);
    writer.write(pt, Instant::now(), time, frame.clone()).expect("the frame is written");
    sent.push(frame);
}

enum Wake {
    Read(usize, std::io::Result<usize>),
    Event(Option<SfuEvent>),
    Timer,
}

/// Runs the clients and the SFU's events until `done`, the first client publishing 30 frames per second
/// once connected when it publishes. Bounded in rounds; the caller bounds it in time.
async fn run(
    sfu: &SfuHandle,
    events: &mut SfuEvents,
    clients: &mut [Client; 2],
    sent: &mut Vec<Vec<u8>>,
    done: impl Fn(&[Client; 2]) -> bool,
) {
    let mut buffers = [vec![0u8; 4096], vec![0u8; 4096]];
    let mut next_frame = Instant::now();
    for _ in 0..100_000 {
        for client in clients.iter_mut() {
            client.drain().await;
        }
        if done(clients) {
            return;
        }
        if clients[0].mid.is_some() && clients[0].connected && Instant::now() >= next_frame {
            send_frame(&mut clients[0], sent);
            next_frame = Instant::now() + Duration::from_millis(33);
            continue;
        }
        let deadline = clients.iter().map(|c| c.timeout).chain([next_frame]).min().unwrap_or(next_frame);
        let deadline = deadline.max(Instant::now());
        let [a, b] = &mut buffers;
        let [first, second] = &mut *clients;
        let wake = tokio::select! {
            r = first.stream.read(a) => Wake::Read(0, r),
            r = second.stream.read(b) => Wake::Read(1, r),
            e = events.recv() => Wake::Event(e),
            () = tokio::time::sleep_until(deadline.into()) => Wake::Timer,
        };
        match wake {
            Wake::Read(i, read) => {
                let n = read.expect("a loopback read");
                assert!(n > 0, "the SFU closed client {i}'s connection");
                clients[i].receive(&buffers[i][..n]);
            }
            Wake::Event(Some(SfuEvent::Offer { participant, sdp })) => {
                let client = clients.iter_mut().find(|c| c.id == participant).expect("an offer to a client");
                let offer = SdpOffer::from_sdp_string(&sdp).expect("the SFU's offer parses");
                let answer = client.rtc.sdp_api().accept_offer(offer).expect("the client accepts the offer");
                sfu.handle_answer(participant, answer.to_sdp_string()).await.expect("the SFU takes the answer");
            }
            Wake::Event(Some(_)) => {}
            Wake::Event(None) => panic!("the driver stopped"),
            Wake::Timer => clients.iter_mut().for_each(Client::fire_timer),
        }
    }
    panic!("not done in 100000 rounds");
}

#[tokio::test]
async fn clients_whose_only_candidate_is_tcp_publish_and_receive_through_the_driver() {
    let (sfu, mut events) = driver::start((LOOPBACK, 0).into(), LOOPBACK, |c| c).await.expect("the SFU starts");
    let mut clients = [Client::join(&sfu, 1, true).await, Client::join(&sfu, 2, false).await];
    let mut sent = Vec::new();
    let exchange = run(&sfu, &mut events, &mut clients, &mut sent, |c| c[1].frames.len() >= 20);
    tokio::time::timeout(Duration::from_secs(30), exchange).await.expect("20 frames arrive over TCP within 30 s");

    let frames = &clients[1].frames;
    assert!(frames[0].is_keyframe(), "the subscriber starts on a key frame");
    let mut last = None;
    for frame in frames {
        let n = u32::from_be_bytes(frame.data[1..5].try_into().expect("a frame number"));
        assert_eq!(&frame.data[..], &sent[n as usize][..], "frame {n} arrives byte for byte");
        assert!(last < Some(n), "frames arrive in order");
        last = Some(n);
    }
}

#[tokio::test]
async fn a_connection_whose_participant_left_is_closed_though_it_keeps_sending() {
    let limits = TcpLimits { idle_timeout: Duration::from_millis(500), ..TcpLimits::default() };
    let (sfu, mut events) = driver::start_with((LOOPBACK, 0).into(), LOOPBACK, limits, |c| c).await.expect("starts");
    let mut clients = [Client::join(&sfu, 1, false).await, Client::join(&sfu, 2, false).await];
    let mut sent = Vec::new();
    let exchange = run(&sfu, &mut events, &mut clients, &mut sent, |c| c.iter().all(|c| c.connected));
    tokio::time::timeout(Duration::from_secs(30), exchange).await.expect("both connect over TCP within 30 s");

    sfu.remove_participant(clients[0].id).await.expect("the participant is in the SFU");
    let stream = &mut clients[0].stream;
    let closed = async {
        let mut buffer = [0u8; 4096];
        for _ in 0..1000 {
            // Well-framed packets nobody claims any more, every 50 ms.
            if stream.write_all(&[0, 4, 0x80, 0, 0, 1]).await.is_err() {
                return;
            }
            let read = tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buffer)).await;
            if let Ok(Ok(0) | Err(_)) = read {
                return; // closed by the SFU
            }
        }
        panic!("still open after 1000 rounds");
    };
    tokio::time::timeout(Duration::from_secs(10), closed).await.expect("closed within 10 s");
}

/// Whether the SFU closes `stream` (end of stream or reset) within 10 s.
async fn closed_by_the_sfu(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut byte).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {} // whatever it said before closing
            }
        }
    });
    read.await.is_ok()
}

#[tokio::test]
async fn a_frame_longer_than_any_webrtc_packet_closes_the_connection() {
    let (sfu, _events) = driver::start((LOOPBACK, 0).into(), LOOPBACK, |c| c).await.expect("the SFU starts");
    let mut stream = TcpStream::connect(sfu.addresses().local).await.expect("a loopback connection");
    let len = u16::try_from(driver::MAX_FRAME + 1).expect("fits");
    stream.write_all(&len.to_be_bytes()).await.expect("a loopback write");
    assert!(closed_by_the_sfu(&mut stream).await);
}

#[tokio::test]
async fn a_connection_no_participant_claims_is_closed_after_the_handshake_timeout() {
    let limits = TcpLimits { handshake_timeout: Duration::from_millis(300), ..TcpLimits::default() };
    let (sfu, _events) = driver::start_with((LOOPBACK, 0).into(), LOOPBACK, limits, |c| c).await.expect("starts");
    let mut silent = TcpStream::connect(sfu.addresses().local).await.expect("a loopback connection");
    let mut chatty = TcpStream::connect(sfu.addresses().local).await.expect("a loopback connection");
    // Well-framed garbage keeps a connection busy but makes it nobody's.
    chatty.write_all(&[0, 4, 1, 2, 3, 4]).await.expect("a loopback write");
    assert!(closed_by_the_sfu(&mut silent).await, "a silent connection is closed");
    assert!(closed_by_the_sfu(&mut chatty).await, "a connection of garbage is closed");
}

#[tokio::test]
async fn connections_beyond_the_per_address_limit_are_closed_at_once() {
    let limits = TcpLimits { max_per_address: 2, ..TcpLimits::default() };
    let (sfu, _events) = driver::start_with((LOOPBACK, 0).into(), LOOPBACK, limits, |c| c).await.expect("starts");
    let address = sfu.addresses().local;
    let mut kept = Vec::new();
    for _ in 0..2 {
        kept.push(TcpStream::connect(address).await.expect("a loopback connection"));
    }
    let mut third = TcpStream::connect(address).await.expect("the kernel accepts it");
    assert!(closed_by_the_sfu(&mut third).await, "the third from one address is closed");
    let mut byte = [0u8; 1];
    let first = tokio::time::timeout(Duration::from_millis(200), kept[0].read(&mut byte)).await;
    assert!(first.is_err(), "the first two stay open: {first:?}");
}
