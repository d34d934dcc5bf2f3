//! `ruang ctl` against the real binary: a server process with an API key, real clients in a room, and each
//! subcommand run as its own process, its table (and `--json`) read back and its effect seen by the clients.

use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);
const KEY: &str = "ctl-test-key";
/// SHA-256 of [`KEY`].
const KEY_SHA256: &str = "a8afd08fa30e462c6750a2f72ccb610bb31f1d8a6874f973c77ea4a5fd2bc580";

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `ruang ctl --server <server> <args>`: status, stdout and stderr.
async fn ctl(server: &str, args: &[&str]) -> (bool, String, String) {
    let output = tokio::time::timeout(
        WAIT,
        Command::new(env!("CARGO_BIN_EXE_ruang"))
            .args(["ctl", "--server", server])
            .args(args)
            .env("RUANG_API_KEY", KEY)
            .output(),
    )
    .await
    .expect("ctl ends in time")
    .expect("ctl runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

async fn ok(server: &str, args: &[&str]) -> String {
    let (success, stdout, stderr) = ctl(server, args).await;
    assert!(success, "ctl {args:?} failed: {stderr}");
    stdout
}

async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next()).await.expect("a message in time");
        if let Some(Ok(Message::Text(text))) = frame {
            let message: Value = serde_json::from_str(&text).expect("JSON");
            if message["type"] == kind {
                return message;
            }
        } else if !matches!(frame, Some(Ok(Message::Ping(_) | Message::Pong(_)))) {
            panic!("expected {kind}, got {frame:?}");
        }
    }
}

async fn join(ws_url: &str, room: &str, name: &str) -> (Socket, String) {
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.expect("connect");
    ws.send(Message::text(json!({"type": "join", "room": room, "name": name}).to_string())).await.expect("send");
    let welcome = next_of(&mut ws, "welcome").await;
    let id = welcome["you"].as_str().expect("you").to_owned();
    (ws, id)
}

