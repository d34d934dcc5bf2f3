//! Connections coming and going without sockets, with a fake clock: the grace period, resume generations,
//! replay and acknowledgement, slow connections, and a meeting carried over from a restart.

mod common;

use std::time::Duration;

use common::*;
use ruang_proto::{LeaveReason, Role, ServerMessage};
use ruang_room::{Entered, Entry, Input, Output, Refusal, Restore, Resume, ResumeRefusal};

fn greeting(outputs: &[Output]) -> &ruang_room::Greeting {
    outputs
        .iter()
        .find_map(|o| match o {
            Output::Attach(greeting) => Some(&**greeting),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no greeting in {outputs:?}"))
}

#[test]
fn a_lost_member_stays_reconnecting_and_resumes_inside_the_grace_period() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    let lost = room.lose(2, conn(2));
    assert_eq!(kinds(&lost), ["forget 200", "broadcast peer_reconnecting"]);
    assert!(room.room.poll_timeout().is_some());
    assert!(room.advance(GRACE - Duration::from_secs(1)).is_empty(), "still inside the grace period");
    let resumed = room.resume(2, 201, 0, 7);
    assert_eq!(answer(&resumed, 201), Some(Ok(Entered::In)));
    let greeting = greeting(&resumed);
    assert_eq!((greeting.conn, greeting.generation, greeting.entry), (201, 1, Entry::Resumed { last_n: 7 }));
    assert!(messages_to(&resumed, id(1)).contains(&ServerMessage::PeerReconnected { id: id(2) }));
    assert!(room.advance(Duration::from_secs(5)).is_empty(), "its deadline was cancelled");
    assert!(room.room.roster().contains(id(2)));
}

#[test]
fn a_member_leaves_for_real_when_its_grace_period_ends() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    room.lose(2, conn(2));
    let expired = room.advance(GRACE);
    assert_eq!(kinds(&expired)[..2], ["unpublish 2", "broadcast peer_left"], "{expired:?}");
    assert!(
        messages_to(&expired, id(1))
            .contains(&ServerMessage::PeerLeft { id: id(2), reason: LeaveReason::Disconnected })
    );
    let late = room.resume(2, 201, 0, 0);
    assert_eq!(answer(&late, 201), Some(Err(Refusal::Resume(ResumeRefusal::LeftRoom))));
}

#[test]
fn without_a_grace_period_a_lost_member_leaves_at_once() {
    let mut room = Harness::with(Options { grace: Duration::ZERO, ..Options::default() });
    room.join(1);
    room.join(2);
    let lost = room.lose(2, conn(2));
    assert_eq!(kinds(&lost)[..3], ["forget 200", "unpublish 2", "broadcast peer_left"], "{lost:?}");
}

#[test]
fn a_resume_token_works_once() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    room.lose(2, conn(2));
    assert_eq!(answer(&room.resume(2, 201, 0, 0), 201), Some(Ok(Entered::In)));
    let replayed = room.resume(2, 202, 0, 0);
    assert_eq!(answer(&replayed, 202), Some(Err(Refusal::Resume(ResumeRefusal::TokenUsed))));
    assert!(!replayed.iter().any(|o| matches!(o, Output::Disconnect { .. })), "the live connection is untouched");
    let next = room.resume(2, 203, 1, 0);
    assert_eq!(answer(&next, 203), Some(Ok(Entered::In)));
    assert!(next.contains(&Output::Disconnect { id: id(2), conn: 201, why: ruang_room::Disconnect::Replaced }));
    assert_eq!(greeting(&next).generation, 2);
}

#[test]
fn acknowledgements_count_only_from_the_current_connection() {
    let mut room = Harness::new();
    room.join(1);
    assert_eq!(
        room.input(Input::Ack { id: id(1), conn: conn(1), n: 3 }),
        vec![Output::Acknowledged { id: id(1), conn: conn(1), n: 3 }]
    );
    room.lose(1, conn(1));
    room.resume(1, 101, 0, 3);
    assert!(room.input(Input::Ack { id: id(1), conn: conn(1), n: 5 }).is_empty(), "the old connection");
    assert_eq!(
        room.input(Input::Ack { id: id(1), conn: 101, n: 5 }),
        vec![Output::Acknowledged { id: id(1), conn: 101, n: 5 }]
    );
}

#[test]
fn a_slow_connection_is_dropped_and_its_member_may_resume() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    let slow = room.input(Input::Slow { id: id(2), conn: conn(2) });
    assert_eq!(kinds(&slow), ["disconnect 200 Slow", "broadcast peer_reconnecting"]);
    assert!(room.input(Input::Slow { id: id(2), conn: conn(2) }).is_empty(), "only once");
    assert_eq!(answer(&room.resume(2, 201, 0, 0), 201), Some(Ok(Entered::In)));
    room.advance(GRACE * 2);
    assert!(room.room.roster().contains(id(2)));
}

