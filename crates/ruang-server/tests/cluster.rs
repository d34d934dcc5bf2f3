//! Clustering over Redis: three nodes on 127.0.0.1 share one real `redis-server` (started on a free
//! loopback port by the test and killed at its end), and real WebSocket clients on different nodes meet in
//! one room owned by one of them.

mod common;

use std::time::Duration;

use common::{Client, TestServer, offer};
use ruang_cluster::test_support::RedisServer;
use serde_json::{Value, json};

/// The ids in a `welcome`'s `peers`.
fn peer_ids(welcome: &Value) -> Vec<String> {
    welcome["peers"].as_array().expect("peers").iter().map(|p| p["id"].as_str().expect("id").to_owned()).collect()
}

#[tokio::test]
async fn members_on_three_nodes_meet_once_and_relay_signals_and_chat_in_one_order() {
    let redis = RedisServer::start();
    let nodes = TestServer::cluster(&redis.url, 3, |_| {}).await;
    let mut a = Client::connect(&nodes[0].ws_url()).await;
    let welcome_a = a.join("standup", "Ayu").await;
    assert!(peer_ids(&welcome_a).is_empty());
    let mut b = Client::connect(&nodes[1].ws_url()).await;
    let welcome_b = b.join("standup", "Bima").await;
    assert_eq!(peer_ids(&welcome_b), vec![a.id.clone()], "B on node 2 sees A on node 1");
    let mut c = Client::connect(&nodes[2].ws_url()).await;
    let welcome_c = c.join("standup", "Citra").await;
    assert_eq!(peer_ids(&welcome_c), vec![a.id.clone(), b.id.clone()], "C on node 3 sees both, in join order");

    // Each is introduced to the others exactly once, in join order: then comes the first chat.
    let joined = |message: &Value| message["peer"]["id"].as_str().expect("id").to_owned();
    let first = a.recv().await;
    assert_eq!((first["type"].as_str(), joined(&first)), (Some("peer_joined"), b.id.clone()));
    let second = a.recv().await;
    assert_eq!((second["type"].as_str(), joined(&second)), (Some("peer_joined"), c.id.clone()));
    let only = b.recv().await;
    assert_eq!((only["type"].as_str(), joined(&only)), (Some("peer_joined"), c.id.clone()));

    // Signals cross nodes stamped with the sender the server knows.
    b.signal(&c.id, offer("v=0\r\nfrom-b\r\n")).await;
    let signal = c.recv().await;
    assert_eq!(signal, json!({"type": "signal", "from": b.id, "data": offer("v=0\r\nfrom-b\r\n")}));
    c.signal(&a.id, json!({"kind": "answer", "sdp": "v=0\r\nfrom-c\r\n"})).await;
    let signal = a.recv().await;
    assert_eq!(signal, json!({"type": "signal", "from": c.id, "data": {"kind": "answer", "sdp": "v=0\r\nfrom-c\r\n"}}));
    a.signal(
        &b.id,
        json!({"kind": "candidate", "candidate": {"candidate": "candidate:1 1 udp 1 192.0.2.1 9 typ host"}}),
    )
    .await;
    let signal = b.recv().await;
    assert_eq!(signal["from"], a.id.as_str(), "{signal}");
    assert_eq!(signal["data"]["kind"], "candidate");

    // Chat from all three, sent at once: everyone reads the same order, with the same sequence numbers.
    for (client, text) in [(&mut a, "from a"), (&mut b, "from b"), (&mut c, "from c")] {
        client.send(json!({"type": "chat", "text": text})).await;
    }
    let mut logs = Vec::new();
    for client in [&mut a, &mut b, &mut c] {
        let mut log = Vec::new();
        for _ in 0..3 {
            let chat = client.recv().await;
            assert_eq!(chat["type"], "chat", "nothing else comes between: {chat}");
            log.push((chat["seq"].as_u64().unwrap(), chat["from"].as_str().unwrap().to_owned(), chat["text"].clone()));
        }
        logs.push(log);
    }
    assert_eq!(logs[0], logs[1]);
    assert_eq!(logs[1], logs[2]);
    let senders: std::collections::BTreeSet<&str> = logs[0].iter().map(|(_, from, _)| from.as_str()).collect();
    assert_eq!(senders, [a.id.as_str(), b.id.as_str(), c.id.as_str()].into_iter().collect());
    for (_, from, text) in &logs[0] {
        let sender = [(&a.id, "from a"), (&b.id, "from b"), (&c.id, "from c")].into_iter().find(|(id, _)| *id == from);
        assert_eq!(sender.map(|(_, text)| text), text.as_str(), "stamped with its real sender");
    }

    // A signal to someone not in the room is refused by the owner, on the sender's node's connection.
    c.signal("00000000000000ff", offer("v=0\r\n")).await;
    c.expect_error("unknown_peer").await;

    // A leave on node 2 reaches the others once.
    b.send(json!({"type": "leave"})).await;
    for client in [&mut a, &mut c] {
        let left = client.recv_type("peer_left").await;
        assert_eq!(left["id"], b.id.as_str());
    }
    a.assert_alive().await;
    c.assert_alive().await;
    for node in &nodes {
        node.shutdown.cancel();
    }
}

