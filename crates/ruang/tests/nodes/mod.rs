//! Real `ruang` processes in a cluster, and participants talking to them, for the cluster tests of the
//! binary: [`Node`] (a process, killed with SIGKILL), [`Conn`] (a WebSocket read on its own task, so pings are
//! answered while the test waits on someone else) and [`Member`] (a participant across connections).

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use futures_util::SinkExt;
use futures_util::stream::{SplitSink, StreamExt};
use ruang_cluster::test_support::RedisServer;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The longest the test waits for any one thing: the lease TTL (3 s), the owner's loss being noticed,
/// and a resume that first tried the dead owner fit in it with room to spare.
pub const WAIT: Duration = Duration::from_secs(60);
pub const SECRET: &str = "a secret the three nodes share, long enough";

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A `ruang` process, killed on drop.
pub struct Node {
    child: Child,
    /// `host:port`.
    pub addr: String,
    /// Its log lines (standard error), when started with [`Node::start_logged`].
    pub log: Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
}

impl Node {
    pub async fn start(redis: &RedisServer) -> Node {
        Self::spawn(redis, false).await
    }

    /// A node whose log lines (warnings and worse) are kept in [`Node::log`].
    pub async fn start_logged(redis: &RedisServer) -> Node {
        Self::spawn(redis, true).await
    }

    async fn spawn(redis: &RedisServer, logged: bool) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ruang"))
            .args(["--listen", "127.0.0.1:0", "--sfu-listen", "127.0.0.1:0", "--no-turn"])
            .args(["--redis", &redis.url, "--secret", SECRET])
            .args(["--resume-grace-ms", "60000", "--heartbeat-timeout-ms", "120000"])
            .args(["--rooms-per-address-per-minute", "1000", "--max-connections-per-address", "1000"])
            .env("RUANG_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(if logged { Stdio::piped() } else { Stdio::inherit() })
            .kill_on_drop(true)
            .spawn()
            .expect("start ruang");
        let log = child.stderr.take().map(|stderr| {
            let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let kept = std::sync::Arc::clone(&log);
            let mut lines = BufReader::new(stderr).lines();
            tokio::spawn(async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    kept.lock().expect("log").push(line);
                }
            });
            log
        });
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let line = tokio::time::timeout(WAIT, stdout.next_line()).await.expect("in time");
        let line = line.expect("read").expect("a line");
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL").to_owned();
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        Node { child, addr: url.trim_start_matches("http://").trim_end_matches('/').to_owned(), log }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// SIGKILL: no goodbye to Redis, no lease given back, sockets closed by the kernel.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("kill");
    }
}

/// What a client's reader task passes on: a message, or the close code the connection ended with.
pub enum Event {
    Message(Value),
    Closed(Option<u16>),
}

/// A participant's connection; its reader runs on its own task, so pings are answered while the test
/// waits on someone else.
pub struct Conn {
    sink: SplitSink<Ws, Message>,
    events: mpsc::UnboundedReceiver<Event>,
    pub last_n: u64,
}

impl Conn {
    pub async fn open(url: &str) -> Option<Conn> {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url)).await.ok()?.ok()?;
        let (sink, mut stream) = ws.split();
        let (sender, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(frame) = stream.next().await {
                let event = match frame {
                    Ok(Message::Text(text)) => Event::Message(serde_json::from_str(&text).expect("JSON")),
                    Ok(Message::Close(frame)) => Event::Closed(frame.map(|f| u16::from(f.code))),
                    Ok(_) => continue,
                    Err(_) => Event::Closed(None),
                };
                let closed = matches!(event, Event::Closed(_));
                if sender.send(event).is_err() || closed {
                    return;
                }
            }
            let _ = sender.send(Event::Closed(None));
        });
        Some(Conn { sink, events, last_n: 0 })
    }

    pub async fn send(&mut self, message: Value) {
        let _ = self.sink.send(Message::text(message.to_string())).await;
    }

    /// The next message (recording its number), or the close code if the connection ended.
    pub async fn next(&mut self) -> Result<Value, Option<u16>> {
        let event = tokio::time::timeout(WAIT, self.events.recv()).await.expect("something within the wait");
        match event {
            Some(Event::Message(message)) => {
                if let Some(n) = message["n"].as_u64() {
                    self.last_n = n;
                }
                Ok(message)
            }
            Some(Event::Closed(code)) => Err(code),
            None => Err(None),
        }
    }

    /// The next message of type `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let message = self.next().await.unwrap_or_else(|code| panic!("closed ({code:?}) before {kind}"));
            if message["type"] == kind {
                return message;
            }
        }
    }

    /// Skips messages until the connection ends, and returns its close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Err(code) = self.next().await {
                return code;
            }
        }
    }
}

