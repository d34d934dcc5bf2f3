//! The lobby over real sockets: bounded per room, and hosts and moderators follow it as changes after one
//! snapshot, so a crowd waiting costs each of them a message per arrival, not the whole list each time.

mod common;

use common::{Client, TestServer};
use serde_json::json;

async fn moderate(client: &mut Client, action: &str, target: Option<&str>) {
    let mut message = json!({"type": "moderate", "action": action});
    if let Some(target) = target {
        message["target"] = json!(target);
    }
    client.send(message).await;
}

async fn knock(server: &TestServer, name: &str) -> Client {
    let mut client = server.client().await;
    client.send(json!({"type": "join", "room": "m", "name": name, "req": 3})).await;
    assert_eq!(client.recv().await, json!({"type": "waiting", "room": "m"}));
    client
}

#[tokio::test]
async fn a_full_lobby_turns_newcomers_away() {
    let server = TestServer::with(|c| c.max_waiting = 2).await;
    let mut host = server.joined("m", "host").await;
    moderate(&mut host, "lobby_on", None).await;
    host.recv_type("room_state").await;
    let _first = knock(&server, "first").await;
    let _second = knock(&server, "second").await;
    let mut third = server.client().await;
    third.send(json!({"type": "join", "room": "m", "name": "third", "req": 3})).await;
    assert_eq!(third.expect_error("lobby_full").await["req"], 3);
    third.assert_alive().await;
}

#[tokio::test]
async fn hosts_follow_the_lobby_as_changes_after_one_snapshot() {
    let server = TestServer::start().await;
    let mut host = server.joined("m", "host").await;
    let mut other = server.joined("m", "other").await;
    host.recv_type("peer_joined").await;
    moderate(&mut host, "lobby_on", None).await;
    host.recv_type("room_state").await;
    other.recv_type("room_state").await;

    let mut waiting = Vec::new();
    for n in 0..5 {
        let name = format!("guest{n}");
        waiting.push(knock(&server, &name).await);
        let joined = host.recv().await;
        assert_eq!(joined["type"], "lobby_joined", "{joined}");
        assert_eq!(joined["name"], name.as_str());
        waiting.last_mut().unwrap().id = joined["id"].as_str().unwrap().to_owned();
    }
    // A new moderator gets the list as it is, once.
    host.send(json!({"type": "moderate", "action": "set_role", "target": other.id, "role": "moderator"})).await;
    assert_eq!(other.recv().await["type"], "role");
    let snapshot = other.recv().await;
    assert_eq!(snapshot["type"], "lobby", "{snapshot}");
    let names: Vec<&str> =
        snapshot["waiting"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["guest0", "guest1", "guest2", "guest3", "guest4"]);
    host.recv_type("role").await;

    // Admitted, denied, gave up: each is one `lobby_left` to every host and moderator.
    let (admitted, denied, impatient) = (waiting[0].id.clone(), waiting[1].id.clone(), waiting.pop().unwrap());
    moderate(&mut host, "admit", Some(&admitted)).await;
    moderate(&mut host, "deny", Some(&denied)).await;
    for id in [&admitted, &denied] {
        assert_eq!(host.recv_type("lobby_left").await, json!({"type": "lobby_left", "id": id}));
    }
    let impatient_id = impatient.id.clone();
    impatient.drop_connection().await;
    assert_eq!(host.recv_type("lobby_left").await, json!({"type": "lobby_left", "id": impatient_id}));
    for id in [&admitted, &denied, &impatient_id] {
        assert_eq!(other.recv_type("lobby_left").await, json!({"type": "lobby_left", "id": id}));
    }
}
