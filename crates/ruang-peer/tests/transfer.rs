//! Two `ruang-peer` participants in one room of a real in-process server, over real sockets on loopback:
//! a sender and a receiver, with str0m connections between them and the web client's file protocol on the
//! data channel. Every wait is bounded.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ruang_peer::{
    Credentials, Direction, Event, Job, MediaMode, Outcome, PeerConfig, ReceivePolicy, Record, TransferEvent, Trust,
};
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(90);

async fn server() -> (String, CancellationToken) {
    server_in(ruang_server::config::MediaPolicy::Mesh).await
}

async fn server_in(media_mode: ruang_server::config::MediaPolicy) -> (String, CancellationToken) {
    let mut config = ruang_server::ServerConfig { media_mode, ..Default::default() };
    config.turn.enabled = false;
    config.sfu_listen = Some("127.0.0.1:0".parse().unwrap());
    config.max_connections_per_address = 100_000;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(ruang_server::run(listener, config, shutdown.clone()));
    (format!("http://{addr}"), shutdown)
}

/// A new empty directory, removed (passed or failed) when the `TempDir` is dropped: keep it as long as the
/// path is used.
fn temp_dir(name: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::Builder::new().prefix(&format!("ruang-peer-{name}-")).tempdir().unwrap();
    let path = dir.path().to_owned();
    (dir, path)
}

