//! Host controls through the room's inputs, without sockets: errors as replies, violations, removal, the end
//! of a meeting, and handing the host role over.

mod common;

use common::*;
use ruang_proto::{ErrorCode, LeaveReason, Moderation, Role, ServerMessage};
use ruang_room::{Input, Output};

#[test]
fn a_forbidden_control_is_an_error_reply_to_its_sender() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    let refused = room.input(Input::Moderate { by: id(2), action: Moderation::Remove(id(1)), req: Some(9) });
    let [Output::Violation { conn: 200, .. }, Output::Reply { to, conn: 200, message }] = &refused[..] else {
        panic!("{refused:?}")
    };
    assert_eq!(*to, id(2));
    assert!(matches!(&**message, ServerMessage::Error { code: ErrorCode::Forbidden, req: Some(9), .. }));
}

#[test]
fn a_signal_to_nobody_is_a_violation_and_an_error() {
    let mut room = Harness::new();
    room.join(1);
    let data = ruang_proto::SignalPayload::from(ruang_proto::SignalData::Offer { sdp: "v=0".into() });
    let refused = room.input(Input::Signal { from: id(1), to: id(1), data: Box::new(data), req: None });
    assert_eq!(kinds(&refused), ["violation on 100", "reply error on 100"]);
}

#[test]
fn a_removed_member_is_told_unpublished_and_disconnected() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    let removed = room.input(Input::Moderate { by: id(1), action: Moderation::Remove(id(2)), req: None });
    assert_eq!(
        kinds(&removed)[..4],
        ["unpublish 2", "reply removed on 200", "disconnect 200 Removed", "broadcast peer_left"],
        "{removed:?}"
    );
    assert!(
        messages_to(&removed, id(1)).contains(&ServerMessage::PeerLeft { id: id(2), reason: LeaveReason::Removed })
    );
    let late = room.input(Input::Lost { id: id(2), conn: conn(2), reason: LeaveReason::Disconnected });
    assert!(late.is_empty(), "its session's own end changes nothing: {late:?}");
}

#[test]
fn ending_the_meeting_removes_everyone_and_closes_the_room() {
    let mut room = Harness::with(Options { lobby: true, ..Options::default() });
    room.join(1);
    room.join_as(2, Some(Role::Moderator));
    room.join(3);
    let ended = room.input(Input::Moderate { by: id(1), action: Moderation::End, req: None });
    let order = kinds(&ended);
    for conn in [100, 200, 300] {
        assert!(order.contains(&format!("disconnect {conn} Removed")), "{conn} in {order:?}");
    }
    assert_eq!(order[order.len() - 2..], ["save", "closed"]);
}

#[test]
fn giving_the_host_role_away_hands_the_meeting_over_with_fresh_tokens() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    let given = room.input(Input::Moderate { by: id(1), action: Moderation::SetRole(id(2), Role::Host), req: None });
    assert!(given.iter().any(|o| matches!(o, Output::RoleChanged { id: who, role: Role::Host, .. } if *who == id(2))));
    let stepped_down =
        room.input(Input::Moderate { by: id(2), action: Moderation::SetRole(id(1), Role::Participant), req: None });
    assert!(
        stepped_down
            .iter()
            .any(|o| matches!(o, Output::RoleChanged { id: who, role: Role::Participant, .. } if *who == id(1)))
    );
    let left = room.input(Input::Leave { id: id(2), conn: conn(2), reason: LeaveReason::Left });
    assert!(
        messages_to(&left, id(1)).contains(&ServerMessage::Role { id: id(1), role: Role::Host }),
        "the last host left"
    );
}

#[test]
fn a_waiting_moderator_learns_the_lobby_after_its_greeting() {
    let mut room = Harness::with(Options { lobby: true, ..Options::default() });
    room.join(1);
    room.join(2);
    let moderator = room.join_as(3, Some(Role::Moderator));
    let order = kinds(&moderator);
    let at = |k: &str| order.iter().position(|o| o == k).unwrap_or_else(|| panic!("{k} in {order:?}"));
    assert!(at("publish 3") < at("attach 3 on 300"));
    assert!(at("attach 3 on 300") < at("deliver lobby to 3"));
}

#[test]
fn chat_is_stamped_with_the_wall_clock_passed_in() {
    let mut room = Harness::new();
    room.join(1);
    let posted = room.input(Input::Chat { from: id(1), text: "hi".into(), req: None });
    // The record that keeps the message (for a room rebuilt elsewhere), then the message.
    let [Output::SaveRecord(record), Output::Broadcast { message, .. }] = &posted[..] else { panic!("{posted:?}") };
    assert!(matches!(&**message, ServerMessage::Chat(entry) if entry.ts == room.now().unix_ms && entry.seq == 1));
    assert_eq!(record.chat_seq, 1);
}

#[test]
fn the_operator_removes_even_the_host_in_the_operators_name() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    let removed = room.input(Input::Administer { action: Moderation::Remove(id(1)) });
    assert_eq!(kinds(&removed)[..3], ["unpublish 1", "reply removed on 100", "disconnect 100 Removed"], "{removed:?}");
    let told = removed.iter().find_map(|o| match o {
        Output::Reply { message, .. } => Some(ServerMessage::clone(message)),
        _ => None,
    });
    assert_eq!(
        told,
        Some(ServerMessage::Removed { reason: ruang_proto::RemovedReason::Removed, by: ruang_room::OPERATOR })
    );
    // The one left takes the host role over, as when a host leaves.
    assert!(messages_to(&removed, id(2)).contains(&ServerMessage::Role { id: id(2), role: Role::Host }));
}

#[test]
fn the_operator_locks_and_ends_like_a_host() {
    let mut room = Harness::new();
    room.join(1);
    let locked = room.input(Input::Administer { action: Moderation::Lock });
    assert!(messages_to(&locked, id(1)).iter().any(|m| matches!(m, ServerMessage::RoomState { locked: true, .. })));
    let ended = room.input(Input::Administer { action: Moderation::End });
    let order = kinds(&ended);
    assert!(order.contains(&"disconnect 100 Removed".to_owned()), "{order:?}");
    assert_eq!(order[order.len() - 2..], ["save", "closed"]);
}
