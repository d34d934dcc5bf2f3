//! The real `ruang` binary: it prints the URL to open, serves the protocol there, and on SIGTERM tells its
//! clients and exits cleanly.

use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn the_binary_prints_its_url_serves_and_drains_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .args(["--listen", "127.0.0.1:0", "--turn-listen", "127.0.0.1:0"])
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
