//! The protocol's media-mode parts: `join.modes`, the SFU-only messages `layers`, `tiles` and `pin` with
//! their limits, and what the server sends (`welcome.media_mode`, `media_mode`, `speaker`) — absent for a
//! client that does not speak SFU.

use ruang_proto::{ClientMessage, ErrorCode, Layer, Limits, MediaMode, PeerId, ServerMessage, parse_client_message};

fn parse(frame: &str) -> Result<ClientMessage, ruang_proto::Rejection> {
    parse_client_message(frame, &Limits::default())
}

fn code(frame: &str) -> ErrorCode {
    parse(frame).expect_err(frame).code
}

fn join_modes(modes: &str) -> String {
    format!(r#"{{"type":"join","room":"r","name":"a","modes":{modes}}}"#)
}

#[test]
fn a_join_speaks_sfu_only_when_its_modes_list_sfu() {
    let sfu = |frame: &str| match parse(frame) {
        Ok(ClientMessage::Join { sfu, .. }) => sfu,
        other => panic!("not a join: {other:?}"),
    };
    assert!(!sfu(r#"{"type":"join","room":"r","name":"a"}"#));
    assert!(!sfu(&join_modes(r#"["mesh"]"#)));
    assert!(sfu(&join_modes(r#"["mesh","sfu"]"#)));
    assert!(sfu(&join_modes(r#"["sfu","mesh"]"#)));
}

#[test]
fn a_join_with_unknown_repeated_or_no_modes_is_invalid() {
    for modes in [r#"[]"#, r#"["mesh","mesh"]"#, r#"["mesh","p2p"]"#, r#""sfu""#, r#"[1]"#, "null"] {
        assert_eq!(code(&join_modes(modes)), ErrorCode::InvalidMessage, "{modes}");
    }
}

#[test]
fn layers_are_read_smallest_first_with_their_rid_height_and_bitrate() {
    let frame = r#"{"type":"layers","layers":[{"rid":"l","height":180,"bitrate":150000},{"rid":"h","height":720,"bitrate":1500000}],"req":3}"#;
    let Ok(ClientMessage::Layers { layers, req }) = parse(frame) else { panic!("not layers") };
    assert_eq!(req, Some(3));
    assert_eq!(layers[0], Layer { rid: "l".into(), height: 180, bitrate: 150_000 });
    assert_eq!(layers[1].rid, "h");
}

#[test]
fn layers_refuse_bad_rids_repeats_more_than_four_and_unknown_fields() {
    let layer = |rid: &str| format!(r#"{{"rid":"{rid}","height":1,"bitrate":1}}"#);
    let frame = |layers: Vec<String>| format!(r#"{{"type":"layers","layers":[{}]}}"#, layers.join(","));
    for bad in [
        vec![layer("")],
        vec![layer(&"a".repeat(17))],
        vec![layer("l-1")],
        vec![layer("l"), layer("l")],
        vec![layer("a"), layer("b"), layer("c"), layer("d"), layer("e")],
        vec![r#"{"rid":"l","height":1,"bitrate":1,"fps":30}"#.to_owned()],
        vec![r#"{"rid":"l","height":-1,"bitrate":1}"#.to_owned()],
    ] {
        assert_eq!(code(&frame(bad.clone())), ErrorCode::InvalidMessage, "{bad:?}");
    }
    assert!(parse(&frame(vec![layer(&"a".repeat(16)), layer("Z9")])).is_ok());
}

#[test]
fn tiles_are_at_most_max_sfu_participants() {
    let tile = r#"{"id":"a81c0e55f0e3b902","height":240}"#;
    let frame = |n: usize| format!(r#"{{"type":"tiles","tiles":[{}]}}"#, vec![tile; n].join(","));
    let limits = Limits { max_sfu_participants: 3, ..Limits::default() };
    let Ok(ClientMessage::Tiles { tiles, .. }) = parse_client_message(&frame(3), &limits) else { panic!("tiles") };
    assert_eq!((tiles[0].id, tiles[0].height), (PeerId::from_bits(0xa81c_0e55_f0e3_b902), 240));
    assert_eq!(parse_client_message(&frame(4), &limits).expect_err("4").code, ErrorCode::InvalidMessage);
    assert_eq!(code(r#"{"type":"tiles","tiles":[{"id":"x","height":1}]}"#), ErrorCode::InvalidMessage);
}

#[test]
fn pin_takes_an_id_or_null_to_unpin() {
    let id = PeerId::from_bits(1);
    assert_eq!(parse(r#"{"type":"pin","id":"0000000000000001"}"#), Ok(ClientMessage::Pin { id: Some(id), req: None }));
    assert_eq!(parse(r#"{"type":"pin","id":null}"#), Ok(ClientMessage::Pin { id: None, req: None }));
    assert_eq!(code(r#"{"type":"pin"}"#), ErrorCode::InvalidMessage);
    assert_eq!(code(r#"{"type":"pin","id":"zz"}"#), ErrorCode::InvalidMessage);
}

#[test]
fn the_sfu_errors_are_not_violations() {
    assert!(!ErrorCode::SfuRequired.is_violation());
    assert!(!ErrorCode::SfuUnavailable.is_violation());
    assert_eq!(ErrorCode::SfuRequired.as_str(), "sfu_required");
    assert_eq!(ErrorCode::SfuUnavailable.as_str(), "sfu_unavailable");
}

#[test]
fn the_mode_messages_have_the_documented_wire_form() {
    let sfu = PeerId::from_bits(0x5a0d_7be2_c91f_3e08);
    let to_sfu = ServerMessage::MediaMode { mode: MediaMode::Sfu, sfu: Some(sfu) }.to_json();
    assert_eq!(to_sfu, r#"{"type":"media_mode","mode":"sfu","sfu":"5a0d7be2c91f3e08"}"#);
    let to_mesh = ServerMessage::MediaMode { mode: MediaMode::Mesh, sfu: None }.to_json();
    assert_eq!(to_mesh, r#"{"type":"media_mode","mode":"mesh"}"#);
    let speaker = ServerMessage::Speaker { id: sfu }.to_json();
    assert_eq!(speaker, r#"{"type":"speaker","id":"5a0d7be2c91f3e08"}"#);
}

#[test]
fn the_limits_in_welcome_do_not_show_max_sfu_participants() {
    let json = serde_json::to_value(Limits::default()).unwrap();
    assert!(json.get("max_sfu_participants").is_none());
    assert_eq!(json["max_participants"], 8);
}