#[tokio::test]
async fn every_ctl_command_works_against_a_running_server() {
    let dir = tempfile_dir();
    let config = dir.path().join("ruang.toml");
    std::fs::write(&config, format!("api_key_sha256 = \"{KEY_SHA256}\"\n")).expect("write config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .args(["--listen", "127.0.0.1:0", "--sfu-listen", "127.0.0.1:0", "--no-turn", "--config"])
        .arg(&config)
        .env("RUANG_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start ruang");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(WAIT, stdout.next_line()).await.expect("in time").expect("read").expect("line");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL").trim_end_matches('/');
    let server = url.to_owned();
    let ws_url = format!("{}/ws", server.replacen("http://", "ws://", 1));

    let (mut ayu, ayu_id) = join(&ws_url, "standup", "Ayu").await;
    let (mut budi, budi_id) = join(&ws_url, "standup", "Budi").await;
    next_of(&mut ayu, "peer_joined").await;

    let status = ok(&server, &["status"]).await;
    assert_eq!(status.lines().next(), Some("DRAINING  ROOMS  CONNECTIONS"), "{status}");
    assert_eq!(status.lines().nth(1).map(|l| l.split_whitespace().collect::<Vec<_>>()), Some(vec!["no", "1", "2"]));

    let rooms = ok(&server, &["rooms"]).await;
    assert_eq!(rooms, "ROOM     PARTICIPANTS  LOCKED  LOBBY\nstandup  2             no      no\n");
    let json_rooms: Value = serde_json::from_str(&ok(&server, &["--json", "rooms"]).await).expect("--json is JSON");
    assert_eq!(json_rooms[0]["room"], "standup");
    assert_eq!(json_rooms[0]["participants"][1]["name"], "Budi");

    let people = ok(&server, &["participants", "standup"]).await;
    let lines: Vec<&str> = people.lines().collect();
    assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["ID", "NAME", "ROLE", "SENDING", "STATE"]);
    assert!(lines[1].starts_with(&ayu_id) && lines[1].contains("Ayu") && lines[1].contains("host"), "{people}");
    assert!(lines[2].starts_with(&budi_id) && lines[2].contains("participant"), "{people}");

    assert_eq!(ok(&server, &["lock", "standup"]).await, "ok\n");
    assert_eq!(next_of(&mut ayu, "room_state").await["locked"], true);
    assert_eq!(ok(&server, &["unlock", "standup"]).await, "ok\n");
    assert_eq!(next_of(&mut ayu, "room_state").await["locked"], false);

    ok(&server, &["mute", "standup", &budi_id]).await;
    ok(&server, &["remove", "standup", &budi_id]).await;
    assert_eq!(next_of(&mut budi, "removed").await["reason"], "removed");
    assert_eq!(next_of(&mut ayu, "peer_left").await["id"], budi_id.as_str());
    let (mut citra, citra_id) = join(&ws_url, "standup", "Citra").await;
    ok(&server, &["ban", "standup", &citra_id]).await;
    assert_eq!(next_of(&mut citra, "removed").await["reason"], "banned");

    let invite = ok(&server, &["invite", "standup", "--role", "moderator", "--name", "Dewi"]).await;
    assert!(invite.starts_with("path: /r/standup#invite="), "{invite}");
    let invite_json: Value = serde_json::from_str(&ok(&server, &["--json", "invite", "standup"]).await).expect("JSON");
    assert!(invite_json["token"].as_str().is_some_and(|t| t.split('.').count() == 3));

    let drained = ok(&server, &["drain"]).await;
    assert!(drained.lines().nth(1).is_some_and(|l| l.starts_with("yes")), "{drained}");
    let (mut fresh, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await.expect("connect");
    fresh.send(Message::text(r#"{"type":"join","room":"new-room","name":"x"}"#)).await.expect("send");
    assert_eq!(next_of(&mut fresh, "error").await["code"], "too_many_rooms");
    ok(&server, &["undrain"]).await;

    ok(&server, &["end", "standup"]).await;
    assert_eq!(next_of(&mut ayu, "removed").await["reason"], "ended");

    // Refusals: a clear message and status 1.
    let (success, _, stderr) = ctl(&server, &["remove", "standup", "0123456789abcdef"]).await;
    assert!(!success && stderr.contains("404") && stderr.contains("no such"), "{stderr}");
    let wrong = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .args(["ctl", "--server", &server, "--api-key", "wrong", "rooms"])
        .output()
        .await
        .expect("runs");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("401"), "{wrong:?}");
    let _ = child.kill().await;
}

/// A fresh directory for the test's config file, removed (passed or failed) when dropped.
fn tempfile_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("ruang-ctl-test-").tempdir().expect("temp dir")
}

#[tokio::test]
async fn ctl_reaches_an_https_server_by_its_printed_fingerprint_and_refuses_an_unknown_certificate() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .args(["--listen", "127.0.0.1:0", "--sfu-listen", "127.0.0.1:0", "--no-turn", "--tls-self-signed"])
        .env("RUANG_API_KEY_SHA256", KEY_SHA256)
        .env("RUANG_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start ruang");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut server, mut fingerprint) = (None, None);
    while fingerprint.is_none() {
        let line = tokio::time::timeout(WAIT, stdout.next_line()).await.expect("in time").expect("read");
        let line = line.expect("the fingerprint line before the output ends");
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("https://")) {
            server = Some(url.trim_end_matches('/').to_owned());
        }
        fingerprint = line.strip_prefix("self-signed certificate, SHA-256 fingerprint ").map(str::to_owned);
    }
    let (server, fingerprint) = (server.expect("an https:// URL"), fingerprint.expect("fingerprint"));

    let status = ok(&server, &["--fingerprint", &fingerprint, "status"]).await;
    assert_eq!(status.lines().next(), Some("DRAINING  ROOMS  CONNECTIONS"), "{status}");

    let (success, _, stderr) = ctl(&server, &["status"]).await;
    assert!(!success && stderr.contains("TLS"), "the system's authorities do not vouch for it: {stderr}");
    let wrong = "00".repeat(32);
    let (success, _, stderr) = ctl(&server, &["--fingerprint", &wrong, "status"]).await;
    assert!(!success && stderr.contains("not the pinned one"), "{stderr}");
    let (success, _, stderr) = ctl(&server, &["--fingerprint", "12:34", "status"]).await;
    assert!(!success && stderr.contains("SHA-256 fingerprint"), "{stderr}");
    let _ = child.kill().await;
}
