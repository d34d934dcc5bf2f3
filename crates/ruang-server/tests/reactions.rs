//! Reactions over real sockets: relayed to the whole room with the sender stamped by the server, only the
//! fixed emoji, and five per ten seconds per participant, the rest dropped with an error but never a
//! disconnect.

mod common;

use common::TestServer;
use serde_json::json;

#[tokio::test]
async fn a_reaction_reaches_everyone_stamped_with_its_sender_and_a_flood_is_dropped_not_cut_off() {
    let server = TestServer::start().await;
    let mut a = server.joined("react", "a").await;
    let mut b = server.joined("react", "b").await;
    a.recv_type("peer_joined").await;

    b.send(json!({"type": "react", "emoji": "👏", "req": 1})).await;
    let seen = a.recv_type("reaction").await;
    assert_eq!(seen, json!({"type": "reaction", "id": b.id, "emoji": "👏"}));
    assert_eq!(b.recv_type("reaction").await["id"], b.id.as_str(), "the sender sees its own");

    // Nobody can react on someone else's behalf: the server stamps the sender, and refuses an `id` field.
    b.send(json!({"type": "react", "emoji": "👍", "id": a.id, "req": 2})).await;
    assert_eq!(b.expect_error("invalid_message").await["req"], 2);
    b.send(json!({"type": "react", "emoji": "<img src=x>", "req": 3})).await;
    assert_eq!(b.expect_error("invalid_message").await["req"], 3);

    // Four more fit the burst of five; the sixth within ten seconds is dropped, with an error to its sender.
    for _ in 0..4 {
        b.send(json!({"type": "react", "emoji": "🎉"})).await;
        assert_eq!(a.recv_type("reaction").await["emoji"], "🎉");
        b.recv_type("reaction").await;
    }
    b.send(json!({"type": "react", "emoji": "🎉", "req": 6})).await;
    assert_eq!(b.expect_error("too_many_reactions").await["req"], 6);
    // Many more are dropped the same way without closing the connection (not violations).
    for _ in 0..30 {
        b.send(json!({"type": "react", "emoji": "😂"})).await;
        b.expect_error("too_many_reactions").await;
    }
    b.assert_alive().await;
    // The others got none of the dropped ones: the next thing `a` hears from `b` is a chat.
    b.send(json!({"type": "chat", "text": "still here"})).await;
    assert_eq!(a.recv().await["type"], "chat");
    a.send(json!({"type": "react", "emoji": "❤️"})).await;
    assert_eq!(b.recv_type("reaction").await, json!({"type": "reaction", "id": a.id, "emoji": "❤️"}));
}
