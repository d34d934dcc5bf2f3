//! The scale benchmark: many joined, idle participants in rooms of a few, then the relay latency of one
//! busy room while the rest idle.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use tokio::sync::Semaphore;

use crate::client::{Protocol, join, stay_idle};
use crate::procfs::sample;
use crate::relay::{RelayArgs, measure};

/// Options of `scale`.
#[derive(Args)]
pub struct ScaleArgs {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    server: SocketAddr,
    /// The server's protocol.
    #[arg(long, value_enum, default_value = "ruang")]
    protocol: Protocol,
    /// The server's process id.
    #[arg(long)]
    pid: u32,
    /// Participants to join.
    #[arg(long, default_value_t = 10_000)]
    participants: usize,
    /// Participants per room.
    #[arg(long, default_value_t = 6)]
    room_size: usize,
    /// Joins in flight at once.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Loopback source addresses to spread connections over (127.0.0.1, .2, ...), each good for ~28k.
    #[arg(long, default_value_t = 4)]
    source_ips: u8,
}

pub async fn run(args: ScaleArgs) -> anyhow::Result<()> {
    let pid = args.pid.to_string();
    let before = sample(&pid)?;
    let own_before = sample("self")?;
    let gate = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.participants);
    for n in 0..args.participants {
        let permit = Arc::clone(&gate).acquire_owned().await?;
        let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (n % usize::from(args.source_ips.max(1))) as u8));
        let room = format!("scale-{}", n / args.room_size.max(1));
        let server = args.server;
        let protocol = args.protocol;
        tasks.push(tokio::spawn(async move {
            let joined = join(protocol, server, Some(source), &room, "idle").await;
            drop(permit);
            joined.map(|participant| tokio::spawn(stay_idle(participant, protocol)))
        }));
    }
    let mut participants = Vec::with_capacity(tasks.len());
    let mut failures = 0usize;
    for task in tasks {
        match task.await? {
            Ok(idle) => participants.push(idle),
            Err(_) => failures += 1,
        }
    }
    let join_time = started.elapsed();
    let (server_joined, own_joined) = (sample(&pid)?, sample("self")?);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = sample(&pid)?;
    let joined = participants.len();
    let per_join_us = |cpu: Duration| cpu.as_secs_f64() * 1e6 / joined.max(1) as f64;
    println!(
        "scale joined={joined} failed={failures} join_rate={:.0}/s server_rss_kib={} per_participant_kib={:.2}",
        joined as f64 / join_time.as_secs_f64(),
        after.rss_kib,
        after.rss_kib.saturating_sub(before.rss_kib) as f64 / joined.max(1) as f64
    );
    // If the two together near the machine's cores, the join rate measures the machine, not the server.
    println!(
        "cpu per join: server {:.0} us, generator {:.0} us (connect, handshake, join, welcome on both sides)",
        per_join_us(server_joined.cpu - before.cpu),
        per_join_us(own_joined.cpu - own_before.cpu)
    );
    let busy = RelayArgs {
        server: args.server,
        protocol: args.protocol,
        pid: Some(args.pid),
        receiver_server: None,
        also_pid: Vec::new(),
        pairs: 1,
        rate: 1000,
        window: 16,
        payload: "candidate".into(),
        seconds: 5,
        prefix: "scale-busy".into(),
    };
    // What idleness costs: heartbeats both ways, nothing else.
    let (idle_from, idle_start) = (sample(&pid)?, Instant::now());
    tokio::time::sleep(IDLE_WINDOW).await;
    let idle_cpu = sample(&pid)?.cpu - idle_from.cpu;
    println!(
        "idle: server cpu {:.1}% of a core for {joined} participants ({:.2} us per participant-second)",
        idle_cpu.as_secs_f64() * 100.0 / idle_start.elapsed().as_secs_f64(),
        idle_cpu.as_secs_f64() * 1e6 / idle_start.elapsed().as_secs_f64() / joined.max(1) as f64
    );
    let report = measure(&busy).await?;
    let [p50, p90, p99, max] = report.latency;
    println!(
        "busy room among idle ones: delivered={} latency_us p50={p50} p90={p90} p99={p99} max={max}",
        report.delivered
    );
    for idle in participants {
        idle.abort();
    }
    Ok(())
}

/// How long the idle cost is measured.
const IDLE_WINDOW: Duration = Duration::from_secs(10);
