//! A few-second run of the SFU bots against a real ruang server with every room in SFU mode, so the bots
//! keep working: 4 bots each receive the other 3's video and audio through the SFU. It checks that media
//! is forwarded (counts that are zero if forwarding breaks), not how fast: load figures belong in
//! docs/benchmarks.md.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_bots_each_receive_the_other_three_through_the_sfu() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ruang_server::ServerConfig::default();
    config.turn.enabled = false;
    config.media_mode = ruang_server::config::MediaPolicy::Sfu;
    config.sfu_listen = Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    config.sfu_public_ip = Some(Ipv4Addr::LOCALHOST.into());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(ruang_server::run(listener, config, shutdown.clone()));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ruang-bench"))
            .args(["sfu", "--addr", &addr.to_string(), "--bots", "4", "--seconds", "2", "--setup-seconds", "20"])
            .args(["--pid", &std::process::id().to_string()])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    let line = text.lines().find(|l| l.starts_with("sfu ")).unwrap_or_else(|| panic!("{text}"));
    let field = |line: &str, name: &str| -> String {
        let value = line.split_whitespace().find_map(|w| w.strip_prefix(&format!("{name}=")));
        value.unwrap_or_else(|| panic!("no {name} in {line}")).to_owned()
    };
    assert_eq!(field(line, "video_streams"), "12/12", "each bot gets the 3 others' video: {text}");
    assert_eq!(field(line, "audio_streams"), "12/12", "each bot gets the 3 others' audio: {text}");
    let forwarded = text.lines().find(|l| l.starts_with("forwarded ")).unwrap_or_else(|| panic!("{text}"));
    let frames: f64 = field(forwarded, "frames_per_s").parse().unwrap();
    assert!(frames > 0.0, "{text}");
    assert!(text.contains("server cpu_cores="), "the server's /proc figures are read: {text}");
    shutdown.cancel();
    server.await.unwrap().unwrap();
}
