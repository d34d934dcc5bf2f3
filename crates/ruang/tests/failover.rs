//! Losing a node loses no meeting: three `ruang` processes share one real `redis-server` (started on a free
//! loopback port by the test), members of one room are connected to all three, and the room's owner is
//! killed with SIGKILL in the middle of a signaling exchange. Every member then resumes, through a node that
//! is still up (the dead node's members reconnect elsewhere), with the same id, role and chat, sees the others
//! again, and the room's new chat reaches everyone in one order, numbered on from before; a newcomer who
//! joins while the dead node still holds the lease gets into the rebuilt room.
//!
//! A Redis restart (killed, started again empty on the same port) is survived too: the nodes keep their
//! connections and rooms, the owner takes its lease back and writes the room's record again, and the room
//! goes on across nodes.
//!
//! And an owner that finds another node holding its room's lease (it was cut off from Redis past the TTL
//! and the room was taken over meanwhile) steps back: its members are sent to the new owner.
//!
//! Waits are bounded (`WAIT` per step): they say how long the test gives the cluster, not how fast it is.

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

/// The longest the test waits for any one thing: the lease TTL (10 s), the owner's loss being noticed,
/// and a resume that first tried the dead owner (10 s) fit in it with room to spare.
const WAIT: Duration = Duration::from_secs(60);
const SECRET: &str = "a secret the three nodes share, long enough";

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A `ruang` process, killed on drop.
struct Node {
    child: Child,
    /// `host:port`.
    addr: String,
}

impl Node {
    async fn start(redis: &RedisServer) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ruang"))
            .args(["--listen", "127.0.0.1:0", "--sfu-listen", "127.0.0.1:0", "--no-turn"])
            .args(["--redis", &redis.url, "--secret", SECRET])
            .args(["--resume-grace-ms", "60000", "--heartbeat-timeout-ms", "120000"])
            .args(["--rooms-per-address-per-minute", "1000", "--max-connections-per-address", "1000"])
            .env("RUANG_LOG", "warn")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start ruang");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let line = tokio::time::timeout(WAIT, stdout.next_line()).await.expect("in time");
        let line = line.expect("read").expect("a line");
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL").to_owned();
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        Node { child, addr: url.trim_start_matches("http://").trim_end_matches('/').to_owned() }
    }

    fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// SIGKILL: no goodbye to Redis, no lease given back, sockets closed by the kernel.
    async fn kill(mut self) {
        self.child.kill().await.expect("kill");
    }
}

/// What a client's reader task passes on: a message, or the close code the connection ended with.
enum Event {
    Message(Value),
    Closed(Option<u16>),
}

/// A participant's connection; its reader runs on its own task, so pings are answered while the test
/// waits on someone else.
struct Conn {
    sink: SplitSink<Ws, Message>,
    events: mpsc::UnboundedReceiver<Event>,
    last_n: u64,
}

impl Conn {
    async fn open(url: &str) -> Option<Conn> {
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

    async fn send(&mut self, message: Value) {
        let _ = self.sink.send(Message::text(message.to_string())).await;
    }

    /// The next message (recording its number), or the close code if the connection ended.
    async fn next(&mut self) -> Result<Value, Option<u16>> {
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
    async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let message = self.next().await.unwrap_or_else(|code| panic!("closed ({code:?}) before {kind}"));
            if message["type"] == kind {
                return message;
            }
        }
    }

    /// Skips messages until the connection ends, and returns its close code.
    async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Err(code) = self.next().await {
                return code;
            }
        }
    }
}

/// A participant across connections: who it is and what it holds to come back.
struct Member {
    name: &'static str,
    /// The `welcome` it joined with.
    welcome: Value,
    id: String,
    role: String,
    token: String,
    conn: Conn,
}

impl Member {
    async fn join(url: &str, room: &str, name: &'static str) -> Member {
        let mut conn = Conn::open(url).await.expect("connect");
        conn.send(json!({"type": "join", "room": room, "name": name})).await;
        let welcome = conn.next_of("welcome").await;
        let id = welcome["you"].as_str().expect("you").to_owned();
        let role = welcome["role"].as_str().expect("role").to_owned();
        let token = welcome["resume_token"].as_str().expect("resume_token").to_owned();
        Member { name, welcome, id, role, token, conn }
    }

    /// Reads until a message of type `kind`, keeping fresh tokens and role changes.
    async fn read_until(&mut self, kind: &str) -> Value {
        loop {
            let message = self.conn.next().await.unwrap_or_else(|code| panic!("{} closed ({code:?})", self.name));
            self.remember(&message);
            if message["type"] == kind {
                return message;
            }
        }
    }

