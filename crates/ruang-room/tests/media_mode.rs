//! A room's media mode without sockets: an `auto` room moves to SFU at its threshold and back to mesh only
//! after staying small for the hysteresis time, a mesh-only member keeps it mesh, an `sfu` room refuses
//! mesh-only joiners, each mode has its capacity, and what members ask of the SFU reaches it (or is refused)
//! by the room's rules.

mod common;

use std::time::Duration;

use common::*;
use ruang_proto::{ErrorCode, Layer, LeaveReason, MediaMode, PeerId, Role, ServerMessage, SignalData, SignalPayload};
use ruang_room::{Entered, Input, MediaPolicy, MediaSettings, Output, Refusal, SfuRequest};

const SENDS: &str = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
const RECEIVES: &str = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n";

fn room(policy: MediaPolicy) -> Harness {
    let media = MediaSettings { policy, seed: 42, ..MediaSettings::default() };
    Harness::with(Options { media, ..Options::default() })
}

fn started(outputs: &[Output]) -> Option<PeerId> {
    outputs.iter().find_map(|o| if let Output::StartSfu { sfu } = o { Some(*sfu) } else { None })
}

fn stopped(outputs: &[Output]) -> Option<PeerId> {
    outputs.iter().find_map(|o| if let Output::StopSfu { sfu } = o { Some(*sfu) } else { None })
}

fn greeting_media(outputs: &[Output], n: u64) -> Option<ruang_room::MediaView> {
    outputs.iter().find_map(|o| match o {
        Output::Attach(greeting) if greeting.id == id(n) => Some(greeting.joined.media),
        _ => None,
    })?
}

fn mode_messages(outputs: &[Output], n: u64) -> Vec<(MediaMode, Option<PeerId>)> {
    let messages = messages_to(outputs, id(n));
    messages
        .iter()
        .filter_map(|m| if let ServerMessage::MediaMode { mode, sfu } = m { Some((*mode, *sfu)) } else { None })
        .collect()
}

fn error_to(outputs: &[Output], n: u64) -> Option<ErrorCode> {
    messages_to(outputs, id(n))
        .iter()
        .find_map(|m| if let ServerMessage::Error { code, .. } = m { Some(*code) } else { None })
}

fn offer(sdp: &str) -> Box<SignalPayload> {
    Box::new(SignalPayload::from(SignalData::Offer { sdp: sdp.into() }))
}

/// An `auto` room of four members who speak SFU; returns the SFU's id.
fn four_in_sfu(room: &mut Harness) -> PeerId {
    for n in 1..=3 {
        assert_eq!(started(&room.join_speaking(n, None, true)), None, "{n} members stay mesh");
    }
    started(&room.join_speaking(4, None, true)).expect("the fourth join moves the room to SFU")
}

#[test]
fn the_fourth_join_moves_an_auto_room_to_sfu_and_everyone_learns_the_sfu_id() {
    let mut room = room(MediaPolicy::Auto);
    for n in 1..=3 {
        let outputs = room.join_speaking(n, None, true);
        let media = greeting_media(&outputs, n).expect("a member that speaks SFU is told the mode");
        assert_eq!((media.mode, media.sfu), (MediaMode::Mesh, None));
    }
    let outputs = room.join_speaking(4, None, true);
    let sfu = started(&outputs).expect("started");
    let media = greeting_media(&outputs, 4).expect("told");
    assert_eq!((media.mode, media.sfu, media.max_participants), (MediaMode::Sfu, Some(sfu), 100));
    for n in 1..=3 {
        assert_eq!(mode_messages(&outputs, n), [(MediaMode::Sfu, Some(sfu))], "member {n}");
    }
    // The SFU's member is started before anyone is told, and the newcomer's welcome already says SFU.
    let kinds = kinds(&outputs);
    let start = kinds.iter().position(|k| k.starts_with("start sfu")).unwrap();
    let told = kinds.iter().position(|k| k.starts_with("deliver media_mode")).unwrap();
    assert!(start < told, "{kinds:?}");
    assert!(mode_messages(&outputs, 4).is_empty(), "the newcomer learns it from its welcome");
    assert!(!room.room.roster().contains(sfu), "the SFU is not a participant");
    assert_eq!(room.room.roster().len(), 4);
}

