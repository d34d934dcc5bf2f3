//! Roster behaviour without sockets: introductions, relay, media snapshots, chat order, limits.

use std::sync::Arc;

use ruang_proto::{ErrorCode, LeaveReason, MediaState, PeerId, RoomName, ServerMessage, SignalData, SignalPayload};
use ruang_room::{Admission, Effect, Refusal, RoomConfig, Roster};

fn room(max_participants: usize, chat_history: usize) -> Roster {
    Roster::new(
        RoomName::parse("r").unwrap(),
        RoomConfig { max_participants, chat_history, lobby: false, max_waiting: 8, first_is_host: true },
    )
}

fn id(n: u64) -> PeerId {
    PeerId::from_bits(n)
}

fn drain(room: &mut Roster) -> Vec<Effect> {
    room.take_effects().collect()
}

fn broadcast(except: Option<PeerId>, message: ServerMessage) -> Effect {
    Effect::Broadcast { except, message: Arc::new(message) }
}

const MIC: MediaState = MediaState { audio: true, video: false, screen: false };

#[test]
fn a_newcomer_learns_the_others_and_the_others_learn_the_newcomer() {
    let mut room = room(8, 10);
    assert!(room.join(id(1), "a".into(), MIC, None).unwrap().joined().unwrap().peers.is_empty());
    assert!(drain(&mut room).is_empty(), "nobody to tell");
    let joined = room.join(id(2), "b".into(), MediaState::default(), None).unwrap().joined().unwrap();
    assert_eq!(joined.peers.iter().map(|p| (p.id, p.media)).collect::<Vec<_>>(), vec![(id(1), MIC)]);
    let effects = drain(&mut room);
    assert_eq!(effects.len(), 1);
    let Effect::Broadcast { except, message } = &effects[0] else { panic!("{effects:?}") };
    assert_eq!(*except, Some(id(2)));
    assert!(matches!(&**message, ServerMessage::PeerJoined { peer } if peer.id == id(2) && peer.name == "b"));
}

#[test]
fn a_full_room_refuses_and_a_duplicate_id_is_refused() {
    let mut room = room(2, 0);
    room.join(id(1), "a".into(), MIC, None).unwrap().joined().unwrap();
    assert_eq!(room.join(id(1), "a".into(), MIC, None), Err(Refusal::DuplicateId));
    room.join(id(2), "b".into(), MIC, None).unwrap().joined().unwrap();
    assert_eq!(room.join(id(3), "c".into(), MIC, None), Err(Refusal::Full));
    assert_eq!(room.len(), 2);
}

#[test]
fn signals_are_stamped_and_only_reach_members() {
    let mut room = room(8, 0);
    room.join(id(1), "a".into(), MIC, None).unwrap().joined().unwrap();
    room.join(id(2), "b".into(), MIC, None).unwrap().joined().unwrap();
    drain(&mut room);
    let offer = SignalPayload::from(SignalData::Offer { sdp: "v=0".into() });
    room.signal(id(1), id(2), offer.clone()).unwrap();
    let expected =
        Effect::Send { to: id(2), message: Arc::new(ServerMessage::Signal { from: id(1), data: offer.clone() }) };
    assert_eq!(drain(&mut room), vec![expected]);
    assert_eq!(room.signal(id(1), id(9), offer.clone()).unwrap_err().code, ErrorCode::UnknownPeer);
    assert_eq!(room.signal(id(1), id(1), offer.clone()).unwrap_err().code, ErrorCode::InvalidMessage);
    assert_eq!(room.signal(id(9), id(1), offer).unwrap_err().code, ErrorCode::NotJoined);
    assert!(drain(&mut room).is_empty());
}

#[test]
fn media_state_is_kept_for_late_joiners_and_changes_are_told_once() {
    let mut room = room(8, 0);
    room.join(id(1), "a".into(), MediaState::default(), None).unwrap().joined().unwrap();
    room.join(id(2), "b".into(), MediaState::default(), None).unwrap().joined().unwrap();
    drain(&mut room);
    let screen = MediaState { audio: false, video: true, screen: true };
    room.set_media(id(1), screen).unwrap();
    room.set_media(id(1), screen).unwrap();
    assert_eq!(drain(&mut room), vec![broadcast(Some(id(1)), ServerMessage::media(id(1), screen))]);
    let late = room.join(id(3), "c".into(), MIC, None).unwrap().joined().unwrap();
    assert_eq!(late.peers[0].media, screen);
}

