//! Strict where the protocol says strict: what is relayed is exactly what the protocol allows, every answer
//! carries its `req`, the errors that are the client's fault count as violations wherever they are found, and
//! a broken WebSocket gets the close code RFC 6455 gives it.

mod common;

use common::{Client, TestServer};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_reset_with_extra_fields_is_refused_and_never_relayed() {
    let server = TestServer::with(|c| c.limits.max_sdp_bytes = 1000).await;
    let mut a = server.joined("r", "a").await;
    let mut b = server.joined("r", "b").await;
    a.recv_type("peer_joined").await;
    let large = "x".repeat(60_000);
    b.send(json!({"type": "signal", "to": a.id, "data": {"kind": "reset", "sdp": large}, "req": 5})).await;
    assert_eq!(b.expect_error("invalid_message").await["req"], 5);
    b.send(json!({"type": "signal", "to": a.id, "data": {"kind": "reset", "note": "hi"}})).await;
    b.expect_error("invalid_message").await;
    b.signal(&a.id, json!({"kind": "reset"})).await;
    let relayed = a.recv().await;
    assert_eq!(relayed, json!({"type": "signal", "from": b.id, "data": {"kind": "reset"}}), "only a plain reset");
}

#[tokio::test]
async fn a_rate_limited_message_is_answered_with_its_req() {
    let server = TestServer::with(|c| {
        c.limits.messages_per_second = 1;
        c.limits.message_burst = 2;
        // Alone in its room: no introductions to make room for in the burst.
        c.limits.max_participants = 1;
    })
    .await;
    let mut client = server.client().await;
    for req in 1..=3 {
        client.send(json!({"type": "ping", "req": req})).await;
    }
    assert_eq!(client.recv().await, json!({"type": "pong", "req": 1}));
    assert_eq!(client.recv().await, json!({"type": "pong", "req": 2}));
    assert_eq!(client.expect_error("rate_limited").await["req"], 3);
}

/// Sends `message` until the connection is closed, reading each answer, and returns the close code and the
/// errors received first; at most `tries` times.
async fn repeat_until_closed(client: &mut Client, message: &Value, tries: usize) -> (Option<u16>, Vec<String>) {
    let mut errors = Vec::new();
    for _ in 0..tries {
        if client.ws.send(Message::text(message.to_string())).await.is_err() {
            break;
        }
        let next = tokio::time::timeout(common::WAIT, client.ws.next()).await.expect("an answer in time");
        match next {
            Some(Ok(Message::Text(text))) => {
                let answer: Value = serde_json::from_str(&text).expect("json");
                assert_eq!(answer["type"], "error", "{answer}");
                errors.push(answer["code"].as_str().unwrap_or_default().to_owned());
            }
            Some(Ok(Message::Close(frame))) => return (frame.map(|f| u16::from(f.code)), errors),
            other => panic!("{other:?}"),
        }
    }
    (None, errors)
}

#[tokio::test]
async fn errors_the_room_finds_count_as_violations_when_they_are_the_clients_fault() {
    let server = TestServer::with(|c| c.violation_burst = 3).await;
    let mut host = server.joined("r", "host").await;
    let mut participant = server.joined("r", "participant").await;
    host.recv_type("peer_joined").await;
    // A participant may use no host control: the room says `forbidden`, and that is the client's fault.
    let mute_all = json!({"type": "moderate", "action": "mute_all"});
    let (code, errors) = repeat_until_closed(&mut participant, &mute_all, 20).await;
    assert_eq!(code, Some(4000), "closed for violations after {errors:?}");
    assert!(errors.iter().all(|e| e == "forbidden") && errors.len() >= 3, "{errors:?}");
    let left = host.recv_type("peer_left").await;
    assert_eq!(left["reason"], "kicked");
}

#[tokio::test]
async fn a_signal_to_a_peer_that_just_left_is_no_violation() {
    let server = TestServer::with(|c| c.violation_burst = 3).await;
    let mut a = server.joined("r", "a").await;
    let gone = "00000000000000ab";
    let signal = json!({"type": "signal", "to": gone, "data": {"kind": "reset"}});
    let (code, errors) = repeat_until_closed(&mut a, &signal, 20).await;
    assert_eq!(code, None, "never closed");
    assert_eq!(errors, vec!["unknown_peer"; 20]);
    a.assert_alive().await;
}

