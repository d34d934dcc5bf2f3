//! `ruang send` and `ruang receive` as a person runs them: what they refuse before joining anything, each
//! with one line on stderr and exit status 1. (Transfers with a real server and real pages:
//! crates/ruang-peer/tests and tests/browser/specs/terminal.spec.js.)

use std::net::TcpListener;
use std::process::{Command, Output};

fn ruang(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruang")).args(args).env_remove("RUANG_ROOM_PASSWORD").output().expect("ruang runs")
}

fn refused(args: &[&str], says: &str) {
    let out = ruang(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(stderr.contains(says), "{args:?} should say {says:?}: {stderr}");
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn what_cannot_work_is_refused_up_front() {
    // removed, passed or failed, when `tmp` is dropped
    let tmp = tempfile::Builder::new().prefix("ruang-peer-cli-").suffix(".txt").tempfile().unwrap();
    std::fs::write(tmp.path(), b"hello").unwrap();
    let file = tmp.path().to_str().unwrap();
    let nowhere = format!("http://127.0.0.1:{}/r/room", closed_port());

    refused(&["send", "/nonexistent/file", "--to", &nowhere], "cannot read /nonexistent/file");
    refused(&["send", "/", "--to", &nowhere], "/ is not a file");
    refused(&["send", file, "--to", "ftp://example.org/r/x"], "expected http(s)://host/r/ROOM");
    refused(&["send", file, "--to", "http://example.org/rooms/x"], "no /r/ in the path");
    refused(&["send", file, "--to", &nowhere], "cannot connect to 127.0.0.1");
    refused(&["send", file, "--to", &nowhere, "--insecure-fingerprint", "AB:CD"], "not a SHA-256 fingerprint");
    refused(&["receive", "--from", &nowhere, "--dir", "/nonexistent/dir"], "cannot use /nonexistent/dir");
    refused(&["receive", "--from", &nowhere, "--dir", file], "is not a directory");
    refused(&["receive", "--from", "http://h/r/bad name"], "not a room name");
    // a password and an invitation at once make no sense
    let out = ruang(&["send", file, "--to", &nowhere, "--password", "p", "--invite", "i"]);
    assert_eq!(out.status.code(), Some(2), "clap's usage error");
}
