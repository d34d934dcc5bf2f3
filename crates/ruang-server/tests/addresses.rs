//! Per-address limits, with clients on several loopback addresses (their sockets bound to 127.0.0.x before
//! connecting, or named by a trusted proxy): password attempts, wrong API keys, and rooms created.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use common::{Client, TestServer, WAIT};
use ruang_server::access::{AccessKind, RoomPolicy, password};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const PASSWORD: &str = "open sesame";
const API_KEY: &str = "an api key for the backend";

fn loopback(host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, host))
}

async fn tcp_from(host: u8, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(loopback(host), 0)).expect("bind");
    tokio::time::timeout(WAIT, socket.connect(server)).await.expect("in time").expect("connect")
}

/// A client connected from 127.0.0.`host`, claiming to be `forwarded_for` in `X-Forwarded-For` if given.
async fn client_from(server: &TestServer, host: u8, forwarded_for: Option<&str>) -> Client {
    let stream = tcp_from(host, server.addr).await;
    let mut request = server.ws_url().into_client_request().expect("request");
    if let Some(address) = forwarded_for {
        request.headers_mut().insert("x-forwarded-for", address.parse().expect("header"));
    }
    let handshake = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream));
    let (ws, _) = tokio::time::timeout(WAIT, handshake).await.expect("in time").expect("handshake");
    Client { ws, id: String::new(), welcome: Value::Null, last_n: 0 }
}

/// The answer to a join of `room` from 127.0.0.`host`: its error code, or `welcome`.
async fn join_from(server: &TestServer, host: u8, room: &str, password: Option<&str>) -> String {
    let mut client = client_from(server, host, None).await;
    client.send(json!({"type": "join", "room": room, "name": "n", "password": password})).await;
    code(&client.recv().await)
}

fn code(answer: &Value) -> String {
    answer.get("code").unwrap_or(&answer["type"]).as_str().unwrap_or_default().to_owned()
}

async fn password_server() -> TestServer {
    let hash = password::hash(PASSWORD).expect("hash");
    TestServer::with(|c| {
        let policy = RoomPolicy { access: AccessKind::Password, password_hash: Some(hash), ..RoomPolicy::default() };
        c.rooms.insert("vault".into(), policy);
        c.api_key_sha256 = Some(Sha256::digest(API_KEY).iter().map(|b| format!("{b:02x}")).collect());
    })
    .await
}

#[tokio::test]
async fn wrong_guesses_from_a_few_addresses_do_not_lock_out_the_rightful_user() {
    let server = password_server().await;
    for host in 1..=5 {
        for _ in 0..5 {
            assert_eq!(join_from(&server, host, "vault", Some("guess")).await, "wrong_password");
        }
        assert_eq!(join_from(&server, host, "vault", Some("guess")).await, "too_many_attempts");
    }
    // 25 wrong guesses for the room: its budget for addresses that have failed is spent...
    assert_eq!(join_from(&server, 1, "vault", Some(PASSWORD)).await, "too_many_attempts");
    // ...but a fresh address with the right password draws on another.
    assert_eq!(join_from(&server, 9, "vault", Some(PASSWORD)).await, "welcome");
}

#[tokio::test]
async fn simultaneous_wrong_passwords_from_one_address_are_all_counted() {
    let server = password_server().await;
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(client_from(&server, 2, None).await);
    }
    let answers = futures_util::future::join_all(clients.into_iter().map(|mut client| async move {
        client.send(json!({"type": "join", "room": "vault", "name": "n", "password": "guess"})).await;
        code(&client.recv().await)
    }))
    .await;
    let checked = answers.iter().filter(|code| *code == "wrong_password").count();
    assert!((1..=5).contains(&checked), "{checked} checked: {answers:?}");
    assert_eq!(answers.iter().filter(|code| *code == "too_many_attempts").count(), 20 - checked);
}

#[tokio::test]
async fn wrong_api_keys_are_throttled_per_address_and_the_right_key_still_works_elsewhere() {
    let server = password_server().await;
    let body = r#"{"room":"board"}"#;
    for _ in 0..5 {
        assert_eq!(post_from(&server, 1, Some("wrong key"), body).await, 401);
    }
    assert_eq!(post_from(&server, 1, Some("wrong key"), body).await, 429);
    assert_eq!(post_from(&server, 1, Some(API_KEY), body).await, 429, "not even checked from this address");
    assert_eq!(post_from(&server, 2, Some(API_KEY), body).await, 200);
    for _ in 0..10 {
        assert_eq!(post_from(&server, 2, Some(API_KEY), body).await, 200, "right keys are not counted");
    }
}

#[tokio::test]
async fn rooms_created_are_limited_per_address_and_joining_is_not() {
    let server = TestServer::with(|c| c.rooms_per_address_per_minute = 3).await;
    let mut members = Vec::new();
    for n in 0..3 {
        let mut client = client_from(&server, 1, None).await;
        client.join(&format!("new-{n}"), "creator").await;
        members.push(client);
    }
    assert_eq!(join_from(&server, 1, "new-3", None).await, "too_many_new_rooms");
    assert_eq!(join_from(&server, 1, "new-0", None).await, "welcome", "joining an existing room is not counted");
    assert_eq!(join_from(&server, 2, "new-3", None).await, "welcome", "another address has its own budget");
}

#[tokio::test]
async fn behind_a_trusted_proxy_rooms_are_counted_per_forwarded_address() {
    let server = TestServer::with(|c| {
        c.rooms_per_address_per_minute = 2;
        c.trusted_proxies = vec![loopback(1)];
    })
    .await;
    let mut members = Vec::new();
    let mut join = async |forwarded: &str, room: &str| {
        let mut client = client_from(&server, 1, Some(forwarded)).await;
        client.send(json!({"type": "join", "room": room, "name": "n"})).await;
        let answer = code(&client.recv().await);
        members.push(client);
        answer
    };
    assert_eq!(join("198.51.100.1", "p-0").await, "welcome");
    assert_eq!(join("198.51.100.1", "p-1").await, "welcome");
    assert_eq!(join("198.51.100.1", "p-2").await, "too_many_new_rooms");
    assert_eq!(join("198.51.100.2", "p-2").await, "welcome", "another client behind the same proxy");
}

async fn post_from(server: &TestServer, host: u8, key: Option<&str>, body: &str) -> u16 {
    let mut stream = tcp_from(host, server.addr).await;
    let auth = key.map(|k| format!("Authorization: Bearer {k}\r\n")).unwrap_or_default();
    let request = format!(
        "POST /api/invites HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        server.addr,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}