#[tokio::test]
async fn the_room_lives_on_one_node_and_its_lease_is_in_redis() {
    let redis = RedisServer::start();
    let nodes = TestServer::cluster(&redis.url, 3, |_| {}).await;
    let mut a = Client::connect(&nodes[1].ws_url()).await;
    a.join("lease", "Ayu").await;
    let mut b = Client::connect(&nodes[2].ws_url()).await;
    b.join("lease", "Bima").await;
    a.recv_type("peer_joined").await;
    let rooms = |health: &Value| health["rooms"].as_u64();
    assert_eq!(rooms(&nodes[1].health().await), Some(1), "the first joiner's node owns the room");
    assert_eq!(rooms(&nodes[2].health().await), Some(0), "the second's node only reaches it");
    assert_eq!(rooms(&nodes[0].health().await), Some(0));
    let owner = redis_cli(&redis, &["GET", "ruang:room:lease:owner"]);
    let ttl: i64 = redis_cli(&redis, &["PTTL", "ruang:room:lease:owner"]).parse().unwrap();
    assert_eq!(owner.len(), 16, "a node id: {owner}");
    assert!(ttl > 0 && ttl <= 10_000, "a short TTL: {ttl}");
    let nodes_listed: i64 = redis_cli(&redis, &["ZCARD", "ruang:nodes"]).parse().unwrap();
    assert_eq!(nodes_listed, 3, "every node registered itself");

    // The room closes when its last member leaves, and the lease goes with it.
    a.send(json!({"type": "leave"})).await;
    b.recv_type("peer_left").await;
    b.send(json!({"type": "leave"})).await;
    nodes[1].wait_for_health(|health| rooms(health) == Some(0)).await;
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while !redis_cli(&redis, &["GET", "ruang:room:lease:owner"]).is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the lease was released");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for node in &nodes {
        node.shutdown.cancel();
    }
}

/// Runs `redis-cli` against the test's Redis and returns its answer, trimmed.
fn redis_cli(redis: &RedisServer, args: &[&str]) -> String {
    redis.cli(args)
}

#[tokio::test]
async fn a_member_resumes_on_another_node_and_gets_what_it_missed_replayed() {
    let redis = RedisServer::start();
    let nodes = TestServer::cluster(&redis.url, 3, |_| {}).await;
    let mut a = Client::connect(&nodes[0].ws_url()).await;
    a.join("resume", "Ayu").await;
    let mut b = Client::connect(&nodes[1].ws_url()).await;
    b.join("resume", "Bima").await;
    a.recv_type("peer_joined").await;
    let token = b.token();
    let b_id = b.id.clone();
    // B's network goes away (node 2 sees its socket close); A chats meanwhile.
    let b_last = b.last_n;
    b.drop_connection().await;
    a.recv_type("peer_reconnecting").await;
    a.send(json!({"type": "chat", "text": "while you were away"})).await;
    a.recv_type("chat").await;
    // B comes back through node 3, with the last message number it read.
    let mut next = Client::connect(&nodes[2].ws_url()).await;
    next.send(json!({"type": "resume", "token": token, "last_n": b_last, "req": 9})).await;
    let resumed = next.recv().await;
    assert_eq!(resumed["type"], "resumed", "{resumed}");
    assert_eq!(resumed["you"], b_id.as_str(), "the same id");
    assert_ne!(resumed["replay"], "reset", "nothing was forgotten: {resumed}");
    let chat = next.recv_type("chat").await;
    assert_eq!((chat["from"].as_str(), chat["text"].as_str()), (Some(a.id.as_str()), Some("while you were away")));
    a.recv_type("peer_reconnected").await;
    // And the link through node 3 works both ways.
    next.signal(&a.id, offer("v=0\r\nback\r\n")).await;
    let signal = a.recv_type("signal").await;
    assert_eq!(signal["from"], b_id.as_str());
    // A second drop and resume through the same node works too (tokens are the cluster's, not a node's).
    let token = resumed["resume_token"].as_str().expect("resume_token").to_owned();
    let (mut again, resumed) = {
        let last = next.last_n;
        next.drop_connection().await;
        a.recv_type("peer_reconnecting").await;
        let mut again = Client::connect(&nodes[2].ws_url()).await;
        again.send(json!({"type": "resume", "token": token, "last_n": last, "req": 9})).await;
        let resumed = again.recv().await;
        (again, resumed)
    };
    assert_eq!(resumed["type"], "resumed", "{resumed}");
    assert_eq!(resumed["you"], b_id.as_str());
    a.recv_type("peer_reconnected").await;
    again.assert_alive().await;
    for node in &nodes {
        node.shutdown.cancel();
    }
}