#[test]
fn an_auto_room_goes_back_to_mesh_only_after_thirty_seconds_at_two_or_fewer() {
    let mut room = room(MediaPolicy::Auto);
    let sfu = four_in_sfu(&mut room);
    let leave =
        |room: &mut Harness, n: u64| room.input(Input::Leave { id: id(n), conn: conn(n), reason: LeaveReason::Left });
    assert_eq!(stopped(&leave(&mut room, 4)), None, "three is above threshold - 2");
    assert_eq!(stopped(&room.advance(Duration::from_secs(60))), None, "three stay in SFU however long");
    assert_eq!(stopped(&leave(&mut room, 3)), None, "two: the hysteresis starts");
    assert_eq!(stopped(&room.advance(Duration::from_secs(29))), None);
    // Somebody comes back before the 30 s are up: the count starts again.
    assert_eq!(started(&room.join_speaking(5, None, true)), None, "still the same SFU period");
    assert_eq!(stopped(&leave(&mut room, 5)), None);
    assert_eq!(stopped(&room.advance(Duration::from_secs(29))), None, "29 s since the last leave");
    let deadline = room.room.poll_timeout().expect("a deadline for going back to mesh");
    assert!(deadline <= room.now().instant + Duration::from_secs(1));
    let outputs = room.advance(Duration::from_secs(1));
    assert_eq!(stopped(&outputs), Some(sfu));
    assert_eq!(mode_messages(&outputs, 1), [(MediaMode::Mesh, None)]);
    let kinds = kinds(&outputs);
    let told = kinds.iter().position(|k| k.starts_with("deliver media_mode")).unwrap();
    let stop = kinds.iter().position(|k| k.starts_with("stop sfu")).unwrap();
    assert!(told < stop, "everyone is told before the SFU stops: {kinds:?}");
    // Back up to four: a fresh SFU id for the new period.
    room.join_speaking(6, None, true);
    let again = started(&room.join_speaking(7, None, true)).expect("four again");
    assert_ne!(again, sfu);
}

#[test]
fn a_mesh_only_member_keeps_an_auto_room_mesh_and_sees_no_mode() {
    let mut room = room(MediaPolicy::Auto);
    let outputs = room.join_speaking(1, None, false);
    assert_eq!(greeting_media(&outputs, 1), None, "a mesh-only client's welcome is as before");
    for n in 2..=5 {
        assert_eq!(started(&room.join_speaking(n, None, true)), None, "member {n}");
    }
    let outputs = room.input(Input::Leave { id: id(1), conn: conn(1), reason: LeaveReason::Left });
    let sfu = started(&outputs).expect("without the mesh-only member the room moves to SFU");
    // A mesh-only newcomer moves it back at once, and is not told anything it does not know.
    let outputs = room.join_speaking(6, None, false);
    assert_eq!(answer(&outputs, conn(6)), Some(Ok(Entered::In)));
    assert_eq!(stopped(&outputs), Some(sfu));
    assert_eq!(mode_messages(&outputs, 2), [(MediaMode::Mesh, None)]);
    assert!(mode_messages(&outputs, 6).is_empty());
    assert_eq!(greeting_media(&outputs, 6), None);
}

#[test]
fn an_sfu_room_starts_with_its_first_member_and_refuses_mesh_only_joiners() {
    let mut room = room(MediaPolicy::Sfu);
    let outputs = room.join_speaking(1, None, true);
    let sfu = started(&outputs).expect("an sfu room has its SFU from the first member");
    assert_eq!(greeting_media(&outputs, 1).map(|m| (m.mode, m.sfu)), Some((MediaMode::Sfu, Some(sfu))));
    let refused = room.join_speaking(2, None, false);
    assert_eq!(answer(&refused, conn(2)), Some(Err(Refusal::SfuRequired)));
    assert_eq!(room.room.roster().len(), 1);
    let outputs = room.input(Input::Leave { id: id(1), conn: conn(1), reason: LeaveReason::Left });
    assert_eq!(stopped(&outputs), Some(sfu), "the last one out stops the SFU");
    assert!(room.room.is_closed());
}

#[test]
fn a_mesh_room_never_starts_an_sfu() {
    let mut room = room(MediaPolicy::Mesh);
    for n in 1..=8 {
        let outputs = room.join_speaking(n, None, true);
        assert_eq!(started(&outputs), None);
        assert_eq!(greeting_media(&outputs, n).map(|m| m.mode), Some(MediaMode::Mesh));
    }
    assert_eq!(answer(&room.join_speaking(9, None, true), conn(9)), Some(Err(Refusal::Full)));
}

