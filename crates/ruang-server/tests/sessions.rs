//! Joining and leaving over real sockets: welcome contents, introductions, leave reasons.

mod common;

use common::{TestServer, offer};
use serde_json::json;

#[tokio::test]
async fn a_first_joiner_gets_an_empty_welcome_with_limits() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client.send(json!({"type": "join", "v": 1, "room": "alpha", "name": " Ayu ", "req": 5})).await;
    let welcome = client.recv().await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["protocol"], 1);
    assert_eq!(welcome["req"], 5);
    assert_eq!(welcome["room"], "alpha");
    assert_eq!(welcome["peers"], json!([]));
    assert_eq!(welcome["chat_history"], json!([]));
    assert_eq!(welcome["ice_servers"], json!([]));
    assert_eq!(welcome["limits"]["max_participants"], 8);
    let you = welcome["you"].as_str().unwrap();
    assert!(you.len() == 16 && you.bytes().all(|b| b.is_ascii_hexdigit()), "{you}");
}

#[tokio::test]
async fn clients_two_to_five_are_introduced_and_removed_in_order() {
    let server = TestServer::with(|c| c.resume_grace_ms = 200).await;
    for size in 2..=5 {
        let room = format!("room-{size}");
        let mut clients = Vec::new();
        for n in 0..size {
            let name = format!("p{n}");
            let mut client = server.client().await;
            let welcome = client.join(&room, &name).await;
            let seen: Vec<String> =
                welcome["peers"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
            let expected: Vec<String> = clients.iter().map(|c: &common::Client| c.id.clone()).collect();
            assert_eq!(seen, expected, "welcome lists everyone already there, in join order");
            for earlier in clients.iter_mut() {
                let joined = earlier.recv().await;
                assert_eq!(joined["type"], "peer_joined");
                assert_eq!(joined["peer"]["id"], client.id.as_str());
                assert_eq!(joined["peer"]["name"], name.as_str());
            }
            clients.push(client);
        }
        let mut leaver = clients.remove(0);
        leaver.send(json!({"type": "leave"})).await;
        assert_eq!(leaver.expect_close().await, 1000);
        let mut dropped = clients.pop().unwrap();
        dropped.ws.close(None).await.unwrap();
        let heir = clients.first().map(|c| c.id.clone()).unwrap_or_else(|| dropped.id.clone());
        for rest in clients.iter_mut() {
            let left = rest.recv().await;
            assert_eq!(left, json!({"type": "peer_left", "id": leaver.id, "reason": "left"}));
            // The leaver created the room, so it was host: the next participant in join order takes over.
            assert_eq!(rest.recv().await, json!({"type": "role", "id": heir, "role": "host"}));
            if rest.id == heir {
                // Its resume token now says host.
                assert_eq!(rest.recv().await["type"], "resume_token");
            }
            // A closed socket is not a leave: the participant is reconnecting until the grace period ends.
            let reconnecting = rest.recv().await;
            assert_eq!(reconnecting, json!({"type": "peer_reconnecting", "id": dropped.id}));
            let left = rest.recv().await;
            assert_eq!(left, json!({"type": "peer_left", "id": dropped.id, "reason": "disconnected"}));
        }
    }
}

#[tokio::test]
async fn an_empty_room_is_removed_and_can_be_created_again() {
    let server = TestServer::start().await;
    let mut a = server.joined("again", "a").await;
    assert_eq!(server.health().await["rooms"], 1);
    a.send(json!({"type": "chat", "text": "before"})).await;
    a.recv_type("chat").await;
    a.send(json!({"type": "leave"})).await;
    a.expect_close().await;
    let mut b = server.joined("again", "b").await;
    assert_eq!(b.welcome["chat_history"], json!([]), "a new room starts fresh");
    b.assert_alive().await;
}

#[tokio::test]
async fn a_second_join_and_messages_before_join_are_refused() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client.send(json!({"type": "chat", "text": "hi", "req": 1})).await;
    assert_eq!(client.expect_error("not_joined").await["req"], 1);
    client.signal("0000000000000001", offer("v=0")).await;
    client.expect_error("not_joined").await;
    client.join("r", "a").await;
    client.send(json!({"type": "join", "room": "other", "name": "a"})).await;
    client.expect_error("already_joined").await;
    client.assert_alive().await;
}

#[tokio::test]
async fn ping_works_before_join() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client.assert_alive().await;
}
