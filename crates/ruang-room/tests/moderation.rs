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
