//! A restart with the same secret keeps who is who, over real sockets: participants come back with the
//! roles they had; banned, removed and departed ones do not come back; nobody waiting in the lobby holds a
//! token to come back with; lock and lobby survive (with a data directory); and a ban keeps the same
//! address and browser out of an open room.

mod common;

use std::path::Path;

use common::{Client, TestServer};
use ruang_server::config::Secret;
use serde_json::{Value, json};

const SECRET: &str = "a test secret that is long enough";

/// A server with the test secret, keeping meetings in `data_dir` if given.
async fn server(data_dir: Option<&Path>) -> TestServer {
    let data_dir = data_dir.map(Path::to_path_buf);
    TestServer::with(move |c| {
        c.secret = Some(Secret::new(SECRET));
        c.data_dir = data_dir;
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("address")];
    })
    .await
}

/// Stops `old` (its clients are told and close) and starts the next instance on the same data directory.
async fn restart(old: TestServer, clients: &mut [&mut Client], data_dir: Option<&Path>) -> TestServer {
    old.shutdown.cancel();
    for client in clients.iter_mut() {
        assert_eq!(client.expect_close().await, 1001);
    }
    old.task.await.expect("server task").expect("server ran");
    server(data_dir).await
}

async fn moderate(client: &mut Client, action: &str, target: Option<&str>) {
    let mut message = json!({"type": "moderate", "action": action});
    if let Some(target) = target {
        message["target"] = json!(target);
    }
    client.send(message).await;
}

/// Joins `room` from `address` with `browser_key`, returning the client and the server's answer.
async fn join_as(server: &TestServer, room: &str, address: &str, browser_key: Option<&str>) -> (Client, Value) {
    let mut client = Client::connect_as(&server.ws_url(), address).await;
    let mut join = json!({"type": "join", "room": room, "name": "someone"});
    if let Some(key) = browser_key {
        join["browser_key"] = json!(key);
    }
    client.send(join).await;
    let answer = client.recv().await;
    if answer["type"] == "welcome" {
        client.id = answer["you"].as_str().expect("you").to_owned();
        client.welcome = answer.clone();
    }
    (client, answer)
}

/// A host `a`, a participant `b` and a viewer `c` in room `m`, everyone's introductions read.
async fn meeting_with_a_viewer(server: &TestServer) -> (Client, Client, Client) {
    let mut a = server.joined("m", "Ayu").await;
    let mut b = server.joined("m", "Bima").await;
    let mut c = server.joined("m", "Citra").await;
    a.recv_type("peer_joined").await;
    a.recv_type("peer_joined").await;
    b.recv_type("peer_joined").await;
    a.send(json!({"type": "moderate", "action": "set_role", "target": c.id, "role": "viewer"})).await;
    assert_eq!(c.recv_type("role").await["role"], "viewer");
    // The viewer's token now says viewer.
    let fresh = c.recv_type("resume_token").await;
    c.welcome["resume_token"] = fresh["token"].clone();
    (a, b, c)
}

async fn everyone_comes_back_with_the_role_they_had(data_dir: Option<&Path>) {
    let first = server(data_dir).await;
    let (mut a, mut b, mut c) = meeting_with_a_viewer(&first).await;
    let second = restart(first, &mut [&mut a, &mut b, &mut c], data_dir).await;
    let url = second.ws_url();
    // The viewer resumes first, then the participant, then the host.
    let (_c2, resumed) = c.resume_on(&url, &c.token()).await;
    assert_eq!(resumed["role"], "viewer", "the viewer is not made host for resuming first: {resumed}");
    let (_b2, resumed) = b.resume_on(&url, &b.token()).await;
    assert_eq!(resumed["role"], "participant", "{resumed}");
    let (_a2, resumed) = a.resume_on(&url, &a.token()).await;
    assert_eq!(resumed["role"], "host", "the host is not demoted: {resumed}");
    let roles: Vec<&Value> = resumed["peers"].as_array().expect("peers").iter().map(|p| &p["role"]).collect();
    assert_eq!(roles, [&json!("viewer"), &json!("participant")]);
}