#[test]
fn an_auto_room_of_sfu_speakers_holds_max_sfu_participants_and_a_mesh_only_joiner_max_participants() {
    let media = MediaSettings { max_sfu_participants: 6, seed: 1, ..MediaSettings::default() };
    let mut room = Harness::with(Options { max_participants: 3, media, ..Options::default() });
    for n in 1..=3 {
        room.join_speaking(n, None, true);
    }
    assert_eq!(answer(&room.join_speaking(4, None, false), conn(4)), Some(Err(Refusal::Full)), "mesh-only: 3");
    for n in 5..=7 {
        assert_eq!(answer(&room.join_speaking(n, None, true), conn(n)), Some(Ok(Entered::In)), "member {n}");
    }
    assert_eq!(answer(&room.join_speaking(8, None, true), conn(8)), Some(Err(Refusal::Full)), "SFU: 6");
    let media = room.room.sfu().map(|_| ());
    assert!(media.is_some(), "six members who speak SFU are an SFU room");
}

#[test]
fn a_signal_to_the_sfu_reaches_it_and_a_viewers_sending_offer_is_forbidden() {
    let mut room = room(MediaPolicy::Auto);
    let sfu = four_in_sfu(&mut room);
    room.join_speaking(5, Some(Role::Viewer), true);
    let outputs = room.input(Input::Signal { from: id(2), to: sfu, data: offer(SENDS), req: Some(3) });
    let to_sfu = outputs.iter().any(|o| matches!(o, Output::ToSfu { sfu: s, from, request } if *s == sfu && *from == id(2) && matches!(**request, SfuRequest::Signal(_))));
    assert!(to_sfu, "{outputs:?}");
    let outputs = room.input(Input::Signal { from: id(5), to: sfu, data: offer(SENDS), req: Some(4) });
    assert_eq!(error_to(&outputs, 5), Some(ErrorCode::Forbidden));
    assert!(!outputs.iter().any(|o| matches!(o, Output::ToSfu { .. })));
    let outputs = room.input(Input::Signal { from: id(5), to: sfu, data: offer(RECEIVES), req: Some(5) });
    assert!(outputs.iter().any(|o| matches!(o, Output::ToSfu { from, .. } if *from == id(5))), "recvonly is fine");
}

#[test]
fn a_signal_to_a_stale_sfu_id_is_an_unknown_peer() {
    let mut room = room(MediaPolicy::Auto);
    let sfu = four_in_sfu(&mut room);
    for n in [4, 3] {
        room.input(Input::Leave { id: id(n), conn: conn(n), reason: LeaveReason::Left });
    }
    assert_eq!(stopped(&room.advance(Duration::from_secs(30))), Some(sfu));
    let outputs = room.input(Input::Signal { from: id(1), to: sfu, data: offer(SENDS), req: Some(1) });
    assert_eq!(error_to(&outputs, 1), Some(ErrorCode::UnknownPeer));
}

#[test]
fn layers_tiles_and_pin_reach_the_sfu_in_sfu_mode_and_are_sfu_unavailable_in_mesh() {
    let mut room = room(MediaPolicy::Auto);
    room.join_speaking(1, None, true);
    let layers = SfuRequest::Layers(vec![Layer { rid: "l".into(), height: 180, bitrate: 150_000 }]);
    let outputs = room.input(Input::Sfu { from: id(1), request: Box::new(layers.clone()), req: Some(2) });
    assert_eq!(error_to(&outputs, 1), Some(ErrorCode::SfuUnavailable));
    assert!(!outputs.iter().any(|o| matches!(o, Output::Violation { .. })), "not a violation");
    for n in 2..=4 {
        room.join_speaking(n, None, true);
    }
    let outputs = room.input(Input::Sfu { from: id(1), request: Box::new(SfuRequest::Pin(Some(id(2)))), req: None });
    assert!(
        outputs.iter().any(|o| matches!(o, Output::ToSfu { request, .. } if **request == SfuRequest::Pin(Some(id(2)))))
    );
}

#[test]
fn the_active_speaker_is_told_to_everyone_only_from_the_current_sfu() {
    let mut room = room(MediaPolicy::Auto);
    let sfu = four_in_sfu(&mut room);
    let speaker = |outputs: &[Output]| {
        messages_to(outputs, id(1)).iter().any(|m| matches!(m, ServerMessage::Speaker { id: who } if *who == id(3)))
    };
    assert!(speaker(&room.input(Input::Speaker { sfu, id: id(3) })));
    assert!(!speaker(&room.input(Input::Speaker { sfu: id(99), id: id(3) })), "another SFU id");
}
