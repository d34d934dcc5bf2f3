//! The built-in STUN/TURN server, checked by an independent client: coturn's `turnutils_uclient` allocates
//! and relays with the credentials ruang hands out, is refused with wrong or expired ones, and cannot open
//! a permission to a denied peer. A client of the tests' own tries every path that moves data (Send
//! indications, ChannelData, permissions, channels) towards a service on the relay's own address, over UDP
//! and TCP, and sees nothing delivered. And ruang's credentials work with a real coturn using `use-auth-secret`.
//!
//! Needs Debian's `coturn` package (installed by `scripts/test-all.sh`).

mod common;
mod turn_client;

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TestServer;
use ruang_server::ice::IceServerConfig;
use ruang_turn::TurnSecret;
use turn_client::TurnClient;

const SECRET: &str = "test-secret-not-for-production";

struct Turn {
    port: u16,
    username: String,
    password: String,
}

/// Runs `turnutils_uclient` against 127.0.0.1 (off the runtime's threads, so the server keeps running) and
/// returns whether it succeeded, with its output.
async fn uclient(turn: &Turn, extra: &[&str]) -> (bool, String) {
    let port = turn.port.to_string();
    let mut args: Vec<String> = ["-n", "5", "-c", "-s", "-u", &turn.username, "-w", &turn.password, "-p", &port]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args.push("127.0.0.1".to_owned());
    tokio::task::spawn_blocking(move || run_uclient(&args)).await.expect("uclient task")
}

/// How many messages came back through the relay, as uclient reports it.
fn received(output: &str) -> u64 {
    output
        .lines()
        .filter_map(|l| l.split("tot_recv_msgs=").nth(1))
        .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .max()
        .unwrap_or(0)
}

fn run_uclient(args: &[String]) -> (bool, String) {
    let output = Command::new("timeout")
        .arg("30")
        .arg("turnutils_uclient")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("turnutils_uclient from Debian's coturn package is needed: run scripts/test-all.sh or apt-get install coturn");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// The TURN-over-UDP entry of a welcome, as a client would use it.
async fn turn_from_welcome(server: &TestServer) -> Turn {
    let client = server.joined("turn-room", "t").await;
    let servers = client.welcome["ice_servers"].as_array().unwrap().clone();
    let turn = servers
        .iter()
        .find(|s| s["urls"][0].as_str().is_some_and(|u| u.starts_with("turn:")))
        .unwrap_or_else(|| panic!("no TURN server in {servers:?}"));
    let urls: Vec<&str> = turn["urls"].as_array().unwrap().iter().filter_map(|u| u.as_str()).collect();
    let url = urls.iter().find(|u| u.ends_with("transport=udp")).unwrap_or_else(|| panic!("no UDP TURN in {urls:?}"));
    let port = url.trim_start_matches("turn:127.0.0.1:").trim_end_matches("?transport=udp").parse().unwrap();
    Turn {
        port,
        username: turn["username"].as_str().unwrap().to_owned(),
        password: turn["credential"].as_str().unwrap().to_owned(),
    }
}

async fn builtin() -> TestServer {
    builtin_with(10).await
}

async fn builtin_with(allocations_per_participant: usize) -> TestServer {
    TestServer::with(|c| {
        c.turn.enabled = true;
        c.turn.listen = Some("127.0.0.1:0".parse().unwrap());
        c.turn.secret = Some(SECRET.to_owned());
        c.turn.allocations_per_participant = allocations_per_participant;
    })
    .await
}

#[tokio::test]
async fn an_independent_client_allocates_and_relays_with_issued_credentials() {
    let server = builtin().await;
    let turn = turn_from_welcome(&server).await;
    // -y: two clients relay to each other through their allocations; -s: send indications.
    for transport in [&["-y"][..], &["-y", "-t"][..]] {
        let (ok, output) = uclient(&turn, transport).await;
        // Relayed legs are UDP, so a loaded machine may drop a packet: what matters is that data came back.
        assert!(ok && received(&output) > 0, "{transport:?}:\n{output}");
    }
}

#[tokio::test]
async fn wrong_or_expired_credentials_are_refused() {
    let server = builtin().await;
    let turn = turn_from_welcome(&server).await;
    let wrong = Turn { password: "not-the-password".into(), ..turn };
    let (ok, output) = uclient(&wrong, &["-y"]).await;
    assert!(!ok && output.contains("401"), "{output}");
    let expired = TurnSecret::new(SECRET).issue("0123456789abcdef", 1_000_000, 60);
    let expired = Turn { port: wrong.port, username: expired.username, password: expired.password };
    // RFC 8489: an unknown or expired username gets 401, which uclient retries until it gives up.
    let (ok, output) = uclient(&expired, &["-y", "-v"]).await;
    assert!(!ok && !output.contains("error 400"), "{output}");
}

#[tokio::test]
async fn permissions_to_denied_peer_ranges_are_refused() {
    let server = builtin().await;
    let turn = turn_from_welcome(&server).await;
    for peer in ["127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254"] {
        let (ok, output) = uclient(&turn, &["-e", peer, "-r", "9"]).await;
        assert!(!ok && output.contains("403"), "{peer}:\n{output}");
    }
}

#[tokio::test]
async fn allocations_beyond_the_participants_quota_are_refused() {
    let server = builtin_with(1).await;
    let turn = turn_from_welcome(&server).await;
    // -y makes two clients with the same credential: the second allocation is over a quota of one.
    let (ok, output) = uclient(&turn, &["-y"]).await;
    assert!(!ok && output.contains("486"), "{output}");
}

#[tokio::test]
async fn turn_over_tls_allocates_and_relays() {
    let tls_port = free_port();
    let _server = TestServer::with(|c| {
        c.turn.enabled = true;
        c.turn.listen = Some("127.0.0.1:0".parse().unwrap());
        c.turn.secret = Some(SECRET.to_owned());
        c.turn.tls_listen = Some(SocketAddr::from(([127, 0, 0, 1], tls_port)));
        c.tls.self_signed = true;
    })
    .await;
    // The page itself is on HTTPS here, so mint the participant's credential as the server would.
    let credential = TurnSecret::new(SECRET).issue("0123456789abcdef", now_secs(), 600);
    let tls = Turn { port: tls_port, username: credential.username, password: credential.password };
    // -S: TLS; -t: over TCP; -y: two clients relaying to each other.
    let (ok, output) = uclient(&tls, &["-S", "-t", "-y"]).await;
    assert!(ok && received(&output) > 0, "{output}");
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn free_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).is_ok() {
            return port;
        }
    }
    panic!("no free port");
}