#[tokio::test]
async fn after_a_restart_the_viewer_stays_a_viewer_and_the_host_stays_host_from_the_tokens() {
    everyone_comes_back_with_the_role_they_had(None).await;
}

#[tokio::test]
async fn after_a_restart_the_viewer_stays_a_viewer_and_the_host_stays_host_from_the_data_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    everyone_comes_back_with_the_role_they_had(Some(dir.path())).await;
}

#[tokio::test]
async fn a_newcomer_does_not_take_the_host_role_while_the_host_is_expected_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = server(Some(dir.path())).await;
    let mut a = first.joined("m", "Ayu").await;
    let mut b = first.joined("m", "Bima").await;
    a.recv_type("peer_joined").await;
    let second = restart(first, &mut [&mut a, &mut b], Some(dir.path())).await;
    let (_b2, resumed) = b.resume_on(&second.ws_url(), &b.token()).await;
    assert_eq!(resumed["role"], "participant");
    let newcomer = second.joined("m", "Dewi").await;
    assert_eq!(newcomer.welcome["role"], "participant");
    let (_a2, resumed) = a.resume_on(&second.ws_url(), &a.token()).await;
    assert_eq!(resumed["role"], "host");
}

#[tokio::test]
async fn banned_removed_and_departed_participants_do_not_come_back_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = server(Some(dir.path())).await;
    let mut a = first.joined("m", "Ayu").await;
    let mut others = Vec::new();
    for name in ["Bima", "Citra", "Dewi", "Eka"] {
        others.push(first.joined("m", name).await);
        a.recv_type("peer_joined").await;
    }
    let mut others = others.into_iter();
    let mut next = || others.next().expect("four clients");
    let (mut banned, mut removed, mut departed, mut stays) = (next(), next(), next(), next());
    moderate(&mut a, "ban", Some(&banned.id.clone())).await;
    assert_eq!(banned.recv_type("removed").await["reason"], "banned");
    moderate(&mut a, "remove", Some(&removed.id.clone())).await;
    assert_eq!(removed.recv_type("removed").await["reason"], "removed");
    departed.send(json!({"type": "leave"})).await;
    assert_eq!(departed.expect_close().await, 1000);
    assert_eq!(a.recv_type("peer_left").await["reason"], "banned");
    assert_eq!(a.recv_type("peer_left").await["reason"], "removed");
    assert_eq!(a.recv_type("peer_left").await["reason"], "left");

    let second = restart(first, &mut [&mut a, &mut stays], Some(dir.path())).await;
    let url = second.ws_url();
    // The ones who are out resume first, before anyone else is back.
    for (who, gone) in [("banned", &banned), ("removed", &removed), ("departed", &departed)] {
        let (_, answer) = gone.resume_on(&url, &gone.token()).await;
        assert_eq!(answer["code"], "resume_refused", "the {who} participant came back: {answer}");
    }
    let (_a2, resumed) = a.resume_on(&url, &a.token()).await;
    assert_eq!(resumed["role"], "host", "{resumed}");
    let (_s2, resumed) = stays.resume_on(&url, &stays.token()).await;
    assert_eq!(resumed["type"], "resumed", "{resumed}");
    assert_eq!(resumed["peers"].as_array().map(Vec::len), Some(1), "only the host is back besides: {resumed}");
}

