//! The real `ruang` binary: it prints the URL to open, serves the protocol there, and on SIGTERM tells its
//! clients and exits cleanly; under a low open-file limit it fits its connection limit to it, keeps
//! answering `/healthz`, and answers 503 beyond its limit instead of leaving clients waiting.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn the_binary_prints_its_url_serves_and_drains_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .args(["--listen", "127.0.0.1:0", "--sfu-listen", "127.0.0.1:0", "--turn-listen", "127.0.0.1:0"])
        .env("RUANG_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start ruang");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(WAIT, stdout.next_line()).await.unwrap().unwrap().expect("a line");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL in the first line");
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "{line}");
    let ws_url = format!("{}ws", url.replacen("http://", "ws://", 1));

    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await.expect("connect");
    ws.send(Message::text(r#"{"type":"join","room":"bin","name":"t"}"#)).await.unwrap();
    let welcome = next_text(&mut ws).await;
    assert_eq!(welcome["type"], "welcome");

    let pid = child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(status.success());
    assert_eq!(next_text(&mut ws).await, serde_json::json!({"type": "shutdown", "reason": "stopping"}));
    let close = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
    assert!(matches!(close, Some(Ok(Message::Close(Some(ref f)))) if u16::from(f.code) == 1001), "{close:?}");
    drop(ws);
    let exit = tokio::time::timeout(WAIT, child.wait()).await.expect("exits in time").unwrap();
    assert!(exit.success(), "{exit:?}");
}

async fn next_text<S>(ws: &mut S) -> serde_json::Value
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap(),
            Some(Ok(Message::Ping(_))) => continue,
            other => panic!("{other:?}"),
        }
    }
}

/// A TCP connection to `server` from the loopback address `from`.
async fn connect_from(from: [u8; 4], server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::from((from, 0))).expect("bind");
    tokio::time::timeout(WAIT, socket.connect(server)).await.expect("connect in time").expect("connect")
}

/// The status line of `GET /healthz` from 127.0.0.1 (bounded by [`WAIT`]).
async fn health_status(server: SocketAddr) -> String {
    let mut stream = connect_from([127, 0, 0, 1], server).await;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_string(&mut answer)).await;
    assert!(read.is_ok(), "/healthz answers in time");
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_open_file_limit_is_raised_and_under_it_healthz_answers_and_connections_beyond_the_limit_get_503() {
    // A soft limit of 256 under a hard limit of 512: the server raises it to 512, keeps 128 descriptors for
    // the rest of the process, so 336 WebSocket connections and 42 sockets for plain HTTP besides them.
    let mut child = Command::new("sh")
        .args(["-c", "ulimit -S -n 256 && ulimit -H -n 512 && exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_ruang")])
        .args(["--listen", "127.0.0.1:0", "--sfu-listen", "127.0.0.1:0", "--no-turn", "--join-timeout-ms", "60000"])
        .args(["--heartbeat-interval-ms", "30000", "--heartbeat-timeout-ms", "60000"])
        .env("RUANG_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start ruang");
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let lowered = tokio::time::timeout(WAIT, async {
        while let Ok(Some(line)) = stderr.next_line().await {
            if line.contains("max_connections lowered") {
                return line;
            }
        }
        String::new()
    })
    .await
    .expect("a log line in time");
    assert!(lowered.contains("max_connections=336") && lowered.contains("open_file_limit=512"), "{lowered}");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(WAIT, stdout.next_line()).await.unwrap().unwrap().expect("a line");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL");
    let server: SocketAddr = url.trim_start_matches("http://").trim_end_matches('/').parse().expect("address");

    // One address opens more connections than the process has descriptors, and sends nothing.
    let mut attack = Vec::new();
    for _ in 0..600 {
        attack.push(connect_from([127, 0, 0, 2], server).await);
    }
    assert_eq!(health_status(server).await, "HTTP/1.1 200 OK", "/healthz answers under a one-address flood");
    drop(attack);

    // Many addresses open WebSockets until the server refuses; refusals are 503 answers, not a wait.
    let ws_url = format!("ws://{server}/ws");
    let mut sockets = Vec::new();
    let mut refused = None;
    for n in 0..400u32 {
        let from = [127, 0, 1 + (n / 40) as u8, 1 + (n % 40) as u8];
        let tcp = connect_from(from, server).await;
        let upgrade = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(ws_url.as_str(), tcp)).await;
        match upgrade.expect("an answer in time") {
            Ok((ws, _)) => sockets.push(ws),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                refused = Some(response.status().as_u16());
                break;
            }
            Err(other) => panic!("after {n} connections: {other}"),
        }
    }
    assert_eq!(refused, Some(503), "refused with 503 after {} connections", sockets.len());
    assert!(sockets.len() <= 336, "{} connections", sockets.len());
    assert_eq!(health_status(server).await, "HTTP/1.1 200 OK", "/healthz answers with every WebSocket place taken");
}
