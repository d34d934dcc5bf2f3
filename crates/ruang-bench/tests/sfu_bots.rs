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
            .args(["sfu", "--addr", &addr.to_string(), "--bots", "4", "--seconds", "2", "--setup-seconds", "60"])
            .args(["--pid", &std::process::id().to_string()])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    let field = |line: &str, name: &str| -> String {
        let value = line.split_whitespace().find_map(|w| w.strip_prefix(&format!("{name}=")));
        value.unwrap_or_else(|| panic!("no {name} in {line}")).to_owned()
    };
    // Every bot received every other bot's audio and video at some point (within the bench's 60 s wait).
    // The measured window is not asserted on: on a loaded machine, debug bots and server may fall behind it.
    let setup = text.lines().find(|l| l.starts_with("setup ")).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(field(setup, "streams_seen"), "24/24", "each bot gets the 3 others' video and audio: {text}");
    assert!(text.lines().any(|l| l.starts_with("sfu server=ruang bots=4 ")), "the report is printed: {text}");
    assert!(text.contains("server cpu_cores="), "the server's /proc figures are read: {text}");
    shutdown.cancel();
    server.await.unwrap().unwrap();
}
