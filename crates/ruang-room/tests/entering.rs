//! Entering a room without sockets: join order and introductions, the lobby, bans, and when a room closes.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use ruang_proto::{LeaveReason, Moderation, Role, ServerMessage};
use ruang_room::{Entered, Entry, Input, Join, Output, Refusal, record::BrowserKeyHash};

fn newcomer(n: u64) -> Join {
    Join {
        id: id(n),
        conn: conn(n),
        name: format!("p{n}"),
        media: MIC,
        req: None,
        role: None,
        invitation: None,
        address: None,
        browser_key: None,
        sfu: false,
    }
}

#[test]
fn a_newcomer_is_published_and_greeted_before_the_others_learn_of_it() {
    let mut room = Harness::new();
    let first = room.join(1);
    assert_eq!(answer(&first, conn(1)), Some(Ok(Entered::In)));
    let second = room.join(2);
    assert_eq!(
        kinds(&second)[..4],
        ["publish 2", "attach 2 on 200", "answer 200 Ok(In)", "broadcast peer_joined"],
        "{second:?}"
    );
    let Some(Output::Attach(greeting)) = second.iter().find(|o| matches!(o, Output::Attach(_))) else { panic!() };
    assert_eq!(greeting.entry, Entry::Joined);
    assert_eq!(greeting.joined.peers.iter().map(|p| p.id).collect::<Vec<_>>(), vec![id(1)]);
    assert_eq!(greeting.joined.role, Role::Participant);
    let Some(Output::Broadcast { except, .. }) = second.iter().find(|o| matches!(o, Output::Broadcast { .. })) else {
        panic!()
    };
    assert_eq!(*except, Some(id(2)), "the newcomer is not told about itself");
}

#[test]
fn the_first_in_is_host_and_the_others_are_introduced_in_join_order() {
    let mut room = Harness::new();
    let first = room.join(1);
    let Some(Output::Attach(greeting)) = first.iter().find(|o| matches!(o, Output::Attach(_))) else { panic!() };
    assert_eq!(greeting.joined.role, Role::Host);
    room.join(2);
    let third = room.join(3);
    let Some(Output::Attach(greeting)) = third.iter().find(|o| matches!(o, Output::Attach(_))) else { panic!() };
    assert_eq!(greeting.joined.peers.iter().map(|p| p.id).collect::<Vec<_>>(), vec![id(1), id(2)]);
}

#[test]
fn a_leaving_member_is_unpublished_before_the_others_are_told() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    let left = room.input(Input::Leave { id: id(2), conn: conn(2), reason: LeaveReason::Left });
    assert_eq!(kinds(&left)[..3], ["forget 200", "unpublish 2", "broadcast peer_left"], "{left:?}");
}

#[test]
fn a_leave_from_a_replaced_connection_is_ignored() {
    let mut room = Harness::new();
    room.join(1);
    room.join(2);
    room.lose(2, conn(2));
    room.resume(2, 201, 0, 0);
    let stale = room.input(Input::Leave { id: id(2), conn: conn(2), reason: LeaveReason::Left });
    assert!(stale.is_empty(), "{stale:?}");
    assert!(room.room.roster().contains(id(2)));
}

#[test]
fn the_lobby_holds_newcomers_until_a_host_admits_them() {
    let mut room = Harness::with(Options { lobby: true, ..Options::default() });
    room.join(1);
    let waiting = room.join(2);
    assert_eq!(answer(&waiting, conn(2)), Some(Ok(Entered::Waiting)));
    assert!(matches!(messages_to(&waiting, id(2))[..], [ServerMessage::Waiting { .. }]), "{waiting:?}");
    assert!(matches!(messages_to(&waiting, id(1))[..], [ServerMessage::LobbyJoined { .. }]), "{waiting:?}");
    assert!(!waiting.iter().any(|o| matches!(o, Output::Publish { .. })), "not in the member table yet");

    let admitted = room.input(Input::Moderate { by: id(1), action: Moderation::Admit(id(2)), req: None });
    let order = kinds(&admitted);
    assert_eq!(order[..3], ["publish 2", "attach 2 on 200", "broadcast peer_joined"], "{admitted:?}");
    assert!(order.contains(&"deliver lobby_left to 1".to_owned()), "{order:?}");
    assert!(room.room.roster().contains(id(2)));
}

#[test]
fn a_denied_newcomer_is_told_and_its_connection_ends() {
    let mut room = Harness::with(Options { lobby: true, ..Options::default() });
    room.join(1);
    room.join(2);
    let denied = room.input(Input::Moderate { by: id(1), action: Moderation::Deny(id(2)), req: None });
    let order = kinds(&denied);
    assert!(order.starts_with(&["reply removed on 200".to_owned(), "disconnect 200 Removed".to_owned()]), "{order:?}");
    assert!(!order.iter().any(|k| k.starts_with("unpublish")), "it was never published");
    assert!(!room.room.roster().is_waiting(id(2)));
}

#[test]
fn a_full_lobby_refuses_and_a_waiting_newcomer_can_give_up() {
    let mut room = Harness::with(Options { lobby: true, max_waiting: 1, ..Options::default() });
    room.join(1);
    room.join(2);
    assert_eq!(answer(&room.join(3), conn(3)), Some(Err(Refusal::LobbyFull)));
    let gave_up = room.lose(2, conn(2));
    assert_eq!(kinds(&gave_up)[..2], ["forget 200", "deliver lobby_left to 1"], "{gave_up:?}");
    assert_eq!(answer(&room.join(3), conn(3)), Some(Ok(Entered::Waiting)));
}

