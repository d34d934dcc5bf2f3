//! Resume over real sockets: a participant whose connection is lost comes back with its token, inside the
//! grace period, with the same id and every message it missed in order; outside it, or with a forged or used
//! token, it is refused. A server restarted with the same secret restores participants from their tokens.

mod common;

use common::{TestServer, offer};
use ruang_server::config::Secret;
use serde_json::json;

const SECRET: &str = "a test secret that is long enough";

fn with_secret(c: &mut ruang_server::ServerConfig) {
    c.secret = Some(Secret::new(SECRET));
}

#[tokio::test]
async fn a_participant_resumes_inside_the_grace_period_and_gets_what_it_missed_in_order() {
    let server = TestServer::start().await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    a.recv_type("peer_joined").await;
    // b reads the first three signals, then its connection drops; a keeps sending throughout.
    for i in 0..3 {
        a.signal(&b.id, offer(&format!("sdp {i}"))).await;
    }
    for i in 0..3 {
        assert_eq!(b.recv_type("signal").await["data"]["sdp"], format!("sdp {i}"));
    }
    let token = b.token();
    let last_seen = b.last_n;
    let b_id = b.id.clone();
    let url = server.ws_url();
    // A stand-in that carries b's receive state across the dropped socket.
    let mut state = common::Client::connect(&url).await;
    state.last_n = last_seen;
    b.drop_connection().await;
    assert_eq!(a.recv().await, json!({"type": "peer_reconnecting", "id": b_id}));
    for i in 3..6 {
        a.signal(&b_id, offer(&format!("sdp {i}"))).await;
    }
    a.send(json!({"type": "chat", "text": "while you were away"})).await;
    a.recv_type("chat").await;

    let (mut b, resumed) = state.resume_on(&url, &token).await;
    assert_eq!(resumed["type"], "resumed", "{resumed}");
    assert_eq!(resumed["you"], b_id.as_str(), "same participant");
    assert_eq!(resumed["replay"], "replayed");
    assert_eq!(resumed["req"], 9);
    assert_ne!(resumed["resume_token"], token.as_str(), "a fresh token");
    // Exactly the missed messages, numbered on from where b was, in order.
    for i in 3..6 {
        let signal = b.recv_numbered().await;
        assert_eq!(signal["n"], last_seen + i - 2, "{signal}");
        assert_eq!(signal["data"]["sdp"], format!("sdp {i}"));
        assert_eq!(signal["from"], a.id.as_str());
    }
    let chat = b.recv_numbered().await;
    assert_eq!((chat["type"].as_str(), chat["n"].as_u64()), (Some("chat"), Some(last_seen + 4)));
    assert_eq!(a.recv().await, json!({"type": "peer_reconnected", "id": b_id}));
    // And the room goes on: live messages follow the replay.
    a.signal(&b_id, offer("after")).await;
    let live = b.recv_numbered().await;
    assert_eq!((live["data"]["sdp"].as_str(), live["n"].as_u64()), (Some("after"), Some(last_seen + 5)));
    b.signal(&a.id, offer("from b")).await;
    assert_eq!(a.recv_type("signal").await["from"], b_id.as_str());
}

#[tokio::test]
async fn a_resume_with_nothing_kept_is_a_reset_with_the_room_as_it_is() {
    let server = TestServer::with(|c| c.replay_messages = 2).await;
    let mut a = server.joined("r", "a").await;
    let b = server.joined("r", "b").await;
    a.recv_type("peer_joined").await;
    let token = b.token();
    let (b_id, url) = (b.id.clone(), server.ws_url());
    let mut state = common::Client::connect(&url).await;
    state.last_n = b.last_n;
    b.drop_connection().await;
    a.recv_type("peer_reconnecting").await;
    for i in 0..5 {
        a.signal(&b_id, offer(&format!("lost {i}"))).await;
    }
    a.assert_alive().await;
    let (_b, resumed) = state.resume_on(&url, &token).await;
    assert_eq!(resumed["replay"], "reset", "five missed, two kept: {resumed}");
    assert_eq!(resumed["peers"][0]["id"], a.id.as_str());
}

