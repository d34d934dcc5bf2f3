//! The `ruang` binary: reads configuration (file, environment, flags), sets up logging, binds every
//! listener, announces itself, serves until SIGINT or SIGTERM, then drains. A failure at any step before
//! serving is one line on stderr and exit status 1, and nothing is announced first. Everything else lives
//! in the `ruang-server` library.

mod cli;
mod ctl;
mod descriptors;
mod logging;
mod peer;
mod settings;
mod tools;

use std::process::ExitCode;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, Command, ConfigCommand};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ruang: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, without a backtrace. A cause whose text its error already
/// shows is left out: some errors both print their source and return it from `source()` (the SFU's and
/// TURN's bind errors), and `{:#}` would repeat "Address already in use" up to three times.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse()?;
    match &cli.args.command {
        Some(Command::Token(token)) => tools::token(token),
        Some(Command::HashPassword) => tools::hash_password(),
        Some(Command::Config(ConfigCommand::Print)) => {
            print!("{}", tools::print_config(&cli.config()?));
            Ok(())
        }
        Some(Command::Ctl(args)) => {
            let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(ctl::run(args))
        }
        Some(Command::Send(args)) => {
            peer_logging();
            let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(peer::send(args))
        }
        Some(Command::Receive(args)) => {
            peer_logging();
            let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(peer::receive(args))
        }
        Some(Command::Config(ConfigCommand::Check { file })) => {
            cli::check_file(file)?;
            println!("{}: ok", file.display());
            Ok(())
        }
        None => {
            let config = cli.config()?;
            logging::init(&config.log)?;
            let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(serve(config))
        }
    }
}

/// `send` and `receive` log warnings only, unless RUANG_LOG says otherwise (the progress bars speak).
fn peer_logging() {
    let filter = std::env::var("RUANG_LOG").ok().and_then(|f| tracing_subscriber::EnvFilter::try_new(f).ok());
    let filter = filter.unwrap_or_else(|| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Binds everything, says where it listens, and serves until a signal.
async fn serve(mut config: ruang_server::ServerConfig) -> anyhow::Result<()> {
    descriptors::raise_and_fit(&mut config);
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (choose another address with --listen)", config.listen))?;
    let tls = ruang_server::tls::prepare(&config.tls)?;
    let shutdown = CancellationToken::new();
    let started = ruang_server::start(listener, config, tls.clone(), shutdown.clone()).await?;
    let address = started.http_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("ruang is running: open {scheme}://{address}/");
    if let Some(turn) = started.turn_addr() {
        println!("built-in STUN/TURN on {turn} (UDP and TCP)");
    }
    if let Some(admin) = started.admin_addr() {
        println!("admin API and metrics on http://{admin}/ (/metrics, /api/admin/…)");
    }
    if let Some(sfu) = started.sfu_addr() {
        println!("SFU media on {sfu} (UDP and TCP)");
    }
    if let Some(tls) = tls.as_ref().filter(|tls| tls.self_signed) {
        println!("self-signed certificate, SHA-256 fingerprint {}", tls.fingerprint);
    }
    tracing::info!(%address, scheme, "listening");
    tokio::spawn(stop_on_signal(shutdown));
    started.run().await?;
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

#[cfg(test)]
mod tests {
    use super::one_line;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot bind on 127.0.0.1:3479: {0}")]
    struct Bind(#[from] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("{0} (choose another address with --sfu-listen)")]
    struct Start(#[from] Bind);

    #[test]
    fn a_cause_already_shown_is_not_repeated_and_a_new_one_is_added() {
        let io = std::io::Error::from(std::io::ErrorKind::AddrInUse);
        let err = anyhow::Error::new(Start(Bind(io)));
        assert_eq!(
            one_line(&err),
            "cannot bind on 127.0.0.1:3479: address in use (choose another address with --sfu-listen)"
        );
        let err =
            anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::NotFound)).context("cannot read ruang.toml");
        assert_eq!(one_line(&err), "cannot read ruang.toml: entity not found");
    }
}