#[test]
fn a_hosts_grace_period_ending_hands_the_meeting_over() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    room.lose(1, conn(1));
    let expired = room.advance(GRACE);
    assert!(messages_to(&expired, id(2)).contains(&ServerMessage::Role { id: id(2), role: Role::Host }));
    assert!(
        expired.iter().any(
            |o| matches!(o, Output::RoleChanged { id: who, role: Role::Host, conn: Some(200), .. } if *who == id(2))
        )
    );
}

fn carried_over(roster: Vec<Seat>) -> MeetingRecord {
    MeetingRecord { roster, ..MeetingRecord::default() }
}

fn restoring(n: u64, conn: u64, role: Role) -> Input {
    Input::Resume(Box::new(Resume {
        id: id(n),
        conn,
        media: MIC,
        req: None,
        generation: 4,
        last_n: 9,
        address: None,
        restore: Some(Restore { name: format!("p{n}"), role, sfu: false, carried_only: false }),
    }))
}

#[test]
fn a_carried_over_meeting_takes_back_only_its_roster_with_their_roles() {
    let roster = vec![
        Seat { id: id(1), role: Role::Participant, key: None, generation: 0 },
        Seat { id: id(2), role: Role::Host, key: None, generation: 0 },
    ];
    let mut room = Harness::with(Options { record: Some(carried_over(roster)), ..Options::default() });
    let first = room.input(restoring(1, 101, Role::Host));
    let greeting = greeting(&first);
    assert_eq!(greeting.joined.role, Role::Participant, "the record's role, not the token's");
    assert_eq!((greeting.entry, greeting.generation), (Entry::Restored, 5));
    let stranger = room.input(restoring(3, 301, Role::Host));
    assert_eq!(answer(&stranger, 301), Some(Err(Refusal::Resume(ResumeRefusal::LeftMeeting))));
    // A newcomer does not become host while the host is expected back.
    let newcomer = room.join(4);
    assert_eq!(greeting_role(&newcomer), Role::Participant);
    let host = room.input(restoring(2, 201, Role::Participant));
    assert_eq!(greeting_role(&host), Role::Host);
}

fn greeting_role(outputs: &[Output]) -> Role {
    greeting(outputs).joined.role
}

#[test]
fn a_carried_over_meeting_hands_over_when_its_host_does_not_come_back() {
    let roster = vec![
        Seat { id: id(1), role: Role::Host, key: None, generation: 0 },
        Seat { id: id(2), role: Role::Participant, key: None, generation: 0 },
    ];
    let mut room = Harness::with(Options { record: Some(carried_over(roster)), ..Options::default() });
    room.input(restoring(2, 201, Role::Participant));
    let given_up = room.advance(GRACE);
    assert!(messages_to(&given_up, id(2)).contains(&ServerMessage::Role { id: id(2), role: Role::Host }));
    assert_eq!(
        answer(&room.input(restoring(1, 101, Role::Host)), 101),
        Some(Err(Refusal::Resume(ResumeRefusal::LeftMeeting)))
    );
}

#[test]
fn without_a_record_a_persistent_store_means_the_meeting_ended() {
    let mut kept = Harness::with(Options { records_persist: true, ..Options::default() });
    assert_eq!(
        answer(&kept.input(restoring(1, 101, Role::Host)), 101),
        Some(Err(Refusal::Resume(ResumeRefusal::MeetingEnded)))
    );
    let mut in_memory = Harness::new();
    let restored = in_memory.input(restoring(1, 101, Role::Host));
    assert_eq!(greeting_role(&restored), Role::Host, "the token's role");
}

#[test]
fn the_record_follows_the_roster_and_roles() {
    let mut room = Harness::new();
    let first = room.join(1);
    let saved: Vec<_> = first
        .iter()
        .filter_map(|o| match o {
            Output::SaveRecord(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        saved.last().map(|r| r.roster.clone()),
        Some(vec![Seat { id: id(1), role: Role::Host, key: None, generation: 0 }])
    );
    assert!(
        room.input(Input::Media { id: id(1), media: Default::default() })
            .iter()
            .all(|o| !matches!(o, Output::SaveRecord(_)))
    );
}

#[test]
fn a_participant_banned_before_a_restart_is_not_restored() {
    let ended = MeetingRecord { banned_ids: vec![id(2)], ended_at: Some(1), ..MeetingRecord::default() };
    let mut room = Harness::with(Options { record: Some(ended), ..Options::default() });
    assert_eq!(answer(&room.input(restoring(1, 101, Role::Host)), 101), Some(Ok(Entered::In)));
    assert_eq!(answer(&room.input(restoring(2, 201, Role::Host)), 201), Some(Err(Refusal::Banned)));
}
