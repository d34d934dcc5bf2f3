//! Limits and bans that hold for the whole cluster, not per node: two nodes on 127.0.0.1 share one real
//! `redis-server`, and real WebSocket clients from several loopback addresses (their sockets bound to
//! 127.0.0.x) spread their requests over both.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::{Client, TestServer, WAIT};
use ruang_cluster::test_support::RedisServer;
use ruang_proto::{PeerId, Role, RoomName};
use ruang_server::access::{AccessKind, RoomPolicy, password};
use ruang_server::config::ServerConfig;
use ruang_server::resume::{Bearer, Resumption};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const PASSWORD: &str = "open sesame";
/// The secret `TestServer::cluster` gives every node.
const SECRET: &str = "a secret the nodes share";
const API_KEY: &str = "an api key for the backend";

/// A client of `node` connected from 127.0.0.`host`.
async fn client_from(node: &TestServer, host: u8) -> Client {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)), 0)).expect("bind");
    let stream = tokio::time::timeout(WAIT, socket.connect(node.addr)).await.expect("in time").expect("connect");
    let request = node.ws_url().into_client_request().expect("request");
    let handshake = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream));
    let (ws, _) = tokio::time::timeout(WAIT, handshake).await.expect("in time").expect("handshake");
    Client { ws, id: String::new(), welcome: Value::Null, last_n: 0 }
}

/// The answer to a join of `room` through `node` from 127.0.0.`host`: its error code, or `welcome`; the
/// client, so that a room it opened stays open.
async fn join_from(node: &TestServer, host: u8, room: &str, password: Option<&str>) -> (String, Client) {
    let mut client = client_from(node, host).await;
    client.send(json!({"type": "join", "room": room, "name": "n", "password": password})).await;
    let answer = client.recv().await;
    (answer.get("code").unwrap_or(&answer["type"]).as_str().unwrap_or_default().to_owned(), client)
}

fn with_vault(config: &mut ServerConfig, hash: &str) {
    let policy =
        RoomPolicy { access: AccessKind::Password, password_hash: Some(hash.to_owned()), ..RoomPolicy::default() };
    config.rooms.insert("vault".into(), policy);
}

#[tokio::test]
async fn wrong_passwords_from_one_address_over_two_nodes_hit_the_limit_of_one_node() {
    let redis = RedisServer::start();
    let hash = password::hash(PASSWORD).expect("hash");
    let nodes = TestServer::cluster(&redis.url, 2, |c| with_vault(c, &hash)).await;
    // Five wrong guesses per address per minute, as on one node: here spread over both nodes.
    for guess in 0..5 {
        let (answer, _) = join_from(&nodes[guess % 2], 2, "vault", Some("guess")).await;
        assert_eq!(answer, "wrong_password", "guess {guess}");
    }
    for node in &nodes {
        let (answer, _) = join_from(node, 2, "vault", Some("guess")).await;
        assert_eq!(answer, "too_many_attempts", "the address's limit is the cluster's");
    }
    let (answer, _) = join_from(&nodes[1], 2, "vault", Some(PASSWORD)).await;
    assert_eq!(answer, "too_many_attempts", "not even the right password from that address");
    let (answer, _client) = join_from(&nodes[0], 9, "vault", Some(PASSWORD)).await;
    assert_eq!(answer, "welcome", "another address is not held back");
}

#[tokio::test]
async fn the_rooms_an_address_opens_are_counted_across_nodes() {
    let redis = RedisServer::start();
    let nodes = TestServer::cluster(&redis.url, 2, |c| c.rooms_per_address_per_minute = 3).await;
    let mut members = Vec::new();
    for n in 0..3 {
        let (answer, client) = join_from(&nodes[n % 2], 1, &format!("new-{n}"), None).await;
        assert_eq!(answer, "welcome", "room {n}");
        members.push(client);
    }
    for node in &nodes {
        let (answer, _) = join_from(node, 1, "new-3", None).await;
        assert_eq!(answer, "too_many_new_rooms", "the address's budget is the cluster's");
    }
    let (answer, _joined) = join_from(&nodes[0], 1, "new-1", None).await;
    assert_eq!(answer, "welcome", "joining a room open on another node is not counted");
    let (answer, _opened) = join_from(&nodes[1], 2, "new-3", None).await;
    assert_eq!(answer, "welcome", "another address has its own budget");
}

#[tokio::test]
async fn a_participant_of_a_previous_instance_is_restored_once_across_nodes() {
    let redis = RedisServer::start();
    let nodes = TestServer::cluster(&redis.url, 2, |_| {}).await;
    // Opens the room on node 1, so the cluster's instance is set.
    let mut host = nodes[0].joined("standup", "Ayu").await;
    // A token of a previous cluster (same secret, another instance), as after every node and Redis restarted.
    let grace = Duration::from_millis(ServerConfig::default().resume_grace_ms);
    let previous = Resumption::new(SECRET.as_bytes(), 0x5eed, grace);
    let room = RoomName::parse("standup").expect("room");
    let bearer =
        Bearer { room: &room, id: PeerId::from_bits(0xb1a), name: "Bima", role: Role::Participant, sfu: false };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let token = previous.mint(bearer, 3, now);

    let (mut restored, answer) = host.resume_on(&nodes[1].ws_url(), &token).await;
    let id = PeerId::from_bits(0xb1a).to_string();
    assert_eq!((answer["type"].as_str(), answer["you"].as_str()), (Some("resumed"), Some(id.as_str())), "{answer}");
    assert_eq!(host.recv_type("peer_joined").await["peer"]["name"], "Bima");
    // Bima leaves: the room no longer knows the participant, so only the claim stands in the way of the
    // same token restoring it again, through either node.
    restored.send(json!({"type": "leave"})).await;
    assert_eq!(host.recv_type("peer_left").await["id"], id.as_str());
    for node in &nodes {
        let (_, again) = host.resume_on(&node.ws_url(), &token).await;
        assert_eq!(again["code"], "resume_refused", "claimed once in the cluster: {again}");
    }
}

