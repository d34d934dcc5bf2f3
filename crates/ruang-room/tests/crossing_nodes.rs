//! A room's inputs and outputs are plain data that can cross nodes: every variant, with every message it can
//! carry, serializes and reads back (serde) as an equal value, and a room driven by read-back inputs gives
//! exactly the outputs of a room driven by the originals.

mod common;
mod samples;

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::time::Duration;

use common::*;
use ruang_proto::{ClientMessage, LeaveReason, Limits, MediaState, Moderation, Role, parse_client_message};
use ruang_room::record::BrowserKeyHash;
use ruang_room::{Entered, Input, Join, Output, Resume};
use samples::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `value` written as JSON and read back: equal to `value`, and written again the same way.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) -> T {
    let text = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(&back, value, "{text}");
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
    back
}

fn covers<T>(samples: &[T], kind: fn(&T) -> &'static str, all: &[&'static str]) {
    let seen: BTreeSet<&str> = samples.iter().map(kind).collect();
    assert_eq!(seen, all.iter().copied().collect::<BTreeSet<_>>(), "a variant has no sample");
}

#[test]
fn every_server_message_reads_back_as_itself() {
    let messages = server_messages();
    covers(&messages, message_kind, &MESSAGE_KINDS);
    for message in &messages {
        assert_eq!(serde_json::to_value(message).unwrap()["type"], message_kind(message));
        round_trip(message);
    }
}

#[test]
fn every_input_reads_back_as_itself() {
    let inputs = inputs();
    covers(&inputs, input_kind, &INPUT_KINDS);
    inputs.iter().for_each(|input| drop(round_trip(input)));
}

#[test]
fn every_output_reads_back_as_itself() {
    let outputs = outputs();
    covers(&outputs, output_kind, &OUTPUT_KINDS);
    outputs.iter().for_each(|output| drop(round_trip(output)));
}