/// `size` bytes that are not all the same, written to `dir/name`.
fn data_file(dir: &Path, name: &str, size: usize) -> (PathBuf, String) {
    let mut x: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, hex(&Sha256::digest(&bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Running {
    events: mpsc::Receiver<Event>,
    cancel: CancellationToken,
    task: JoinHandle<Result<Vec<Record>, ruang_peer::PeerError>>,
}

fn start(url: &str, name: &str, job: Job, capacity: usize) -> Running {
    start_trusting(url, name, job, capacity, Trust::System)
}

fn start_trusting(url: &str, name: &str, job: Job, capacity: usize, trust: Trust) -> Running {
    let (tx, events) = mpsc::channel(capacity);
    let cancel = CancellationToken::new();
    let config = PeerConfig { url: url.to_owned(), name: name.to_owned(), credentials: Credentials::default(), trust };
    let task = tokio::spawn(ruang_peer::run(config, job, tx, cancel.clone()));
    Running { events, cancel, task }
}

impl Running {
    /// Waits for an event that `wanted` picks.
    async fn until(&mut self, what: &str, wanted: impl Fn(&Event) -> bool) {
        let found = tokio::time::timeout(WAIT, async {
            while let Some(event) = self.events.recv().await {
                if wanted(&event) {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(found, Ok(true), "waiting for {what}");
    }

    /// Reads events until the job ends; its records.
    async fn finish(mut self) -> Vec<Record> {
        let drain = tokio::spawn(async move { while self.events.recv().await.is_some() {} });
        let records = tokio::time::timeout(WAIT, self.task).await.expect("the job ends").unwrap().expect("the job ran");
        let _ = drain.await;
        records
    }
}

fn receive(url: &str, dir: &Path, max_size: u64, count: Option<usize>, capacity: usize) -> Running {
    let policy = ReceivePolicy { dir: dir.to_owned(), max_size, max_pending: 16 };
    start(url, "Receiver", Job::Receive { policy, count }, capacity)
}

fn send(url: &str, files: Vec<PathBuf>, capacity: usize) -> Running {
    start(url, "Sender", Job::Send { files, to: None }, capacity)
}

/// Names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_arrives_whole_and_verified() {
    let (url, _server) = server().await;
    let url = format!("{url}/r/peer-ok");
    let (_out, out) = temp_dir("ok-out");
    let (_dir, dir) = temp_dir("ok-in");
    std::fs::write(dir.join("report.bin"), b"already here").unwrap();
    let (path, expected) = data_file(&out, "report.bin", 3 * 1024 * 1024 + 17);

    let mut receiver = receive(&url, &dir, u64::MAX, Some(1), 64);
    receiver.until("the receiver joined", |e| matches!(e, Event::Joined { .. })).await;
    let sender = send(&url, vec![path], 64);
    let sent = sender.finish().await;
    let received = receiver.finish().await;

    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].outcome, Some(Outcome::Done(None)), "{sent:?}");
    assert_eq!(sent[0].sha256.as_deref(), Some(expected.as_str()));
    assert_eq!(sent[0].peer, "Receiver");
    assert_eq!(received.len(), 1);
    let landed = dir.join("report (1).bin"); // the name was taken: a new one, nothing replaced
    assert_eq!(received[0].outcome, Some(Outcome::Done(Some(landed.clone()))), "{received:?}");
    assert_eq!(received[0].direction, Direction::In);
    assert_eq!(received[0].sha256.as_deref(), Some(expected.as_str()));
    assert_eq!(hex(&Sha256::digest(std::fs::read(&landed).unwrap())), expected);
    assert_eq!(std::fs::read(dir.join("report.bin")).unwrap(), b"already here");
    // no temporary file is left behind
    assert_eq!(listing(&dir), ["report (1).bin", "report.bin"]);
}

/// In an SFU room nobody offers a mesh connection: the sender opens a files-only one to the receiver (as
/// the web client does), here to someone who joined after it (the sender is the polite side).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_goes_peer_to_peer_in_an_sfu_room_too() {
    let (url, _server) = server_in(ruang_server::config::MediaPolicy::Sfu).await;
    let url = format!("{url}/r/peer-sfu");
    let (_out, out) = temp_dir("sfu-out");
    let (_dir, dir) = temp_dir("sfu-in");
    let (path, expected) = data_file(&out, "via-p2p.bin", 1024 * 1024);

    let mut sender = send(&url, vec![path], 64);
    sender.until("the sender joined an SFU room", |e| matches!(e, Event::Joined { mode: MediaMode::Sfu, .. })).await;
    let receiver = receive(&url, &dir, u64::MAX, Some(1), 64);
    let (sent, received) = tokio::join!(sender.finish(), receiver.finish());
    assert_eq!(sent[0].outcome, Some(Outcome::Done(None)), "{sent:?}");
    assert_eq!(received[0].outcome, Some(Outcome::Done(Some(dir.join("via-p2p.bin")))), "{received:?}");
    assert_eq!(hex(&Sha256::digest(std::fs::read(dir.join("via-p2p.bin")).unwrap())), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_the_limit_is_declined() {
    let (url, _server) = server().await;
    let url = format!("{url}/r/peer-decline");
    let (_out, out) = temp_dir("decline-out");
    let (_dir, dir) = temp_dir("decline-in");
    let (path, _) = data_file(&out, "big.bin", 200_000);

    let mut receiver = receive(&url, &dir, 100_000, Some(1), 64);
    receiver.until("the receiver joined", |e| matches!(e, Event::Joined { .. })).await;
    let sent = send(&url, vec![path], 64).finish().await;
    assert_eq!(sent[0].outcome, Some(Outcome::Declined), "{sent:?}");
    receiver.cancel.cancel();
    let received = receiver.finish().await;
    assert_eq!(received[0].outcome, Some(Outcome::Declined), "{received:?}");
    assert!(listing(&dir).is_empty());
}

/// Waits until `side` has seen part of the file, then cancels it: `side` sees `Cancelled`, the other
/// `CancelledByPeer`, and nothing stays in the receiver's directory. The cancelling side's events channel
/// holds one event, so it stops (and the transfer with it) while the test has not read on: the transfer
/// cannot finish before the cancel.
async fn cancel_mid_transfer(room: &str, receiver_cancels: bool) {
    let (url, _server) = server().await;
    let url = format!("{url}/r/{room}");
    let (_out, out) = temp_dir(&format!("{room}-out"));
    let (_dir, dir) = temp_dir(&format!("{room}-in"));
    let (path, _) = data_file(&out, "long.bin", 8 * 1024 * 1024);

    let mut receiver = receive(&url, &dir, u64::MAX, Some(1), if receiver_cancels { 1 } else { 64 });
    receiver.until("the receiver joined", |e| matches!(e, Event::Joined { .. })).await;
    let mut sender = send(&url, vec![path], if receiver_cancels { 64 } else { 1 });
    let partial = |e: &Event| matches!(e, Event::Transfer { event: TransferEvent::Progress { bytes, .. }, .. } if *bytes > 0 && *bytes < 8 * 1024 * 1024);
    let (canceller, other) = if receiver_cancels { (&mut receiver, &mut sender) } else { (&mut sender, &mut receiver) };
    canceller.until("part of the file", partial).await;
    canceller.cancel.cancel();
    let _ = other;
    let (sent, received) = (sender.finish(), receiver.finish());
    let (sent, received) = tokio::join!(sent, received);
    let (mine, theirs) = if receiver_cancels { (&received, &sent) } else { (&sent, &received) };
    assert_eq!(mine[0].outcome, Some(Outcome::Cancelled), "{mine:?}");
    assert_eq!(theirs[0].outcome, Some(Outcome::CancelledByPeer), "{theirs:?}");
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_cancels() {
    cancel_mid_transfer("peer-rcancel", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_cancels() {
    cancel_mid_transfer("peer-scancel", false).await;
}

/// A TCP proxy in front of the server whose connections can all be cut at once (`cut.send(..)`).
async fn cutting_proxy(server_url: &str) -> (String, tokio::sync::watch::Sender<u64>) {
    let upstream: std::net::SocketAddr = server_url.trim_start_matches("http://").parse().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (cut, watch) = tokio::sync::watch::channel(0u64);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let mut watch = watch.clone();
            watch.borrow_and_update();
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else { return };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    _ = watch.changed() => {}
                }
            });
        }
    });
    (format!("http://{addr}"), cut)
}

/// The signaling sockets are cut mid-transfer: the peers resume (as the web client does) and the file
/// arrives whole. The receiver's events channel holds one event: it stands still (and the transfer with
/// it) from its first progress until the sender has resumed, so the cut is mid-transfer and the sender
/// cannot finish before it resumed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_survives_a_cut_of_the_signaling_sockets() {
    let (server_url, _server) = server().await;
    let (proxy_url, cut) = cutting_proxy(&server_url).await;
    let url = format!("{proxy_url}/r/peer-cut");
    let (_out, out) = temp_dir("cut-out");
    let (_dir, dir) = temp_dir("cut-in");
    let (path, expected) = data_file(&out, "survivor.bin", 8 * 1024 * 1024);

    let mut receiver = receive(&url, &dir, u64::MAX, Some(1), 1);
    receiver.until("the receiver joined", |e| matches!(e, Event::Joined { .. })).await;
    let mut sender = send(&url, vec![path], 64);
    receiver
        .until(
            "part of the file",
            |e| matches!(e, Event::Transfer { event: TransferEvent::Progress { bytes, .. }, .. } if *bytes > 0),
        )
        .await;
    cut.send(1).unwrap();
    sender.until("the sender resumed", |e| *e == Event::Resumed).await;
    let (sent, received) = tokio::join!(sender.finish(), receiver.finish());
    assert_eq!(sent[0].outcome, Some(Outcome::Done(None)), "{sent:?}");
    assert_eq!(received[0].outcome, Some(Outcome::Done(Some(dir.join("survivor.bin")))), "{received:?}");
    assert_eq!(hex(&Sha256::digest(std::fs::read(dir.join("survivor.bin")).unwrap())), expected);
}

/// An HTTPS server with a self-signed certificate: with its fingerprint pinned both peers join over
/// `wss://` and the file goes through; with another fingerprint the job fails with a TLS error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_wss_with_a_pinned_self_signed_certificate() {
    let mut config =
        ruang_server::ServerConfig { media_mode: ruang_server::config::MediaPolicy::Mesh, ..Default::default() };
    config.turn.enabled = false;
    config.sfu_listen = Some("127.0.0.1:0".parse().unwrap());
    config.max_connections_per_address = 100_000;
    config.tls.self_signed = true;
    let tls = ruang_server::tls::prepare(&config.tls).unwrap().expect("TLS is on");
    let pinned = Trust::fingerprint(&tls.fingerprint).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let started = ruang_server::start(listener, config, Some(tls), shutdown.clone()).await.unwrap();
    tokio::spawn(started.run());
    let url = format!("https://{addr}/r/peer-wss");
    let (_out, out) = temp_dir("wss-out");
    let (_dir, dir) = temp_dir("wss-in");
    let (path, expected) = data_file(&out, "secure.bin", 500_000);

    // a wrong pin: refused before anything is sent
    let wrong = Trust::fingerprint(&"00".repeat(32)).unwrap();
    let refused = start_trusting(&url, "Mallory", Job::Send { files: vec![path.clone()], to: None }, 8, wrong);
    let error = tokio::time::timeout(WAIT, refused.task).await.unwrap().unwrap().expect_err("a wrong pin fails");
    assert!(error.to_string().contains("not the pinned"), "{error}");

    let policy = ReceivePolicy { dir: dir.clone(), max_size: u64::MAX, max_pending: 4 };
    let mut receiver = start_trusting(&url, "Receiver", Job::Receive { policy, count: Some(1) }, 64, pinned.clone());
    receiver.until("the receiver joined", |e| matches!(e, Event::Joined { .. })).await;
    let sender = start_trusting(&url, "Sender", Job::Send { files: vec![path], to: None }, 64, pinned);
    let (sent, received) = tokio::join!(sender.finish(), receiver.finish());
    assert_eq!(sent[0].outcome, Some(Outcome::Done(None)), "{sent:?}");
    assert_eq!(received[0].sha256.as_deref(), Some(expected.as_str()), "{received:?}");
    shutdown.cancel();
}

