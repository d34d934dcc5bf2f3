//! The churn benchmark: participants join and leave continuously at a set rate, in rooms of a few, while
//! pairs relay signals; reports join errors and the relay's latency under churn.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{Protocol, join};
use crate::relay::{RelayArgs, measure};

/// Options of `churn`.
#[derive(Args)]
pub struct ChurnArgs {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    server: SocketAddr,
    /// The server's process id.
    #[arg(long)]
    pid: Option<u32>,
    /// Joins per second (each participant leaves again after `--stay-ms`).
    #[arg(long, default_value_t = 200)]
    rate: u64,
    /// How long each churning participant stays, in milliseconds.
    #[arg(long, default_value_t = 500)]
    stay_ms: u64,
    /// Relayed messages per second meanwhile, over 20 pairs.
    #[arg(long, default_value_t = 2000)]
    relay_rate: u64,
    /// Seconds to run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

pub async fn run(args: ChurnArgs) -> anyhow::Result<()> {
    let joined = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let churn =
        tokio::spawn(churn(args.server, args.rate, args.stay_ms, deadline, Arc::clone(&joined), Arc::clone(&failed)));
    let relay = RelayArgs {
        server: args.server,
        protocol: Protocol::Ruang,
        pid: args.pid,
        receiver_server: None,
        also_pid: Vec::new(),
        pairs: 20,
        rate: args.relay_rate,
        window: 16,
        payload: "candidate".into(),
        seconds: args.seconds,
        prefix: format!("churn-relay-{}", std::process::id()),
    };
    let report = measure(&relay).await?;
    churn.await?;
    let [p50, p90, p99, max] = report.latency;
    println!(
        "churn joins={} failed={} over {}s; relay sent={} delivered={} latency_us p50={p50} p90={p90} p99={p99} max={max}",
        joined.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        args.seconds,
        report.sent,
        report.delivered
    );
    Ok(())
}

async fn churn(
    server: SocketAddr,
    rate: u64,
    stay_ms: u64,
    deadline: Instant,
    joined: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
) {
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    let mut n = 0u64;
    let mut tasks = Vec::new();
    while Instant::now() < deadline {
        ticker.tick().await;
        n += 1;
        let room = format!("churn-{}", n / 4);
        let (joined, failed) = (Arc::clone(&joined), Arc::clone(&failed));
        tasks.push(tokio::spawn(async move {
            match join(Protocol::Ruang, server, None, &room, "churn").await {
                Ok(mut participant) => {
                    joined.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(stay_ms)).await;
                    let _ = participant.ws.send(Message::text(r#"{"type":"leave"}"#)).await;
                    let _ = participant.ws.close(None).await;
                }
                Err(_) => {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}