#[tokio::test]
async fn acknowledged_messages_are_not_kept_and_resume_goes_on_from_the_acknowledgement() {
    let server = TestServer::start().await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    a.recv_type("peer_joined").await;
    for i in 0..3 {
        a.signal(&b.id, offer(&format!("seen {i}"))).await;
        b.recv_type("signal").await;
    }
    let acked = b.last_n;
    b.send(json!({"type": "ping", "req": 1, "ack": acked})).await;
    assert_eq!(b.recv_type("pong").await["req"], 1);
    // A signal from b goes through the room's mailbox after the acknowledgement: once a has it, the room has
    // forgotten what b acknowledged.
    b.signal(&a.id, offer("from b")).await;
    a.recv_type("signal").await;
    a.signal(&b.id, offer("missed")).await;
    a.assert_alive().await;
    let (token, url) = (b.token(), server.ws_url());
    let mut state = common::Client::connect(&url).await;
    state.last_n = acked;
    b.drop_connection().await;
    a.recv_type("peer_reconnecting").await;

    let (mut b, resumed) = state.resume_on(&url, &token).await;
    assert_eq!(resumed["replay"], "replayed", "{resumed}");
    let missed = b.recv_numbered().await;
    assert_eq!((missed["data"]["sdp"].as_str(), missed["n"].as_u64()), (Some("missed"), Some(acked + 1)));

    // Claiming less than was acknowledged cannot be replayed: the room is sent as it is instead.
    b.send(json!({"type": "ping", "ack": acked + 1})).await;
    b.recv_type("pong").await;
    b.signal(&a.id, offer("from b again")).await;
    a.recv_type("signal").await;
    let token = b.token();
    let mut state = common::Client::connect(&url).await;
    state.last_n = acked;
    b.drop_connection().await;
    let (_b, resumed) = state.resume_on(&url, &token).await;
    assert_eq!(resumed["replay"], "reset", "{resumed}");
}

#[tokio::test]
async fn after_the_grace_period_the_participant_has_left_and_its_token_is_refused() {
    let server = TestServer::with(|c| c.resume_grace_ms = 200).await;
    let mut a = server.joined("r", "a").await;
    let b = server.joined("r", "b").await;
    let (token, b_id) = (b.token(), b.id.clone());
    b.drop_connection().await;
    assert_eq!(a.recv_type("peer_reconnecting").await["id"], b_id.as_str());
    assert_eq!(a.recv().await, json!({"type": "peer_left", "id": b_id, "reason": "disconnected"}));
    let (mut late, answer) = a.resume_on(&server.ws_url(), &token).await;
    assert_eq!(answer["code"], "resume_refused", "{answer}");
    assert_eq!(answer["req"], 9);
    // The same connection may join afresh, as somebody new.
    let welcome = late.join("r", "b again").await;
    assert_ne!(welcome["you"], b_id.as_str());
}

#[tokio::test]
async fn leaving_for_good_ends_the_token() {
    let server = TestServer::start().await;
    let mut b = server.joined("r", "b").await;
    let token = b.token();
    b.send(json!({"type": "leave"})).await;
    assert_eq!(b.expect_close().await, 1000);
    let (_, answer) = b.resume_on(&server.ws_url(), &token).await;
    assert_eq!(answer["code"], "resume_refused");
    server.wait_for_health(|h| h["rooms"] == 0).await;
}

#[tokio::test]
async fn forged_and_foreign_tokens_are_refused() {
    let server = TestServer::with(with_secret).await;
    let b = server.joined("r", "b").await;
    let token = b.token();
    let url = server.ws_url();
    let (body, signature) = token.split_once('.').expect("body.signature");
    let mut forged_signature = signature.to_owned();
    let last = if forged_signature.ends_with('A') { "B" } else { "A" };
    forged_signature.replace_range(forged_signature.len() - 1.., last);
    let other = TestServer::with(|c| c.secret = Some(Secret::new("another secret, just as long"))).await;
    let foreign = other.joined("r", "b").await.token();
    let (foreign_body, _) = foreign.split_once('.').expect("body.signature");
    for bad in [
        format!("{body}.{forged_signature}"),
        format!("{foreign_body}.{signature}"),
        foreign.clone(),
        "not a token".to_owned(),
        String::new(),
    ] {
        let (_, answer) = b.resume_on(&url, &bad).await;
        assert_eq!(answer["code"], "resume_refused", "{bad}: {answer}");
    }
    let (_, answer) = b.resume_on(&url, &"x".repeat(2000)).await;
    assert_eq!(answer["code"], "field_too_large");
    // None of that disturbed the real participant: its token still works.
    let (_, answer) = b.resume_on(&url, &token).await;
    assert_eq!(answer["type"], "resumed");
}

