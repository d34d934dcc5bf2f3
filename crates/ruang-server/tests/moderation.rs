//! Roles and host controls over real sockets: who may do what, enforced by the server, and what everyone
//! sees when it happens.

mod common;

use common::{Client, TestServer, offer};
use serde_json::{Value, json};

async fn moderate(client: &mut Client, action: &str, target: Option<&str>) {
    let mut message = json!({"type": "moderate", "action": action, "req": 5});
    if let Some(target) = target {
        message["target"] = json!(target);
    }
    client.send(message).await;
}

async fn set_role(client: &mut Client, target: &str, role: &str) {
    client.send(json!({"type": "moderate", "action": "set_role", "target": target, "role": role})).await;
}

/// A room with a host `a` and participants `b` and `c`, everyone's introductions read.
async fn meeting(server: &TestServer) -> (Client, Client, Client) {
    let mut a = server.joined("m", "a").await;
    let mut b = server.joined("m", "b").await;
    let c = server.joined("m", "c").await;
    a.recv_type("peer_joined").await;
    a.recv_type("peer_joined").await;
    b.recv_type("peer_joined").await;
    (a, b, c)
}

#[tokio::test]
async fn the_creator_is_host_and_everyone_sees_roles() {
    let server = TestServer::start().await;
    let (a, b, c) = meeting(&server).await;
    assert_eq!((a.welcome["role"].as_str(), a.welcome["locked"].as_bool()), (Some("host"), Some(false)));
    assert_eq!(b.welcome["role"], "participant");
    let roles: Vec<&Value> = c.welcome["peers"].as_array().unwrap().iter().map(|p| &p["role"]).collect();
    assert_eq!(roles, [&json!("host"), &json!("participant")]);
}

#[tokio::test]
async fn a_participant_may_use_no_host_control() {
    let server = TestServer::start().await;
    let (mut a, mut b, c) = meeting(&server).await;
    for (action, target) in [
        ("remove", Some(&c.id)),
        ("ban", Some(&c.id)),
        ("mute", Some(&a.id)),
        ("mute_all", None),
        ("lock", None),
        ("unlock", None),
        ("end", None),
    ] {
        moderate(&mut b, action, target.map(String::as_str)).await;
        let error = b.expect_error("forbidden").await;
        assert_eq!(error["req"], 5, "{action}");
    }
    let own = b.id.clone();
    set_role(&mut b, &own, "host").await;
    b.expect_error("forbidden").await;
    // Nothing happened to anyone.
    a.assert_alive().await;
    assert!(a.welcome["role"] == "host");
}

#[tokio::test]
async fn a_removed_participant_is_told_why_and_its_token_no_longer_works() {
    let server = TestServer::start().await;
    let (mut a, mut b, mut c) = meeting(&server).await;
    let token = c.token();
    moderate(&mut a, "remove", Some(&c.id.clone())).await;
    assert_eq!(c.recv().await, json!({"type": "removed", "reason": "removed", "by": a.id}));
    assert_eq!(c.expect_close().await, 4005);
    assert_eq!(b.recv_type("peer_left").await, json!({"type": "peer_left", "id": c.id, "reason": "removed"}));
    assert_eq!(a.recv_type("peer_left").await["reason"], "removed");
    let (_, answer) = c.resume_on(&server.ws_url(), &token).await;
    assert_eq!(answer["code"], "resume_refused", "{answer}");
}

#[tokio::test]
async fn a_banned_participant_cannot_come_back_as_itself() {
    let server = TestServer::start().await;
    let (mut a, mut b, mut c) = meeting(&server).await;
    let token = c.token();
    moderate(&mut a, "ban", Some(&c.id.clone())).await;
    assert_eq!(c.recv().await["reason"], "banned");
    assert_eq!(c.expect_close().await, 4005);
    assert_eq!(b.recv_type("peer_left").await["reason"], "banned");
    let (_, answer) = c.resume_on(&server.ws_url(), &token).await;
    assert_eq!(answer["code"], "resume_refused");
}

#[tokio::test]
async fn muting_is_asked_by_hosts_and_undone_only_by_the_muted() {
    let server = TestServer::start().await;
    let mut a = server.joined("m", "a").await;
    let mut b = server.client().await;
    b.send(json!({"type": "join", "room": "m", "name": "b", "media": {"audio": true, "video": true, "screen": false}}))
        .await;
    let welcome = b.recv_type("welcome").await;
    b.id = welcome["you"].as_str().unwrap().to_owned();
    a.recv_type("peer_joined").await;
    moderate(&mut a, "mute", Some(&b.id.clone())).await;
    assert_eq!(b.recv().await, json!({"type": "muted", "by": a.id}));
    let media = a.recv_type("media").await;
    assert_eq!((media["audio"].as_bool(), media["video"].as_bool()), (Some(false), Some(true)));
    // The host has no way to unmute b; b unmutes itself.
    b.send(json!({"type": "media", "audio": true, "video": true, "screen": false})).await;
    assert_eq!(a.recv_type("media").await["audio"], true);
    moderate(&mut a, "mute_all", None).await;
    assert_eq!(b.recv().await["type"], "muted");
}

