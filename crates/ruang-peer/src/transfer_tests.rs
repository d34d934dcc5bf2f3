//! The file protocol state machine against hand-written peer messages (what a hostile or broken peer may send).

use std::time::Instant;

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use super::*;

/// A receiver into a new empty directory, which is removed (passed or failed) when the `TempDir` is dropped.
fn receiver(name: &str) -> (Transfers, TempDir) {
    let dir = tempfile::Builder::new().prefix(&format!("ruang-peer-unit-{name}-")).tempdir().unwrap();
    let policy = ReceivePolicy { dir: dir.path().to_owned(), max_size: 1000, max_pending: 2 };
    (Transfers::new(Some(policy)), dir)
}

fn texts(t: &mut Transfers) -> Vec<String> {
    std::iter::from_fn(|| t.poll_outbound(Instant::now()))
        .map(|m| match m {
            Outbound::Text(s) => s,
            Outbound::Binary(_) => panic!("binary from a receiver"),
        })
        .collect()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn a_peer_chosen_path_lands_as_a_plain_name_inside_the_directory() {
    let (mut t, dir) = receiver("passwd");
    let now = Instant::now();
    t.handle_text(r#"{"t":"offer","id":"a1","name":"../../etc/passwd","size":5}"#, now);
    assert_eq!(texts(&mut t), [r#"{"t":"accept","id":"a1"}"#]);
    t.handle_text(r#"{"t":"begin","id":"a1"}"#, now);
    t.handle_binary(b"hello", now);
    let sha = format!("{:x}", Sha256::digest(b"hello"));
    t.handle_text(&format!(r#"{{"t":"end","id":"a1","sha256":"{sha}"}}"#), now);
    assert_eq!(texts(&mut t), [r#"{"t":"ok","id":"a1"}"#]);
    assert_eq!(listing(dir.path()), ["passwd"]);
    assert_eq!(std::fs::read(dir.path().join("passwd")).unwrap(), b"hello");
}

#[test]
fn a_wrong_hash_or_size_is_bad_and_leaves_nothing() {
    let (mut t, dir) = receiver("bad");
    let now = Instant::now();
    t.handle_text(r#"{"t":"offer","id":"a","name":"x","size":5}"#, now);
    t.handle_text(r#"{"t":"begin","id":"a"}"#, now);
    t.handle_binary(b"hello", now);
    t.handle_text(r#"{"t":"end","id":"a","sha256":"00"}"#, now);
    assert_eq!(texts(&mut t).last().map(String::as_str), Some(r#"{"t":"bad","id":"a"}"#));
    t.handle_text(r#"{"t":"offer","id":"b","name":"y","size":5}"#, now);
    t.handle_text(r#"{"t":"begin","id":"b"}"#, now);
    t.handle_binary(b"hell", now);
    let sha = format!("{:x}", Sha256::digest(b"hell"));
    t.handle_text(&format!(r#"{{"t":"end","id":"b","sha256":"{sha}"}}"#), now);
    assert_eq!(texts(&mut t).last().map(String::as_str), Some(r#"{"t":"bad","id":"b"}"#));
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn what_a_peer_can_make_us_spend_is_bounded() {
    let (mut t, dir) = receiver("bounds");
    let now = Instant::now();
    // announced too large: declined
    t.handle_text(r#"{"t":"offer","id":"big","name":"x","size":1001}"#, now);
    assert_eq!(texts(&mut t), [r#"{"t":"decline","id":"big"}"#]);
    // more than max_pending at once: declined
    for id in ["p1", "p2", "p3"] {
        t.handle_text(&format!(r#"{{"t":"offer","id":"{id}","name":"x","size":10}}"#), now);
    }
    assert_eq!(
        texts(&mut t),
        [r#"{"t":"accept","id":"p1"}"#, r#"{"t":"accept","id":"p2"}"#, r#"{"t":"decline","id":"p3"}"#]
    );
    // more bytes than announced: cancelled, nothing kept
    t.handle_text(r#"{"t":"begin","id":"p1"}"#, now);
    t.handle_binary(&[0; 11], now);
    assert_eq!(texts(&mut t), [r#"{"t":"cancel","id":"p1"}"#]);
    assert!(listing(dir.path()).is_empty());
    // chunks with no file begun are dropped
    t.handle_binary(&[0; 5], now);
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn a_flood_of_offers_is_bounded() {
    let (mut t, _dir) = receiver("flood");
    let now = Instant::now();
    for i in 0..MAX_OFFERS + 50 {
        t.handle_text(&format!(r#"{{"t":"offer","id":"f{i}","name":"x","size":5000}}"#), now);
    }
    // every offer looked at is declined (too large); the ones beyond the bound are not even looked at
    assert_eq!(texts(&mut t).len(), MAX_OFFERS);
    assert_eq!(std::iter::from_fn(|| t.poll_event()).count(), 2 * MAX_OFFERS);
}
