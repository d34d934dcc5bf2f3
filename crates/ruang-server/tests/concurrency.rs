//! Many clients joining one room at the same moment: every pair is introduced exactly once.

mod common;

use std::collections::{HashMap, HashSet};

use common::TestServer;
use serde_json::json;

const CLIENTS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_simultaneous_joins_introduce_every_pair_exactly_once() {
    let server = TestServer::with(|c| c.limits.max_participants = CLIENTS).await;
    let mut connected = Vec::new();
    for _ in 0..CLIENTS {
        connected.push(server.client().await);
    }
    // Every client sends its join before any welcome is read, so the joins race in the server.
    let tasks: Vec<_> = connected
        .into_iter()
        .enumerate()
        .map(|(n, mut client)| {
            tokio::spawn(async move {
                client.send(json!({"type": "join", "room": "crowd", "name": format!("p{n}")})).await;
                let welcome = client.recv_type("welcome").await;
                let id = welcome["you"].as_str().unwrap().to_owned();
                let mut known: Vec<String> =
                    welcome["peers"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
                // Each client must end up knowing the other 49, by welcome or by peer_joined.
                while known.len() < CLIENTS - 1 {
                    let message = client.recv().await;
                    assert_eq!(message["type"], "peer_joined", "{message}");
                    known.push(message["peer"]["id"].as_str().unwrap().to_owned());
                }
                (id, known, client)
            })
        })
        .collect();
    let mut introductions: HashMap<String, Vec<String>> = HashMap::new();
    let mut clients = Vec::new();
    for task in tasks {
        let (id, known, client) = task.await.unwrap();
        introductions.insert(id, known);
        clients.push(client);
    }
    let ids: HashSet<&String> = introductions.keys().collect();
    assert_eq!(ids.len(), CLIENTS, "ids are unique");
    for (id, known) in &introductions {
        let unique: HashSet<&String> = known.iter().collect();
        assert_eq!(unique.len(), known.len(), "{id} was introduced to someone twice");
        assert!(!unique.contains(id), "{id} was introduced to itself");
        assert_eq!(unique.len(), CLIENTS - 1);
        assert!(unique.iter().all(|other| ids.contains(other)));
    }
    // Nothing more is pending: a ping comes back as the very next message.
    for client in clients.iter_mut() {
        client.send(json!({"type": "ping", "req": 1})).await;
        assert_eq!(client.recv().await, json!({"type": "pong", "req": 1}));
    }
    assert_eq!(server.health().await["connections"], CLIENTS);
}
