//! The simulated participants of the soak tests (`soak.rs` against one node, `cluster_soak.rs` against three
//! nodes of a cluster): each joins, signals, chats, leaves, drops and resumes at random until a deadline,
//! through a node chosen at random for every connection, and counts what it did and anything unexpected.
//! Also what the tests check the servers with: `/healthz` until they hold nothing, and resident memory.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// The resume grace period of the servers under test: short, so some resumes come too late.
pub const GRACE_MS: u64 = 2_000;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// What the clients did, and how often something unexpected happened.
#[derive(Default)]
pub struct Counters {
    joins: AtomicU64,
    pub resumes: AtomicU64,
    pub resumes_refused: AtomicU64,
    takeovers: AtomicU64,
    leaves: AtomicU64,
    drops: AtomicU64,
    signals: AtomicU64,
    chats: AtomicU64,
    pub unexpected: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn summary(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "joins {} resumes {} refused {} takeovers {} leaves {} drops {} signals {} chats {} unexpected {}",
            get(&self.joins),
            get(&self.resumes),
            get(&self.resumes_refused),
            get(&self.takeovers),
            get(&self.leaves),
            get(&self.drops),
            get(&self.signals),
            get(&self.chats),
            get(&self.unexpected)
        )
    }
}

/// xorshift64*: enough randomness for choosing actions, without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// What a client remembers about its participant across connections.
struct Identity {
    id: String,
    token: String,
    last_n: u64,
}

/// A soak run: the nodes the clients connect to (`host:port`), how many rooms they spread over, and the counts.
pub struct Soak {
    pub bases: Vec<String>,
    pub rooms: u64,
    pub counters: Counters,
}

impl Soak {
    pub fn new(bases: Vec<String>, rooms: u64) -> Arc<Soak> {
        Arc::new(Soak { bases, rooms, counters: Counters::default() })
    }

    /// A node's WebSocket URL, chosen at random.
    fn url(&self, rng: &mut Rng) -> String {
        format!("ws://{}/ws", self.bases[rng.below(self.bases.len() as u64) as usize])
    }
}

/// One half of a soak: `clients` clients (seeded by `half`) until `seconds` have passed, then everyone stops
/// and every node must be back to holding nothing (bounded wait). Returns each node's last `/healthz`.
pub async fn half(soak: &Arc<Soak>, clients: u64, half: u64, seconds: u64) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for i in 0..clients {
        let seed = (half * clients + i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        tasks.push(tokio::spawn(client(Arc::clone(soak), deadline, seed)));
    }
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(seconds + 60), task).await.expect("client ends").expect("client");
    }
    let mut healths = Vec::new();
    for base in &soak.bases {
        healths.push(wait_until_empty(base).await);
    }
    healths
}

/// Starts the binary for a soak (short grace, limits out of the way), with `extra` arguments; returns the
/// process and its `host:port`.
pub async fn start_server(extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--sfu-listen",
            "127.0.0.1:0",
            "--no-turn",
            "--resume-grace-ms",
            &GRACE_MS.to_string(),
        ])
        .args(["--max-connections", "1000", "--max-connections-per-address", "1000"])
        .args(["--secret", "soak test secret, long enough"])
        // Every client is on 127.0.0.1, and rooms close and open again all the time.
        .args(["--rooms-per-address-per-minute", "1000000"])
        .args(extra)
        .env("RUANG_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start ruang");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), stdout.next_line()).await.expect("in time");
    let line = line.expect("read").expect("a line");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL").to_owned();
    tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
    (child, url.trim_start_matches("http://").trim_end_matches('/').to_owned())
}

