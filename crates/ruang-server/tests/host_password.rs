//! Who is host in a configured room: the participant password makes nobody host (unless `first_is_host`),
//! the host password does, and a wrong host password is refused like a wrong password and counted against
//! the same attempt limits.

mod common;

use common::TestServer;
use ruang_server::access::{AccessKind, RoomPolicy, password};
use serde_json::{Value, json};

async fn server() -> TestServer {
    let participant = password::hash("open sesame").expect("hash");
    let host = password::hash("chair only").expect("hash");
    TestServer::with(|c| {
        let room = |first_is_host| RoomPolicy {
            access: AccessKind::Password,
            password_hash: Some(participant.clone()),
            host_password_hash: Some(host.clone()),
            first_is_host,
            ..RoomPolicy::default()
        };
        c.rooms.insert("vault".into(), room(None));
        c.rooms.insert("club".into(), room(Some(true)));
        c.rooms.insert(
            "plain".into(),
            RoomPolicy {
                access: AccessKind::Password,
                password_hash: Some(participant.clone()),
                ..RoomPolicy::default()
            },
        );
    })
    .await
}

async fn try_join(server: &TestServer, room: &str, extra: Value) -> (common::Client, Value) {
    let mut client = server.client().await;
    let mut join = json!({"type": "join", "room": room, "name": "someone"});
    join.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    client.send(join).await;
    let answer = client.recv().await;
    (client, answer)
}

#[tokio::test]
async fn the_participant_password_makes_nobody_host_and_the_host_password_does() {
    let server = server().await;
    let (_first, first) = try_join(&server, "vault", json!({"password": "open sesame"})).await;
    assert_eq!((first["type"].as_str(), first["role"].as_str()), (Some("welcome"), Some("participant")), "{first}");
    let (_host, host) = try_join(&server, "vault", json!({"host_password": "chair only"})).await;
    assert_eq!((host["type"].as_str(), host["role"].as_str()), (Some("welcome"), Some("host")), "{host}");
    // With first_is_host = true the first one through the participant password is host, as before.
    let (_club, club) = try_join(&server, "club", json!({"password": "open sesame"})).await;
    assert_eq!(club["role"], "host", "{club}");
    // A room without a host password says so.
    let (_plain, plain) = try_join(&server, "plain", json!({"host_password": "chair only"})).await;
    assert_eq!(plain["code"], "invalid_message", "{plain}");
}

#[tokio::test]
async fn a_wrong_host_password_is_refused_and_counted_with_the_password_attempts() {
    let server = server().await;
    for _ in 0..3 {
        let (_c, refused) = try_join(&server, "vault", json!({"host_password": "guess"})).await;
        assert_eq!(refused["code"], "wrong_password", "{refused}");
    }
    for _ in 0..2 {
        let (_c, refused) = try_join(&server, "vault", json!({"password": "guess"})).await;
        assert_eq!(refused["code"], "wrong_password", "{refused}");
    }
    // Five wrong attempts of either kind from this address: even the right host password waits now.
    let (_c, throttled) = try_join(&server, "vault", json!({"host_password": "chair only"})).await;
    assert_eq!(throttled["code"], "too_many_attempts", "{throttled}");
}

/// The status and body of `GET path`.
async fn get(server: &TestServer, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", server.addr);
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

#[tokio::test]
async fn the_entry_endpoint_says_what_a_room_takes_and_nothing_more() {
    let server = server().await;
    let json_of = |(status, body): (u16, String)| {
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).expect("json")
    };
    assert_eq!(
        json_of(get(&server, "/api/rooms/vault/entry").await),
        json!({"access": "password", "host_password": true})
    );
    assert_eq!(
        json_of(get(&server, "/api/rooms/plain/entry").await),
        json!({"access": "password", "host_password": false})
    );
    assert_eq!(
        json_of(get(&server, "/api/rooms/elsewhere/entry").await),
        json!({"access": "open", "host_password": false})
    );
    assert_eq!(get(&server, "/api/rooms/bad%20name/entry").await.0, 404);
}
