//! The real binary's log: `--log-format json` gives one JSON object per line, and in either format an
//! info-level log of a meeting never shows the room's name (a short hash instead), SDP, ICE candidates or
//! the client's address (given by a trusted proxy's `X-Forwarded-For`, so that it differs from the server's
//! own loopback address, which the log may show).

use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WAIT: Duration = Duration::from_secs(20);
const ROOM: &str = "unguessable-room-7f3a9c";
const CANDIDATE: &str = "candidate:1 1 udp 2122260223 198.51.100.23 54321 typ host";
const SDP: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 198.51.100.23\r\ns=-\r\nt=0 0\r\n";
/// The clients' address, as the trusted proxy on loopback forwards it.
const CLIENT: &str = "203.0.113.77";

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects to `ws_url` as a client at [`CLIENT`] behind the trusted proxy.
async fn connect(ws_url: &str) -> Socket {
    let mut request = ws_url.into_client_request().expect("a request");
    request.headers_mut().insert("x-forwarded-for", CLIENT.parse().expect("a header value"));
    tokio_tungstenite::connect_async(request).await.expect("connect").0
}

/// Runs a server with `format`, has two clients meet in [`ROOM`] and exchange an offer and a candidate,
/// stops it, and returns everything it logged on stderr.
async fn log_of_a_meeting(format: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .env_clear()
        .args(["--listen", "127.0.0.1:0", "--log", "info", "--log-format", format, "--media-mode", "mesh"])
        .args(["--turn-listen", "127.0.0.1:0", "--trusted-proxy", "127.0.0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start ruang");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(WAIT, stdout.next_line()).await.unwrap().unwrap().expect("a line");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL");
    let ws_url = format!("{}ws", url.replacen("http://", "ws://", 1));

    let mut alice = connect(&ws_url).await;
    alice.send(Message::text(format!(r#"{{"type":"join","room":"{ROOM}","name":"alice"}}"#))).await.unwrap();
    next_of_type(&mut alice, "welcome").await;
    let mut bob = connect(&ws_url).await;
    bob.send(Message::text(format!(r#"{{"type":"join","room":"{ROOM}","name":"bob"}}"#))).await.unwrap();
    let welcome = next_of_type(&mut bob, "welcome").await;
    let alice_id = welcome["peers"][0]["id"].as_str().expect("alice's id").to_owned();
    let offer = serde_json::json!({"type": "signal", "to": alice_id, "data": {"kind": "offer", "sdp": SDP}});
    bob.send(Message::text(offer.to_string())).await.unwrap();
    let candidate = serde_json::json!({"type": "signal", "to": alice_id,
        "data": {"kind": "candidate", "candidate": {"candidate": CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0}}});
    bob.send(Message::text(candidate.to_string())).await.unwrap();
    next_of_type(&mut alice, "signal").await;
    drop((alice, bob));

    let pid = child.id().expect("pid").to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let mut stderr = String::new();
    let mut pipe = child.stderr.take().unwrap();
    tokio::time::timeout(WAIT, pipe.read_to_string(&mut stderr)).await.expect("stderr closes").expect("read");
    let exit = tokio::time::timeout(WAIT, child.wait()).await.expect("exits in time").unwrap();
    assert!(exit.success(), "{exit:?}\n{stderr}");
    stderr
}

async fn next_of_type<S>(ws: &mut S, kind: &str) -> serde_json::Value
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    for _ in 0..50 {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("a message in time") {
            Some(Ok(Message::Text(text))) => {
                let message: serde_json::Value = serde_json::from_str(&text).unwrap();
                if message["type"] == kind {
                    return message;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    panic!("no {kind} in 50 messages")
}

fn assert_private(log: &str) {
    for secret in [ROOM, "198.51.100.23", CLIENT, "candidate:", "v=0", "alice", "bob"] {
        assert!(!log.contains(secret), "the log shows {secret}:\n{log}");
    }
}

#[tokio::test]
async fn json_logs_are_json_lines_that_name_rooms_by_a_short_hash() {
    let log = log_of_a_meeting("json").await;
    let lines: Vec<serde_json::Value> =
        log.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}"))).collect();
    assert!(lines.iter().all(|line| line["level"].is_string() && line["timestamp"].is_string()), "{log}");
    let joined: Vec<&serde_json::Value> = lines.iter().filter(|line| line["message"] == "joined").collect();
    assert_eq!(joined.len(), 2, "{log}");
    let room = joined[0]["room"].as_str().expect("a room field");
    assert!(room.starts_with('#') && room.len() == 9, "{room}");
    assert!(joined.iter().all(|line| line["room"] == room), "the same hash in every line");
    assert!(lines.iter().any(|line| line["message"] == "listening"), "{log}");
    assert_private(&log);
}

#[tokio::test]
async fn text_logs_keep_the_same_privacy() {
    let log = log_of_a_meeting("text").await;
    assert!(log.lines().filter(|line| line.contains("joined")).count() == 2, "{log}");
    assert!(serde_json::from_str::<serde_json::Value>(log.lines().next().unwrap_or_default()).is_err());
    assert_private(&log);
}
