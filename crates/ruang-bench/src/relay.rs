//! The relay benchmark: pairs of participants, one sending signals to the other, each signal carrying its
//! send time so the receiver measures latency on the same clock.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{Protocol, join};
use crate::procfs::{ProcSample, sample};
use crate::stats::Latencies;

/// Options of `relay`.
#[derive(Args, Clone)]
pub struct RelayArgs {
    /// Server address (host:port of the HTTP listener).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub server: SocketAddr,
    /// The server's protocol: ruang (also the minimal relay) or peerjs.
    #[arg(long, value_enum, default_value = "ruang")]
    pub protocol: Protocol,
    /// Where the receiving member of each pair joins, if not `--server`: another node of a cluster, so
    /// every signal crosses from one node to the other (through Redis).
    #[arg(long)]
    pub receiver_server: Option<SocketAddr>,
    /// The server's process id, for CPU and memory figures.
    #[arg(long)]
    pub pid: Option<u32>,
    /// More server processes whose CPU counts with `--pid`'s (the other nodes, `redis-server`); memory
    /// is `--pid`'s alone.
    #[arg(long)]
    pub also_pid: Vec<u32>,
    /// Pairs of participants, each pair in its own room.
    #[arg(long, default_value_t = 50)]
    pub pairs: usize,
    /// Total offered messages per second over all pairs; 0 sends as fast as the window allows.
    #[arg(long, default_value_t = 10_000)]
    pub rate: u64,
    /// Messages in flight per pair when `--rate 0`.
    #[arg(long, default_value_t = 16)]
    pub window: usize,
    /// Payload: `candidate` (~200 B) or `sdp` (~3 KB).
    #[arg(long, default_value = "candidate")]
    pub payload: String,
    /// Seconds to send for.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Room name prefix, so runs do not collide.
    #[arg(long, default_value = "bench")]
    pub prefix: String,
}

/// What one run measured.
pub struct RelayReport {
    pub sent: u64,
    pub delivered: u64,
    pub elapsed: Duration,
    pub latency: [u32; 4],
    pub server_cpu_per_msg_us: Option<f64>,
    pub server_rss_kib: Option<u64>,
    pub own_cpu_percent: f64,
}

pub async fn run(args: RelayArgs) -> anyhow::Result<()> {
    let report = measure(&args).await?;
    print(&args, &report);
    Ok(())
}

fn print(args: &RelayArgs, r: &RelayReport) {
    let rate = r.delivered as f64 / r.elapsed.as_secs_f64();
    println!(
        "relay payload={} pairs={} offered={} sent={} delivered={} ({:.1}%) rate={:.0}/s",
        args.payload,
        args.pairs,
        if args.rate == 0 { format!("max(window {})", args.window) } else { format!("{}/s", args.rate) },
        r.sent,
        r.delivered,
        100.0 * r.delivered as f64 / r.sent.max(1) as f64,
        rate
    );
    let [p50, p90, p99, max] = r.latency;
    println!("latency_us p50={p50} p90={p90} p99={p99} max={max}");
    if let (Some(cpu), Some(rss)) = (r.server_cpu_per_msg_us, r.server_rss_kib) {
        println!("server cpu_per_msg_us={cpu:.2} rss_kib={rss}");
    }
    println!("generator cpu={:.0}% of one core", r.own_cpu_percent);
}

