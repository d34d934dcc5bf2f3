//! The built-in STUN/TURN server, checked by an independent client: coturn's `turnutils_uclient` allocates
//! and relays with the credentials ruang hands out, is refused with wrong or expired ones, and cannot open
//! a permission to a denied peer. And ruang's credentials work with a real coturn using `use-auth-secret`.
//!
//! Needs Debian's `coturn` package (installed by `scripts/test-all.sh`).

mod common;

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TestServer;
use ruang_server::ice::IceServerConfig;
use ruang_turn::TurnSecret;

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
    // RFC 8489: an unknown or expired username gets 401 (uclient tells it only with -v), not 400.
    let (ok, output) = uclient(&expired, &["-y", "-v"]).await;
    assert!(!ok && output.contains("error 401") && !output.contains("error 400"), "{output}");
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
