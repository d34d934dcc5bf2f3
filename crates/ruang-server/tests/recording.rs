//! Recording over real sockets: only a host or moderator may start, everyone is told who records (late
//! joiners in their welcome), and it clears, for everyone, when the recorder leaves.

mod common;

use common::TestServer;
use serde_json::{Value, json};

#[tokio::test]
async fn a_host_records_everyone_sees_it_late_joiners_too_and_it_clears_when_the_host_leaves() {
    let server = TestServer::start().await;
    let mut a = server.joined("rec", "a").await;
    let mut b = server.joined("rec", "b").await;
    a.recv_type("peer_joined").await;
    assert_eq!(a.welcome.get("recording"), None, "nobody records yet");

    // A participant may not record; nobody is told anything.
    b.send(json!({"type": "recording", "on": true, "req": 3})).await;
    assert_eq!(b.expect_error("forbidden").await["req"], 3);

    a.send(json!({"type": "recording", "on": true, "req": 4})).await;
    assert_eq!(b.recv_type("recording").await, json!({"type": "recording", "id": a.id}));
    assert_eq!(a.recv_type("recording").await, json!({"type": "recording", "id": a.id}));

    // Only one recording at a time, and only the recorder stops it.
    b.send(json!({"type": "recording", "on": false})).await;
    let mut c = server.joined("rec", "c").await;
    assert_eq!(c.welcome["recording"], a.id.as_str(), "a late joiner is told in its welcome");

    a.send(json!({"type": "leave"})).await;
    for client in [&mut b, &mut c] {
        let cleared = client.recv_type("recording").await;
        assert_eq!(cleared, json!({"type": "recording", "id": Value::Null}));
    }
    let d = server.joined("rec", "d").await;
    assert_eq!(d.welcome.get("recording"), None);
}
