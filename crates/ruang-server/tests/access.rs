//! Who may enter: password rooms (argon2id, throttled), invite-only rooms (signed JWTs), invitations that
//! give roles, bans that cover the invitation, and the authenticated endpoint that mints invitations.

mod common;

use common::TestServer;
use ruang_server::access::{AccessKind, InviteClaims, InviteKey, RoomPolicy, password};
use ruang_server::config::Secret;
use ruang_server::proto::{Role, RoomName};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "the secret of this test server";
const API_KEY: &str = "an api key for the backend";

async fn server() -> TestServer {
    let hash = password::hash("open sesame").expect("hash");
    TestServer::with(|c| {
        c.secret = Some(Secret::new(SECRET));
        let locked = |access, password_hash: Option<&str>| RoomPolicy {
            access,
            password_hash: password_hash.map(str::to_owned),
            lobby: false,
            media_mode: None,
            host_password_hash: None,
            first_is_host: None,
        };
        c.rooms.insert("vault".into(), locked(AccessKind::Password, Some(&hash)));
        c.rooms.insert("board".into(), locked(AccessKind::Invite, None));
        c.api_key_sha256 = Some(Sha256::digest(API_KEY).iter().map(|b| format!("{b:02x}")).collect());
    })
    .await
}

fn invite(room: &str, role: Role, exp: u64) -> String {
    let room = RoomName::parse(room).unwrap();
    InviteKey::new(SECRET.as_bytes()).mint(&InviteClaims {
        room,
        role,
        name: Some("Invited".into()),
        exp,
        jti: "j1".into(),
    })
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn try_join(server: &TestServer, room: &str, extra: Value) -> Value {
    let mut client = server.client().await;
    let mut join = json!({"type": "join", "room": room, "name": "someone"});
    join.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    client.send(join).await;
    client.recv().await
}

#[tokio::test]
async fn a_password_room_wants_the_password_and_throttles_guessing() {
    let server = server().await;
    assert_eq!(try_join(&server, "vault", json!({})).await["code"], "password_required");
    assert_eq!(try_join(&server, "vault", json!({"password": "open sesame"})).await["type"], "welcome");
    for _ in 0..5 {
        assert_eq!(try_join(&server, "vault", json!({"password": "guess"})).await["code"], "wrong_password");
    }
    // This address has used its attempts: even the right password is not checked for a while.
    let throttled = try_join(&server, "vault", json!({"password": "open sesame"})).await;
    assert_eq!(throttled["code"], "too_many_attempts", "{throttled}");
    // Open rooms are not affected.
    assert_eq!(try_join(&server, "lobby-free", json!({})).await["type"], "welcome");
}

#[tokio::test]
async fn an_invite_only_room_takes_valid_invitations_only() {
    let server = server().await;
    assert_eq!(try_join(&server, "board", json!({})).await["code"], "invite_required");
    assert_eq!(try_join(&server, "board", json!({"password": "open sesame"})).await["code"], "invite_required");
    let valid = invite("board", Role::Host, now() + 600);
    let (body, signature) = valid.rsplit_once('.').unwrap();
    let tampered = format!("{body}.{}", signature.chars().rev().collect::<String>());
    let foreign = InviteKey::new(b"somebody else's secret").mint(&InviteClaims {
        room: RoomName::parse("board").unwrap(),
        role: Role::Host,
        name: None,
        exp: now() + 600,
        jti: String::new(),
    });
    for bad in [tampered, foreign, invite("board", Role::Host, now() - 1), invite("vault", Role::Host, now() + 600)] {
        let answer = try_join(&server, "board", json!({"invite": bad})).await;
        assert_eq!(answer["code"], "invalid_invite", "{answer}");
    }
    let welcome = try_join(&server, "board", json!({"invite": valid})).await;
    assert_eq!((welcome["type"].as_str(), welcome["role"].as_str()), (Some("welcome"), Some("host")));
    assert_eq!(welcome["name"], "Invited", "the invitation's name replaces the one in join");
    assert_eq!(welcome["you"].as_str().map(str::len), Some(16));
    let mut listener = server.client().await;
    listener
        .send(
            json!({"type": "join", "room": "board", "name": "x", "invite": invite("board", Role::Viewer, now() + 60)}),
        )
        .await;
    let seen = listener.recv().await;
    assert_eq!(seen["role"], "viewer");
    assert_eq!(seen["peers"][0]["name"], "Invited", "the name comes from the invitation");
}

#[tokio::test]
async fn a_banned_invitation_no_longer_opens_the_room() {
    let server = server().await;
    let mut host = server.client().await;
    host.send(
        json!({"type": "join", "room": "board", "name": "h", "invite": invite("board", Role::Host, now() + 600)}),
    )
    .await;
    host.recv_type("welcome").await;
    let guest_invite = {
        let room = RoomName::parse("board").unwrap();
        let claims = InviteClaims { room, role: Role::Participant, name: None, exp: now() + 600, jti: "guest".into() };
        InviteKey::new(SECRET.as_bytes()).mint(&claims)
    };
    let mut guest = server.client().await;
    guest.send(json!({"type": "join", "room": "board", "name": "g", "invite": guest_invite})).await;
    let id = guest.recv_type("welcome").await["you"].as_str().unwrap().to_owned();
    host.send(json!({"type": "moderate", "action": "ban", "target": id})).await;
    assert_eq!(guest.recv_type("removed").await["reason"], "banned");
    let again = try_join(&server, "board", json!({"invite": guest_invite})).await;
    assert_eq!(again["code"], "banned", "{again}");
}

#[tokio::test]
async fn a_host_invitation_gets_into_a_locked_room() {
    let server = server().await;
    let mut first = server.joined("open-room", "first").await;
    first.send(json!({"type": "moderate", "action": "lock"})).await;
    first.recv_type("room_state").await;
    assert_eq!(try_join(&server, "open-room", json!({})).await["code"], "room_locked");
    let answer = try_join(&server, "open-room", json!({"invite": invite("open-room", Role::Host, now() + 60)})).await;
    assert_eq!(answer["type"], "welcome");
}

#[tokio::test]
async fn the_backend_mints_invitations_with_its_api_key() {
    let server = server().await;
    let body = r#"{"room":"board","role":"moderator","name":"From the backend","ttl_secs":120}"#;
    let (status, _) = post(&server, "/api/invites", None, body).await;
    assert_eq!(status, 401);
    let (status, _) = post(&server, "/api/invites", Some("wrong key"), body).await;
    assert_eq!(status, 401);
    let (status, _) = post(&server, "/api/invites", Some(API_KEY), r#"{"room":"no spaces allowed"}"#).await;
    assert_eq!(status, 400);
    let (status, minted) = post(&server, "/api/invites", Some(API_KEY), body).await;
    assert_eq!(status, 200, "{minted}");
    let minted: Value = serde_json::from_str(&minted).unwrap();
    let token = minted["token"].as_str().unwrap();
    assert_eq!(minted["path"], format!("/r/board#invite={token}"));
    let welcome = try_join(&server, "board", json!({"invite": token})).await;
    assert_eq!((welcome["role"].as_str(), welcome["peers"].as_array().map(Vec::len)), (Some("moderator"), Some(0)));

    let plain = TestServer::start().await;
    assert_eq!(post(&plain, "/api/invites", Some(API_KEY), body).await.0, 404, "no key configured, no endpoint");
}

async fn post(server: &TestServer, path: &str, key: Option<&str>, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let auth = key.map(|k| format!("Authorization: Bearer {k}\r\n")).unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        server.addr,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}
