//! Parsing and validation of client frames: every class of bad input gets its own stable code.

use ruang_proto::{
    ClientMessage, ErrorCode, Limits, MediaState, PeerId, SignalData, check_peer_sdp, parse_client_message,
};

fn parse(frame: &str) -> Result<ClientMessage, ruang_proto::Rejection> {
    parse_client_message(frame, &Limits::default())
}

fn code(frame: &str) -> ErrorCode {
    parse(frame).expect_err(frame).code
}

#[test]
fn a_join_is_read_with_defaults_and_a_trimmed_name() {
    let msg = parse(r#"{"type":"join","room":"r1","name":"  Ayu  "}"#).unwrap();
    let ClientMessage::Join { room, name, media, req, .. } = msg else { panic!("not a join") };
    assert_eq!((room.as_str(), name.as_str(), media, req), ("r1", "Ayu", MediaState::default(), None));
}

#[test]
fn a_full_join_keeps_media_and_req() {
    let frame =
        r#"{"type":"join","v":1,"room":"r1","name":"A","media":{"audio":true,"video":false,"screen":false},"req":7}"#;
    let msg = parse(frame).unwrap();
    assert_eq!(msg.req(), Some(7));
    let ClientMessage::Join { media, .. } = msg else { panic!("not a join") };
    assert!(media.audio && !media.video);
}

#[test]
fn a_relayed_signal_carries_the_data_exactly_as_it_was_sent() {
    let frame =
        r#"{"type":"signal", "data" : { "sdp":"v=0\r\na=x \u00e9\"q\"" , "kind":"answer" }, "to":"00000000000000ff"}"#;
    let Ok(ClientMessage::Signal { data, .. }) = parse(frame) else { panic!("not a signal") };
    assert_eq!(data.json(), r#"{ "sdp":"v=0\r\na=x \u00e9\"q\"" , "kind":"answer" }"#);
    assert_eq!(data.data(), &SignalData::Answer { sdp: "v=0\r\na=x é\"q\"".into() });
    let relayed = ruang_proto::ServerMessage::Signal { from: PeerId::from_bits(1), data }.to_json();
    let relayed: serde_json::Value = serde_json::from_str(&relayed).unwrap();
    assert_eq!(relayed["data"], serde_json::json!({"kind": "answer", "sdp": "v=0\r\na=x é\"q\""}));
}

#[test]
fn signals_of_every_kind_are_read() {
    let offer = parse(r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"offer","sdp":"v=0\r\n"}}"#).unwrap();
    assert_eq!(
        offer,
        ClientMessage::Signal {
            to: PeerId::from_bits(255),
            data: SignalData::Offer { sdp: "v=0\r\n".into() }.into(),
            req: None
        }
    );
    let candidate = r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":null}}}"#;
    let Ok(ClientMessage::Signal { data, .. }) = parse(candidate) else { panic!("not a signal") };
    assert!(matches!(data.data(), SignalData::Candidate { .. }));
    let end = r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"candidate","candidate":{"candidate":""}}}"#;
    assert!(parse(end).is_ok());
}

#[test]
fn invalid_json_is_named_as_such() {
    for frame in ["", "{", "not json", "{\"type\":\"ping\"", "[1,2]", "42", "\"ping\"", "null", r#"["ping"]"#] {
        assert_eq!(code(frame), ErrorCode::InvalidJson, "{frame:?}");
    }
}

#[test]
fn unknown_or_missing_types_are_named_as_such() {
    for frame in [r#"{}"#, r#"{"type":"hack"}"#, r#"{"type":5}"#, r#"{"type":null}"#, r#"{"type":"welcome"}"#] {
        assert_eq!(code(frame), ErrorCode::UnknownType, "{frame:?}");
    }
}

