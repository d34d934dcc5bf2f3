//! The signal fast path, which checks an SDP on its escaped text, against the eager reading it replaced
//! (every SDP unescaped into a `String` to be measured), kept here as the reference: on every frame both
//! take the same decision (leave it to the general path, accept it, or refuse it with the same rejection),
//! and an accepted payload has the same JSON text and, unescaped, the same typed value.
//!
//! Frames: the fuzz corpus of `signal_parse` (fuzz/corpus/signal_parse, and any folder named by
//! `RUANG_SIGNAL_CORPUS`), SDPs built from every kind of escape, and lengths around the limit counted both
//! escaped and unescaped.

use std::path::PathBuf;

use super::*;

/// The fast path as it was: the SDP unescaped into the typed value, then measured.
fn eager_parse_signal(frame: &str, limits: &Limits) -> Option<Result<ClientMessage, Rejection>> {
    let SignalFrame { to, data: json, req, .. } = serde_json::from_str::<SignalFrame>(frame).ok()?;
    let data = serde_json::from_str::<FlatSignal<String>>(json.get()).ok()?.typed()?;
    Some(match check_signal(&data, limits) {
        Ok(()) => Ok(ClientMessage::Signal { to, data: SignalPayload::from_parts(data, json.to_owned()), req }),
        Err(rejection) => Err(rejection.with_req(req)),
    })
}

/// Asserts that both readings of `frame` agree, and returns whether the fast path accepted it.
fn assert_same(frame: &str, limits: &Limits) -> bool {
    let (fast, eager) = (parse_signal(frame, limits), eager_parse_signal(frame, limits));
    assert_eq!(fast, eager, "{frame:?} against {limits:?}");
    if let (Some(Ok(ClientMessage::Signal { data: fast, .. })), Some(Ok(ClientMessage::Signal { data: eager, .. }))) =
        (&fast, &eager)
    {
        assert_eq!(fast.json(), eager.json(), "{frame:?}");
        assert_eq!(fast.data(), eager.data(), "{frame:?}");
        return true;
    }
    false
}

/// The limits the fuzz target uses, the defaults, and some in between.
fn limits() -> Vec<Limits> {
    let with_sdp = |max_sdp_bytes| Limits { max_sdp_bytes, max_frame_bytes: 1 << 20, ..Limits::default() };
    let tiny = Limits { max_frame_bytes: 256, max_sdp_bytes: 8, max_candidate_bytes: 4, ..Limits::default() };
    vec![Limits::default(), tiny, with_sdp(1), with_sdp(12), with_sdp(13)]
}

