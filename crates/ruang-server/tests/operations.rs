//! What an operator sees and steers, over real sockets: `/metrics` as Prometheus text whose counters move
//! with real joins and relays, the admin API's every command against a running server, and the admin
//! listener that takes `/metrics` off the public one.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;

use common::prometheus::{parse_prometheus, sample};
use common::{Client, TestServer, WAIT, offer};
use ruang_server::client::{HttpUrl, Method, Trust, call};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The API key of these tests, and its SHA-256 as the server is configured with it.
const KEY: &str = "operator-key-for-tests";

fn key_sha256() -> String {
    use sha2::Digest;
    sha2::Sha256::digest(KEY.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

async fn server() -> TestServer {
    TestServer::with(|config| config.api_key_sha256 = Some(key_sha256())).await
}

/// `method path` on `addr` with the API key (or `key`), answered status and body.
async fn http(addr: SocketAddr, method: Method, path: &str, key: Option<&str>, body: Option<Value>) -> (u16, String) {
    let url = HttpUrl::parse(&format!("http://{addr}{path}")).expect("url");
    let body = body.map(|body| body.to_string().into_bytes());
    let (status, answer) = call(&Trust::default(), method, &url, key, body, WAIT).await.expect("an answer");
    (status.as_u16(), String::from_utf8_lossy(&answer).into_owned())
}

async fn admin(addr: SocketAddr, method: Method, path: &str) -> Value {
    let (status, body) = http(addr, method, path, Some(KEY), None).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

async fn metrics(addr: SocketAddr, key: Option<&str>) -> HashMap<String, f64> {
    let (status, body) = http(addr, Method::GET, "/metrics", key, None).await;
    assert_eq!(status, 200, "{body}");
    parse_prometheus(&body)
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_count_joins_relays_and_errors() {
    let server = server().await;
    let before = metrics(server.addr, Some(KEY)).await;
    assert_eq!(sample(&before, "ruang_joins_total"), 0.0);
    assert_eq!(sample(&before, "ruang_rooms"), 0.0);

    let mut a = server.joined("metered", "a").await;
    let mut b = server.joined("metered", "b").await;
    a.recv_type("peer_joined").await;
    b.signal(&a.id, offer("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n")).await;
    assert_eq!(a.recv_type("signal").await["from"], b.id.as_str());
    a.send(json!({"type": "chat", "text": "hello"})).await;
    b.recv_type("chat").await;
    a.recv_type("chat").await;
    // An error the server counts by its code: joining twice on one connection.
    a.send(json!({"type": "join", "room": "other", "name": "a"})).await;
    a.expect_error("already_joined").await;

    let after = metrics(server.addr, Some(KEY)).await;
    assert_eq!(sample(&after, "ruang_joins_total"), 2.0);
    assert_eq!(sample(&after, "ruang_rooms"), 1.0);
    assert_eq!(sample(&after, "ruang_rooms_opened_total"), 1.0);
    assert_eq!(sample(&after, "ruang_participants"), 2.0);
    assert_eq!(sample(&after, "ruang_connections"), 2.0);
    assert!(sample(&after, "ruang_connections_opened_total") >= 2.0);
    assert_eq!(sample(&after, "ruang_signals_relayed_total"), 1.0);
    assert!(sample(&after, "ruang_signal_bytes_relayed_total") > 40.0);
    assert!(sample(&after, "ruang_room_messages_total") >= 3.0, "peer_joined and chat to both");
    assert_eq!(sample(&after, r#"ruang_errors_total{code="already_joined"}"#), 1.0);
    assert_eq!(sample(&after, "ruang_join_duration_seconds_count"), 2.0);
    assert_eq!(sample(&after, r#"ruang_join_duration_seconds_bucket{le="+Inf"}"#), 2.0);

    // Leaving takes them out of the gauges.
    a.send(json!({"type": "leave"})).await;
    b.send(json!({"type": "leave"})).await;
    server.wait_for_health(|health| health["rooms"] == 0).await;
    let left = metrics(server.addr, Some(KEY)).await;
    assert_eq!(sample(&left, "ruang_participants"), 0.0);
    assert_eq!(sample(&left, "ruang_rooms"), 0.0);
}

/// The two counters of trouble the test above cannot reach: a resume, and a reader dropped because its
/// send queue filled (the same slow reader as in `limits.rs`).
#[tokio::test]
async fn metrics_count_resumes_and_slow_consumer_drops() {
    let server = TestServer::with(|c| {
        c.api_key_sha256 = Some(key_sha256());
        c.send_queue = 8;
        c.limits.messages_per_second = 100_000;
        c.limits.message_burst = 100_000;
        c.limits.max_participants = 3;
        c.replay_messages = 4;
    })
    .await;
    let before = metrics(server.addr, Some(KEY)).await;
    assert_eq!(sample(&before, "ruang_resumes_total"), 0.0);
    assert_eq!(sample(&before, "ruang_slow_consumer_drops_total"), 0.0);

    // A resume: b's connection drops and b comes back with its token.
    let mut a = server.joined("back", "a").await;
    let b = server.joined("back", "b").await;
    a.recv_type("peer_joined").await;
    let (token, url) = (b.token(), server.ws_url());
    let stand_in = Client::connect(&url).await;
    b.drop_connection().await;
    a.recv_type("peer_reconnecting").await;
    let (_b, resumed) = stand_in.resume_on(&url, &token).await;
    assert_eq!(resumed["type"], "resumed", "{resumed}");
    assert_eq!(sample(&metrics(server.addr, Some(KEY)).await, "ruang_resumes_total"), 1.0);

    // A slow consumer: it never reads, the talker talks until the server gives up on it.
    let mut talker = server.joined("slow", "talker").await;
    let mut listener = server.joined("slow", "listener").await;
    let slow = server.joined("slow", "slow").await;
    talker.recv_type("peer_joined").await;
    talker.recv_type("peer_joined").await;
    listener.recv_type("peer_joined").await;
    let text = "x".repeat(4000);
    let mut dropped = false;
    for _ in 0..3000 {
        talker.send(json!({"type": "chat", "text": text})).await;
        let mut message = listener.recv().await;
        while message["type"] == "resume_token" {
            message = listener.recv().await;
        }
        if message == json!({"type": "peer_reconnecting", "id": slow.id}) {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "the slow reader was never dropped");
    let after = metrics(server.addr, Some(KEY)).await;
    assert_eq!(sample(&after, "ruang_slow_consumer_drops_total"), 1.0);
    assert_eq!(sample(&after, "ruang_resumes_total"), 1.0, "a dropped reader that does not come back is no resume");
}

#[tokio::test]
async fn metrics_on_the_main_listener_need_the_api_key() {
    let server = server().await;
    assert_eq!(http(server.addr, Method::GET, "/metrics", None, None).await.0, 401);
    assert_eq!(http(server.addr, Method::GET, "/metrics", Some("wrong"), None).await.0, 401);
    let open = TestServer::start().await;
    assert_eq!(http(open.addr, Method::GET, "/metrics", None, None).await.0, 404, "no API key configured");
}

#[tokio::test]
async fn the_admin_listener_serves_metrics_openly_and_takes_them_off_the_main_listener() {
    let mut config = ruang_server::ServerConfig::default();
    config.turn.enabled = false;
    config.sfu_listen = Some("127.0.0.1:0".parse().expect("address"));
    config.api_key_sha256 = Some(key_sha256());
    let main = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let side = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (main_addr, admin_addr) = (main.local_addr().expect("addr"), side.local_addr().expect("addr"));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(ruang_server::serve_with_admin(main, Some(side), config, None, shutdown.clone()));
    let mut client = Client::connect(&format!("ws://{main_addr}/ws")).await;
    client.join("r", "a").await;

    let samples = metrics(admin_addr, None).await;
    assert_eq!(sample(&samples, "ruang_joins_total"), 1.0);
    let rooms = admin(admin_addr, Method::GET, "/api/admin/rooms").await;
    assert_eq!(rooms[0]["room"], "r");
    // Not on the public listener any more, not even with the key.
    let (_, body) = http(main_addr, Method::GET, "/metrics", Some(KEY), None).await;
    assert!(!body.contains("ruang_joins_total"), "{body}");
    let (status, _) = http(main_addr, Method::GET, "/api/admin/rooms", Some(KEY), None).await;
    assert_ne!(status, 200);
    // The admin API still needs the key there.
    assert_eq!(http(admin_addr, Method::GET, "/api/admin/rooms", None, None).await.0, 401);
    shutdown.cancel();
    let _ = tokio::time::timeout(WAIT, task).await;
}

#[tokio::test]
async fn the_admin_api_lists_rooms_and_participants() {
    let server = server().await;
    assert_eq!(http(server.addr, Method::GET, "/api/admin/rooms", None, None).await.0, 401);
    assert_eq!(http(server.addr, Method::GET, "/api/admin/rooms", Some("nope"), None).await.0, 401);
    let mut a = server.joined("alpha", "Ayu").await;
    let _b = server.joined("beta", "Budi").await;
    let _c = server.joined("alpha", "Citra").await;
    a.recv_type("peer_joined").await;

    let rooms = admin(server.addr, Method::GET, "/api/admin/rooms").await;
    let names: Vec<&str> = rooms.as_array().expect("array").iter().filter_map(|r| r["room"].as_str()).collect();
    assert_eq!(names, ["alpha", "beta"]);
    let alpha = admin(server.addr, Method::GET, "/api/admin/rooms/alpha").await;
    let people: Vec<&str> =
        alpha["participants"].as_array().expect("array").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(people, ["Ayu", "Citra"]);
    assert_eq!(alpha["participants"][0]["id"], a.id.as_str());
    assert_eq!(alpha["participants"][0]["role"], "host");
    assert_eq!(alpha["locked"], false);
    let (status, _) = http(server.addr, Method::GET, "/api/admin/rooms/nowhere", Some(KEY), None).await;
    assert_eq!(status, 404);
    let (status, _) = http(server.addr, Method::GET, "/api/admin/rooms/bad%20name", Some(KEY), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_admin_api_removes_bans_and_mutes_participants_through_the_room() {
    let server = server().await;
    let mut host = server.joined("r", "host").await;
    let mut b = server.joined("r", "b").await;
    host.recv_type("peer_joined").await;
    let base = "/api/admin/rooms/r/participants";

    // Mute: the participant is told by the operator (id 0).
    b.send(json!({"type": "media", "audio": true, "video": false, "screen": false})).await;
    host.recv_type("media").await;
    admin(server.addr, Method::POST, &format!("{base}/{}/mute", b.id)).await;
    assert_eq!(b.recv_type("muted").await["by"], "0000000000000000");

    // Remove: out with the operator named, the others told.
    admin(server.addr, Method::POST, &format!("{base}/{}/remove", b.id)).await;
    let removed = b.recv_type("removed").await;
    assert_eq!(removed["reason"], "removed");
    assert_eq!(removed["by"], "0000000000000000");
    assert_eq!(host.recv_type("peer_left").await["id"], b.id.as_str());

    // Ban: the banned participant's browser does not get back in.
    let mut c = Client::connect(&server.ws_url()).await;
    c.send(json!({"type": "join", "room": "r", "name": "c", "browser_key": "k".repeat(32)})).await;
    c.id = c.recv_type("welcome").await["you"].as_str().expect("you").to_owned();
    host.recv_type("peer_joined").await;
    admin(server.addr, Method::POST, &format!("{base}/{}/ban", c.id)).await;
    assert_eq!(c.recv_type("removed").await["reason"], "banned");
    let mut again = Client::connect(&server.ws_url()).await;
    again.send(json!({"type": "join", "room": "r", "name": "c", "browser_key": "k".repeat(32)})).await;
    again.expect_error("banned").await;

    // Unknown participants and actions are refused without touching the room.
    let (status, _) = http(server.addr, Method::POST, &format!("{base}/{}/remove", b.id), Some(KEY), None).await;
    assert_eq!(status, 404);
    let (status, _) = http(server.addr, Method::POST, &format!("{base}/xyz/remove"), Some(KEY), None).await;
    assert_eq!(status, 400);
    let (status, _) = http(server.addr, Method::POST, &format!("{base}/{}/promote", host.id), Some(KEY), None).await;
    assert_eq!(status, 404);
    host.assert_alive().await;
}

#[tokio::test]
async fn the_admin_api_locks_unlocks_and_ends_a_room() {
    let server = server().await;
    let mut host = server.joined("r", "host").await;
    admin(server.addr, Method::POST, "/api/admin/rooms/r/lock").await;
    assert_eq!(host.recv_type("room_state").await["locked"], true);
    let mut late = Client::connect(&server.ws_url()).await;
    late.send(json!({"type": "join", "room": "r", "name": "late"})).await;
    late.expect_error("room_locked").await;
    assert_eq!(admin(server.addr, Method::GET, "/api/admin/rooms/r").await["locked"], true);
    admin(server.addr, Method::POST, "/api/admin/rooms/r/unlock").await;
    assert_eq!(host.recv_type("room_state").await["locked"], false);
    let mut other = server.joined("r", "other").await;

    admin(server.addr, Method::POST, "/api/admin/rooms/r/end").await;
    assert_eq!(host.recv_type("removed").await["reason"], "ended");
    assert_eq!(other.recv_type("removed").await["reason"], "ended");
    server.wait_for_health(|health| health["rooms"] == 0).await;
    let (status, _) = http(server.addr, Method::POST, "/api/admin/rooms/r/end", Some(KEY), None).await;
    assert_eq!(status, 404, "no such room any more");
}

#[tokio::test]
async fn the_admin_api_mints_invitations_that_let_people_in() {
    let server = TestServer::with(|config| {
        config.api_key_sha256 = Some(key_sha256());
        let policy = ruang_server::access::RoomPolicy {
            access: ruang_server::access::AccessKind::Invite,
            password_hash: None,
            lobby: false,
            media_mode: None,
            host_password_hash: None,
            first_is_host: None,
        };
        config.rooms.insert("board".into(), policy);
    })
    .await;
    let body = json!({"room": "board", "role": "moderator", "name": "Dewi"});
    let (status, answer) = http(server.addr, Method::POST, "/api/admin/invites", Some(KEY), Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    let minted: Value = serde_json::from_str(&answer).expect("JSON");
    let mut client = Client::connect(&server.ws_url()).await;
    client.send(json!({"type": "join", "room": "board", "name": "x", "invite": minted["token"]})).await;
    let welcome = client.recv_type("welcome").await;
    assert_eq!(welcome["role"], "moderator");
    assert_eq!(welcome["name"], "Dewi");
}

#[tokio::test]
async fn draining_keeps_meetings_going_and_opens_no_new_rooms() {
    let server = server().await;
    let mut host = server.joined("kept", "host").await;
    let status = admin(server.addr, Method::POST, "/api/admin/drain").await;
    assert_eq!(status["draining"], true);
    let health = server.health().await;
    assert_eq!(health["status"], "draining");
    assert_eq!(admin(server.addr, Method::GET, "/api/admin/status").await["draining"], true);

    // The meeting under way takes newcomers; a new room is refused.
    let mut guest = server.joined("kept", "guest").await;
    host.recv_type("peer_joined").await;
    guest.send(json!({"type": "chat", "text": "still here"})).await;
    host.recv_type("chat").await;
    let mut fresh = Client::connect(&server.ws_url()).await;
    fresh.send(json!({"type": "join", "room": "fresh", "name": "x"})).await;
    fresh.expect_error("too_many_rooms").await;
    let samples = metrics(server.addr, Some(KEY)).await;
    assert_eq!(sample(&samples, "ruang_draining"), 1.0);

    admin(server.addr, Method::DELETE, "/api/admin/drain").await;
    assert_eq!(server.health().await["status"], "ok");
    server.joined("fresh", "x").await;
}

#[tokio::test]
async fn a_wrong_key_is_throttled_like_at_the_invitation_endpoint() {
    let server = server().await;
    let mut last = 0;
    for _ in 0..6 {
        last = http(server.addr, Method::GET, "/api/admin/status", Some("wrong"), None).await.0;
    }
    assert_eq!(last, 429);
}
