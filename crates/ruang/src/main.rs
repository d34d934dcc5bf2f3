//! The `ruang` binary: reads configuration (file, environment, flags), sets up logging, serves until
//! SIGINT or SIGTERM, then drains. Everything else lives in the `ruang-server` library.

mod cli;
mod ctl;
mod descriptors;
mod operations;
mod tools;

use anyhow::Context;
use clap::Parser;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = cli::Args::parse();
    match &args.command {
        Some(cli::Command::Token(token)) => return tools::token(token),
        Some(cli::Command::HashPassword) => return tools::hash_password(),
        Some(cli::Command::Ctl(args)) => return ctl::run(args).await,
        None => {}
    }
    let filter = EnvFilter::try_from_env("RUANG_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
    let mut config = args.config()?;
    descriptors::raise_and_fit(&mut config);
    let listener =
        TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    let tls = ruang_server::tls::prepare(&config.tls)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("ruang is running: open {scheme}://{address}/");
    if config.turn.enabled {
        let turn = config.turn.listen.unwrap_or(std::net::SocketAddr::new(address.ip(), 3478));
        println!("built-in STUN/TURN on {turn} (UDP and TCP)");
    }
    if let Some(tls) = tls.as_ref().filter(|tls| tls.self_signed) {
        println!("self-signed certificate, SHA-256 fingerprint {}", tls.fingerprint);
    }
    tracing::info!(%address, scheme, "listening");
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    ruang_server::serve(listener, config, tls, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Cancels `shutdown` on SIGINT (Ctrl-C) or SIGTERM.
async fn stop_on_signal(shutdown: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: telling clients");
    shutdown.cancel();
}
