//! A meeting rebuilt from its record on another node, after the node that ran it was lost: its chat numbers
//! on, and participants come back with tokens of the same instance only if the roster expects them.

mod common;

use common::*;
use ruang_proto::{ChatEntry, Role, ServerMessage};
use ruang_room::{Entry, Input, Output, Refusal, Restore, Resume, ResumeRefusal};

fn said(seq: u64, text: &str) -> ChatEntry {
    ChatEntry { seq, from: id(1), name: "p1".into(), text: text.into(), ts: 1 }
}

/// A token of this instance, for a room that does not know the participant.
fn coming_back(n: u64, conn: u64) -> Input {
    Input::Resume(Box::new(Resume {
        id: id(n),
        conn,
        media: MIC,
        req: None,
        generation: 7,
        last_n: 3,
        address: None,
        restore: Some(Restore { name: format!("p{n}"), role: Role::Host, sfu: false, carried_only: true }),
    }))
}

fn carried_over() -> MeetingRecord {
    let roster = vec![
        Seat { id: id(1), role: Role::Host, key: None, generation: 0 },
        Seat { id: id(2), role: Role::Viewer, key: None, generation: 0 },
    ];
    MeetingRecord { roster, chat_seq: 12, chat: vec![said(11, "eleven"), said(12, "twelve")], ..Default::default() }
}

#[test]
fn a_rebuilt_room_takes_back_its_roster_with_their_roles_and_numbers_its_chat_on() {
    let mut room = Harness::with(Options { record: Some(carried_over()), ..Options::default() });
    let back = room.input(coming_back(2, 201));
    let greeting = back
        .iter()
        .find_map(|o| match o {
            Output::Attach(greeting) => Some(&**greeting),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no greeting in {back:?}"));
    assert_eq!((greeting.entry, greeting.joined.role, greeting.generation), (Entry::Restored, Role::Viewer, 8));
    let history: Vec<u64> = greeting.joined.chat_history.iter().map(|entry| entry.seq).collect();
    assert_eq!(history, [11, 12], "what the chat remembered");
    room.input(coming_back(1, 101));
    let posted = room.input(Input::Chat { from: id(1), text: "thirteen".into(), req: None });
    let chat = messages_to(&posted, id(2)).into_iter().find_map(|m| match m {
        ServerMessage::Chat(entry) => Some(entry),
        _ => None,
    });
    assert_eq!(chat.map(|entry| entry.seq), Some(13));
    let saved = posted.iter().rev().find_map(|o| match o {
        Output::SaveRecord(record) => Some(record.clone()),
        _ => None,
    });
    let saved = saved.unwrap_or_else(|| panic!("a chat message saves the record: {posted:?}"));
    assert_eq!(saved.chat_seq, 13);
    assert_eq!(saved.chat.last().map(|entry| entry.text.as_str()), Some("thirteen"));
}

#[test]
fn a_token_of_this_instance_restores_nobody_the_rebuilt_roster_does_not_expect() {
    let mut room = Harness::with(Options { record: Some(carried_over()), ..Options::default() });
    assert_eq!(answer(&room.input(coming_back(3, 301)), 301), Some(Err(Refusal::Resume(ResumeRefusal::LeftRoom))));
    assert!(greeting_of(&room.input(coming_back(1, 101))));
    assert_eq!(
        answer(&room.input(coming_back(1, 102)), 102),
        Some(Err(Refusal::Resume(ResumeRefusal::TokenUsed))),
        "the seat is taken back once; the same token again is a used one"
    );
    let mut fresh = Harness::new();
    assert_eq!(
        answer(&fresh.input(coming_back(1, 101)), 101),
        Some(Err(Refusal::Resume(ResumeRefusal::LeftRoom))),
        "a room that was not rebuilt never takes a token's word for it"
    );
}

fn greeting_of(outputs: &[Output]) -> bool {
    outputs.iter().any(|o| matches!(o, Output::Attach(_)))
}

#[test]
fn a_meeting_that_ended_starts_its_chat_afresh() {
    let ended = MeetingRecord { ended_at: Some(1), ..carried_over() };
    let mut room = Harness::with(Options { record: Some(ended), ..Options::default() });
    room.join(1);
    let posted = room.input(Input::Chat { from: id(1), text: "first".into(), req: None });
    let seq = messages_to(&posted, id(1)).into_iter().find_map(|m| match m {
        ServerMessage::Chat(entry) => Some(entry.seq),
        _ => None,
    });
    assert_eq!(seq, Some(1));
}

#[test]
fn a_rebuilt_room_refuses_a_used_token_and_takes_one_the_lost_node_had_not_recorded() {
    let at = |generation| Seat { id: id(1), role: Role::Host, key: None, generation };
    let resume_at = |generation, conn| {
        Input::Resume(Box::new(Resume {
            id: id(1),
            conn,
            media: MIC,
            req: None,
            generation,
            last_n: 0,
            address: None,
            restore: Some(Restore { name: "p1".into(), role: Role::Host, sfu: false, carried_only: true }),
        }))
    };
    let record = MeetingRecord { roster: vec![at(7)], ..Default::default() };
    let mut room = Harness::with(Options { record: Some(record.clone()), ..Options::default() });
    assert_eq!(answer(&room.input(resume_at(6, 101)), 101), Some(Err(Refusal::Resume(ResumeRefusal::TokenUsed))));
    assert!(greeting_of(&room.input(resume_at(7, 102))), "the generation the record has");
    let mut room = Harness::with(Options { record: Some(record), ..Options::default() });
    assert!(greeting_of(&room.input(resume_at(9, 103))), "a later one: resumes the lost node did not record");
}
