//! The real `ruang` binary under a password-guessing flood: wrong passwords from one address are counted
//! before they are hashed (concurrent ones included), hashing runs a few at a time so the process's peak
//! memory stays bounded, each failure is logged at `warn` with the client address, and the rightful user
//! from an address that has not failed still gets in.
//!
//! Clients come from several loopback addresses (127.0.0.1 to 127.0.0.9): their sockets are bound before
//! they connect, so the server sees them as different clients.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpSocket;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "correct horse battery staple";
/// Simultaneous wrong-password joins from 127.0.0.1, and from each of 127.0.0.2 to 127.0.0.4.
const FROM_ONE: usize = 80;
const FROM_EACH_OTHER: usize = 10;
/// Wrong passwords one address may try per minute (the server's default).
const PER_ADDRESS: usize = 5;
/// The bound asserted on the server's growth of peak memory (VmHWM) under the flood, in MiB. Two
/// argon2id checks at a time with the default parameters (m = 19 MiB) need 38 MiB; the rest is the
/// connections (about 120) and slack for the allocator. Checking all 110 attempts at once, as before, needs
/// about 2 GiB.
const PEAK_GROWTH_MIB: u64 = 100;

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

struct Server {
    child: Child,
    addr: SocketAddr,
    log: tokio::task::JoinHandle<String>,
    /// Kept open: the server prints to it.
    _stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    _dir: TempDir,
}

#[tokio::test]
async fn a_password_flood_is_counted_bounded_in_memory_logged_and_does_not_lock_out_the_rightful_user() {
    let mut server = start_with_password_room().await;
    let pid = server.child.id().expect("pid");
    let before = peak_kib(pid);

    let mut flood = Vec::new();
    for (host, count) in [(1, FROM_ONE), (2, FROM_EACH_OTHER), (3, FROM_EACH_OTHER), (4, FROM_EACH_OTHER)] {
        for _ in 0..count {
            flood.push((host, connect_from(host, server.addr).await));
        }
    }
    let guesses = flood.into_iter().map(|(host, ws)| async move { (host, try_join(ws, "guess").await) });
    let rightful = async {
        // The flood is under way: give its joins a head start.
        tokio::time::sleep(Duration::from_millis(200)).await;
        try_join(connect_from(9, server.addr).await, PASSWORD).await
    };
    let (answers, rightful) = tokio::join!(futures_util::future::join_all(guesses), rightful);
    let after = peak_kib(pid);
    let growth_mib = after.saturating_sub(before) / 1024;
    println!(
        "server VmHWM: {} MiB before, {} MiB after {} simultaneous wrong passwords (growth {growth_mib} MiB)",
        before / 1024,
        after / 1024,
        FROM_ONE + 3 * FROM_EACH_OTHER
    );
    assert!(growth_mib < PEAK_GROWTH_MIB, "peak memory grew by {growth_mib} MiB");

    let checked_from = |host: u8| answers.iter().filter(|(h, code)| *h == host && code == "wrong_password").count();
    let others = answers.iter().filter(|(_, code)| code != "wrong_password" && code != "too_many_attempts");
    assert_eq!(others.count(), 0, "only wrong_password or too_many_attempts: {answers:?}");
    for host in 1..=4 {
        assert!(checked_from(host) <= PER_ADDRESS, "127.0.0.{host} had {} guesses checked", checked_from(host));
    }
    assert!(checked_from(1) >= 1, "some guesses were checked");
    assert_eq!(rightful, "welcome", "the rightful user from a fresh address gets in during the flood");
    let after_flood = try_join(connect_from(8, server.addr).await, PASSWORD).await;
    assert_eq!(after_flood, "welcome", "and after it, from another fresh address");

    let _ = server.child.start_kill();
    let log = tokio::time::timeout(WAIT, &mut server.log).await.expect("log in time").unwrap_or_default();
    for host in 1..=4 {
        let line = format!("client=127.0.0.{host}");
        assert!(log.lines().any(|l| l.contains("WARN") && l.contains("wrong room password") && l.contains(&line)));
    }
}

/// The server's peak resident memory so far, in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmHWM in kB")
}

async fn start_with_password_room() -> Server {
    let dir = tempfile::Builder::new().prefix("ruang-passwords-").tempdir().expect("temp dir");
    let hash = hash_password().await;
    let config = dir.path().join("ruang.toml");
    std::fs::write(&config, format!("[rooms.vault]\naccess = \"password\"\npassword_hash = \"{hash}\"\n"))
        .expect("write config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .args(["--listen", "127.0.0.1:0", "--sfu-listen", "127.0.0.1:0", "--no-turn", "--config"])
        .arg(&config)
        // The flood comes from a handful of loopback addresses: let its connections through to the password
        // check, which is what this test is about (connections per address have tests of their own).
        .args(["--max-connections-per-address", "1000"])
        .env("RUANG_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start ruang");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(WAIT, stdout.next_line()).await.expect("starts").expect("read").expect("line");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL in the first line");
    let addr = url.trim_start_matches("http://").trim_end_matches('/').parse().expect("address");
    let mut stderr = child.stderr.take().expect("stderr");
    let log = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    Server { child, addr, log, _stdout: stdout, _dir: dir }
}

async fn hash_password() -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("ruang hash-password");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(PASSWORD.as_bytes()).await.expect("write password");
    drop(stdin);
    let output = tokio::time::timeout(WAIT, child.wait_with_output()).await.expect("in time").expect("output");
    String::from_utf8(output.stdout).expect("utf-8").trim().to_owned()
}

/// A WebSocket to `server` from 127.0.0.`host`.
async fn connect_from(host: u8, server: SocketAddr) -> Ws {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)), 0)).expect("bind");
    let stream = tokio::time::timeout(WAIT, socket.connect(server)).await.expect("in time").expect("connect");
    let url = format!("ws://{server}/ws");
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, stream))
        .await
        .expect("handshake in time")
        .expect("handshake");
    ws
}

/// Joins room `vault` with `password`: the answer's error code, or `welcome`.
async fn try_join(mut ws: Ws, password: &str) -> String {
    let join = serde_json::json!({"type": "join", "room": "vault", "name": "n", "password": password});
    ws.send(Message::text(join.to_string())).await.expect("send");
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("an answer in time") {
            Some(Ok(Message::Text(text))) => {
                let answer: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                let code = answer.get("code").unwrap_or(&answer["type"]);
                return code.as_str().unwrap_or_default().to_owned();
            }
            Some(Ok(Message::Ping(_))) => continue,
            other => panic!("{other:?}"),
        }
    }
}
