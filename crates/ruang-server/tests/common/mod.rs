//! Test support: a real server on an ephemeral loopback port, and a real WebSocket client that speaks the
//! protocol as JSON. Every wait is bounded, so a broken server fails a test instead of hanging it.

#![allow(dead_code)]

pub mod prometheus;
pub mod sfu_media;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ruang_server::ServerConfig;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

/// How long any single expected event may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A server running in this process.
pub struct TestServer {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<Result<(), ruang_server::ServerError>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with(|_| {}).await
    }

    /// `n` nodes of one cluster sharing the Redis at `redis_url`, with one secret (resume tokens are checked
    /// on any node), each configured further by `adjust`.
    pub async fn cluster(redis_url: &str, n: usize, adjust: impl Fn(&mut ServerConfig)) -> Vec<Self> {
        let mut nodes = Vec::new();
        for _ in 0..n {
            nodes.push(
                Self::with(|c| {
                    c.redis.url = Some(redis_url.to_owned());
                    c.secret = Some(ruang_server::config::Secret::new("a secret the nodes share"));
                    adjust(c);
                })
                .await,
            );
        }
        nodes
    }

    pub async fn with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let mut config = ServerConfig::default();
        // Tests run in parallel: the built-in TURN server is off unless a test turns it on (on port 0).
        config.turn.enabled = false;
        // Nor may they share the SFU's default port: each server's SFU takes a free one.
        config.sfu_listen = Some("127.0.0.1:0".parse().expect("address"));
        // Every test client comes from 127.0.0.1: tests of the per-address limit set it themselves.
        config.max_connections_per_address = 100_000;
        adjust(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(ruang_server::run(listener, config, shutdown.clone()));
        TestServer { addr, shutdown, task }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub async fn client(&self) -> Client {
        Client::connect(&self.ws_url()).await
    }

    /// A client that has joined `room` as `name`.
    pub async fn joined(&self, room: &str, name: &str) -> Client {
        let mut client = self.client().await;
        client.join(room, name).await;
        client
    }

    /// Polls `/healthz` until `check` holds (bounded by [`WAIT`]).
    pub async fn wait_for_health(&self, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let health = self.health().await;
            if check(&health) {
                return health;
            }
            assert!(tokio::time::Instant::now() < deadline, "health never matched: {health}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn health(&self) -> Value {
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr);
        tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes()).await.expect("write");
        let mut response = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut response).await.expect("read");
        let body = response.split("\r\n\r\n").nth(1).expect("body");
        serde_json::from_str(body).expect("health json")
    }
}

/// A protocol client over a real WebSocket.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub id: String,
    pub welcome: Value,
    /// The `n` of the last numbered message received.
    pub last_n: u64,
}

impl Client {
    pub async fn connect(url: &str) -> Self {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("connect in time")
            .expect("connect");
        Client { ws, id: String::new(), welcome: Value::Null, last_n: 0 }
    }

    /// Connects as a client at `address`, as a trusted reverse proxy on loopback would forward it (the
    /// server must trust 127.0.0.1). Only a header: every byte still goes over loopback.
    pub async fn connect_as(url: &str, address: &str) -> Self {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert("x-forwarded-for", address.parse().expect("header value"));
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("connect in time")
            .expect("connect");
        Client { ws, id: String::new(), welcome: Value::Null, last_n: 0 }
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// The next protocol message (pings are answered by the library and skipped). Its `n`, if numbered, is
    /// checked to follow the previous one, recorded in [`Client::last_n`] and removed, so tests can compare
    /// messages whole; [`Client::recv_numbered`] keeps it.
    pub async fn recv(&mut self) -> Value {
        let mut message = self.recv_numbered().await;
        if let Some(object) = message.as_object_mut() {
            object.remove("n");
        }
        message
    }

    /// The next protocol message as sent, `n` included.
    pub async fn recv_numbered(&mut self) -> Value {
        let message = self.recv_raw().await;
        if let Some(n) = message.get("n").and_then(Value::as_u64) {
            assert!(n > self.last_n, "numbering goes forward: {n} after {}", self.last_n);
            self.last_n = n;
        }
        message
    }

    async fn recv_raw(&mut self) -> Value {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next()).await.expect("a message in time");
            match next.expect("stream open").expect("read") {
                Message::Text(text) => return serde_json::from_str(&text).expect("server sends JSON"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The next message of type `kind`, skipping others.
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        loop {
            let message = self.recv().await;
            if message["type"] == kind {
                return message;
            }
        }
    }

    /// The next `error`, asserting its code. Fresh resume tokens (sent after a role change) are skipped.
    pub async fn expect_error(&mut self, code: &str) -> Value {
        let mut message = self.recv().await;
        while message["type"] == "resume_token" {
            message = self.recv().await;
        }
        assert_eq!(message["type"], "error", "expected error {code}, got {message}");
        assert_eq!(message["code"], code, "{message}");
        message
    }

    /// Reads until the server closes, returning the close code.
    pub async fn expect_close(&mut self) -> u16 {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next()).await.expect("close in time");
            match next {
                Some(Ok(Message::Close(frame))) => {
                    // Answer the close, as a browser does, so the closing handshake completes.
                    let _ = self.ws.flush().await;
                    return frame.map_or(u16::from(CloseCode::Status), |f| u16::from(f.code));
                }
                Some(Ok(_)) => continue,
                Some(Err(err)) => panic!("socket error before a close frame: {err}"),
                None => panic!("socket ended without a close frame"),
            }
        }
    }

    pub async fn join(&mut self, room: &str, name: &str) -> Value {
        self.send(json!({"type": "join", "room": room, "name": name})).await;
        let welcome = self.recv().await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        self.id = welcome["you"].as_str().expect("you").to_owned();
        self.welcome = welcome.clone();
        welcome
    }

    /// The resume token of the last `welcome` or `resumed`.
    pub fn token(&self) -> String {
        self.welcome["resume_token"].as_str().expect("resume_token").to_owned()
    }

    /// Opens a new connection and resumes this participant on it with `token`, telling the server the last
    /// numbered message this client received. Returns the new client and the server's answer.
    pub async fn resume_on(&self, url: &str, token: &str) -> (Client, Value) {
        let mut next = Client::connect(url).await;
        next.last_n = self.last_n;
        next.send(json!({"type": "resume", "token": token, "last_n": self.last_n, "req": 9})).await;
        let answer = next.recv().await;
        if answer["type"] == "resumed" {
            if answer["replay"] == "reset" {
                next.last_n = 0;
            }
            next.id = answer["you"].as_str().expect("you").to_owned();
            next.welcome = answer.clone();
        }
        (next, answer)
    }

    /// Closes the socket without `leave`, as a lost network would (from the server's side).
    pub async fn drop_connection(mut self) {
        let _ = self.ws.close(None).await;
    }

    /// Checks the connection still works with a ping round trip.
    pub async fn assert_alive(&mut self) {
        self.send(json!({"type": "ping", "req": 4242})).await;
        let pong = self.recv_type("pong").await;
        assert_eq!(pong["req"], 4242);
    }

    pub async fn signal(&mut self, to: &str, data: Value) {
        self.send(json!({"type": "signal", "to": to, "data": data})).await;
    }
}

pub fn offer(sdp: &str) -> Value {
    json!({"kind": "offer", "sdp": sdp})
}