struct Coturn(std::process::Child);

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn credentials_from_ruang_are_accepted_by_a_real_coturn() {
    let port = free_port();
    let coturn = Command::new("turnserver")
        .args(["-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--realm=ruang", "--use-auth-secret"])
        .args(["--allow-loopback-peers", "--no-tls", "--no-dtls", "--no-cli", "--log-file=stdout"])
        .arg(format!("--listening-port={port}"))
        .arg(format!("--static-auth-secret={SECRET}"))
        .args(["--min-port=40000", "--max-port=40999"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("turnserver from Debian's coturn package is needed: run scripts/test-all.sh or apt-get install coturn");
    let _coturn = Coturn(coturn);
    let server = TestServer::with(|c| {
        c.ice_servers = vec![IceServerConfig {
            urls: vec![format!("turn:127.0.0.1:{port}?transport=udp")],
            secret: Some(SECRET.to_owned()),
            ..IceServerConfig::default()
        }];
    })
    .await;
    let turn = turn_from_welcome(&server).await;
    // coturn takes a moment to open its port; retry briefly (bounded).
    let mut last = String::new();
    for _ in 0..20 {
        let (ok, output) = uclient(&turn, &["-y"]).await;
        if ok && received(&output) > 0 {
            return;
        }
        last = output;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("coturn refused ruang's credentials:\n{last}");
}

/// Where a test's TURN server listens, with a participant's credential.
async fn credentials(server: &TestServer) -> (SocketAddr, String, String) {
    let turn = turn_from_welcome(server).await;
    (SocketAddr::from(([127, 0, 0, 1], turn.port)), turn.username, turn.password)
}

async fn client(tcp: bool, server: &TestServer) -> TurnClient {
    let (addr, username, password) = credentials(server).await;
    if tcp {
        TurnClient::tcp(addr, &username, &password).await
    } else {
        TurnClient::udp(addr, &username, &password).await
    }
}

/// Datagrams a UDP "internal service" received within `wait`.
async fn delivered(service: &tokio::net::UdpSocket, wait: Duration) -> usize {
    let mut buf = [0u8; 2048];
    let mut count = 0;
    while tokio::time::timeout(wait, service.recv_from(&mut buf)).await.is_ok() {
        count += 1;
    }
    count
}

/// Binds a UDP socket to `addr`, retrying briefly while a closing relay still holds the port.
async fn bind_when_free(addr: SocketAddr) -> tokio::net::UdpSocket {
    for _ in 0..50 {
        if let Ok(socket) = tokio::net::UdpSocket::bind(addr).await {
            return socket;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{addr} stayed taken");
}

const QUIET: Duration = Duration::from_millis(500);

async fn no_path_reaches_a_service_on_the_relay_address(tcp: bool) {
    let server = builtin().await;
    let service = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let target = service.local_addr().unwrap();
    let (mut alice, mut bob) = (client(tcp, &server).await, client(tcp, &server).await);
    let (relay_a, relay_b) = (alice.allocate().await, bob.allocate().await);
    assert_eq!(relay_b.ip(), target.ip(), "the relays are on the service's address");
    // The exception for the server's own relays: Alice may reach Bob's relay, and so holds a permission
    // for its IP, which is the service's IP too.
    assert_eq!(alice.permit(relay_b).await, None);
    assert_eq!(bob.permit(relay_a).await, None);
    assert_eq!(alice.permit(target).await, Some(403));
    assert_eq!(alice.bind(0x4001, target).await, Some(403));
    alice.send_indication(target, b"send indication to the service").await;
    // A channel to Bob's relay, then used after Bob's allocation closes and the service takes its port.
    assert_eq!(alice.bind(0x4000, relay_b).await, None);
    alice.channel_data(0x4000, b"to bob by channel").await;
    alice.send_indication(relay_b, b"to bob by indication").await;
    let relayed = bob.relayed(QUIET).await;
    assert!(relayed.iter().any(|p| p == b"to bob by channel"), "control: relaying between relays works: {relayed:?}");
    assert!(relayed.iter().any(|p| p == b"to bob by indication"), "{relayed:?}");
    assert_eq!(delivered(&service, QUIET).await, 0, "nothing reached the service");
    bob.close().await;
    let taken_over = bind_when_free(relay_b).await;
    alice.channel_data(0x4000, b"channel to a closed relay").await;
    alice.send_indication(relay_b, b"indication to a closed relay").await;
    assert_eq!(alice.permit(relay_b).await, Some(403), "a closed relay is no longer excepted");
    assert_eq!(delivered(&taken_over, QUIET).await, 0, "nothing reached the port the closed relay had");
}

#[tokio::test]
async fn no_path_over_udp_reaches_a_service_on_the_relay_address() {
    no_path_reaches_a_service_on_the_relay_address(false).await;
}

#[tokio::test]
async fn no_path_over_tcp_reaches_a_service_on_the_relay_address() {
    no_path_reaches_a_service_on_the_relay_address(true).await;
}

#[tokio::test]
async fn addresses_embedding_loopback_are_refused() {
    let server = builtin().await;
    let mut alice = client(false, &server).await;
    alice.allocate().await;
    for peer in ["[::ffff:127.0.0.1]:9", "[64:ff9b::7f00:1]:9", "[2002:7f00:1::]:9", "[::127.0.0.1]:9"] {
        assert_eq!(alice.permit(peer.parse().unwrap()).await, Some(403), "{peer}");
    }
}

#[tokio::test]
async fn relayed_bandwidth_is_capped_per_allocation() {
    let server = TestServer::with(|c| {
        c.turn.enabled = true;
        c.turn.listen = Some("127.0.0.1:0".parse().unwrap());
        c.turn.secret = Some(SECRET.to_owned());
        c.turn.max_bps = 80_000; // 10 kB per second
    })
    .await;
    let (mut alice, mut bob) = (client(false, &server).await, client(false, &server).await);
    let (relay_a, relay_b) = (alice.allocate().await, bob.allocate().await);
    assert_eq!(alice.permit(relay_b).await, None);
    assert_eq!(bob.permit(relay_a).await, None);
    for _ in 0..60 {
        alice.send_indication(relay_b, &[7; 1000]).await;
    }
    let relayed = bob.relayed(QUIET).await.len();
    // One second's burst (10) plus what refills while sending; far below the 60 sent.
    assert!((5..30).contains(&relayed), "{relayed} of 60 kB relayed at a cap of 10 kB/s");
}

#[tokio::test]
async fn an_unsigned_channel_bind_the_library_cannot_parse_gets_400_not_silence() {
    let server = builtin().await;
    let mut alice = client(false, &server).await;
    alice.allocate().await;
    // The TURN library takes channel numbers up to 0x4FFF (RFC 8656); a signed request with a higher one
    // is renumbered (see coturns_client_relays_over_channels...), an unsigned one is answered 400.
    let mut bind = Vec::new();
    bind.extend_from_slice(&[0x00, 0x09, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42]);
    bind.extend_from_slice(&[0x5a; 12]);
    bind.extend_from_slice(&[0x00, 0x0c, 0x00, 0x04, 0x60, 0x00, 0x00, 0x00]);
    alice.send_raw(&bind).await;
    let Some(turn_client::Received::Stun(answer)) = alice.receive(Duration::from_secs(5)).await else {
        panic!("no answer to a ChannelBind with number 0x6000");
    };
    let code = answer.get_attribute::<stun_codec::rfc5389::attributes::ErrorCode>().map(|c| c.code());
    assert_eq!(code, Some(400));
}

#[tokio::test]
async fn idle_tcp_connections_are_closed() {
    let server = TestServer::with(|c| {
        c.turn.enabled = true;
        c.turn.listen = Some("127.0.0.1:0".parse().unwrap());
        c.turn.secret = Some(SECRET.to_owned());
        c.turn.tcp_idle_timeout_secs = 1;
    })
    .await;
    let (addr, _, _) = credentials(&server).await;
    let idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert_closed_by_server(idle).await;
}

/// Connects to `addr`, retrying briefly while the server starts (it is spawned, not awaited).
async fn connect_when_listening(addr: SocketAddr) -> tokio::net::TcpStream {
    for _ in 0..50 {
        if let Ok(stream) = tokio::net::TcpStream::connect(addr).await {
            return stream;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing listens on {addr}");
}

/// Waits (bounded) for the server to close `stream` while the client sends nothing.
async fn assert_closed_by_server(mut stream: impl tokio::io::AsyncRead + Unpin) {
    let mut buf = [0u8; 16];
    let read =
        tokio::time::timeout(Duration::from_secs(10), tokio::io::AsyncReadExt::read(&mut stream, &mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "an idle connection is closed by the server: {read:?}");
}

#[tokio::test]
async fn idle_turn_over_tls_connections_are_closed_after_the_handshake() {
    use tokio_rustls::rustls;
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    // removed, passed or failed, when `tmp` is dropped
    let tmp = tempfile::Builder::new().prefix("ruang-turn-tls-idle-").tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    let tls_port = free_port();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let _server = TestServer::with(|c| {
        c.turn.enabled = true;
        c.turn.listen = Some("127.0.0.1:0".parse().unwrap());
        c.turn.secret = Some(SECRET.to_owned());
        c.turn.tls_listen = Some(SocketAddr::from(([127, 0, 0, 1], tls_port)));
        c.turn.tcp_idle_timeout_secs = 1;
        c.tls = ruang_server::tls::TlsConfig { cert: Some(cert), key: Some(key), ..Default::default() };
    })
    .await;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = connect_when_listening(SocketAddr::from(([127, 0, 0, 1], tls_port))).await;
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config)).connect(name, tcp).await.unwrap();
    assert_closed_by_server(tls).await;
}

#[tokio::test]
async fn expired_credentials_get_401_not_400() {
    let server = builtin().await;
    let (addr, _, _) = credentials(&server).await;
    let expired = TurnSecret::new(SECRET).issue("0123456789abcdef", 1_000_000, 60);
    let mut client = TurnClient::udp(addr, &expired.username, &expired.password).await;
    let answer = client.request(stun_codec::rfc5766::methods::ALLOCATE, Vec::new()).await;
    let code = answer.get_attribute::<stun_codec::rfc5389::attributes::ErrorCode>().map(|c| c.code());
    assert_eq!(code, Some(401), "{answer:?}");
}

#[tokio::test]
async fn allocations_beyond_the_servers_quota_are_refused() {
    let server = TestServer::with(|c| {
        c.turn.enabled = true;
        c.turn.listen = Some("127.0.0.1:0".parse().unwrap());
        c.turn.secret = Some(SECRET.to_owned());
        c.turn.max_allocations = 1;
    })
    .await;
    let (mut alice, mut bob) = (client(false, &server).await, client(false, &server).await);
    alice.allocate().await;
    let answer = bob.request(stun_codec::rfc5766::methods::ALLOCATE, Vec::new()).await;
    let code = answer.get_attribute::<stun_codec::rfc5389::attributes::ErrorCode>().map(|c| c.code());
    assert_eq!(code, Some(508), "{answer:?}");
    alice.close().await;
    assert!(bob.allocate().await.port() > 0, "a closed allocation frees its place");
}

#[tokio::test]
async fn coturns_client_relays_over_channels_numbered_up_to_0x7fff() {
    let server = builtin().await;
    let turn = turn_from_welcome(&server).await;
    let port = turn.port.to_string();
    // Without -s uclient binds channels, with random numbers in 0x4000-0x7FFF (RFC 5766).
    let args: Vec<String> =
        ["-n", "5", "-c", "-u", &turn.username, "-w", &turn.password, "-p", &port, "-y", "127.0.0.1"]
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
    for transport in [&[][..], &["-t"][..]] {
        let mut args = args.clone();
        args.splice(0..0, transport.iter().map(|a| (*a).to_owned()));
        let (ok, output) = tokio::task::spawn_blocking(move || run_uclient(&args)).await.unwrap();
        assert!(ok && received(&output) > 0 && !output.contains("error 400"), "{transport:?}:\n{output}");
    }
}

#[tokio::test]
async fn the_sfus_own_address_is_the_one_place_on_the_host_turn_relays_to() {
    let sfu_port = free_port();
    let server = TestServer::with(|c| {
        c.turn.enabled = true;
        c.turn.listen = Some("127.0.0.1:0".parse().unwrap());
        c.turn.secret = Some(SECRET.to_owned());
        c.sfu_listen = Some(SocketAddr::from(([127, 0, 0, 1], sfu_port)));
        c.sfu_public_ip = Some("127.0.0.1".parse().unwrap());
    })
    .await;
    let mut alice = client(false, &server).await;
    alice.allocate().await;
    let sfu = SocketAddr::from(([127, 0, 0, 1], sfu_port));
    assert_eq!(alice.permit(sfu).await, None, "a relay-only client reaches the SFU");
    assert_eq!(alice.bind(0x4002, sfu).await, None);
    let turn = credentials(&server).await.0;
    for other in [SocketAddr::from(([127, 0, 0, 1], sfu_port.wrapping_add(1).max(1))), turn] {
        assert_eq!(alice.permit(other).await, Some(403), "{other} is not the SFU");
    }
}

#[tokio::test]
async fn metrics_count_turn_allocations_and_relayed_bytes() {
    use ruang_server::client::{HttpUrl, Method, Trust, call};
    use sha2::Digest;
    let key: String = sha2::Sha256::digest(b"metrics key").iter().map(|b| format!("{b:02x}")).collect();
    let server = TestServer::with(|c| {
        c.turn.enabled = true;
        c.turn.listen = Some("127.0.0.1:0".parse().unwrap());
        c.turn.secret = Some(SECRET.to_owned());
        c.api_key_sha256 = Some(key);
    })
    .await;
    let turn = turn_from_welcome(&server).await;
    let (ok, output) = uclient(&turn, &["-y"]).await;
    assert!(ok && received(&output) > 0, "{output}");
    let url = HttpUrl::parse(&format!("http://{}/metrics", server.addr)).unwrap();
    let (status, body) =
        call(&Trust::default(), Method::GET, &url, Some("metrics key"), None, common::WAIT).await.unwrap();
    assert_eq!(status.as_u16(), 200);
    let text = String::from_utf8_lossy(&body);
    let value = |series: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '));
        line.and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or_else(|| panic!("no {series} in\n{text}"))
    };
    assert!(value("ruang_turn_allocations_created_total") >= 2.0, "uclient -y allocates twice:\n{text}");
    assert!(value(r#"ruang_turn_relayed_bytes_total{direction="up"}"#) > 0.0, "{text}");
    assert!(value(r#"ruang_turn_relayed_bytes_total{direction="down"}"#) > 0.0, "{text}");
}