#[tokio::test]
async fn a_token_serves_one_connection_and_takes_over_a_half_open_one() {
    let server = TestServer::start().await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    a.recv_type("peer_joined").await;
    let token = b.token();
    let url = server.ws_url();
    // b's first connection is still open (half-open, as far as the server knows) when b resumes.
    let (mut b2, answer) = b.resume_on(&url, &token).await;
    assert_eq!(answer["type"], "resumed");
    assert_eq!(b.expect_close().await, 4004, "the old connection is replaced");
    // Anyone else presenting the same token is refused, while the new connection works.
    let (_, again) = b.resume_on(&url, &token).await;
    assert_eq!(again["code"], "resume_refused", "{again}");
    a.signal(&b2.id, offer("to the new connection")).await;
    assert_eq!(b2.recv_type("signal").await["data"]["sdp"], "to the new connection");
    // The others never saw b leave, nor reconnect: it was never away.
    a.assert_alive().await;
    b2.send(json!({"type": "leave"})).await;
    assert_eq!(a.recv().await, json!({"type": "peer_left", "id": b2.id, "reason": "left"}));
}

#[tokio::test]
async fn tokens_are_refreshed_and_the_fresh_one_works() {
    let server = TestServer::with(|c| c.resume_grace_ms = 2_000).await;
    let mut b = server.joined("r", "b").await;
    let fresh = b.recv_type("resume_token").await;
    let fresh = fresh["token"].as_str().expect("token").to_owned();
    assert_ne!(fresh, b.token());
    let (_, answer) = b.resume_on(&server.ws_url(), &fresh).await;
    assert_eq!(answer["type"], "resumed");
}

#[tokio::test]
async fn after_a_restart_with_the_same_secret_participants_resume_and_the_room_reforms() {
    let first = TestServer::with(with_secret).await;
    let mut a = first.joined("standup", "Ayu").await;
    let mut b = first.joined("standup", "Bima").await;
    a.recv_type("peer_joined").await;
    a.send(json!({"type": "chat", "text": "before"})).await;
    a.recv_type("chat").await;
    b.recv_type("chat").await;
    let (a_token, b_token) = (a.token(), b.token());
    // Stopping tells clients, and nobody leaves.
    first.shutdown.cancel();
    assert_eq!(a.recv().await, json!({"type": "shutdown", "reason": "stopping"}));
    assert_eq!(a.expect_close().await, 1001);
    assert_eq!(b.recv().await, json!({"type": "shutdown", "reason": "stopping"}));

    let second = TestServer::with(with_secret).await;
    let url = second.ws_url();
    let (mut a2, resumed) = a.resume_on(&url, &a_token).await;
    assert_eq!(resumed["type"], "resumed", "{resumed}");
    assert_eq!((resumed["you"].as_str(), resumed["room"].as_str()), (Some(a.id.as_str()), Some("standup")));
    assert_eq!(resumed["replay"], "reset");
    assert_eq!(resumed["peers"], json!([]), "b has not come back yet");
    let (mut b2, resumed) = b.resume_on(&url, &b_token).await;
    assert_eq!(resumed["you"], b.id.as_str());
    assert_eq!(resumed["peers"][0]["id"], a.id.as_str());
    assert_eq!(resumed["peers"][0]["name"], "Ayu", "the name comes back from the token");
    let joined = a2.recv().await;
    assert_eq!((joined["type"].as_str(), joined["peer"]["id"].as_str()), (Some("peer_joined"), Some(b.id.as_str())));
    assert_eq!(joined["peer"]["name"], "Bima");
    // Each old token restores once.
    let (_, again) = b.resume_on(&url, &b_token).await;
    assert_eq!(again["code"], "resume_refused");
    // Chat and signaling continue.
    b2.send(json!({"type": "chat", "text": "after"})).await;
    let chat = a2.recv_type("chat").await;
    assert_eq!((chat["text"].as_str(), chat["from"].as_str()), (Some("after"), Some(b.id.as_str())));
    a2.signal(&b.id, offer("still here")).await;
    assert_eq!(b2.recv_type("signal").await["from"], a.id.as_str());
    // A server with another secret restores nobody.
    let stranger = TestServer::start().await;
    let (_, refused) = a.resume_on(&stranger.ws_url(), &a2.token()).await;
    assert_eq!(refused["code"], "resume_refused");
}

#[tokio::test]
async fn a_stopping_server_makes_nobody_leave() {
    let server = TestServer::start().await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    a.recv_type("peer_joined").await;
    server.shutdown.cancel();
    for client in [&mut a, &mut b] {
        assert_eq!(client.recv().await, json!({"type": "shutdown", "reason": "stopping"}), "no peer_left first");
        assert_eq!(client.expect_close().await, 1001);
    }
}
