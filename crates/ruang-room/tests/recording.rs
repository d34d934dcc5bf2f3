//! Who records the meeting, through the room's inputs: only hosts and moderators start, one at a time,
//! everyone is told, newcomers learn it in their welcome, and it clears when the recorder stops or leaves.

mod common;

use std::time::Duration;

use common::*;
use ruang_proto::{ErrorCode, LeaveReason, Role, ServerMessage};
use ruang_room::{Input, Output};

fn record(room: &mut Harness, n: u64, on: bool) -> Vec<Output> {
    room.input(Input::Recording { id: id(n), on, req: Some(n as u32) })
}

fn error_code(outputs: &[Output]) -> Option<ErrorCode> {
    outputs.iter().find_map(|o| match o {
        Output::Reply { message, .. } => match &**message {
            ServerMessage::Error { code, .. } => Some(*code),
            _ => None,
        },
        _ => None,
    })
}

/// The `recording` field of the welcome in `outputs`.
fn welcome_recording(outputs: &[Output]) -> Option<ruang_proto::PeerId> {
    outputs.iter().find_map(|o| match o {
        Output::Attach(greeting) => Some(greeting.joined.recording),
        _ => None,
    })?
}

#[test]
fn a_participant_may_not_record_and_nobody_is_told() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    let refused = record(&mut room, 2, true);
    assert_eq!(error_code(&refused), Some(ErrorCode::Forbidden), "{refused:?}");
    assert!(messages_to(&refused, id(1)).is_empty());
    assert_eq!(room.room.roster().recorder(), None);
}

#[test]
fn a_host_records_everyone_and_late_joiners_see_it_and_it_clears_when_stopped() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    let started = record(&mut room, 1, true);
    for who in [1, 2] {
        assert_eq!(messages_to(&started, id(who)), [ServerMessage::Recording { id: Some(id(1)) }], "{who}");
    }
    assert_eq!(welcome_recording(&room.join(3)), Some(id(1)), "a late joiner is told in its welcome");
    // Someone else may not start a second one, nor stop the host's.
    room.input(Input::Moderate {
        by: id(1),
        action: ruang_proto::Moderation::SetRole(id(2), Role::Moderator),
        req: None,
    });
    assert_eq!(error_code(&record(&mut room, 2, true)), Some(ErrorCode::Forbidden));
    assert!(record(&mut room, 2, false).is_empty(), "only the recorder stops it");
    let stopped = record(&mut room, 1, false);
    assert_eq!(messages_to(&stopped, id(3)), [ServerMessage::Recording { id: None }]);
    assert_eq!(welcome_recording(&room.join(4)), None);
    // A moderator may record too.
    assert_eq!(messages_to(&record(&mut room, 2, true), id(4)), [ServerMessage::Recording { id: Some(id(2)) }]);
}

#[test]
fn the_recording_clears_when_the_recorder_leaves_but_not_while_it_reconnects() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    record(&mut room, 1, true);
    let lost = room.lose(1, conn(1));
    assert!(!messages_to(&lost, id(2)).contains(&ServerMessage::Recording { id: None }), "kept while reconnecting");
    assert_eq!(room.room.roster().recorder(), Some(id(1)));
    let gone = room.advance(Duration::from_secs(120));
    let told = messages_to(&gone, id(2));
    assert!(told.contains(&ServerMessage::Recording { id: None }), "gone for good: {told:?}");
    assert_eq!(room.room.roster().recorder(), None);

    room.join(3);
    record(&mut room, 2, true);
    let left = room.input(Input::Leave { id: id(2), conn: conn(2), reason: LeaveReason::Left });
    assert!(messages_to(&left, id(3)).contains(&ServerMessage::Recording { id: None }));
}