fn offer(sdp: &str) -> String {
    format!(r#"{{"type":"signal","to":"00000000000000ff","data":{{"kind":"offer","sdp":"{sdp}"}},"req":1}}"#)
}

fn answer(sdp: &str) -> String {
    format!(r#"{{"data":{{"sdp":"{sdp}","kind":"answer"}},"to":"00000000000000ff","type":"signal"}}"#)
}

/// SDP text pieces, escaped as they stand in a frame: plain and multibyte text, every escape, surrogate
/// pairs in either case, lone surrogates, broken escapes and raw control characters.
const PIECES: [&str; 28] = [
    "v=0",
    "é",
    "日",
    "😀",
    "\\r\\n",
    "\\\"",
    "\\\\",
    "\\/",
    "\\b\\f\\t",
    "\\u0000",
    "\\u00e9",
    "\\u00E9",
    "\\u65e5",
    "\\ud83d\\ude00",
    "\\uDBFF\\uDFFF",
    "\\ud83d",
    "\\ude00",
    "\\ud83d\\r",
    "\\ud83d\\ud83d\\ude00",
    "\\ud83d\\u0041",
    "\\x",
    "\\u12g4",
    "\\u-123",
    "\\u00",
    "\\",
    "\t",
    "\r\n",
    "\u{7f}",
];

#[test]
fn the_escaped_check_decides_as_the_unescaping_one_on_every_pair_of_pieces() {
    let limits = limits();
    let mut accepted = 0;
    for a in PIECES {
        for b in PIECES {
            let sdp = format!("{a}{b}");
            for frame in [offer(&sdp), answer(&sdp)] {
                for limits in &limits {
                    accepted += usize::from(assert_same(&frame, limits));
                }
            }
        }
    }
    assert!(accepted > 1000, "only {accepted} accepted: the cases do not reach the accepting branch");
}

#[test]
fn the_escaped_check_draws_the_length_limit_where_the_unescaping_one_did() {
    // (escaped unit, its unescaped length): the limit falls between escaped and unescaped lengths.
    let units = [("a", 1), ("\\n", 1), ("\\u00e9", 2), ("é", 2), ("\\u65e5", 3), ("\\ud83d\\ude00", 4), ("😀", 4)];
    let mut verdicts = [0; 3];
    for max_sdp_bytes in [1, 7, 8, 16, 32 * 1024] {
        let limits = Limits { max_sdp_bytes, max_frame_bytes: 1 << 20, ..Limits::default() };
        for (unit, unit_len) in units {
            let around = (max_sdp_bytes / unit_len).saturating_sub(2)..=max_sdp_bytes / unit_len + 2;
            for count in around {
                for pad in 0..4 {
                    let sdp = format!("{}{}", unit.repeat(count), "a".repeat(pad));
                    let accepted = assert_same(&offer(&sdp), &limits);
                    let len = count * unit_len + pad;
                    assert_eq!(accepted, (1..=max_sdp_bytes).contains(&len), "{len} bytes against {max_sdp_bytes}");
                    verdicts[usize::from(accepted) + usize::from(len == max_sdp_bytes)] += 1;
                }
            }
        }
    }
    assert!(verdicts.iter().all(|&n| n > 0), "not every side of the limit reached: {verdicts:?}");
}

#[test]
fn the_escaped_check_decides_as_the_unescaping_one_on_random_sdps_and_shapes() {
    // A fixed xorshift sequence: the same cases on every run.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % below as u64).unwrap_or(0)
    };
    let shapes = [
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"offer","sdp":"SDP"}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{ "sdp" : "SDP" , "kind" : "answer" } ,"req":7}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"offer","sd\u0070":"SDP"}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"reset","sdp":"SDP"}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"candidate","sdp":"SDP"}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"offer","sdp":"SDP","sdp":"SDP"}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"offer","sdp":"SDP","x":1}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"offer","sdp":["SDP"]}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"offer","sdp":null}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"offer","sdp":5}}"#,
        r#"{"type":"signal","to":"00000000000000ff","data":{"kind":"offer","sdp":"SDP"},"x":"SDP"}"#,
    ];
    let limits = limits();
    let mut accepted = 0;
    for _ in 0..20_000 {
        let sdp: String = (0..next(40)).map(|_| PIECES[next(PIECES.len())]).collect();
        let frame = shapes[next(shapes.len())].replace("SDP", &sdp);
        accepted += usize::from(assert_same(&frame, &limits[next(limits.len())]));
    }
    assert!(accepted > 100, "only {accepted} accepted");
}

#[test]
fn the_escaped_check_decides_as_the_unescaping_one_on_the_fuzz_corpus() {
    let mut folders = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/signal_parse")];
    folders.extend(std::env::var_os("RUANG_SIGNAL_CORPUS").map(PathBuf::from));
    let limits = limits();
    let (mut frames, mut accepted) = (0, 0);
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let Ok(bytes) = std::fs::read(entry.path()) else { continue };
            let Ok(frame) = std::str::from_utf8(&bytes) else { continue };
            for limits in &limits {
                accepted += usize::from(assert_same(frame, limits));
                if frame.len() <= limits.max_frame_bytes && frame.trim_start().starts_with('{') {
                    assert_eq!(parse_client_message(frame, limits), fuzzing::general_path(frame, limits), "{frame:?}");
                }
            }
            frames += 1;
        }
    }
    eprintln!("{frames} corpus frames, {accepted} accepted readings, all agreeing");
}