#[tokio::test]
async fn a_locked_room_refuses_newcomers_but_takes_its_own_back() {
    let server = TestServer::start().await;
    let (mut a, mut b, c) = meeting(&server).await;
    moderate(&mut a, "lock", None).await;
    assert_eq!(a.recv().await, json!({"type": "room_state", "locked": true, "lobby": false}));
    assert_eq!(b.recv_type("room_state").await["locked"], true);
    let mut late = server.client().await;
    late.send(json!({"type": "join", "room": "m", "name": "late"})).await;
    late.expect_error("room_locked").await;
    // A participant whose connection drops is not a newcomer.
    let (mut c2, resumed) = c.resume_on(&server.ws_url(), &c.token()).await;
    assert_eq!(resumed["type"], "resumed");
    assert_eq!(resumed["locked"], true);
    assert_eq!(c2.recv_type("room_state").await["locked"], true, "c never read the lock: it is replayed");
    moderate(&mut a, "unlock", None).await;
    assert_eq!(c2.recv_type("room_state").await["locked"], false);
    late.join("m", "late").await;
}

#[tokio::test]
async fn ending_the_meeting_removes_everyone() {
    let server = TestServer::start().await;
    let (mut a, mut b, mut c) = meeting(&server).await;
    let token = b.token();
    moderate(&mut a, "end", None).await;
    for client in [&mut a, &mut b, &mut c] {
        let removed = client.recv_type("removed").await;
        assert_eq!(removed["reason"], "ended");
        assert_eq!(client.expect_close().await, 4005);
    }
    server.wait_for_health(|h| h["rooms"] == 0 && h["connections"] == 0).await;
    let (_, answer) = b.resume_on(&server.ws_url(), &token).await;
    assert_eq!(answer["code"], "resume_refused");
}

#[tokio::test]
async fn moderators_keep_order_but_only_hosts_give_roles_and_end() {
    let server = TestServer::start().await;
    let (mut a, mut b, mut c) = meeting(&server).await;
    set_role(&mut a, &b.id.clone(), "moderator").await;
    assert_eq!(c.recv_type("role").await, json!({"type": "role", "id": b.id, "role": "moderator"}));
    b.recv_type("role").await;
    moderate(&mut b, "remove", Some(&a.id.clone())).await;
    b.expect_error("forbidden").await;
    moderate(&mut b, "end", None).await;
    b.expect_error("forbidden").await;
    set_role(&mut b, &c.id.clone(), "moderator").await;
    b.expect_error("forbidden").await;
    moderate(&mut b, "mute", Some(&c.id.clone())).await;
    moderate(&mut b, "remove", Some(&c.id.clone())).await;
    assert_eq!(c.recv_type("removed").await["by"], b.id.as_str());
}

#[tokio::test]
async fn the_host_role_is_handed_over_by_hand_and_when_the_last_host_leaves() {
    let server = TestServer::start().await;
    let (mut a, mut b, mut c) = meeting(&server).await;
    // The only host cannot step down before someone else is host.
    let own = a.id.clone();
    set_role(&mut a, &own, "participant").await;
    a.expect_error("forbidden").await;
    set_role(&mut a, &b.id.clone(), "host").await;
    assert_eq!(c.recv_type("role").await, json!({"type": "role", "id": b.id, "role": "host"}));
    set_role(&mut a, &own, "participant").await;
    assert_eq!(c.recv_type("role").await, json!({"type": "role", "id": a.id, "role": "participant"}));
    // b, now the only host, leaves: the earliest remaining participant (a) becomes host.
    b.send(json!({"type": "leave"})).await;
    assert_eq!(c.recv_type("peer_left").await["id"], b.id.as_str());
    assert_eq!(c.recv().await, json!({"type": "role", "id": a.id, "role": "host"}));
}

#[tokio::test]
async fn a_viewer_cannot_publish() {
    let server = TestServer::start().await;
    let (mut a, mut b, _c) = meeting(&server).await;
    set_role(&mut a, &b.id.clone(), "viewer").await;
    assert_eq!(b.recv_type("role").await["role"], "viewer");
    b.send(json!({"type": "media", "audio": true, "video": false, "screen": false, "req": 1})).await;
    b.expect_error("forbidden").await;
    let sending =
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
    b.signal(&a.id, offer(sending)).await;
    b.expect_error("forbidden").await;
    let receiving =
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n";
    b.signal(&a.id, offer(receiving)).await;
    assert_eq!(a.recv_type("signal").await["from"], b.id.as_str());
}

#[tokio::test]
async fn a_raised_hand_is_shown_to_everyone() {
    let server = TestServer::start().await;
    let (mut a, mut b, mut c) = meeting(&server).await;
    c.send(json!({"type": "hand", "raised": true})).await;
    let expected = json!({"type": "hand", "id": c.id, "raised": true});
    for client in [&mut a, &mut b, &mut c] {
        assert_eq!(client.recv_type("hand").await, expected);
    }
    let mut late = server.joined("m", "late").await;
    let listed = late.welcome["peers"].as_array().unwrap().iter().find(|p| p["id"] == c.id.as_str()).cloned();
    assert_eq!(listed.unwrap()["hand"], true);
    late.assert_alive().await;
}