/// A relay-only room with the built-in TURN server: neither peer offers its own address; both allocate a
/// relay (str0m gathers none: ruang-peer's TURN client does) and the file goes relay to relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_only_room_goes_through_turn() {
    let mut config =
        ruang_server::ServerConfig { media_mode: ruang_server::config::MediaPolicy::Mesh, ..Default::default() };
    config.turn.enabled = true;
    config.turn.listen = Some("127.0.0.1:0".parse().unwrap());
    config.relay_only.all_rooms = true;
    config.sfu_listen = Some("127.0.0.1:0".parse().unwrap());
    config.max_connections_per_address = 100_000;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let started = ruang_server::start(listener, config, None, shutdown.clone()).await.unwrap();
    tokio::spawn(started.run());
    let url = format!("http://{addr}/r/peer-relay");
    let (_out, out) = temp_dir("relay-out");
    let (_dir, dir) = temp_dir("relay-in");
    let (path, expected) = data_file(&out, "relayed.bin", 1024 * 1024);

    let mut receiver = receive(&url, &dir, u64::MAX, Some(1), 64);
    receiver
        .until("the receiver joined a relay-only room", |e| matches!(e, Event::Joined { relay_only: true, .. }))
        .await;
    let sender = send(&url, vec![path], 64);
    let (sent, received) = tokio::join!(sender.finish(), receiver.finish());
    assert_eq!(sent[0].outcome, Some(Outcome::Done(None)), "{sent:?}");
    assert_eq!(received[0].sha256.as_deref(), Some(expected.as_str()), "{received:?}");
    shutdown.cancel();
}