/// One simulated participant, until `deadline`: connect (to a node chosen at random each time), join or
/// resume, act for a while, then leave, drop the socket, or resume on a second connection (perhaps through
/// another node) while the first is still open.
async fn client(soak: Arc<Soak>, deadline: Instant, seed: u64) {
    let mut rng = Rng(seed | 1);
    let mut identity: Option<Identity> = None;
    let counters = &soak.counters;
    while Instant::now() < deadline {
        let url = soak.url(&mut rng);
        let Some(mut ws) = connect(&url).await else { continue };
        let mut peers = BTreeSet::new();
        if !enter(&mut ws, &mut identity, &mut peers, &mut rng, soak.rooms, counters).await {
            continue;
        }
        for _ in 0..1 + rng.below(30) {
            if Instant::now() >= deadline {
                break;
            }
            let pause = Duration::from_millis(50 + rng.below(350));
            if !read_for(&mut ws, pause, &mut identity, &mut peers, counters).await {
                break;
            }
            act(&mut ws, &peers, &mut rng, counters).await;
        }
        match rng.below(10) {
            0..=2 => {
                let _ = ws.send(Message::text(r#"{"type":"leave"}"#)).await;
                identity = None;
                Counters::add(&counters.leaves);
            }
            3 if identity.is_some() => {
                // Resume elsewhere while this socket is open: it must be closed with 4004.
                let elsewhere = soak.url(&mut rng);
                take_over(&elsewhere, ws, &mut identity, soak.rooms, counters).await;
                continue;
            }
            _ => {
                drop(ws);
                Counters::add(&counters.drops);
                // Sometimes longer than the grace period, so the resume is refused.
                tokio::time::sleep(Duration::from_millis(rng.below(GRACE_MS * 3 / 2))).await;
            }
        }
    }
}

async fn connect(url: &str) -> Option<Ws> {
    match tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((ws, _))) => Some(ws),
        _ => None,
    }
}

/// Resumes the remembered participant, or joins a random room as a new one. `false` if neither worked.
async fn enter(
    ws: &mut Ws,
    identity: &mut Option<Identity>,
    peers: &mut BTreeSet<String>,
    rng: &mut Rng,
    rooms: u64,
    counters: &Counters,
) -> bool {
    if let Some(known) = identity.as_ref() {
        let resume = json!({"type": "resume", "token": known.token, "last_n": known.last_n});
        let answer = request(ws, &resume).await;
        match answer["type"].as_str() {
            Some("resumed") if answer["you"] == known.id.as_str() => {
                Counters::add(&counters.resumes);
                return greeted(&answer, identity, peers);
            }
            Some("error") if answer["code"] == "resume_refused" => {
                Counters::add(&counters.resumes_refused);
                *identity = None;
            }
            _ => {
                eprintln!("unexpected answer to resume: {answer}");
                Counters::add(&counters.unexpected);
                return false;
            }
        }
    }
    let room = format!("soak-{}", rng.below(rooms));
    let answer = request(ws, &json!({"type": "join", "room": room, "name": "soak"})).await;
    match answer["type"].as_str() {
        Some("welcome") => {
            Counters::add(&counters.joins);
            greeted(&answer, identity, peers)
        }
        Some("error") if answer["code"] == "room_full" => false,
        _ => {
            eprintln!("unexpected answer to join: {answer}");
            Counters::add(&counters.unexpected);
            false
        }
    }
}

fn greeted(answer: &Value, identity: &mut Option<Identity>, peers: &mut BTreeSet<String>) -> bool {
    let last_n = match (identity.as_ref(), answer["replay"].as_str()) {
        (Some(known), Some("replayed")) => known.last_n,
        _ => 0,
    };
    let id = answer["you"].as_str().unwrap_or_default().to_owned();
    let token = answer["resume_token"].as_str().unwrap_or_default().to_owned();
    *identity = Some(Identity { id, token, last_n });
    peers.extend(answer["peers"].as_array().into_iter().flatten().filter_map(|p| p["id"].as_str()).map(str::to_owned));
    true
}

/// Sends a message and returns the first text answer (bounded).
/// The server's answer to `message`; when there is none, a string saying why (for the report).
async fn request(ws: &mut Ws, message: &Value) -> Value {
    if let Err(e) = ws.send(Message::text(message.to_string())).await {
        return Value::String(format!("(could not send: {e})"));
    }
    let answer = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text).unwrap_or(Value::String(format!("(not JSON: {text})")));
                }
                Some(Ok(Message::Close(frame))) => return Value::String(format!("(closed by the server: {frame:?})")),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Value::String(format!("(connection failed: {e})")),
                None => return Value::String("(connection ended)".into()),
            }
        }
    });
    answer.await.unwrap_or(Value::String("(no answer within 10 s)".into()))
}

