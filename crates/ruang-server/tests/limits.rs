//! Every limit and every class of malformed input: the right error or close code, and the server keeps
//! serving everyone else.

mod common;

use std::time::Duration;

use common::{TestServer, offer};
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::test]
async fn each_class_of_malformed_input_gets_its_code_and_the_connection_stays() {
    let server = TestServer::start().await;
    let mut bystander = server.joined("r", "bystander").await;
    let mut client = server.joined("r", "sender").await;
    let cases = [
        ("{not json", "invalid_json"),
        ("[\"ping\"]", "invalid_json"),
        ("17", "invalid_json"),
        (r#"{"type":"hack"}"#, "unknown_type"),
        (r#"{"no_type":1}"#, "unknown_type"),
        (r#"{"type":"chat","text":42}"#, "invalid_message"),
        (r#"{"type":"chat"}"#, "invalid_message"),
        (r#"{"type":"media","audio":1,"video":true,"screen":false}"#, "invalid_message"),
        (r#"{"type":"signal","to":"zz","data":{"kind":"offer","sdp":"x"}}"#, "invalid_message"),
        (r#"{"type":"signal","to":"0000000000000001","data":{"kind":"pranswer","sdp":"x"}}"#, "invalid_message"),
        (r#"{"type":"ping","extra":true}"#, "invalid_message"),
    ];
    for (frame, code) in cases {
        client.send_text(frame).await;
        client.expect_error(code).await;
    }
    client.ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    client.expect_error("unsupported_frame").await;
    client.assert_alive().await;
    bystander.recv_type("peer_joined").await;
    bystander.assert_alive().await;
}

#[tokio::test]
async fn join_fields_are_checked() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let long_name = "n".repeat(65);
    let cases = [
        (json!({"type": "join", "v": 2, "room": "r", "name": "a"}), "unsupported_version"),
        (json!({"type": "join", "room": "no spaces", "name": "a"}), "invalid_room"),
        (json!({"type": "join", "room": "r".repeat(65), "name": "a"}), "invalid_room"),
        (json!({"type": "join", "room": "r", "name": ""}), "invalid_name"),
        (json!({"type": "join", "room": "r", "name": long_name}), "invalid_name"),
        (json!({"type": "join", "room": "r", "name": "bell\u{7}"}), "invalid_name"),
    ];
    for (message, code) in cases {
        client.send(message).await;
        client.expect_error(code).await;
    }
    client.join("r", "fine").await;
}

#[tokio::test]
async fn oversized_fields_are_refused() {
    let server = TestServer::with(|c| {
        c.limits.max_sdp_bytes = 1000;
        c.limits.max_candidate_bytes = 100;
        c.limits.max_chat_bytes = 50;
    })
    .await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    a.recv_type("peer_joined").await;
    b.signal(&a.id, offer(&"s".repeat(1001))).await;
    b.expect_error("field_too_large").await;
    b.signal(&a.id, json!({"kind": "candidate", "candidate": {"candidate": "c".repeat(101)}})).await;
    b.expect_error("field_too_large").await;
    b.send(json!({"type": "chat", "text": "t".repeat(51)})).await;
    b.expect_error("field_too_large").await;
    b.signal(&a.id, offer(&"s".repeat(1000))).await;
    assert_eq!(a.recv().await["data"]["sdp"].as_str().unwrap().len(), 1000, "a field at its limit passes");
}

#[tokio::test]
async fn a_frame_over_the_limit_is_refused_and_far_over_it_closes_with_1009() {
    let server = TestServer::with(|c| {
        c.limits.max_frame_bytes = 4096;
        c.limits.max_sdp_bytes = 2048;
        c.limits.max_sfu_sdp_bytes = 2048;
        c.limits.max_chat_bytes = 2048;
    })
    .await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    let padded = json!({"type": "chat", "text": "x".repeat(5000)});
    b.send(padded).await;
    b.expect_error("frame_too_large").await;
    b.assert_alive().await;
    b.send_text(&"x".repeat(20_000)).await;
    assert_eq!(b.expect_close().await, 1009);
    a.recv_type("peer_joined").await;
    let left = a.recv_type("peer_left").await;
    assert_eq!(left["id"], b.id.as_str());
    a.assert_alive().await;
}

#[tokio::test]
async fn a_flood_is_rate_limited_then_closed_and_the_room_carries_on() {
    let server = TestServer::with(|c| {
        c.limits.messages_per_second = 1;
        // Two participants: one introduction (24 messages) would need more than the burst of 20.
        c.limits.max_participants = 2;
        c.limits.message_burst = 24;
        c.violation_burst = 5;
    })
    .await;
    let mut calm = server.joined("r", "calm").await;
    let mut flooder = server.joined("r", "flooder").await;
    calm.recv_type("peer_joined").await;
    for n in 0..200 {
        if flooder.ws.send(Message::text(json!({"type": "ping", "req": n}).to_string())).await.is_err() {
            break;
        }
    }
    let mut pongs = 0;
    let mut rate_limited = 0;
    let code = loop {
        let next = tokio::time::timeout(common::WAIT, futures_util::StreamExt::next(&mut flooder.ws)).await.unwrap();
        match next {
            Some(Ok(Message::Text(text))) => {
                let message: serde_json::Value = serde_json::from_str(&text).unwrap();
                match message["type"].as_str() {
                    Some("pong") => pongs += 1,
                    Some("error") if message["code"] == "rate_limited" => rate_limited += 1,
                    _ => panic!("{message}"),
                }
            }
            Some(Ok(Message::Close(Some(frame)))) => break u16::from(frame.code),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(code, 4000);
    // The burst of 24 passes (the join took one token), then one per second.
    assert!((23..=26).contains(&pongs), "the burst passes: {pongs}");
    assert!(rate_limited >= 5, "{rate_limited}");
    let left = calm.recv_type("peer_left").await;
    assert_eq!(left["reason"], "kicked");
    calm.assert_alive().await;
}

#[tokio::test]
async fn repeated_garbage_is_closed_with_4000() {
    let server = TestServer::with(|c| c.violation_burst = 3).await;
    let mut client = server.client().await;
    for _ in 0..4 {
        client.send_text("garbage").await;
    }
    for _ in 0..3 {
        client.expect_error("invalid_json").await;
    }
    // The fourth violation gets its error too, then the close.
    client.expect_error("invalid_json").await;
    assert_eq!(client.expect_close().await, 4000);
}

#[tokio::test]
async fn a_full_room_and_too_many_rooms_are_refused() {
    let server = TestServer::with(|c| {
        c.limits.max_participants = 2;
        c.max_rooms = 2;
    })
    .await;
    let _a = server.joined("one", "a").await;
    let _b = server.joined("one", "b").await;
    let mut c = server.client().await;
    c.send(json!({"type": "join", "room": "one", "name": "c", "req": 1})).await;
    assert_eq!(c.expect_error("room_full").await["req"], 1);
    let _d = server.joined("two", "d").await;
    c.send(json!({"type": "join", "room": "three", "name": "c"})).await;
    c.expect_error("too_many_rooms").await;
    c.join("two", "c").await;
}

#[tokio::test]
async fn a_connection_that_never_joins_is_closed_with_4001() {
    let server = TestServer::with(|c| c.join_timeout_ms = 200).await;
    let mut idle = server.client().await;
    assert_eq!(idle.expect_close().await, 4001);
    server.wait_for_health(|h| h["connections"] == 0).await;
}

#[tokio::test]
async fn a_silent_connection_is_closed_with_4002_and_the_room_is_told() {
    let server = TestServer::with(|c| {
        // Generous for a loaded machine: the watcher must never look silent itself.
        c.limits.heartbeat_interval_ms = 100;
        c.limits.heartbeat_timeout_ms = 1_500;
        c.resume_grace_ms = 300;
    })
    .await;
    let mut watcher = server.joined("r", "watcher").await;
    let mut silent = server.joined("r", "silent").await;
    // The watcher keeps reading (so it answers pings); the silent client reads nothing for a while, so it
    // answers no pings and sends nothing. It is reconnecting first, and leaves when the grace period ends.
    let reconnecting = watcher.recv_type("peer_reconnecting").await;
    assert_eq!(reconnecting, json!({"type": "peer_reconnecting", "id": silent.id}));
    let left = watcher.recv_type("peer_left").await;
    assert_eq!(left, json!({"type": "peer_left", "id": silent.id, "reason": "timeout"}));
    assert_eq!(silent.expect_close().await, 4002);
    watcher.assert_alive().await;
}

#[tokio::test]
async fn a_reader_too_slow_for_its_queue_is_dropped_without_stalling_the_room() {
    let server = TestServer::with(|c| {
        c.send_queue = 8;
        c.limits.messages_per_second = 100_000;
        c.limits.message_burst = 100_000;
        c.limits.max_participants = 3;
        c.replay_messages = 4;
        c.resume_grace_ms = 300;
    })
    .await;
    let mut talker = server.joined("r", "talker").await;
    let mut listener = server.joined("r", "listener").await;
    let slow = server.joined("r", "slow").await;
    talker.recv_type("peer_joined").await;
    talker.recv_type("peer_joined").await;
    listener.recv_type("peer_joined").await;
    let text = "x".repeat(4000);
    let mut dropped = false;
    // The slow client never reads. Keep talking until the server gives up on it (bounded).
    for round in 0..3000 {
        talker.send(json!({"type": "chat", "text": text})).await;
        let mut message = listener.recv().await;
        while message["type"] == "resume_token" {
            message = listener.recv().await;
        }
        if message["type"] == "peer_reconnecting" {
            assert_eq!(message, json!({"type": "peer_reconnecting", "id": slow.id}));
            dropped = true;
            break;
        }
        assert_eq!(message["seq"], round + 1, "the listener keeps receiving in order: {message}");
    }
    assert!(dropped, "the slow reader was never dropped");
    // It does not resume, so it leaves when the grace period ends.
    let left = listener.recv_type("peer_left").await;
    assert_eq!(left, json!({"type": "peer_left", "id": slow.id, "reason": "slow"}));
    listener.assert_alive().await;
}

#[tokio::test]
async fn connections_over_the_limit_and_foreign_origins_are_refused_at_upgrade() {
    let server = TestServer::with(|c| c.max_connections = 1).await;
    let _only = server.client().await;
    let refused = tokio_tungstenite::connect_async(server.ws_url()).await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 503),
        "{refused:?}"
    );

    let server = TestServer::start().await;
    let mut request = server.ws_url().into_client_request().unwrap();
    request.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 403),
        "{refused:?}"
    );
    let mut request = server.ws_url().into_client_request().unwrap();
    request.headers_mut().insert("origin", format!("http://{}", server.addr).parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok(), "same origin is allowed");
}

#[tokio::test]
async fn shutdown_tells_clients_and_closes_with_1001() {
    let server = TestServer::start().await;
    let mut a = server.joined("r", "a").await;
    server.shutdown.cancel();
    assert_eq!(a.recv_type("shutdown").await, json!({"type": "shutdown", "reason": "stopping"}));
    assert_eq!(a.expect_close().await, 1001);
    let finished = tokio::time::timeout(Duration::from_secs(10), server.task).await;
    assert!(matches!(finished, Ok(Ok(Ok(())))), "the server returns after draining: {finished:?}");
}