/// A participant across connections: who it is and what it holds to come back.
pub struct Member {
    pub name: &'static str,
    /// The `welcome` it joined with.
    pub welcome: Value,
    pub id: String,
    pub role: String,
    pub token: String,
    pub conn: Conn,
}

impl Member {
    pub async fn join(url: &str, room: &str, name: &'static str) -> Member {
        let mut conn = Conn::open(url).await.expect("connect");
        conn.send(json!({"type": "join", "room": room, "name": name})).await;
        let welcome = conn.next_of("welcome").await;
        let id = welcome["you"].as_str().expect("you").to_owned();
        let role = welcome["role"].as_str().expect("role").to_owned();
        let token = welcome["resume_token"].as_str().expect("resume_token").to_owned();
        Member { name, welcome, id, role, token, conn }
    }

    /// Reads until a message of type `kind`, keeping fresh tokens and role changes.
    pub async fn read_until(&mut self, kind: &str) -> Value {
        loop {
            let message = self.conn.next().await.unwrap_or_else(|code| panic!("{} closed ({code:?})", self.name));
            self.remember(&message);
            if message["type"] == kind {
                return message;
            }
        }
    }

    pub fn remember(&mut self, message: &Value) {
        if message["type"] == "resume_token" {
            self.token = message["token"].as_str().expect("token").to_owned();
        }
        if message["type"] == "role" && message["id"] == self.id.as_str() {
            self.role = message["role"].as_str().expect("role").to_owned();
        }
    }

    /// Resumes through one of `urls` (tried in turn, within the wait): a node may still send the resume to
    /// the dead owner, and answers only when it notices. Returns the `resumed`.
    pub async fn resume(&mut self, urls: &[String]) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        for url in urls.iter().cycle() {
            assert!(tokio::time::Instant::now() < deadline, "{} resumed within the wait", self.name);
            let Some(mut conn) = Conn::open(url).await else { continue };
            conn.send(json!({"type": "resume", "token": self.token, "last_n": self.conn.last_n})).await;
            let answer = loop {
                match conn.next().await {
                    Ok(message) if message["type"] == "resumed" || message["type"] == "error" => break Ok(message),
                    Ok(_) => continue,
                    Err(code) => break Err(code),
                }
            };
            match answer {
                Ok(resumed) if resumed["type"] == "resumed" => {
                    self.token = resumed["resume_token"].as_str().expect("resume_token").to_owned();
                    self.conn = conn;
                    return resumed;
                }
                Ok(error) => {
                    // Only "try again" errors are acceptable: a refused resume is a lost participant.
                    assert_ne!(error["code"], "resume_refused", "{} was not taken back: {error}", self.name);
                }
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        unreachable!("cycle never ends")
    }
}

pub fn peer_ids(message: &Value) -> BTreeSet<String> {
    message["peers"].as_array().expect("peers").iter().map(|p| p["id"].as_str().expect("id").to_owned()).collect()
}

/// The chat messages' `(seq, from, text)` in a welcome's or resumed's `chat_history`.
pub fn chat_log(message: &Value) -> Vec<(u64, String, String)> {
    let history = message["chat_history"].as_array().expect("chat_history");
    history.iter().map(entry).collect()
}

pub fn entry(chat: &Value) -> (u64, String, String) {
    let seq = chat["seq"].as_u64().expect("seq");
    (seq, chat["from"].as_str().expect("from").to_owned(), chat["text"].as_str().expect("text").to_owned())
}

/// The room's record in Redis, as the owner last wrote it.
pub fn record(redis: &RedisServer, room: &str) -> Value {
    serde_json::from_str(&redis.cli(&["GET", &format!("ruang:room:{room}:record")])).unwrap_or(Value::Null)
}

/// Waits (bounded) until `check` holds, saying `what` if it does not.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The node id registered for the node listening at `addr`.
pub fn node_id(redis: &RedisServer, addr: &str) -> String {
    let ids = redis.cli(&["ZRANGE", "ruang:nodes", "0", "-1"]);
    let id = ids.lines().find(|id| {
        let info: Value =
            serde_json::from_str(&redis.cli(&["GET", &format!("ruang:node:{id}")])).unwrap_or(Value::Null);
        info["listen"] == addr
    });
    id.expect("the node is registered").to_owned()
}