/// Reads for `pause`, keeping the identity and peers current. `false` if the connection ended.
async fn read_for(
    ws: &mut Ws,
    pause: Duration,
    identity: &mut Option<Identity>,
    peers: &mut BTreeSet<String>,
    counters: &Counters,
) -> bool {
    let until = Instant::now() + pause;
    loop {
        let frame = match tokio::time::timeout_at(until, ws.next()).await {
            Err(_) => return true,
            Ok(Some(Ok(frame))) => frame,
            Ok(_) => return false,
        };
        let Message::Text(text) = frame else { continue };
        let message: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let Some(known) = identity.as_mut() else { continue };
        if let Some(n) = message["n"].as_u64() {
            if n != known.last_n + 1 {
                eprintln!("message {n} after {}: {message}", known.last_n);
                Counters::add(&counters.unexpected);
            }
            known.last_n = n;
        }
        let peer = |field: &Value| field.as_str().unwrap_or_default().to_owned();
        match message["type"].as_str() {
            Some("peer_joined") => {
                peers.insert(peer(&message["peer"]["id"]));
            }
            Some("peer_left") => {
                peers.remove(&peer(&message["id"]));
            }
            Some("resume_token") => known.token = peer(&message["token"]),
            // A peer may leave while a signal to it is on its way.
            Some("error") if message["code"] == "unknown_peer" => {}
            Some("error") => {
                eprintln!("unexpected error: {message}");
                Counters::add(&counters.unexpected);
            }
            _ => {}
        }
    }
}

async fn act(ws: &mut Ws, peers: &BTreeSet<String>, rng: &mut Rng, counters: &Counters) {
    let target = peers.iter().nth(rng.below(peers.len().max(1) as u64) as usize);
    let message = match (rng.below(10), target) {
        (0, _) | (_, None) => {
            Counters::add(&counters.chats);
            json!({"type": "chat", "text": "soak"})
        }
        (1, Some(to)) => {
            Counters::add(&counters.signals);
            json!({"type": "signal", "to": to, "data": {"kind": "offer", "sdp": "v=0 ".repeat(500)}})
        }
        (_, Some(to)) => {
            Counters::add(&counters.signals);
            let candidate = "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host generation 0 ufrag abcd";
            json!({"type": "signal", "to": to, "data": {"kind": "candidate", "candidate": {"candidate": candidate, "sdpMid": "0"}}})
        }
    };
    let _ = ws.send(Message::text(message.to_string())).await;
}

/// Resumes on a new connection while `old` is still open; the old one must be closed with 4004.
async fn take_over(url: &str, mut old: Ws, identity: &mut Option<Identity>, rooms: u64, counters: &Counters) {
    let Some(mut new) = connect(url).await else { return };
    let mut peers = BTreeSet::new();
    let mut rng = Rng(7);
    let before = identity.as_ref().map(|known| known.id.clone());
    if !enter(&mut new, identity, &mut peers, &mut rng, rooms, counters).await {
        return;
    }
    let resumed = before == identity.as_ref().map(|known| known.id.clone());
    if !resumed {
        // The token had expired (this client went longer than 1.5 grace periods without reading its
        // refreshed tokens: a long pause, or a starved machine). Then nothing replaces the old connection,
        // which is another participant now and stays open by design (enter() counted the refusal).
        let _ = old.close(None).await;
        let _ = new.send(Message::text(r#"{"type":"leave"}"#)).await;
        *identity = None;
        return;
    }
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(frame)) = old.next().await {
            if let Message::Close(frame) = frame {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    });
    match closed.await {
        Ok(Some(4004)) => Counters::add(&counters.takeovers),
        other => {
            eprintln!("the replaced connection ended with {other:?}; the new one resumed");
            Counters::add(&counters.unexpected);
        }
    }
    let _ = new.send(Message::text(r#"{"type":"leave"}"#)).await;
    *identity = None;
}

/// Polls `/healthz` until the server holds nothing (bounded), and returns the last answer.
pub async fn wait_until_empty(base: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = health(base).await;
        let empty = ["rooms", "connections", "room_tasks", "sessions"].iter().all(|k| health[*k] == 0);
        if empty {
            return health;
        }
        assert!(Instant::now() < deadline, "the server still holds something: {health}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn health(base: &str) -> Value {
    let mut stream = TcpStream::connect(base).await.expect("connect");
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {base}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap_or("null")).unwrap_or(Value::Null)
}

/// The process's resident memory, from `/proc/<pid>/status`.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("a number")
}