#[test]
fn a_signal_from_a_client_crosses_as_the_same_value_in_the_servers_spelling() {
    let frame = r#"{"type":"signal","to":"0000000000000002","data":{"kind": "offer", "sdp": "v=0\r\n"}}"#;
    let Ok(ClientMessage::Signal { to, data, req }) = parse_client_message(frame, &Limits::default()) else {
        panic!("the frame is a valid signal")
    };
    let input = Input::Signal { from: id(1), to, data: Box::new(data), req };
    let text = serde_json::to_string(&input).unwrap();
    assert!(text.contains(r#"{"kind": "offer", "sdp": "v=0\r\n"}"#), "written as the client wrote it: {text}");
    let back: Input = serde_json::from_str(&text).unwrap();
    assert_eq!(back, input);
    let Input::Signal { data, .. } = back else { unreachable!() };
    assert_eq!(data.json(), r#"{"kind":"offer","sdp":"v=0\r\n"}"#);
}

/// Gives `input` to `original` as it is and to `copy` as read back from JSON, checks both rooms answer with
/// the same outputs (written the same way, and each reading back as itself), and returns them.
fn both(original: &mut Harness, copy: &mut Harness, input: Input) -> Vec<Output> {
    let crossed: Input = serde_json::from_str(&serde_json::to_string(&input).unwrap()).unwrap();
    let outputs = original.input(input);
    let copied = copy.input(crossed);
    assert_eq!(serde_json::to_string(&outputs).unwrap(), serde_json::to_string(&copied).unwrap());
    assert_eq!(round_trip(&outputs), copied);
    outputs
}

fn generation_of(outputs: &[Output], who: u64) -> u32 {
    let given = outputs.iter().rev().find_map(|output| match output {
        Output::RoleChanged { id: whose, generation, .. } if whose.bits() == who => Some(*generation),
        Output::Attach(greeting) if greeting.id.bits() == who => Some(greeting.generation),
        _ => None,
    });
    given.unwrap_or_else(|| panic!("no generation for {who} in {outputs:?}"))
}

#[test]
fn a_room_driven_by_inputs_read_back_answers_as_the_original() {
    let media = || ruang_room::MediaSettings { threshold: 2, seed: 7, ..Default::default() };
    let options = || Options { records_persist: true, media: media(), ..Options::default() };
    let (mut a, mut b) = (Harness::with(options()), Harness::with(options()));
    let mut seen = Vec::new();
    let mut step = |a: &mut Harness, b: &mut Harness, input: Input| {
        let outputs = both(a, b, input);
        seen.extend(outputs.clone());
        outputs
    };
    let join = |n: u64, address: &str| {
        let browser_key = Some(BrowserKeyHash::of(&format!("key {n}")));
        let (address, invitation) = (Some(ip(address)), Some(format!("jti-{n}")));
        Input::Join(Box::new(Join {
            id: id(n),
            conn: conn(n),
            name: format!("p{n}"),
            media: MIC,
            req: Some(1),
            role: None,
            invitation,
            address,
            browser_key,
            sfu: n != 4,
        }))
    };
    let moderate = |action| Input::Moderate { by: id(1), action, req: Some(7) };

    step(&mut a, &mut b, join(1, "192.0.2.1"));
    let switched = step(&mut a, &mut b, join(2, "2001:db8:5::2"));
    let sfu = switched.iter().find_map(|o| if let Output::StartSfu { sfu } = o { Some(*sfu) } else { None });
    let sfu = sfu.expect("the second join moves the room to SFU");
    let pin = ruang_room::SfuRequest::Pin(Some(id(2)));
    step(&mut a, &mut b, Input::Sfu { from: id(1), request: Box::new(pin), req: Some(2) });
    step(&mut a, &mut b, Input::Speaker { sfu, id: id(2) });
    step(&mut a, &mut b, moderate(Moderation::LobbyOn));
    step(&mut a, &mut b, join(3, "198.51.100.3"));
    step(&mut a, &mut b, moderate(Moderation::Admit(id(3))));
    step(&mut a, &mut b, join(4, "198.51.100.4"));
    step(&mut a, &mut b, moderate(Moderation::Deny(id(4))));
    for (n, data) in signals().into_iter().enumerate() {
        let (from, to) = if n.is_multiple_of(2) { (id(1), id(2)) } else { (id(2), id(1)) };
        step(&mut a, &mut b, Input::Signal { from, to, data: Box::new(data), req: Some(n as u32) });
    }
    step(&mut a, &mut b, Input::Signal { from: id(2), to: id(9), data: Box::new(signals().remove(4)), req: Some(9) });
    step(&mut a, &mut b, Input::Chat { from: id(2), text: "hello".to_owned(), req: Some(3) });
    step(&mut a, &mut b, Input::Media { id: id(2), media: MediaState { audio: false, video: true, screen: true } });
    step(&mut a, &mut b, Input::Hand { id: id(2), raised: true, req: None });
    step(&mut a, &mut b, moderate(Moderation::Mute(id(2))));
    let promoted = step(&mut a, &mut b, moderate(Moderation::SetRole(id(2), Role::Moderator)));
    step(&mut a, &mut b, Input::Moderate { by: id(3), action: Moderation::Lock, req: Some(4) });
    step(&mut a, &mut b, Input::Ack { id: id(1), conn: conn(1), n: 3 });
    step(&mut a, &mut b, Input::Lost { id: id(2), conn: conn(2), reason: LeaveReason::Timeout });
    a.pass(Duration::from_secs(1));
    b.pass(Duration::from_secs(1));
    let generation = generation_of(&promoted, 2);
    let resume = |conn: u64, generation: u32| Resume {
        id: id(2),
        conn,
        media: MIC,
        req: Some(5),
        generation,
        last_n: 2,
        address: Some(ip("2001:db8:5::2")),
        restore: None,
    };
    let resumed = step(&mut a, &mut b, Input::Resume(Box::new(resume(201, generation))));
    assert_eq!(answer(&resumed, 201), Some(Ok(Entered::In)), "{resumed:?}");
    step(&mut a, &mut b, Input::Resume(Box::new(resume(202, generation))));
    step(&mut a, &mut b, Input::Slow { id: id(3), conn: conn(3) });
    step(&mut a, &mut b, moderate(Moderation::Ban(id(3))));
    step(&mut a, &mut b, moderate(Moderation::Lock));
    step(&mut a, &mut b, join(5, "203.0.113.5"));
    step(&mut a, &mut b, Input::Leave { id: id(2), conn: 201, reason: LeaveReason::Left });
    step(&mut a, &mut b, moderate(Moderation::End));
    a.pass(GRACE);
    b.pass(GRACE);
    step(&mut a, &mut b, Input::Timeout);

    let kinds: BTreeSet<&str> = seen.iter().map(output_kind).collect();
    for kind in OUTPUT_KINDS {
        assert!(kinds.contains(kind), "the script never gave {kind}: {kinds:?}");
    }
    assert!(
        seen.iter()
            .any(|o| matches!(o, Output::SaveRecord(r) if !r.banned_ids.is_empty() && !r.banned_addresses.is_empty()))
    );
}