#[tokio::test]
async fn a_lobby_waiter_gets_no_token_nor_ice_servers_and_cannot_come_back_into_the_room() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_path_buf();
    // A short grace period, so a token would be renewed within a second.
    let start = |dir: std::path::PathBuf| {
        TestServer::with(move |c| {
            c.secret = Some(Secret::new(SECRET));
            c.data_dir = Some(dir);
            c.resume_grace_ms = 2_000;
        })
    };
    let first = start(data_dir.clone()).await;
    let mut a = first.joined("m", "Ayu").await;
    moderate(&mut a, "lobby_on", None).await;
    assert_eq!(a.recv_type("room_state").await["lobby"], true);
    let mut waiter = first.client().await;
    waiter.send(json!({"type": "join", "room": "m", "name": "Waiting"})).await;
    assert_eq!(waiter.recv().await["type"], "waiting");
    a.recv_type("lobby_joined").await;
    // Past the time a token would be renewed, the waiter has been sent nothing else.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    waiter.send(json!({"type": "ping", "req": 1})).await;
    let next = waiter.recv().await;
    assert_eq!(next["type"], "pong", "a waiter gets no token or ICE servers: {next}");

    first.shutdown.cancel();
    assert_eq!(a.expect_close().await, 1001);
    assert_eq!(waiter.expect_close().await, 1001);
    first.task.await.expect("server task").expect("server ran");
    let second = start(data_dir).await;
    let (mut a2, resumed) = a.resume_on(&second.ws_url(), &a.token()).await;
    assert_eq!((resumed["role"].as_str(), resumed["lobby"].as_bool()), (Some("host"), Some(true)), "{resumed}");
    // Someone new still waits in the lobby, and once admitted gets a working token.
    let mut next = second.client().await;
    next.send(json!({"type": "join", "room": "m", "name": "Next"})).await;
    assert_eq!(next.recv().await["type"], "waiting");
    let knock = a2.recv_type("lobby_joined").await;
    let id = knock["id"].as_str().expect("waiting id").to_owned();
    moderate(&mut a2, "admit", Some(&id)).await;
    let welcome = next.recv().await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    next.welcome = welcome;
    let (_, resumed) = next.resume_on(&second.ws_url(), &next.token()).await;
    assert_eq!(resumed["type"], "resumed", "{resumed}");
}

#[tokio::test]
async fn a_locked_room_stays_locked_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = server(Some(dir.path())).await;
    let mut a = first.joined("m", "Ayu").await;
    moderate(&mut a, "lock", None).await;
    assert_eq!(a.recv_type("room_state").await["locked"], true);
    let second = restart(first, &mut [&mut a], Some(dir.path())).await;
    let (_a2, resumed) = a.resume_on(&second.ws_url(), &a.token()).await;
    assert_eq!(resumed["locked"], true, "{resumed}");
    let mut late = second.client().await;
    late.send(json!({"type": "join", "room": "m", "name": "Late"})).await;
    late.expect_error("room_locked").await;
}

#[tokio::test]
async fn a_ban_keeps_the_same_address_and_the_same_browser_out_of_an_open_room() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = server(Some(dir.path())).await;
    let (mut a, _) = join_as(&first, "m", "198.51.100.1", None).await;
    let (mut c, _) = join_as(&first, "m", "203.0.113.7", Some("key of Citra's browser")).await;
    moderate(&mut a, "ban", Some(&c.id.clone())).await;
    assert_eq!(c.recv_type("removed").await["reason"], "banned");
    // A new participant from the same address, or with the same browser from elsewhere, is the same person.
    let (_, answer) = join_as(&first, "m", "203.0.113.7", Some("another key")).await;
    assert_eq!(answer["code"], "banned", "same address: {answer}");
    let (_, answer) = join_as(&first, "m", "192.0.2.50", Some("key of Citra's browser")).await;
    assert_eq!(answer["code"], "banned", "same browser: {answer}");
    let (_, answer) = join_as(&first, "m", "192.0.2.50", Some("another key")).await;
    assert_eq!(answer["type"], "welcome", "someone else: {answer}");
    // Still so after a restart, as long as the meeting goes on.
    let second = restart(first, &mut [&mut a], Some(dir.path())).await;
    let (_a2, resumed) = a.resume_on(&second.ws_url(), &a.token()).await;
    assert_eq!(resumed["type"], "resumed");
    let (_, answer) = join_as(&second, "m", "192.0.2.51", Some("key of Citra's browser")).await;
    assert_eq!(answer["code"], "banned", "same browser after a restart: {answer}");
}

