//! Host controls without sockets: what each role may do to whom.

use ruang_proto::{MediaState, Moderation, PeerId, Role, RoomName, ServerMessage};
use ruang_room::{Effect, RoomConfig, Roster};

const MIC: MediaState = MediaState { audio: true, video: false, screen: false };

fn id(n: u64) -> PeerId {
    PeerId::from_bits(n)
}

/// Who was told `muted`.
fn muted(room: &mut Roster) -> Vec<PeerId> {
    room.take_effects()
        .filter_map(|effect| match effect {
            Effect::Send { to, message } if matches!(*message, ServerMessage::Muted { .. }) => Some(to),
            _ => None,
        })
        .collect()
}

#[test]
fn a_moderators_mute_all_spares_hosts_and_moderators_as_mute_does() {
    let config = RoomConfig { max_participants: 8, chat_history: 0, lobby: false, max_waiting: 8, first_is_host: true };
    let mut room = Roster::new(RoomName::parse("r").unwrap(), config);
    room.join(id(1), "host".into(), MIC, None).unwrap().joined().unwrap();
    room.join(id(2), "moderator".into(), MIC, Some(Role::Moderator)).unwrap().joined().unwrap();
    room.join(id(3), "other moderator".into(), MIC, Some(Role::Moderator)).unwrap().joined().unwrap();
    room.join(id(4), "participant".into(), MIC, None).unwrap().joined().unwrap();
    room.join(id(5), "second host".into(), MIC, Some(Role::Host)).unwrap().joined().unwrap();
    room.take_effects().for_each(drop);

    assert!(room.moderate(id(2), Moderation::Mute(id(1))).is_err(), "a moderator cannot mute a host");
    room.moderate(id(2), Moderation::MuteAll).unwrap();
    assert_eq!(muted(&mut room), vec![id(4)], "only the participant");

    room.moderate(id(1), Moderation::MuteAll).unwrap();
    assert_eq!(muted(&mut room), vec![id(2), id(3), id(5)], "a host mutes everyone else, as its mute may");
}

/// The spotlight each `room_state` broadcast so far carried, in order (one per broadcast, not per recipient).
fn spotlights(room: &mut Roster) -> Vec<Option<PeerId>> {
    let mut seen = Vec::new();
    for effect in room.take_effects() {
        let message = match effect {
            Effect::Broadcast { message, .. } => message,
            _ => continue,
        };
        if let ServerMessage::RoomState { spotlight, .. } = &*message {
            seen.push(*spotlight);
        }
    }
    seen
}

#[test]
fn hosts_and_moderators_spotlight_anyone_and_a_participant_may_not() {
    let config = RoomConfig { max_participants: 8, chat_history: 0, lobby: false, max_waiting: 8, first_is_host: true };
    let mut room = Roster::new(RoomName::parse("r").unwrap(), config);
    room.join(id(1), "host".into(), MIC, None).unwrap().joined().unwrap();
    room.join(id(2), "moderator".into(), MIC, Some(Role::Moderator)).unwrap().joined().unwrap();
    room.join(id(3), "participant".into(), MIC, None).unwrap().joined().unwrap();
    room.take_effects().for_each(drop);

    let refused = room.moderate(id(3), Moderation::Spotlight(id(3))).unwrap_err();
    assert_eq!(refused.code, ruang_proto::ErrorCode::Forbidden);
    assert!(room.moderate(id(3), Moderation::SpotlightOff).is_err());
    assert_eq!(spotlights(&mut room), vec![], "a refused spotlight changes nothing");
    let unknown = room.moderate(id(1), Moderation::Spotlight(id(9))).unwrap_err();
    assert_eq!(unknown.code, ruang_proto::ErrorCode::UnknownPeer);

    room.moderate(id(1), Moderation::Spotlight(id(3))).unwrap();
    room.moderate(id(1), Moderation::Spotlight(id(3))).unwrap(); // (no change: no broadcast)
    room.moderate(id(2), Moderation::Spotlight(id(2))).unwrap(); // a moderator may, itself included
    assert_eq!(spotlights(&mut room), vec![Some(id(3)), Some(id(2))]);

    // A newcomer learns it in its welcome.
    let joined = room.join(id(4), "late".into(), MIC, None).unwrap().joined().unwrap();
    assert_eq!(joined.spotlight, Some(id(2)));
    room.take_effects().for_each(drop);

    // The spotlighted one leaves: the spotlight goes with it, and everyone is told.
    room.leave(id(2), ruang_proto::LeaveReason::Left);
    assert_eq!(spotlights(&mut room), vec![None]);
    room.moderate(id(1), Moderation::Spotlight(id(4))).unwrap();
    room.moderate(id(1), Moderation::SpotlightOff).unwrap();
    assert_eq!(spotlights(&mut room), vec![Some(id(4)), None]);
}