/// Another ruang whose built-in TURN server (UDP and TCP on one port; TLS on a port of its own, with its
/// self-signed certificate, if `tls`) signs credentials with `secret` and closes TCP connections idle for
/// `idle_secs`: its TURN address, its TLS port and certificate fingerprint (if `tls`).
async fn turn_host(
    idle_secs: u64,
    secret: &str,
    tls: bool,
    shutdown: &CancellationToken,
) -> (std::net::SocketAddr, Option<(u16, Trust)>) {
    let mut config = ruang_server::ServerConfig::default();
    config.turn.enabled = true;
    config.turn.listen = Some("127.0.0.1:0".parse().unwrap());
    config.turn.secret = Some(secret.to_owned());
    config.turn.tcp_idle_timeout_secs = idle_secs;
    config.sfu_listen = Some("127.0.0.1:0".parse().unwrap());
    let tls_port = tls.then(|| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
    config.turn.tls_listen = tls_port.map(|port| std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    config.tls.self_signed = tls;
    let prepared = ruang_server::tls::prepare(&config.tls).unwrap();
    let pinned = prepared.as_ref().map(|t| Trust::fingerprint(&t.fingerprint).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let started = ruang_server::start(listener, config, prepared, shutdown.clone()).await.unwrap();
    let turn = started.turn_addr().expect("the built-in TURN server runs");
    tokio::spawn(started.run());
    (turn, tls_port.zip(pinned))
}

/// A relay-only mesh room on a server without TURN of its own that hands out `urls` (credentials signed
/// with `secret`); its room link.
async fn relay_room(urls: Vec<String>, secret: &str, room: &str, shutdown: &CancellationToken) -> String {
    let mut config =
        ruang_server::ServerConfig { media_mode: ruang_server::config::MediaPolicy::Mesh, ..Default::default() };
    config.turn.enabled = false;
    config.ice_servers =
        vec![ruang_server::ice::IceServerConfig { urls, secret: Some(secret.to_owned()), ..Default::default() }];
    config.relay_only.all_rooms = true;
    config.sfu_listen = Some("127.0.0.1:0".parse().unwrap());
    config.max_connections_per_address = 100_000;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(ruang_server::run(listener, config, shutdown.clone()));
    format!("http://{addr}/r/{room}")
}

/// A file of `size` bytes from a sender to a receiver in the relay-only room at `url`, both trusting
/// `trust`, once the receiver's relay is allocated through the TURN URL `via` and has then waited `quiet`
/// for anyone: it arrives whole.
async fn relayed_transfer(url: &str, name: &str, size: usize, trust: Trust, via: &str, quiet: Duration) {
    let (_out, out) = temp_dir(&format!("{name}-out"));
    let (_dir, dir) = temp_dir(&format!("{name}-in"));
    let (path, expected) = data_file(&out, &format!("{name}.bin"), size);
    let policy = ReceivePolicy { dir: dir.clone(), max_size: u64::MAX, max_pending: 16 };
    let mut receiver = start_trusting(url, "Receiver", Job::Receive { policy, count: Some(1) }, 64, trust.clone());
    receiver
        .until("the receiver joined a relay-only room", |e| matches!(e, Event::Joined { relay_only: true, .. }))
        .await;
    receiver.until(&format!("a relay through {via}"), |e| matches!(e, Event::Relayed { url, .. } if url == via)).await;
    tokio::time::sleep(quiet).await;
    let sender = start_trusting(url, "Sender", Job::Send { files: vec![path], to: None }, 64, trust);
    let (sent, received) = tokio::join!(sender.finish(), receiver.finish());
    assert_eq!(sent[0].outcome, Some(Outcome::Done(None)), "{sent:?}");
    assert_eq!(received[0].sha256.as_deref(), Some(expected.as_str()), "{received:?}");
}

/// A relay-only room whose TURN server does not answer over UDP (the address the room hands out for it
/// is a socket that reads nothing, as behind a firewall that drops UDP) but does over TCP: both peers give
/// up on UDP, allocate over TCP (the relayed addresses are UDP on the TURN host), and the file goes relay to
/// relay, after the receiver waited alone for longer than the server lets a TCP connection idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_only_room_goes_through_turn_over_tcp_when_udp_gets_no_answer() {
    let secret = "turn-over-tcp-test-secret-0123456789";
    let shutdown = CancellationToken::new();
    let (turn, _) = turn_host(25, secret, false, &shutdown).await;
    let black_hole = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent = black_hole.local_addr().unwrap();
    let tcp = format!("turn:{turn}?transport=tcp");
    let urls = vec![format!("turn:{silent}?transport=udp"), tcp.clone()];
    let url = relay_room(urls, secret, "peer-relay-tcp", &shutdown).await;
    // the receiver waits longer than the TURN server lets a TCP connection idle: its refreshes keep it
    relayed_transfer(&url, "relayed-over-tcp", 1024 * 1024 + 5, Trust::System, &tcp, Duration::from_secs(30)).await;
    // the UDP address got the allocation requests, and nothing came of them
    black_hole.set_nonblocking(true).unwrap();
    assert!(black_hole.recv_from(&mut [0u8; 2048]).is_ok(), "the peers tried UDP first");
    shutdown.cancel();
}

/// The same when only TLS gets through (`turns:`): UDP gets no answer, TCP is refused, and the TURN
/// server's TLS port has the self-signed certificate the peers pinned (as they pin the signaling server's
/// with --insecure-fingerprint: ruang's TURN over TLS uses the HTTPS certificate).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_only_room_goes_through_turn_over_tls_when_only_tls_gets_through() {
    let secret = "turn-over-tls-test-secret-0123456789";
    let shutdown = CancellationToken::new();
    let (_, tls) = turn_host(60, secret, true, &shutdown).await;
    let (tls_port, pinned) = tls.expect("TURN over TLS runs");
    let black_hole = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent = black_hole.local_addr().unwrap();
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let tls = format!("turns:127.0.0.1:{tls_port}?transport=tcp");
    let urls = vec![format!("turn:{silent}?transport=udp"), format!("turn:{refused}?transport=tcp"), tls.clone()];
    let url = relay_room(urls, secret, "peer-relay-tls", &shutdown).await;
    relayed_transfer(&url, "relayed-over-tls", 700 * 1024 + 3, pinned, &tls, Duration::ZERO).await;
    shutdown.cancel();
}

/// A password-protected room: without the password the job is refused with the server's reason; with it,
/// the file goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_room_needs_its_password() {
    use ruang_server::access::{AccessKind, RoomPolicy, password};
    let mut config =
        ruang_server::ServerConfig { media_mode: ruang_server::config::MediaPolicy::Mesh, ..Default::default() };
    config.turn.enabled = false;
    config.sfu_listen = Some("127.0.0.1:0".parse().unwrap());
    config.max_connections_per_address = 100_000;
    let policy = RoomPolicy {
        access: AccessKind::Password,
        password_hash: Some(password::hash("open sesame").unwrap()),
        lobby: false,
        media_mode: None,
        host_password_hash: None,
        first_is_host: None,
    };
    config.rooms.insert("vault".into(), policy);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(ruang_server::run(listener, config, shutdown.clone()));
    let url = format!("http://{addr}/r/vault");
    let (_out, out) = temp_dir("vault-out");
    let (_dir, dir) = temp_dir("vault-in");
    let (path, expected) = data_file(&out, "secret.bin", 100_000);

    let stranger = send(&url, vec![path.clone()], 8);
    let error = tokio::time::timeout(WAIT, stranger.task).await.unwrap().unwrap().expect_err("refused");
    assert!(error.to_string().contains("password_required"), "{error}");

    let with_password = |name: &str, job: Job| {
        let (tx, events) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        let credentials = Credentials { password: Some("open sesame".into()), ..Credentials::default() };
        let config = PeerConfig { url: url.clone(), name: name.into(), credentials, trust: Trust::System };
        let task = tokio::spawn(ruang_peer::run(config, job, tx, cancel.clone()));
        Running { events, cancel, task }
    };
    let policy = ReceivePolicy { dir: dir.clone(), max_size: u64::MAX, max_pending: 4 };
    let mut receiver = with_password("Receiver", Job::Receive { policy, count: Some(1) });
    receiver.until("the receiver joined", |e| matches!(e, Event::Joined { .. })).await;
    let sender = with_password("Sender", Job::Send { files: vec![path], to: None });
    let (sent, received) = tokio::join!(sender.finish(), receiver.finish());
    assert_eq!(sent[0].outcome, Some(Outcome::Done(None)), "{sent:?}");
    assert_eq!(received[0].sha256.as_deref(), Some(expected.as_str()), "{received:?}");
    shutdown.cancel();
}

