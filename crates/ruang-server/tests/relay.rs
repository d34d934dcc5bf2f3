//! Relaying signals: the server stamps the sender, relays only inside a room, and refuses targets it
//! cannot reach without telling which rooms exist.

mod common;

use common::{TestServer, offer};
use serde_json::json;

#[tokio::test]
async fn signals_are_relayed_with_the_sender_stamped() {
    let server = TestServer::start().await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    a.recv_type("peer_joined").await;
    b.signal(&a.id, offer("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n")).await;
    let relayed = a.recv().await;
    assert_eq!(
        relayed,
        json!({"type": "signal", "from": b.id, "data": {"kind": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}})
    );
    let candidate = json!({"kind": "candidate", "candidate": {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "abcd"}});
    a.signal(&b.id, candidate.clone()).await;
    assert_eq!(b.recv().await, json!({"type": "signal", "from": a.id, "data": candidate}));
    a.signal(&b.id, json!({"kind": "answer", "sdp": "v=0"})).await;
    assert_eq!(b.recv().await["data"]["kind"], "answer");
}

#[tokio::test]
async fn a_forged_sender_is_refused() {
    let server = TestServer::start().await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    a.recv_type("peer_joined").await;
    let forged = json!({"type": "signal", "from": a.id, "to": a.id, "data": offer("v=0"), "req": 3});
    b.send(forged).await;
    let error = b.expect_error("invalid_message").await;
    assert_eq!(error["req"], 3);
    b.signal(&b.id.clone(), offer("v=0")).await;
    b.expect_error("invalid_message").await;
    a.assert_alive().await;
}

#[tokio::test]
async fn rooms_are_isolated_even_with_a_known_id() {
    let server = TestServer::start().await;
    let mut alice = server.joined("room-a", "alice").await;
    let mut bob = server.joined("room-a", "bob").await;
    alice.recv_type("peer_joined").await;
    let mut mallory = server.joined("room-b", "mallory").await;
    // Mallory knows (stole) Alice's id, but is in another room.
    mallory.send(json!({"type": "signal", "to": alice.id, "data": offer("v=0"), "req": 9})).await;
    let error = mallory.expect_error("unknown_peer").await;
    assert_eq!(error["req"], 9);
    mallory.send(json!({"type": "chat", "text": "anyone?"})).await;
    assert_eq!(mallory.recv().await["from"], mallory.id.as_str(), "mallory sees its own chat");
    // A guessed id is answered the same way.
    mallory.signal("0123456789abcdef", offer("v=0")).await;
    mallory.expect_error("unknown_peer").await;
    // Alice got nothing of it: the next thing she reads is Bob's message.
    bob.send(json!({"type": "chat", "text": "hello alice"})).await;
    let next = alice.recv().await;
    assert_eq!((next["type"].as_str(), next["text"].as_str()), (Some("chat"), Some("hello alice")));
}

#[tokio::test]
async fn a_signal_to_someone_who_left_is_refused() {
    let server = TestServer::start().await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    a.recv_type("peer_joined").await;
    b.send(json!({"type": "leave"})).await;
    b.expect_close().await;
    a.recv_type("peer_left").await;
    a.signal(&b.id, offer("v=0")).await;
    a.expect_error("unknown_peer").await;
}

/// Signals go from the sender's connection straight to the target's, not through the room: a newcomer
/// that signals the moment it has its `welcome` must still reach the others after their `peer_joined`.
#[tokio::test]
async fn a_newcomer_signalling_at_once_is_introduced_first() {
    let server = TestServer::start().await;
    let mut a = server.joined("r", "a").await;
    for round in 0..6 {
        let mut b = server.joined("r", &format!("b{round}")).await;
        b.signal(&a.id, offer("v=0")).await;
        b.send(json!({"type": "leave"})).await;
        let mut seen = Vec::new();
        loop {
            let message = a.recv().await;
            let from_b = message["id"] == b.id.as_str() || message["peer"]["id"] == b.id.as_str();
            if message["type"] == "signal" {
                assert_eq!(message["from"], b.id.as_str(), "the server stamps the sender");
                seen.push("signal");
            } else if from_b {
                seen.push(if message["type"] == "peer_joined" { "joined" } else { "left" });
            }
            if message["type"] == "peer_left" {
                break;
            }
        }
        assert_eq!(seen, ["joined", "signal", "left"], "round {round}");
    }
}

/// A member removed by a host while it is signalling: once the target is told it left, nothing more from
/// it arrives, and the refused signals are answered to the sender as `not_joined`.
#[tokio::test]
async fn nothing_from_a_removed_member_arrives_after_its_peer_left() {
    let server = TestServer::start().await;
    let mut host = server.joined("r", "host").await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    host.recv_type("peer_joined").await;
    host.recv_type("peer_joined").await;
    a.recv_type("peer_joined").await;
    for i in 0..40 {
        if i == 20 {
            host.send(json!({"type": "moderate", "action": "remove", "target": a.id})).await;
        }
        a.send(json!({"type": "signal", "to": b.id, "data": offer("v=0"), "req": i})).await;
    }
    host.recv_type("peer_left").await;
    host.send(json!({"type": "chat", "text": "after"})).await;
    let mut relayed_before = 0;
    loop {
        let message = b.recv().await;
        match message["type"].as_str() {
            Some("signal") => {
                assert_eq!(message["from"], a.id.as_str());
                relayed_before += 1;
            }
            Some("peer_left") => break,
            _ => {}
        }
    }
    assert!(relayed_before <= 40);
    loop {
        let message = b.recv().await;
        assert_ne!(message["type"], "signal", "relayed after peer_left: {message}");
        if message["type"] == "chat" {
            break;
        }
    }
}
