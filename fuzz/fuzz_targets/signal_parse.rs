//! Fuzzes the parsing of client text frames (ruang-proto): every frame gives a message or a rejection, never
//! a panic, and the signal fast path agrees with the general path on every frame it takes.
//!
//! Each frame is parsed twice: against the default limits, and against tiny ones so that the length checks
//! of every field are reached by short inputs.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ruang_proto::{Limits, fuzzing, parse_client_message};

fuzz_target!(|data: &[u8]| {
    // A WebSocket text frame is UTF-8; the WebSocket layer refuses anything else before parsing.
    let Ok(frame) = std::str::from_utf8(data) else {
        return;
    };
    let tiny = Limits {
        max_frame_bytes: 256,
        max_sdp_bytes: 8,
        max_sfu_sdp_bytes: 16,
        max_candidate_bytes: 4,
        max_chat_bytes: 4,
        max_name_bytes: 4,
        ..Limits::default()
    };
    // The server reads frames with `for_reading` (an SDP up to the SFU's limit).
    for limits in [Limits::default(), Limits::default().for_reading(), tiny.for_reading(), tiny] {
        check_frame(frame, &limits);
    }
});

fn check_frame(frame: &str, limits: &Limits) {
    let parsed = parse_client_message(frame, limits);
    if frame.len() > limits.max_frame_bytes || !frame.trim_start().starts_with('{') {
        assert!(parsed.is_err(), "a frame refused before parsing was accepted: {frame:?}");
        return;
    }
    let general = fuzzing::general_path(frame, limits);
    if let Some(fast) = fuzzing::signal_fast_path(frame, limits) {
        assert_eq!(fast, general, "the signal fast path and the general path disagree on {frame:?}");
    }
    assert_eq!(parsed, general, "parse_client_message is not its general path on {frame:?}");
}