/// Writes raw bytes (one client frame, masked with a zero key) on a joined client's socket, under the
/// WebSocket library.
async fn write_raw(client: &mut Client, bytes: &[u8]) {
    let MaybeTlsStream::Plain(tcp) = client.ws.get_mut() else { panic!("plain socket") };
    tcp.write_all(bytes).await.expect("write");
}

#[tokio::test]
async fn a_broken_websocket_protocol_closes_with_1002_and_bad_utf8_with_1007() {
    let server = TestServer::start().await;
    let mut watcher = server.joined("r", "watcher").await;
    let mut broken = server.joined("r", "broken").await;
    watcher.recv_type("peer_joined").await;
    // Opcode 3 is reserved for data frames (FIN, opcode 3, masked, empty payload, mask key 0).
    write_raw(&mut broken, &[0x83, 0x80, 0, 0, 0, 0]).await;
    assert_eq!(broken.expect_close().await, 1002);
    let left = watcher.recv_type("peer_left").await;
    assert_eq!(left["id"], broken.id.as_str());

    let mut garbled = server.joined("r", "garbled").await;
    // A text frame whose payload is not UTF-8.
    write_raw(&mut garbled, &[0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]).await;
    assert_eq!(garbled.expect_close().await, 1007);
    watcher.assert_alive().await;
}

/// A candidate as a browser trickles it.
fn candidate(n: usize) -> Value {
    json!({"kind": "candidate", "candidate": {"candidate": format!("candidate:{n} 1 udp 2122260223 192.0.2.1 {} typ host", 50_000 + n), "sdpMid": "0", "sdpMLineIndex": 0}})
}

/// Candidates each side trickles per peer in the test below (plus the end of candidates and the SDP).
const CANDIDATES: usize = 14;

#[tokio::test]
async fn a_newcomer_introducing_itself_to_a_room_of_40_is_not_closed() {
    const ROOM: usize = 40;
    let server = TestServer::with(|c| c.limits.max_participants = ROOM).await;
    let mut others = Vec::with_capacity(ROOM - 1);
    for n in 0..ROOM - 1 {
        others.push(server.joined("big", &format!("p{n}")).await);
    }
    let mut newcomer = server.joined("big", "newcomer").await;
    let peers: Vec<String> = newcomer.welcome["peers"]
        .as_array()
        .expect("peers")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(peers.len(), ROOM - 1);
    // The newcomer offers to everyone and trickles its candidates, as fast as it can: 39 × 16 messages.
    for peer in &peers {
        newcomer.signal(peer, common::offer("v=0")).await;
        for n in 0..CANDIDATES {
            newcomer.signal(peer, candidate(n)).await;
        }
        newcomer.signal(peer, json!({"kind": "candidate", "candidate": {"candidate": ""}})).await;
    }
    newcomer.send(json!({"type": "ping", "req": 77})).await;
    let pong = newcomer.recv().await;
    assert_eq!(pong, json!({"type": "pong", "req": 77}), "no error and no close before the pong");
    // Everyone gets the whole introduction and answers it the same way.
    for other in &mut others {
        let offer = other.recv_type("signal").await;
        assert_eq!(offer["data"]["kind"], "offer");
        for _ in 0..=CANDIDATES {
            assert_eq!(other.recv().await["data"]["kind"], "candidate");
        }
        other.signal(&newcomer.id, json!({"kind": "answer", "sdp": "v=0"})).await;
        for n in 0..=CANDIDATES {
            other.signal(&newcomer.id, candidate(n)).await;
        }
    }
    for _ in 0..(ROOM - 1) * (CANDIDATES + 2) {
        let message = newcomer.recv().await;
        assert_eq!(message["type"], "signal", "{message}");
    }
    newcomer.assert_alive().await;
}

#[tokio::test]
async fn a_connection_lost_without_a_closing_handshake_is_still_resumable() {
    let server = TestServer::start().await;
    let mut watcher = server.joined("r", "watcher").await;
    let lost = server.joined("r", "lost").await;
    watcher.recv_type("peer_joined").await;
    let id = lost.id.clone();
    // The TCP connection ends without a close frame: a lost network, not a broken client.
    drop(lost);
    assert_eq!(watcher.recv().await, json!({"type": "peer_reconnecting", "id": id}));
}