/// Runs the load once and measures it.
pub async fn measure(args: &RelayArgs) -> anyhow::Result<RelayReport> {
    let mut pairs = Vec::with_capacity(args.pairs);
    for n in 0..args.pairs {
        let room = format!("{}-{n}", args.prefix);
        let a = join(args.protocol, args.server, None, &room, "a").await?;
        let b = join(args.protocol, args.receiver_server.unwrap_or(args.server), None, &room, "b").await?;
        pairs.push((a, b));
    }
    // Let the peer_joined messages settle before measuring.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = args.pid.map(|p| p.to_string());
    let others: Vec<String> = args.also_pid.iter().map(u32::to_string).collect();
    let others_cpu = || -> anyhow::Result<Duration> { others.iter().map(|p| Ok(sample(p)?.cpu)).sum() };
    let others_before = others_cpu()?;
    let server_before = pid.as_deref().map(sample).transpose()?;
    let own_before = sample("self")?;
    let base = Instant::now();
    let deadline = base + Duration::from_secs(args.seconds);
    let per_pair_interval = (args.rate > 0).then(|| Duration::from_secs_f64(args.pairs as f64 / args.rate as f64));
    let payload = Payload::new(&args.payload, args.protocol);
    let mut tasks = Vec::new();
    for (a, b) in pairs {
        let window = Arc::new(Semaphore::new(args.window.max(1)));
        let (mut a_sink, a_stream) = a.ws.split();
        let (mut b_sink, mut b_stream) = b.ws.split();
        let to = b.id.clone();
        let send_window = Arc::clone(&window);
        let payload = payload.clone();
        let sender = tokio::spawn(async move {
            let mut sent = 0u64;
            let mut ticker = per_pair_interval.map(|every| {
                let mut t = tokio::time::interval(every);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                t
            });
            while Instant::now() < deadline {
                match ticker.as_mut() {
                    Some(t) => {
                        t.tick().await;
                    }
                    None => send_window.acquire().await.map(|p| p.forget()).unwrap_or(()),
                }
                let frame = payload.frame(&to, sent, base.elapsed().as_micros() as u64);
                if a_sink.send(Message::text(frame)).await.is_err() {
                    break;
                }
                sent += 1;
            }
            drop(a_stream);
            sent
        });
        let receiver = tokio::spawn(async move {
            let mut latencies = Latencies::default();
            let stop = deadline + Duration::from_secs(2);
            // Like the web client: a ping every 2 s acknowledging the last numbered message.
            let (mut last_n, mut next_ack) = (0, Instant::now() + ACK_EVERY);
            while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(stop.into(), b_stream.next()).await {
                if let Message::Text(text) = frame
                    && let Some(sent_at) = sent_micros(&text)
                {
                    latencies.record((base.elapsed().as_micros() as u64).saturating_sub(sent_at));
                    window.add_permits(1);
                    last_n = message_number(&text).unwrap_or(last_n);
                }
                if last_n > 0 && Instant::now() >= next_ack {
                    next_ack += ACK_EVERY;
                    let ping = format!(r#"{{"type":"ping","ack":{last_n}}}"#);
                    if b_sink.send(Message::text(ping)).await.is_err() {
                        break;
                    }
                }
            }
            latencies
        });
        tasks.push((sender, receiver));
    }
    let mut sent = 0;
    let mut latencies = Latencies::default();
    for (sender, receiver) in tasks {
        sent += sender.await?;
        latencies.merge(receiver.await?);
    }
    let elapsed = base.elapsed().min(Duration::from_secs(args.seconds));
    let own_after = sample("self")?;
    let server_after = pid.as_deref().map(sample).transpose()?;
    let others_spent = others_cpu()?.saturating_sub(others_before);
    let delivered = latencies.len() as u64;
    let server_cpu_per_msg_us = server_before.zip(server_after).map(|(before, after): (ProcSample, ProcSample)| {
        (after.cpu - before.cpu + others_spent).as_secs_f64() * 1e6 / delivered.max(1) as f64
    });
    let own_cpu_percent = (own_after.cpu - own_before.cpu).as_secs_f64() * 100.0 / base.elapsed().as_secs_f64();
    Ok(RelayReport {
        sent,
        delivered,
        elapsed,
        latency: latencies.summary(),
        server_cpu_per_msg_us,
        server_rss_kib: server_after.map(|s| s.rss_kib),
        own_cpu_percent,
    })
}

/// The signal a sender sends, padded to the payload's size; the marker `rb:<seq>:<micros>:` carries the
/// send time.
#[derive(Clone)]
struct Payload {
    sdp: bool,
    protocol: Protocol,
    padding: Arc<str>,
}

impl Payload {
    fn new(kind: &str, protocol: Protocol) -> Self {
        let sdp = kind == "sdp";
        // An SDP is lines of 20-80 characters ending in CRLF (escaped in JSON), which a relay that
        // re-serializes has to escape again; a candidate is one line.
        let padding = if sdp { SDP_LINE.repeat(3000 / SDP_LINE.len()) } else { "x".repeat(160) };
        Payload { sdp, protocol, padding: padding.into() }
    }

    fn frame(&self, to: &str, seq: u64, micros: u64) -> String {
        let marker = format!("rb:{seq}:{micros}:");
        let padding = &self.padding;
        if self.protocol == Protocol::Peerjs {
            return if self.sdp {
                format!(
                    r#"{{"type":"OFFER","dst":"{to}","payload":{{"sdp":{{"type":"offer","sdp":"v=0 {marker}{padding}"}}}}}}"#
                )
            } else {
                format!(
                    r#"{{"type":"CANDIDATE","dst":"{to}","payload":{{"candidate":{{"candidate":"candidate:{marker}{padding}","sdpMid":"0","sdpMLineIndex":0}}}}}}"#
                )
            };
        }
        if self.sdp {
            format!(r#"{{"type":"signal","to":"{to}","data":{{"kind":"offer","sdp":"v=0 {marker}{}"}}}}"#, self.padding)
        } else {
            format!(
                r#"{{"type":"signal","to":"{to}","data":{{"kind":"candidate","candidate":{{"candidate":"candidate:{marker}{}","sdpMid":"0","sdpMLineIndex":0}}}}}}"#,
                self.padding
            )
        }
    }
}

/// One line of the SDP payload, as it appears inside a JSON string.
const SDP_LINE: &str = r"a=fmtp:111 minptime=10;useinbandfec=1;bench=padding\r\n";

/// How often a receiver acknowledges, as the web client does.
const ACK_EVERY: Duration = Duration::from_secs(2);

/// The message number ruang puts first in a numbered frame (`{"n":7,...`), found without parsing the JSON.
fn message_number(text: &str) -> Option<u64> {
    let rest = text.strip_prefix(r#"{"n":"#)?;
    rest[..rest.find(',')?].parse().ok()
}

/// The send time in a relayed frame, found without parsing the JSON.
fn sent_micros(text: &str) -> Option<u64> {
    let start = text.find("rb:")? + 3;
    let mut parts = text[start..].splitn(3, ':');
    let _seq = parts.next()?;
    parts.next()?.parse().ok()
}