#[test]
fn wrong_missing_or_unknown_fields_are_invalid_messages() {
    let frames = [
        r#"{"type":"join","room":"r1"}"#,
        r#"{"type":"join","room":1,"name":"a"}"#,
        r#"{"type":"join","room":"r1","name":"a","admin":true}"#,
        r#"{"type":"media","audio":"yes","video":true,"screen":false}"#,
        r#"{"type":"signal","to":"nobody","data":{"kind":"offer","sdp":"x"}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"rollback"}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"offer","sdp":""}}"#,
        r#"{"type":"chat","text":"   "}"#,
        r#"{"type":"leave","now":true}"#,
        r#"{"type":"ping","req":-1}"#,
    ];
    for frame in frames {
        assert_eq!(code(frame), ErrorCode::InvalidMessage, "{frame:?}");
    }
}

#[test]
fn a_readable_req_is_echoed_in_the_rejection() {
    let rejection = parse(r#"{"type":"chat","text":5,"req":9}"#).unwrap_err();
    assert_eq!((rejection.code, rejection.req), (ErrorCode::InvalidMessage, Some(9)));
    let rejection = parse(r#"{"type":"join","room":"bad room","name":"a","req":3}"#).unwrap_err();
    assert_eq!((rejection.code, rejection.req), (ErrorCode::InvalidRoom, Some(3)));
}

#[test]
fn join_checks_version_room_and_name() {
    assert_eq!(code(r#"{"type":"join","v":2,"room":"r","name":"a"}"#), ErrorCode::UnsupportedVersion);
    assert_eq!(code(r#"{"type":"join","room":"../x","name":"a"}"#), ErrorCode::InvalidRoom);
    assert_eq!(code(r#"{"type":"join","room":"","name":"a"}"#), ErrorCode::InvalidRoom);
    assert_eq!(code(r#"{"type":"join","room":"r","name":"  "}"#), ErrorCode::InvalidName);
    assert_eq!(code(r#"{"type":"join","room":"r","name":"a\u0007b"}"#), ErrorCode::InvalidName);
    let long = format!(r#"{{"type":"join","room":"r","name":"{}"}}"#, "n".repeat(65));
    assert_eq!(code(&long), ErrorCode::InvalidName);
}

#[test]
fn every_size_limit_is_enforced() {
    let limits = Limits { max_sdp_bytes: 10, max_candidate_bytes: 10, max_chat_bytes: 10, ..Limits::default() };
    let sdp = r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"answer","sdp":"01234567890"}}"#;
    let cand = r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"candidate","candidate":{"candidate":"01234567890"}}}"#;
    let mid = r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"candidate","candidate":{"candidate":"","sdpMid":"01234567890"}}}"#;
    let chat = r#"{"type":"chat","text":"01234567890"}"#;
    for frame in [sdp, cand, mid, chat] {
        assert_eq!(parse_client_message(frame, &limits).unwrap_err().code, ErrorCode::FieldTooLarge, "{frame}");
    }
    let small = Limits { max_frame_bytes: 16, ..Limits::default() };
    assert_eq!(parse_client_message(r#"{"type":"ping","req":1}"#, &small).unwrap_err().code, ErrorCode::FrameTooLarge);
}

#[test]
fn an_sdp_up_to_the_sfu_limit_is_read_and_held_to_max_sdp_bytes_only_for_a_peer() {
    let limits = Limits { max_sdp_bytes: 10, max_sfu_sdp_bytes: 20, ..Limits::default() };
    let signal =
        |sdp: &str| format!(r#"{{"type":"signal","to":"00000000000000ff","data":{{"kind":"answer","sdp":"{sdp}"}}}}"#);
    // 17 bytes once unescaped (`\r\n` is two), 21 as written.
    let mid = signal(r"v=0\r\n0123456789\r\n");
    let reading = limits.for_reading();
    let Ok(ClientMessage::Signal { data, .. }) = parse_client_message(&mid, &reading) else { panic!("{mid}") };
    assert_eq!(data.sdp_len(), Some(17));
    assert_eq!(check_peer_sdp(&data, &limits).unwrap_err().code, ErrorCode::FieldTooLarge);
    let small = parse_client_message(&signal("0123456789"), &reading).unwrap();
    let ClientMessage::Signal { data, .. } = small else { panic!("a signal") };
    assert_eq!(check_peer_sdp(&data, &limits), Ok(()));
    let over = signal(&"x".repeat(21));
    assert_eq!(parse_client_message(&over, &reading).unwrap_err().code, ErrorCode::FieldTooLarge);
    assert_eq!(parse_client_message(&mid, &limits).unwrap_err().code, ErrorCode::FieldTooLarge, "strict limits");
}

#[test]
fn error_messages_never_echo_a_large_part_of_the_frame() {
    let frame = format!(r#"{{"type":"media","audio":"{}","video":true,"screen":false}}"#, "x".repeat(5000));
    let rejection = parse(&frame).unwrap_err();
    assert!(rejection.message.len() < 200, "{}", rejection.message.len());
}

#[test]
fn a_reset_with_any_other_field_is_refused() {
    let to = r#""to":"00000000000000ff""#;
    let big = "x".repeat(60_000);
    let frames = [
        format!(r#"{{"type":"signal",{to},"data":{{"kind":"reset","sdp":"x"}}}}"#),
        format!(r#"{{"type":"signal",{to},"data":{{"kind":"reset","sdp":null}}}}"#),
        format!(r#"{{"type":"signal",{to},"data":{{"kind":"reset","extra":1}}}}"#),
        format!(r#"{{"type":"signal",{to},"data":{{"kind":"reset","sdp":"{big}"}},"req":3}}"#),
    ];
    let limits = Limits { max_frame_bytes: 1 << 20, ..Limits::default() };
    for frame in &frames {
        let rejection = parse_client_message(frame, &limits).expect_err(&frame[..80.min(frame.len())]);
        assert_eq!(rejection.code, ErrorCode::InvalidMessage, "{}", &frame[..80.min(frame.len())]);
    }
    assert_eq!(parse_client_message(&frames[3], &limits).map_err(|r| r.req), Err(Some(3)));
    let plain = format!(r#"{{"type":"signal",{to},"data":{{"kind":"reset"}}}}"#);
    assert!(matches!(parse(&plain), Ok(ClientMessage::Signal { .. })));
}

#[test]
fn the_request_id_is_read_from_any_frame_that_has_one() {
    assert_eq!(ruang_proto::read_req(r#"{"type":"chat","text":"hi","req":7}"#), Some(7));
    assert_eq!(ruang_proto::read_req(r#"{"req":8,"type":"nonsense","x":[1,{"req":9}]}"#), Some(8));
    assert_eq!(ruang_proto::read_req(r#"{"type":"ping"}"#), None);
    assert_eq!(ruang_proto::read_req(r#"{"type":"ping","req":-1}"#), None);
    assert_eq!(ruang_proto::read_req("not json"), None);
}

#[test]
fn a_join_may_carry_a_browser_key_of_at_most_128_bytes() {
    let frame = |key: &str| format!(r#"{{"type":"join","room":"r","name":"a","browser_key":"{key}"}}"#);
    let Ok(ClientMessage::Join { credentials, .. }) = parse(&frame(&"k".repeat(128))) else { panic!("a join") };
    assert_eq!(credentials.browser_key.as_deref().map(str::len), Some(128));
    assert_eq!(code(&frame(&"k".repeat(129))), ErrorCode::FieldTooLarge);
}

#[test]
fn a_spotlight_takes_a_target_and_spotlight_off_none() {
    let target = PeerId::from_bits(0xab);
    match parse(r#"{"type":"moderate","action":"spotlight","target":"00000000000000ab","req":4}"#) {
        Ok(ClientMessage::Moderate { action: ruang_proto::Moderation::Spotlight(id), req: Some(4) }) => {
            assert_eq!(id, target)
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse(r#"{"type":"moderate","action":"spotlight_off"}"#),
        Ok(ClientMessage::Moderate { action: ruang_proto::Moderation::SpotlightOff, req: None })
    ));
    for frame in [
        r#"{"type":"moderate","action":"spotlight"}"#,
        r#"{"type":"moderate","action":"spotlight","target":"nobody"}"#,
        r#"{"type":"moderate","action":"spotlight","target":"00000000000000ab","role":"host"}"#,
        r#"{"type":"moderate","action":"spotlight_off","target":"00000000000000ab"}"#,
        r#"{"type":"moderate","action":"spotlight","target":null}"#,
    ] {
        assert_eq!(code(frame), ErrorCode::InvalidMessage, "{frame:?}");
    }
}

#[test]
fn a_reaction_is_one_of_the_fixed_emoji_and_nothing_else() {
    use ruang_proto::Reaction;
    for reaction in Reaction::ALL {
        let frame = format!(r#"{{"type":"react","emoji":"{}","req":4}}"#, reaction.as_str());
        assert_eq!(parse(&frame), Ok(ClientMessage::React { emoji: reaction, req: Some(4) }));
    }
    assert_eq!(parse(r#"{"type":"react","emoji":"\ud83d\udc4d"}"#).map(|m| m.type_name()), Ok("react"), "escaped");
    for bad in ["hello", "", "\u{2764}", "\u{1F44D}\u{1F44D}", "<b>\u{1F44D}</b>", "\u{1F4A9}"] {
        let frame = format!(r#"{{"type":"react","emoji":"{bad}","req":2}}"#);
        let refused = parse(&frame).expect_err(&frame);
        assert_eq!((refused.code, refused.req), (ErrorCode::InvalidMessage, Some(2)), "{bad:?}");
        assert!(refused.message.starts_with("emoji is not a reaction"), "{}", refused.message);
    }
    for bad in [r#"{"type":"react"}"#, r#"{"type":"react","emoji":1}"#, r#"{"type":"react","emoji":"🎉","x":1}"#] {
        assert_eq!(code(bad), ErrorCode::InvalidMessage, "{bad}");
    }
    assert_eq!(ruang_proto::ErrorCode::TooManyReactions.as_str(), "too_many_reactions");
    assert!(!ruang_proto::ErrorCode::TooManyReactions.is_violation(), "an eager audience is never cut off");
}

#[test]
fn recording_says_on_or_off_and_nothing_else() {
    assert_eq!(
        parse(r#"{"type":"recording","on":true,"req":1}"#),
        Ok(ClientMessage::Recording { on: true, req: Some(1) })
    );
    assert_eq!(parse(r#"{"type":"recording","on":false}"#), Ok(ClientMessage::Recording { on: false, req: None }));
    for bad in [
        r#"{"type":"recording"}"#,
        r#"{"type":"recording","on":"yes"}"#,
        r#"{"type":"recording","on":null}"#,
        r#"{"type":"recording","on":true,"id":"00000000000000ff"}"#,
    ] {
        assert_eq!(code(bad), ErrorCode::InvalidMessage, "{bad}");
    }
}

#[test]
fn a_join_may_carry_a_host_password_of_at_most_256_bytes() {
    let Ok(ClientMessage::Join { credentials, .. }) =
        parse(r#"{"type":"join","room":"r","name":"A","host_password":"x"}"#)
    else {
        panic!("not a join")
    };
    assert_eq!(credentials.host_password.as_deref(), Some("x"));
    let long = format!(r#"{{"type":"join","room":"r","name":"A","host_password":"{}"}}"#, "x".repeat(257));
    assert_eq!(code(&long), ErrorCode::FieldTooLarge);
    assert_eq!(code(r#"{"type":"join","room":"r","name":"A","host_password":7}"#), ErrorCode::InvalidMessage);
}