#[tokio::test]
async fn a_meeting_started_again_in_a_room_that_ended_comes_back_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = server(Some(dir.path())).await;
    // A first meeting bans someone, so the room's record outlives it (with the ban), then ends.
    let mut early = first.joined("m", "Early").await;
    let mut banned = first.joined("m", "Banned").await;
    early.recv_type("peer_joined").await;
    moderate(&mut early, "ban", Some(&banned.id.clone())).await;
    assert_eq!(banned.recv_type("removed").await["reason"], "banned");
    early.send(json!({"type": "leave"})).await;
    assert_eq!(early.expect_close().await, 1000);
    first.wait_for_health(|h| h["rooms"] == 0).await;
    let mut a = first.joined("m", "Ayu").await;
    let second = restart(first, &mut [&mut a], Some(dir.path())).await;
    let (_a2, resumed) = a.resume_on(&second.ws_url(), &a.token()).await;
    assert_eq!((resumed["type"].as_str(), resumed["role"].as_str()), (Some("resumed"), Some("host")), "{resumed}");
    let (_, refused) = early.resume_on(&second.ws_url(), &early.token()).await;
    assert_eq!(refused["code"], "resume_refused", "{refused}");
}

#[tokio::test]
async fn a_meeting_ended_after_a_restart_takes_nobody_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = server(Some(dir.path())).await;
    let mut a = first.joined("m", "Ayu").await;
    let mut b = first.joined("m", "Bima").await;
    a.recv_type("peer_joined").await;
    let second = restart(first, &mut [&mut a, &mut b], Some(dir.path())).await;
    let (mut a2, resumed) = a.resume_on(&second.ws_url(), &a.token()).await;
    assert_eq!(resumed["role"], "host");
    moderate(&mut a2, "end", None).await;
    assert_eq!(a2.recv_type("removed").await["reason"], "ended");
    let (_, answer) = b.resume_on(&second.ws_url(), &b.token()).await;
    assert_eq!(answer["code"], "resume_refused", "{answer}");
}

#[tokio::test]
async fn a_banned_invitation_stays_banned_after_a_restart() {
    use ruang_proto::{Role, RoomName};
    use ruang_server::access::{AccessKind, InviteClaims, InviteKey, RoomPolicy};
    let dir = tempfile::tempdir().expect("temp dir");
    let start = |dir: std::path::PathBuf| {
        TestServer::with(move |c| {
            c.secret = Some(Secret::new(SECRET));
            c.data_dir = Some(dir);
            c.rooms.insert("board".into(), RoomPolicy { access: AccessKind::Invite, ..RoomPolicy::default() });
        })
    };
    let invite = |role, jti: &str| {
        let room = RoomName::parse("board").expect("room");
        let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs() + 600;
        InviteKey::new(SECRET.as_bytes()).mint(&InviteClaims { room, role, name: None, exp, jti: jti.into() })
    };
    let first = start(dir.path().to_path_buf()).await;
    let mut host = first.client().await;
    host.send(json!({"type": "join", "room": "board", "name": "h", "invite": invite(Role::Host, "host")})).await;
    host.welcome = host.recv_type("welcome").await;
    let guest_invite = invite(Role::Participant, "guest");
    let mut guest = first.client().await;
    guest.send(json!({"type": "join", "room": "board", "name": "g", "invite": guest_invite})).await;
    let id = guest.recv_type("welcome").await["you"].as_str().expect("you").to_owned();
    moderate(&mut host, "ban", Some(&id)).await;
    assert_eq!(guest.recv_type("removed").await["reason"], "banned");

    first.shutdown.cancel();
    assert_eq!(host.expect_close().await, 1001);
    first.task.await.expect("server task").expect("server ran");
    let second = start(dir.path().to_path_buf()).await;
    let (_host2, resumed) = host.resume_on(&second.ws_url(), &host.token()).await;
    assert_eq!(resumed["role"], "host", "{resumed}");
    let mut again = second.client().await;
    again.send(json!({"type": "join", "room": "board", "name": "g", "invite": guest_invite})).await;
    again.expect_error("banned").await;
}