    fn remember(&mut self, message: &Value) {
        if message["type"] == "resume_token" {
            self.token = message["token"].as_str().expect("token").to_owned();
        }
        if message["type"] == "role" && message["id"] == self.id.as_str() {
            self.role = message["role"].as_str().expect("role").to_owned();
        }
    }

    /// Resumes through one of `urls` (tried in turn, within the wait): a node may still send the resume to
    /// the dead owner, and answers only when it notices. Returns the `resumed`.
    async fn resume(&mut self, urls: &[String]) -> Value {
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

fn peer_ids(message: &Value) -> BTreeSet<String> {
    message["peers"].as_array().expect("peers").iter().map(|p| p["id"].as_str().expect("id").to_owned()).collect()
}

/// The chat messages' `(seq, from, text)` in a welcome's or resumed's `chat_history`.
fn chat_log(message: &Value) -> Vec<(u64, String, String)> {
    let history = message["chat_history"].as_array().expect("chat_history");
    history.iter().map(entry).collect()
}

fn entry(chat: &Value) -> (u64, String, String) {
    let seq = chat["seq"].as_u64().expect("seq");
    (seq, chat["from"].as_str().expect("from").to_owned(), chat["text"].as_str().expect("text").to_owned())
}

/// The room's record in Redis, as the owner last wrote it.
fn record(redis: &RedisServer, room: &str) -> Value {
    serde_json::from_str(&redis.cli(&["GET", &format!("ruang:room:{room}:record")])).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_owner_node_loses_no_meeting() {
    let redis = RedisServer::start();
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(Node::start(&redis).await);
    }
    let urls: Vec<String> = nodes.iter().map(Node::ws_url).collect();
    // Ayu on node 1 opens the room there (its owner); Bima on node 2 and Citra on node 3 reach it.
    let mut a = Member::join(&urls[0], "failover", "Ayu").await;
    let mut b = Member::join(&urls[1], "failover", "Bima").await;
    let mut c = Member::join(&urls[2], "failover", "Citra").await;
    let owner = redis.cli(&["GET", "ruang:room:failover:owner"]);
    assert_eq!(owner.len(), 16, "the room has an owner: {owner}");
    a.read_until("peer_joined").await;
    a.read_until("peer_joined").await;
    b.read_until("peer_joined").await;
    // The host makes Citra a viewer; everyone chats once.
    a.conn.send(json!({"type": "moderate", "action": "set_role", "target": c.id, "role": "viewer"})).await;
    c.read_until("role").await;
    c.read_until("resume_token").await;
    assert_eq!(c.role, "viewer");
    let mut before = Vec::new();
    for sender in 0..3 {
        let mut members = [&mut a, &mut b, &mut c];
        let text = format!("hello from {}", members[sender].name);
        members[sender].conn.send(json!({"type": "chat", "text": text})).await;
        let mut seen = Vec::new();
        for member in members.iter_mut() {
            seen.push(entry(&member.read_until("chat").await));
        }
        assert!(seen.iter().all(|chat| *chat == seen[0]), "{seen:?}");
        before.push(seen[0].clone());
    }
    // What the new owner will rebuild from is in Redis (written behind the room's back: wait for it).
    let deadline = tokio::time::Instant::now() + WAIT;
    while record(&redis, "failover")["chat_seq"] != 3 {
        assert!(tokio::time::Instant::now() < deadline, "the record reached Redis: {}", record(&redis, "failover"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A signaling exchange: Bima offers to Citra, Citra gets it; the owner dies before Citra answers.
    b.conn
        .send(json!({"type": "signal", "to": c.id, "data": {"kind": "offer", "sdp": "v=0
before
"}}))
        .await;
    let offer = c.read_until("signal").await;
    assert_eq!(offer["from"], b.id.as_str());
    let dead = nodes.remove(0);
    dead.kill().await;
    c.conn
        .send(json!({"type": "signal", "to": b.id, "data": {"kind": "answer", "sdp": "v=0
lost
"}}))
        .await;
    let survivors: Vec<String> = nodes.iter().map(Node::ws_url).collect();
    // Meanwhile a newcomer joins through node 3, which still knows the room as the dead node's.
    let newcomer = {
        let url = survivors[1].clone();
        tokio::spawn(async move { Member::join(&url, "failover", "Eka").await })
    };

    // Ayu's node is gone: it reconnects through the others. Bima's and Citra's nodes end their
    // connections when they notice, with 4003 (resume to continue), and they resume where they are.
    let resumed_a = a.resume(&survivors).await;
    assert_eq!(b.conn.closed().await, Some(4003), "Bima's node ends the connection with a resume hint");
    let resumed_b = b.resume(&survivors[..1]).await;
    assert_eq!(c.conn.closed().await, Some(4003));
    let resumed_c = c.resume(&survivors[1..]).await;
    let new_owner = redis.cli(&["GET", "ruang:room:failover:owner"]);
    assert!(new_owner.len() == 16 && new_owner != owner, "another node took the lease: {new_owner}");
    let mut e = newcomer.await.expect("the newcomer's task");
    assert_eq!(e.role, "participant", "the host is expected back");
    assert_eq!(chat_log(&e.welcome), before, "the newcomer gets the meeting's chat");

    for (member, resumed, role) in
        [(&a, &resumed_a, "host"), (&b, &resumed_b, "participant"), (&c, &resumed_c, "viewer")]
    {
        assert_eq!(resumed["you"], member.id.as_str(), "{}: the same id", member.name);
        assert_eq!(resumed["role"], role, "{}: the same role: {resumed}", member.name);
        assert_eq!(chat_log(resumed), before, "{}: the same chat", member.name);
    }
    // Everyone sees the others again: in `resumed`'s peers, or introduced when they came back.
    for (member, resumed) in [(&mut a, &resumed_a), (&mut b, &resumed_b), (&mut c, &resumed_c)] {
        let mut seen = peer_ids(resumed);
        let others: BTreeSet<String> = [&resumed_a, &resumed_b, &resumed_c]
            .iter()
            .map(|r| r["you"].as_str().expect("you").to_owned())
            .filter(|id| *id != member.id)
            .collect();
        while !others.is_subset(&seen) {
            let joined = member.read_until("peer_joined").await;
            seen.insert(joined["peer"]["id"].as_str().expect("id").to_owned());
        }
    }
    // Signals flow again, between members now on the two surviving nodes.
    b.conn
        .send(json!({"type": "signal", "to": c.id, "data": {"kind": "offer", "sdp": "v=0
after
"}}))
        .await;
    let offer = c.read_until("signal").await;
    assert_eq!(
        (offer["from"].as_str(), offer["data"]["sdp"].as_str()),
        (
            Some(b.id.as_str()),
            Some(
                "v=0
after
"
            )
        )
    );
    // New chat from all three reaches everyone in one order, numbered on from before.
    for member in [&mut a, &mut b, &mut c] {
        member.conn.send(json!({"type": "chat", "text": format!("back from {}", member.name)})).await;
    }
    let mut logs = Vec::new();
    for member in [&mut a, &mut b, &mut c, &mut e] {
        let mut log = Vec::new();
        for _ in 0..3 {
            log.push(entry(&member.read_until("chat").await));
        }
        logs.push(log);
    }
    assert!(logs.iter().all(|log| *log == logs[0]), "one order for everyone: {logs:?}");
    let seqs: Vec<u64> = logs[0].iter().map(|(seq, _, _)| *seq).collect();
    assert_eq!(seqs, [4, 5, 6], "the chat numbers on");
    for node in nodes {
        node.kill().await;
    }
}

/// Waits (bounded) until `check` holds, saying `what` if it does not.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_keeps_connections_and_rooms_and_the_owner_takes_its_lease_back() {
    let mut redis = RedisServer::start();
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(Node::start(&redis).await);
    }
    let urls: Vec<String> = nodes.iter().map(Node::ws_url).collect();
    let mut a = Member::join(&urls[0], "outage", "Ayu").await;
    let mut b = Member::join(&urls[1], "outage", "Bima").await;
    let mut c = Member::join(&urls[2], "outage", "Citra").await;
    a.read_until("peer_joined").await;
    a.read_until("peer_joined").await;
    b.read_until("peer_joined").await;
    let owner = redis.cli(&["GET", "ruang:room:outage:owner"]);
    let instance = redis.cli(&["GET", "ruang:instance"]);
    let ids = redis.cli(&["ZRANGE", "ruang:nodes", "0", "-1"]);
    let ids: Vec<String> = ids.lines().map(str::to_owned).collect();
    assert_eq!(ids.len(), 3);
    eventually("the record reached Redis", || {
        record(&redis, "outage")["roster"].as_array().is_some_and(|r| r.len() == 3)
    })
    .await;

    redis.restart();
    assert_eq!(redis.cli(&["DBSIZE"]), "0", "Redis came back empty");
    // The owner takes its lease back and writes the room's record again; every node registers again, sets
    // the cluster's instance again, and listens on its bus channel again.
    eventually("the owner took its lease back", || redis.cli(&["GET", "ruang:room:outage:owner"]) == owner).await;
    eventually("the record is back", || record(&redis, "outage")["roster"].as_array().is_some_and(|r| r.len() == 3))
        .await;
    eventually("the instance is back", || redis.cli(&["GET", "ruang:instance"]) == instance).await;
    eventually("every node registered again", || redis.cli(&["ZCARD", "ruang:nodes"]) == "3").await;
    for id in &ids {
        let channel = format!("ruang:bus:{id}");
        eventually("every node listens again", || redis.cli(&["PUBSUB", "NUMSUB", &channel]).ends_with('1')).await;
    }
    // The same connections go on: chat from each reaches everyone, in one order.
    for member in [&mut a, &mut b, &mut c] {
        member.conn.send(json!({"type": "chat", "text": format!("still here, {}", member.name)})).await;
    }
    let mut logs = Vec::new();
    for member in [&mut a, &mut b, &mut c] {
        let mut log = Vec::new();
        for _ in 0..3 {
            log.push(entry(&member.read_until("chat").await));
        }
        logs.push(log);
    }
    assert_eq!(logs[0], logs[1]);
    assert_eq!(logs[1], logs[2]);
    for node in nodes {
        node.kill().await;
    }
}

/// The node id registered for the node listening at `addr`.
fn node_id(redis: &RedisServer, addr: &str) -> String {
    let ids = redis.cli(&["ZRANGE", "ruang:nodes", "0", "-1"]);
    let id = ids.lines().find(|id| {
        let info: Value =
            serde_json::from_str(&redis.cli(&["GET", &format!("ruang:node:{id}")])).unwrap_or(Value::Null);
        info["listen"] == addr
    });
    id.expect("the node is registered").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_that_lost_its_lease_to_another_node_steps_back_and_its_members_follow() {
    let redis = RedisServer::start();
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(Node::start(&redis).await);
    }
    let urls: Vec<String> = nodes.iter().map(Node::ws_url).collect();
    let mut a = Member::join(&urls[0], "split", "Ayu").await;
    let mut b = Member::join(&urls[1], "split", "Bima").await;
    let mut c = Member::join(&urls[2], "split", "Citra").await;
    a.read_until("peer_joined").await;
    a.read_until("peer_joined").await;
    b.read_until("peer_joined").await;
    a.conn.send(json!({"type": "chat", "text": "before the split"})).await;
    let first = entry(&a.read_until("chat").await);
    eventually("the record reached Redis", || record(&redis, "split")["chat_seq"] == 1).await;
    let old_owner = redis.cli(&["GET", "ruang:room:split:owner"]);
    let new_owner = node_id(&redis, &nodes[1].addr);
    assert_ne!(old_owner, new_owner);

    // As if node 1 had been cut off past the TTL: the lease is node 2's, and node 2 opens the room from its
    // record when someone joins through it.
    redis.cli(&["SET", "ruang:room:split:owner", &new_owner, "PX", "10000"]);
    let mut d = Member::join(&urls[1], "split", "Dewi").await;
    assert_eq!(d.role, "participant", "the host is expected back");
    // Node 1 finds out at its next renewal and sends everyone to node 2.
    for member in [&mut a, &mut b, &mut c] {
        assert_eq!(member.conn.closed().await, Some(4003), "{} is sent to resume", member.name);
    }
    let resumed_a = a.resume(&urls[..1]).await;
    let resumed_b = b.resume(&urls[1..2]).await;
    let resumed_c = c.resume(&urls[2..]).await;
    for (member, resumed, role) in
        [(&a, &resumed_a, "host"), (&b, &resumed_b, "participant"), (&c, &resumed_c, "participant")]
    {
        assert_eq!(resumed["you"], member.id.as_str(), "{}: the same id", member.name);
        assert_eq!(resumed["role"], role, "{}: {resumed}", member.name);
        assert_eq!(chat_log(resumed), std::slice::from_ref(&first), "{}: the same chat", member.name);
    }
    assert_eq!(redis.cli(&["GET", "ruang:room:split:owner"]), new_owner, "node 2 keeps the room");
    // One room again: Dewi's chat reaches the three, numbered on.
    d.conn.send(json!({"type": "chat", "text": "one room"})).await;
    let d_id = d.id.clone();
    for member in [&mut a, &mut b, &mut c, &mut d] {
        let chat = entry(&member.read_until("chat").await);
        assert_eq!((chat.0, chat.1.as_str()), (2, d_id.as_str()), "{}", member.name);
    }
    for node in nodes {
        node.kill().await;
    }
}