#[test]
fn a_full_room_and_a_locked_room_refuse_with_one_refusal_type() {
    let mut room = Harness::with(Options { max_participants: 2, ..Options::default() });
    room.join(1);
    room.join(2);
    assert_eq!(answer(&room.join(3), conn(3)), Some(Err(Refusal::Full)));
    assert_eq!(answer(&room.join(1), conn(1)), Some(Err(Refusal::DuplicateId)));
    room.input(Input::Leave { id: id(2), conn: conn(2), reason: LeaveReason::Left });
    room.input(Input::Moderate { by: id(1), action: Moderation::Lock, req: None });
    assert_eq!(answer(&room.join(4), conn(4)), Some(Err(Refusal::Locked)));
    assert_eq!(answer(&room.join_as(5, Some(Role::Host)), conn(5)), Some(Ok(Entered::In)), "a host invitation");
}

#[test]
fn a_ban_covers_the_id_the_address_and_the_browser_key_but_not_an_invitation() {
    let mut room = Harness::new();
    room.join(1);
    let address: IpAddr = "192.0.2.7".parse().unwrap();
    let key = BrowserKeyHash::of("browser");
    room.input(Input::Join(Box::new(Join { address: Some(address), browser_key: Some(key), ..newcomer(2) })));
    let banned = room.input(Input::Moderate { by: id(1), action: Moderation::Ban(id(2)), req: None });
    let order = kinds(&banned);
    let at = |k: &str| order.iter().position(|o| o == k).unwrap_or_else(|| panic!("{k} in {order:?}"));
    assert!(at("unpublish 2") < at("broadcast peer_left"));
    assert!(at("reply removed on 200") < at("disconnect 200 Removed"));
    assert!(banned.iter().any(|o| matches!(o, Output::SaveRecord(r) if r.banned_ids.contains(&id(2)))));

    let same_address = Join { address: Some(address), ..newcomer(3) };
    assert_eq!(answer(&room.input(Input::Join(Box::new(same_address))), conn(3)), Some(Err(Refusal::Banned)));
    let same_browser = Join { browser_key: Some(key), ..newcomer(4) };
    assert_eq!(answer(&room.input(Input::Join(Box::new(same_browser))), conn(4)), Some(Err(Refusal::Banned)));
    let invited =
        Join { address: Some(address), role: Some(Role::Participant), invitation: Some("i".into()), ..newcomer(5) };
    assert_eq!(answer(&room.input(Input::Join(Box::new(invited))), conn(5)), Some(Ok(Entered::In)));
    let other = Join { address: Some("192.0.2.8".parse().unwrap()), ..newcomer(6) };
    assert_eq!(answer(&room.input(Input::Join(Box::new(other))), conn(6)), Some(Ok(Entered::In)));
}

#[test]
fn banning_an_invited_member_bans_its_invitation() {
    let mut room = Harness::new();
    room.join(1);
    let invited = Join { role: Some(Role::Participant), invitation: Some("jti-1".into()), ..newcomer(2) };
    room.input(Input::Join(Box::new(invited.clone())));
    room.input(Input::Moderate { by: id(1), action: Moderation::Ban(id(2)), req: None });
    let again = Join { id: id(3), conn: conn(3), ..invited };
    assert_eq!(answer(&room.input(Input::Join(Box::new(again))), conn(3)), Some(Err(Refusal::Banned)));
    assert!(room.room.record().bans_invitation("jti-1"));
}

#[test]
fn a_room_closes_when_its_last_member_leaves_and_records_the_end() {
    let mut room = Harness::new();
    room.join(1);
    let left = room.input(Input::Leave { id: id(1), conn: conn(1), reason: LeaveReason::Left });
    let order = kinds(&left);
    assert_eq!(order[order.len() - 2..], ["save", "closed"], "{order:?}");
    assert!(left.iter().any(|o| matches!(o, Output::SaveRecord(r) if r.ended_at.is_some() && r.roster.is_empty())));
    assert!(room.room.is_closed());
    assert_eq!(answer(&room.join(2), conn(2)), Some(Err(Refusal::Closed)), "a join still on its way retries");
}

#[test]
fn a_new_room_waits_for_its_first_join_then_gives_up() {
    let mut room = Harness::new();
    assert!(room.room.poll_timeout().is_some());
    assert!(room.advance(Duration::from_secs(5)).is_empty());
    assert!(!room.room.is_closed());
    let order = kinds(&room.advance(Duration::from_secs(5)));
    assert_eq!(order, ["save", "closed"]);
}

#[test]
fn turning_the_lobby_off_lets_everyone_waiting_in_in_arrival_order() {
    let mut room = Harness::with(Options { lobby: true, ..Options::default() });
    room.join(1);
    room.join(3);
    room.join(2);
    let opened = room.input(Input::Moderate { by: id(1), action: Moderation::LobbyOff, req: None });
    let greeted: Vec<u64> = opened
        .iter()
        .filter_map(|o| match o {
            Output::Attach(greeting) => Some(greeting.id.bits()),
            _ => None,
        })
        .collect();
    assert_eq!(greeted, vec![3, 2]);
}