#[test]
fn chat_is_numbered_in_order_and_history_is_bounded() {
    let mut room = room(8, 2);
    room.join(id(1), "a".into(), MIC, None).unwrap().joined().unwrap();
    for (n, text) in ["one", "two", "three"].into_iter().enumerate() {
        room.chat(id(1), text.into(), 1000 + n as u64).unwrap();
    }
    let seqs: Vec<u64> = drain(&mut room)
        .into_iter()
        .map(|e| match e {
            Effect::Broadcast { except: None, message } => match &*message {
                ServerMessage::Chat(entry) => entry.seq,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    let late = room.join(id(2), "b".into(), MIC, None).unwrap().joined().unwrap();
    let history: Vec<(u64, &str, u64)> = late.chat_history.iter().map(|c| (c.seq, c.text.as_str(), c.ts)).collect();
    assert_eq!(history, vec![(2, "two", 1001), (3, "three", 1002)]);
}

#[test]
fn leaving_tells_the_others_with_the_reason() {
    let mut room = room(8, 0);
    room.join(id(1), "a".into(), MIC, None).unwrap().joined().unwrap();
    room.join(id(2), "b".into(), MIC, None).unwrap().joined().unwrap();
    drain(&mut room);
    assert!(room.leave(id(2), LeaveReason::Slow));
    assert!(!room.leave(id(2), LeaveReason::Left), "already gone");
    assert_eq!(
        drain(&mut room),
        vec![broadcast(None, ServerMessage::PeerLeft { id: id(2), reason: LeaveReason::Slow })]
    );
    assert!(room.leave(id(1), LeaveReason::Left));
    assert!(room.is_empty());
    assert!(drain(&mut room).is_empty(), "nobody left to tell");
}

#[test]
fn a_meeting_carried_over_a_restart_keeps_roles_and_its_host_expected_back() {
    use ruang_proto::Role;
    let mut room = room(8, 0);
    room.carry_over(
        false,
        true,
        &[id(9)],
        vec![(id(1), Role::Host), (id(2), Role::Viewer), (id(3), Role::Participant)],
    );
    // The participant resumes first: it stays a participant, and the viewer a viewer.
    assert_eq!(room.restore(id(3), "c".into(), MIC, Role::Participant).unwrap().role, Role::Participant);
    let viewer = room.restore(id(2), "b".into(), MIC, Role::Viewer).unwrap();
    assert_eq!(viewer.role, Role::Viewer);
    assert_eq!(room.members()[1].media, MediaState::default(), "a viewer sends nothing");
    // A newcomer waits in the lobby, and the banned one is still banned.
    assert_eq!(room.join(id(4), "d".into(), MIC, None), Ok(Admission::Waiting));
    assert_eq!(room.join(id(9), "x".into(), MIC, None), Err(Refusal::Banned));
    // The host comes back as host.
    assert_eq!(room.restore(id(1), "a".into(), MIC, Role::Host).unwrap().role, Role::Host);
}

#[test]
fn a_host_that_never_comes_back_is_replaced_when_the_room_stops_expecting_it() {
    use ruang_proto::Role;
    let mut room = room(8, 0);
    room.carry_over(false, false, &[], vec![(id(1), Role::Host), (id(2), Role::Participant)]);
    room.restore(id(2), "b".into(), MIC, Role::Participant).unwrap();
    assert_eq!(
        room.join(id(3), "c".into(), MIC, None).unwrap().joined().unwrap().role,
        Role::Participant,
        "the host is expected"
    );
    assert!(!room.is_empty());
    room.stop_expecting();
    assert_eq!(room.members()[0].role, Role::Host, "the earliest participant takes over");
}

#[test]
fn participants_restored_from_tokens_alone_get_a_host_when_the_room_stops_expecting_one() {
    use ruang_proto::Role;
    let mut room = room(8, 0);
    room.restore(id(2), "b".into(), MIC, Role::Participant).unwrap();
    room.restore(id(3), "c".into(), MIC, Role::Viewer).unwrap();
    assert_eq!(room.members()[0].role, Role::Participant, "not host for resuming first");
    room.stop_expecting();
    assert_eq!(room.members()[0].role, Role::Host);
    assert_eq!(room.members()[1].role, Role::Viewer, "a viewer never takes over");
}