#[tokio::test]
async fn the_lobby_holds_newcomers_until_a_host_admits_or_denies_them() {
    let server = TestServer::start().await;
    let (mut a, mut b, _c) = meeting(&server).await;
    moderate(&mut a, "lobby_on", None).await;
    assert_eq!(a.recv().await, json!({"type": "room_state", "locked": false, "lobby": true}));
    b.recv_type("room_state").await;

    let mut knocking = server.client().await;
    knocking.send(json!({"type": "join", "room": "m", "name": "knocking"})).await;
    assert_eq!(knocking.recv().await, json!({"type": "waiting", "room": "m"}));
    let lobby = a.recv().await;
    assert_eq!(lobby["type"], "lobby_joined");
    let waiting_id = lobby["id"].as_str().unwrap().to_owned();
    assert_eq!(lobby["name"], "knocking");
    // Not in yet: it cannot signal anyone, and only hosts and moderators may decide.
    knocking.signal(&a.id, offer("let me in")).await;
    knocking.expect_error("not_joined").await;
    moderate(&mut b, "admit", Some(&waiting_id)).await;
    b.expect_error("forbidden").await;

    moderate(&mut a, "admit", Some(&waiting_id)).await;
    let welcome = knocking.recv().await;
    assert_eq!((welcome["type"].as_str(), welcome["you"].as_str()), (Some("welcome"), Some(waiting_id.as_str())));
    assert_eq!(welcome["lobby"], true);
    assert_eq!(b.recv_type("peer_joined").await["peer"]["id"], waiting_id.as_str());
    assert_eq!(a.recv_type("lobby_left").await["id"], waiting_id.as_str());

    let mut denied = server.client().await;
    denied.send(json!({"type": "join", "room": "m", "name": "denied"})).await;
    denied.recv_type("waiting").await;
    let denied_id = a.recv_type("lobby_joined").await["id"].as_str().unwrap().to_owned();
    moderate(&mut a, "deny", Some(&denied_id)).await;
    assert_eq!(denied.recv().await, json!({"type": "removed", "reason": "denied", "by": a.id}));
    assert_eq!(denied.expect_close().await, 4005);
    assert_eq!(a.recv_type("lobby_left").await["id"], denied_id.as_str());

    // Someone who gives up while waiting leaves the list.
    let mut impatient = server.client().await;
    impatient.send(json!({"type": "join", "room": "m", "name": "impatient"})).await;
    impatient.recv_type("waiting").await;
    let impatient_id = a.recv_type("lobby_joined").await["id"].clone();
    impatient.drop_connection().await;
    assert_eq!(a.recv_type("lobby_left").await["id"], impatient_id);
}

#[tokio::test]
async fn turning_the_lobby_off_lets_everyone_waiting_in() {
    let server = TestServer::start().await;
    let mut a = server.joined("m", "a").await;
    moderate(&mut a, "lobby_on", None).await;
    a.recv_type("room_state").await;
    let mut first = server.client().await;
    first.send(json!({"type": "join", "room": "m", "name": "first"})).await;
    first.recv_type("waiting").await;
    moderate(&mut a, "lobby_off", None).await;
    assert_eq!(first.recv().await["type"], "welcome");
    assert_eq!(a.recv_type("peer_joined").await["peer"]["name"], "first");
}

#[tokio::test]
async fn a_host_spotlights_someone_for_everyone_and_a_participant_may_not() {
    let server = TestServer::start().await;
    let (mut a, mut b, mut c) = meeting(&server).await;
    let target = c.id.clone();
    // A plain participant is refused, and nobody hears of it.
    moderate(&mut b, "spotlight", Some(&target)).await;
    assert_eq!(b.expect_error("forbidden").await["req"], 5);
    moderate(&mut b, "spotlight_off", None).await;
    b.expect_error("forbidden").await;
    // Someone not in the room cannot be spotlighted; a target is needed.
    moderate(&mut a, "spotlight", Some("00000000000000aa")).await;
    a.expect_error("unknown_peer").await;
    moderate(&mut a, "spotlight", None).await;
    a.expect_error("invalid_message").await;

    moderate(&mut a, "spotlight", Some(&target)).await;
    let state = json!({"type": "room_state", "locked": false, "lobby": false, "spotlight": target});
    for client in [&mut a, &mut b, &mut c] {
        let mut got = client.recv_type("room_state").await;
        got.as_object_mut().unwrap().remove("n");
        assert_eq!(got, state);
    }
    // A latecomer learns it in its welcome.
    let d = server.joined("m", "d").await;
    assert_eq!(d.welcome["spotlight"], json!(target));

    moderate(&mut a, "spotlight_off", None).await;
    let got = b.recv_type("room_state").await;
    assert!(got.get("spotlight").is_none(), "{got}");
    let e = server.joined("m", "e").await;
    assert!(e.welcome.get("spotlight").is_none());
}