/// A server of `secret` on `addr` (port 0: any), so that a second one on the same address resumes the
/// first one's participants; its address and its task (ends when `shutdown` is cancelled).
async fn server_with_secret(addr: &str, secret: &str, shutdown: CancellationToken) -> (String, JoinHandle<()>) {
    let mut config = ruang_server::ServerConfig {
        secret: Some(ruang_server::config::Secret::new(secret)),
        shutdown_grace_ms: 200,
        ..Default::default()
    };
    config.turn.enabled = false;
    config.sfu_listen = Some("127.0.0.1:0".parse().unwrap()); // (not the default port: something else may hold it)
    config.max_connections_per_address = 100_000;
    let listener = TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = ruang_server::run(listener, config, shutdown).await;
    });
    (format!("http://{addr}"), task)
}

/// The server restarts mid-transfer and the sender resumes first: the receiver is not in the room yet (a
/// restarted server knows only who is back), so the sender keeps the connection for the grace period rather
/// than taking the receiver for gone; the receiver comes back and the file arrives whole. The receiver
/// stands still on its one-event channel until the sender has resumed, which makes that order certain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_survives_a_server_restart_when_the_other_side_resumes_late() {
    let secret = "peer-restart-secret-0123456789abcdef";
    let first = CancellationToken::new();
    let (server_url, task) = server_with_secret("127.0.0.1:0", secret, first.clone()).await;
    let url = format!("{server_url}/r/peer-restart");
    let (_out, out) = temp_dir("restart-out");
    let (_dir, dir) = temp_dir("restart-in");
    let (path, expected) = data_file(&out, "restarted.bin", 8 * 1024 * 1024);

    let mut receiver = receive(&url, &dir, u64::MAX, Some(1), 1);
    receiver.until("the receiver joined", |e| matches!(e, Event::Joined { .. })).await;
    let mut sender = send(&url, vec![path], 64);
    receiver
        .until(
            "part of the file",
            |e| matches!(e, Event::Transfer { event: TransferEvent::Progress { bytes, .. }, .. } if *bytes > 0),
        )
        .await;
    first.cancel();
    tokio::time::timeout(WAIT, task).await.expect("the first server stops").unwrap();
    let (_, _second_task) =
        server_with_secret(server_url.trim_start_matches("http://"), secret, CancellationToken::new()).await;
    sender.until("the sender resumed", |e| *e == Event::Resumed).await;
    let (sent, received) = tokio::join!(sender.finish(), receiver.finish());
    assert_eq!(sent[0].outcome, Some(Outcome::Done(None)), "{sent:?}");
    assert_eq!(received[0].outcome, Some(Outcome::Done(Some(dir.join("restarted.bin")))), "{received:?}");
    assert_eq!(hex(&Sha256::digest(std::fs::read(dir.join("restarted.bin")).unwrap())), expected);
}
