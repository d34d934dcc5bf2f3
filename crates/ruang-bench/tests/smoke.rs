//! A few-second smoke run of the load generator against a real ruang server and the minimal relay, so the
//! benchmark keeps working. It checks delivery, not speed: timing goals belong in docs/benchmarks.md.

use std::process::Command;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generator_relays_through_ruang_and_reports() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ruang_server::ServerConfig::default();
    config.turn.enabled = false;
    // The SFU starts with the server: a port of its own, so parallel tests do not collide on 3479.
    config.sfu_listen = Some("127.0.0.1:0".parse().unwrap());
    config.limits.messages_per_second = 100_000;
    config.limits.message_burst = 100_000;
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(ruang_server::run(listener, config, shutdown.clone()));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ruang-bench"))
            .args(["relay", "--server", &addr.to_string(), "--pairs", "4", "--rate", "400", "--seconds", "1"])
            .args(["--pid", &std::process::id().to_string()])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    let line = text.lines().find(|l| l.starts_with("relay ")).unwrap_or_else(|| panic!("{text}"));
    let field = |name: &str| -> u64 {
        let value = line.split_whitespace().find_map(|w| w.strip_prefix(&format!("{name}="))).unwrap();
        value.parse().unwrap()
    };
    assert!(field("sent") > 100, "{line}");
    assert_eq!(field("sent"), field("delivered"), "every message arrives: {line}");
    assert!(text.contains("latency_us p50="), "{text}");
    assert!(text.contains("server cpu_per_msg_us="), "{text}");
    shutdown.cancel();
    server.await.unwrap().unwrap();
}
