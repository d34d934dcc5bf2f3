//! State the server keeps for a room: media state snapshots for late joiners, chat order and history.

mod common;

use common::TestServer;
use serde_json::json;

#[tokio::test]
async fn a_late_joiner_sees_everyones_current_media_state() {
    let server = TestServer::start().await;
    let mut a = server.client().await;
    a.send(json!({"type": "join", "room": "r", "name": "a", "media": {"audio": true, "video": true, "screen": false}}))
        .await;
    a.recv_type("welcome").await;
    a.id = String::new();
    let mut b = server.joined("r", "b").await;
    assert_eq!(b.welcome["peers"][0]["media"], json!({"audio": true, "video": true, "screen": false}));
    a.recv_type("peer_joined").await;
    a.send(json!({"type": "media", "audio": false, "video": true, "screen": true})).await;
    let change = b.recv().await;
    assert_eq!(change["type"], "media");
    assert_eq!((change["audio"].as_bool(), change["screen"].as_bool()), (Some(false), Some(true)));
    let a_id = change["id"].as_str().unwrap().to_owned();
    let c = server.joined("r", "c").await;
    let peers = c.welcome["peers"].as_array().unwrap();
    let a_entry = peers.iter().find(|p| p["id"] == a_id.as_str()).unwrap();
    assert_eq!(a_entry["media"], json!({"audio": false, "video": true, "screen": true}));
    let b_entry = peers.iter().find(|p| p["id"] == b.id.as_str()).unwrap();
    assert_eq!(b_entry["media"], json!({"audio": false, "video": false, "screen": false}));
}

#[tokio::test]
async fn chat_is_ordered_for_everyone_and_history_reaches_late_joiners() {
    let server = TestServer::with(|c| c.chat_history = 3).await;
    let mut a = server.joined("r", "Ayu").await;
    let mut b = server.joined("r", "Bima").await;
    a.recv_type("peer_joined").await;
    let (mut log_a, mut log_b) = (Vec::new(), Vec::new());
    for n in 0..5 {
        let (sender, log) = if n % 2 == 0 { (&mut a, &mut log_a) } else { (&mut b, &mut log_b) };
        let text = format!("message {n}");
        sender.send(json!({"type": "chat", "text": text})).await;
        // Read until it comes back, so the order of sending is the order of arrival at the server.
        loop {
            let message = sender.recv_type("chat").await;
            log.push(message.clone());
            if message["text"] == text.as_str() {
                break;
            }
        }
    }
    for (client, log) in [(&mut a, &mut log_a), (&mut b, &mut log_b)] {
        while log.len() < 5 {
            log.push(client.recv_type("chat").await);
        }
    }
    for log in [&log_a, &log_b] {
        let seen: Vec<(u64, &str)> =
            log.iter().map(|m| (m["seq"].as_u64().unwrap(), m["text"].as_str().unwrap())).collect();
        let expected: Vec<(u64, String)> = (0..5).map(|n| (n + 1, format!("message {n}"))).collect();
        assert_eq!(seen, expected.iter().map(|(s, t)| (*s, t.as_str())).collect::<Vec<_>>());
        assert_eq!(log[0]["name"], "Ayu");
        assert_eq!(log[1]["name"], "Bima");
        assert!(log[0]["ts"].as_u64().unwrap() > 1_700_000_000_000);
    }
    let late = server.joined("r", "Citra").await;
    let history: Vec<(u64, String)> = late.welcome["chat_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["seq"].as_u64().unwrap(), m["text"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(history, vec![(3, "message 2".into()), (4, "message 3".into()), (5, "message 4".into())]);
}

#[tokio::test]
async fn chat_text_is_relayed_verbatim() {
    let server = TestServer::start().await;
    let mut a = server.joined("r", "a").await;
    let text = "<script>alert(1)</script> & \"quotes\" \u{1F600}\nline two";
    a.send(json!({"type": "chat", "text": text})).await;
    assert_eq!(a.recv_type("chat").await["text"], text);
}
