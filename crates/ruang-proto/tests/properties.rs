//! Property tests: parsing never panics on any input, and every valid message survives a round trip
//! through its wire form.

use proptest::prelude::*;
use ruang_proto::{ClientMessage, IceCandidate, Limits, MediaState, PeerId, SignalData, parse_client_message};
use serde_json::json;

fn media() -> impl Strategy<Value = MediaState> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(audio, video, screen)| MediaState { audio, video, screen })
}

fn signal_data() -> impl Strategy<Value = SignalData> {
    prop_oneof![
        "[ -~]{1,200}".prop_map(|sdp| SignalData::Offer { sdp }),
        "[ -~]{1,200}".prop_map(|sdp| SignalData::Answer { sdp }),
        ("[ -~]{0,100}", proptest::option::of("[0-9a-z]{1,4}"), proptest::option::of(any::<u16>())).prop_map(
            |(candidate, sdp_mid, sdp_m_line_index)| SignalData::Candidate {
                candidate: IceCandidate { candidate, sdp_mid, sdp_m_line_index, username_fragment: None }
            }
        ),
        Just(SignalData::Reset),
    ]
}

/// A valid message and its wire form, written by hand (not by the code under test).
fn valid_message() -> impl Strategy<Value = (ClientMessage, String)> {
    let req = proptest::option::of(any::<u32>());
    prop_oneof![
        ("[A-Za-z0-9_-]{1,64}", "[a-zA-Z][a-zA-Z ]{0,30}[a-zA-Z]", media(), req.clone()).prop_map(
            |(room, name, m, req)| {
                let wire = json!({"type": "join", "room": room, "name": name, "media": m_json(m), "req": req});
                let room = ruang_proto::RoomName::parse(&room).unwrap();
                (
                    ClientMessage::Join { room, name, media: m, credentials: Default::default(), sfu: false, req },
                    wire.to_string(),
                )
            }
        ),
        (any::<u64>(), signal_data(), req.clone()).prop_map(|(to, data, req)| {
            let wire = json!({"type": "signal", "to": format!("{to:016x}"), "data": data_json(&data), "req": req});
            (ClientMessage::Signal { to: PeerId::from_bits(to), data: data.into(), req }, wire.to_string())
        }),
        (media(), req.clone()).prop_map(|(m, req)| {
            let wire = json!({"type": "media", "audio": m.audio, "video": m.video, "screen": m.screen, "req": req});
            (ClientMessage::Media { media: m, req }, wire.to_string())
        }),
        ("[A-Za-z0-9._-]{1,300}", any::<u64>(), media(), req.clone()).prop_map(|(token, last_n, m, req)| {
            let wire = json!({"type": "resume", "token": token, "last_n": last_n, "media": m_json(m), "req": req});
            (ClientMessage::Resume { token, last_n, media: m, req }, wire.to_string())
        }),
        ("[a-zA-Z<>&\"'\\\\]{1,50}", req).prop_map(|(text, req)| {
            let wire = json!({"type": "chat", "text": text, "req": req});
            (ClientMessage::Chat { text, req }, wire.to_string())
        }),
    ]
}

fn m_json(m: MediaState) -> serde_json::Value {
    json!({"audio": m.audio, "video": m.video, "screen": m.screen})
}

fn data_json(data: &SignalData) -> serde_json::Value {
    match data {
        SignalData::Offer { sdp } => json!({"kind": "offer", "sdp": sdp}),
        SignalData::Answer { sdp } => json!({"kind": "answer", "sdp": sdp}),
        SignalData::Candidate { candidate: c } => json!({"kind": "candidate", "candidate": {
            "candidate": c.candidate, "sdpMid": c.sdp_mid, "sdpMLineIndex": c.sdp_m_line_index}}),
        SignalData::Reset => json!({"kind": "reset"}),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(frame in ".{0,300}") {
        let _ = parse_client_message(&frame, &Limits::default());
    }

    #[test]
    fn json_shaped_noise_never_panics(frame in r#"\{("(type|to|data|kind|sdp|room|name|req|v|media|text)"|[:,{}\[\]0-9a-z" -])*\}?"#) {
        let _ = parse_client_message(&frame, &Limits::default());
    }

    #[test]
    fn valid_messages_parse_to_what_was_written((expected, wire) in valid_message()) {
        prop_assert_eq!(parse_client_message(&wire, &Limits::default()), Ok(expected));
    }

    #[test]
    fn truncated_valid_messages_are_rejected_not_misread((_, wire) in valid_message(), cut in 1usize..40) {
        let end = wire.len().saturating_sub(cut);
        if wire.is_char_boundary(end) {
            prop_assert!(parse_client_message(&wire[..end], &Limits::default()).is_err());
        }
    }
}
