//! Reactions through the room's inputs, with time passed in: relayed to everyone with the sender stamped,
//! viewers too, and held to five per ten seconds per member without a violation.

mod common;

use std::time::Duration;

use common::*;
use ruang_proto::{ErrorCode, Reaction, Role, ServerMessage};
use ruang_room::{Input, Output};

fn react(room: &mut Harness, n: u64, emoji: Reaction) -> Vec<Output> {
    room.input(Input::React { id: id(n), emoji, req: Some(n as u32) })
}

#[test]
fn a_reaction_goes_to_everyone_with_its_sender() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    let sent = react(&mut room, 2, Reaction::Clap);
    let expected = ServerMessage::Reaction { id: id(2), emoji: Reaction::Clap };
    assert_eq!(messages_to(&sent, id(1)), std::slice::from_ref(&expected));
    assert_eq!(messages_to(&sent, id(2)), [expected], "the sender sees its own reaction too");
}

#[test]
fn a_viewer_may_react() {
    let mut room = Harness::new();
    room.join(1);
    room.join_as(2, Some(Role::Viewer));
    let sent = react(&mut room, 2, Reaction::Heart);
    assert_eq!(messages_to(&sent, id(1)), [ServerMessage::Reaction { id: id(2), emoji: Reaction::Heart }]);
}

#[test]
fn the_sixth_reaction_within_ten_seconds_is_dropped_with_an_error_that_is_no_violation() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    for _ in 0..5 {
        assert_eq!(messages_to(&react(&mut room, 1, Reaction::ThumbsUp), id(2)).len(), 1);
    }
    let refused = react(&mut room, 1, Reaction::ThumbsUp);
    assert_eq!(kinds(&refused), ["reply error on 100"], "no violation, nothing to the others");
    let [Output::Reply { message, .. }] = &refused[..] else { panic!("{refused:?}") };
    assert!(matches!(&**message, ServerMessage::Error { code: ErrorCode::TooManyReactions, req: Some(1), .. }));
    // Another member's budget is its own.
    assert_eq!(messages_to(&react(&mut room, 2, Reaction::Party), id(1)).len(), 1);
    room.pass(Duration::from_millis(1_900));
    assert_eq!(kinds(&react(&mut room, 1, Reaction::ThumbsUp)), ["reply error on 100"]);
    room.pass(Duration::from_millis(100));
    assert_eq!(messages_to(&react(&mut room, 1, Reaction::ThumbsUp), id(2)).len(), 1, "one back after 2 s");
    room.pass(Duration::from_secs(10));
    let sent: usize = (0..7).map(|_| messages_to(&react(&mut room, 1, Reaction::Laugh), id(2)).len()).sum();
    assert_eq!(sent, 5, "a full budget again, never more");
}

#[test]
fn someone_not_in_the_room_cannot_react() {
    let mut room = Harness::new();
    room.join(1);
    let refused = react(&mut room, 9, Reaction::Surprised);
    assert!(refused.is_empty(), "nobody to tell: {refused:?}");
}
