//! A room that does not make hosts by itself (a configured room with a password or invitations): only a
//! host invitation or the host password makes a host; the first one in is a participant, and when the last
//! host leaves only a moderator takes over.

mod common;

use common::*;
use ruang_proto::{LeaveReason, Role, ServerMessage};
use ruang_room::Input;

fn configured() -> Harness {
    Harness::with(Options { first_is_host: false, ..Options::default() })
}

fn role_of(room: &Harness, n: u64) -> Option<Role> {
    room.room.roster().members().iter().find(|m| m.id == id(n)).map(|m| m.role)
}

#[test]
fn the_first_one_in_is_a_participant_and_a_host_comes_with_the_host_role() {
    let mut room = configured();
    room.join(1);
    assert_eq!(role_of(&room, 1), Some(Role::Participant), "entering first makes nobody host");
    room.join_as(2, Some(Role::Host));
    assert_eq!(role_of(&room, 2), Some(Role::Host));
    room.join(3);
    assert_eq!(role_of(&room, 3), Some(Role::Participant));
}

#[test]
fn when_the_last_host_leaves_only_a_moderator_takes_over() {
    let mut room = configured();
    room.join_as(1, Some(Role::Host));
    room.join(2);
    let left = room.input(Input::Leave { id: id(1), conn: conn(1), reason: LeaveReason::Left });
    assert!(!messages_to(&left, id(2)).iter().any(|m| matches!(m, ServerMessage::Role { .. })), "{left:?}");
    assert_eq!(role_of(&room, 2), Some(Role::Participant));
    room.join_as(3, Some(Role::Moderator));
    room.join_as(4, Some(Role::Host));
    room.input(Input::Leave { id: id(4), conn: conn(4), reason: LeaveReason::Left });
    assert_eq!(role_of(&room, 3), Some(Role::Host), "the moderator takes over");
    assert_eq!(role_of(&room, 2), Some(Role::Participant));
}

#[test]
fn an_open_room_still_makes_its_first_one_in_host() {
    let mut room = Harness::new();
    room.join(1);
    assert_eq!(role_of(&room, 1), Some(Role::Host));
}