/// A join of room `m` through `node` with browser key `key`: the answer, and the client (its id set).
async fn join_with_key(node: &TestServer, key: &str) -> (Value, Client) {
    let mut client = Client::connect(&node.ws_url()).await;
    client.send(json!({"type": "join", "room": "m", "name": "someone", "browser_key": key})).await;
    let answer = client.recv().await;
    if answer["type"] == "welcome" {
        client.id = answer["you"].as_str().expect("you").to_owned();
        client.welcome = answer.clone();
    }
    (answer, client)
}

#[tokio::test]
async fn a_ban_made_by_the_owner_holds_on_every_node() {
    let redis = RedisServer::start();
    let nodes = TestServer::cluster(&redis.url, 2, |_| {}).await;
    let mut host = nodes[0].joined("m", "Ayu").await;
    let (answer, mut guest) = join_with_key(&nodes[1], "key of Bima's browser").await;
    assert_eq!(answer["type"], "welcome", "{answer}");
    host.recv_type("peer_joined").await;
    let token = guest.token();
    host.send(json!({"type": "moderate", "action": "ban", "target": guest.id, "req": 1})).await;
    assert_eq!(guest.recv_type("removed").await["reason"], "banned");
    for node in &nodes {
        let (_, answer) = guest.resume_on(&node.ws_url(), &token).await;
        assert_eq!(answer["code"], "resume_refused", "{answer}");
        let (answer, _) = join_with_key(node, "key of Bima's browser").await;
        assert_eq!(answer["code"], "banned", "the same browser, through either node: {answer}");
    }
    let (answer, _someone_else) = join_with_key(&nodes[1], "another key").await;
    assert_eq!(answer["type"], "welcome", "someone else: {answer}");
    // The ban is in the room's record in Redis, which the next owner rebuilds the room from.
    let record: Value = serde_json::from_str(&redis.cli(&["GET", "ruang:room:m:record"])).expect("record");
    assert_eq!(record["banned_keys"].as_array().map(Vec::len), Some(1), "{record}");
}

#[tokio::test]
async fn while_redis_is_away_wrong_passwords_are_still_counted_on_each_node() {
    let mut redis = RedisServer::start();
    let hash = password::hash(PASSWORD).expect("hash");
    let nodes = TestServer::cluster(&redis.url, 2, |c| with_vault(c, &hash)).await;
    let (answer, _member) = join_from(&nodes[0], 1, "vault", Some(PASSWORD)).await;
    assert_eq!(answer, "welcome");
    redis.kill();
    // The room is open on node 1, so joins still reach it; the attempts are counted by node 1 itself.
    for guess in 0..5 {
        let (answer, _) = join_from(&nodes[0], 2, "vault", Some("guess")).await;
        assert_eq!(answer, "wrong_password", "guess {guess}");
    }
    let (answer, _) = join_from(&nodes[0], 2, "vault", Some("guess")).await;
    assert_eq!(answer, "too_many_attempts", "an outage does not open the gate");
    let (answer, _member) = join_from(&nodes[0], 9, "vault", Some(PASSWORD)).await;
    assert_eq!(answer, "welcome", "the rightful user still gets in");
}

/// The status of `POST /api/invites` on `node` with API key `key`.
async fn post_invite(node: &TestServer, key: &str) -> u16 {
    let mut stream =
        tokio::time::timeout(WAIT, TcpStream::connect(node.addr)).await.expect("in time").expect("connect");
    let body = r#"{"room":"board"}"#;
    let request = format!(
        "POST /api/invites HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAuthorization: Bearer {key}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        node.addr,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut response)).await.expect("in time").expect("read");
    response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn wrong_api_keys_from_one_address_are_counted_across_nodes() {
    let redis = RedisServer::start();
    let digest: String = Sha256::digest(API_KEY).iter().map(|b| format!("{b:02x}")).collect();
    let nodes = TestServer::cluster(&redis.url, 2, |c| c.api_key_sha256 = Some(digest.clone())).await;
    for wrong in 0..5 {
        assert_eq!(post_invite(&nodes[wrong % 2], "wrong key").await, 401, "wrong key {wrong}");
    }
    for node in &nodes {
        assert_eq!(post_invite(node, "wrong key").await, 429, "five wrong keys a minute in the whole cluster");
        assert_eq!(post_invite(node, API_KEY).await, 429, "not even checked from this address");
    }
}
