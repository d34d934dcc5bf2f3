//! The SFU benchmark: N bots in one room, each publishing synthetic VP8 video (~30 fps) and Opus audio
//! (50 pps) and subscribing to everyone, against ruang in SFU mode or against Janus's VideoRoom with the
//! same media engine, so both carry identical load. Reports forwarded streams, packets per second, loss and
//! end-to-end delay (from the stamp in every frame), server CPU per forwarded video stream and memory per
//! participant (from `/proc/<pid>`), and the bots' own CPU.

mod bot;
mod janus;
mod janus_bot;
mod report;
mod ruang_bot;
mod ruang_server;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

use self::bot::Bot;
use self::report::{Report, ServerSamples};
use crate::media::Publish;
use crate::media::stamp::{Clock, Tally};
use crate::procfs::{ProcSample, sample};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Which server forwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Server {
    Ruang,
    Janus,
}

/// Options of `sfu`.
#[derive(Args, Clone)]
pub struct SfuArgs {
    /// The server under test.
    #[arg(long, value_enum, default_value = "ruang")]
    pub server: Server,
    /// The ruang binary to start (on loopback, `--media-mode sfu`); without it, `--addr` (and `--pid`).
    #[arg(long)]
    pub ruang: Option<PathBuf>,
    /// Further arguments for the started ruang (repeatable).
    #[arg(long = "ruang-arg", allow_hyphen_values = true)]
    pub ruang_args: Vec<String>,
    /// A running ruang in SFU mode, when the bench does not start one.
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// The running server's process id, for CPU and memory figures.
    #[arg(long)]
    pub pid: Option<u32>,
    /// The Janus binary to start.
    #[arg(long, default_value = "janus")]
    pub janus: PathBuf,
    /// The address Janus and its bots use for media (Janus ignores loopback); default: this machine's.
    #[arg(long)]
    pub janus_ip: Option<IpAddr>,
    /// Participants in the room (each publishes and subscribes to all others).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(2..=100))]
    pub bots: u16,
    /// Seconds to measure.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub seconds: u64,
    /// Seconds to wait at most for every bot to receive every other bot's streams.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub setup_seconds: u64,
    /// Video bitrate per publisher, kbit/s.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(16..=5000))]
    pub video_kbps: u32,
    /// Seconds between periodic key frames.
    #[arg(long, default_value_t = 3)]
    pub keyframe_seconds: u64,
    /// Bots that talk (the first ones): their audio carries distinct loud levels, the others' silence. Every
    /// bot sends the audio-level extension, as browsers do, so a server may forward only the loudest.
    #[arg(long, default_value_t = 4)]
    pub speakers: u32,
    /// Video streams each bot should receive before measuring (the server's last-N); default all others.
    #[arg(long)]
    pub expect_video: Option<usize>,
    /// Audio streams each bot should receive before measuring (the server's loudest-N); default all others.
    #[arg(long)]
    pub expect_audio: Option<usize>,
    /// Room name (ruang) and number (Janus) prefix, so runs against one server do not collide.
    #[arg(long, default_value_t = 1)]
    pub room: u64,
}

pub async fn run(args: SfuArgs) -> anyhow::Result<()> {
    let clock = Clock::new();
    let publish = Publish {
        video_bitrate: args.video_kbps * 1000,
        keyframe_every: Duration::from_secs(args.keyframe_seconds.max(1)),
        speakers: args.speakers,
    };
    let bots = usize::from(args.bots);
    let setup = Instant::now();
    let (report, name) = match args.server {
        Server::Janus => {
            let ip = match args.janus_ip {
                Some(ip) => ip,
                None => janus::host_ip()?,
            };
            let janus = janus::Janus::start(&args.janus, ip)?;
            let idle = sample(&janus.pid().to_string())?;
            let started = join_janus(&janus.url, ip, &args, publish, &clock).await?;
            (measure(started, Some((janus.pid(), idle)), &args, &clock, setup).await?, "janus")
        }
        Server::Ruang => {
            let spawned = args.ruang.as_ref().map(|bin| ruang_server::RuangServer::start(bin, &args.ruang_args));
            let spawned = spawned.transpose()?;
            let (addr, pid) = match &spawned {
                Some(server) => (server.addr, Some(server.pid())),
                None => (args.addr.context("--ruang <binary> or --addr <host:port>")?, args.pid),
            };
            let idle = pid.map(|p| sample(&p.to_string()).map(|s| (p, s))).transpose()?;
            let room = format!("sfu-bench-{}", args.room);
            let mut started = Vec::with_capacity(bots);
            for index in 0..bots {
                started.push(ruang_bot::join(addr, &room, index as u32, LOOPBACK, publish, Arc::clone(&clock)).await?);
            }
            (measure(started, idle, &args, &clock, setup).await?, "ruang")
        }
    };
    report.print(name);
    Ok(())
}

/// Creates a room; every bot publishes, then subscribes to all the others.
async fn join_janus(
    url: &str,
    ip: IpAddr,
    args: &SfuArgs,
    publish: Publish,
    clock: &Arc<Clock>,
) -> anyhow::Result<Vec<Bot>> {
    let room = 1000 + args.room;
    janus_bot::create_room(url, room, usize::from(args.bots) + 1).await?;
    let mut publishers = Vec::new();
    for index in 0..u32::from(args.bots) {
        publishers.push(janus_bot::publish(url, room, index, ip, publish, Arc::clone(clock)).await?);
    }
    for publisher in &mut publishers {
        publisher.ready().await?;
    }
    let feeds: Vec<u64> = publishers.iter().map(|p| p.feed).collect();
    let mut bots = Vec::new();
    for publisher in publishers {
        let others: Vec<u64> = feeds.iter().copied().filter(|f| *f != publisher.feed).collect();
        bots.push(publisher.subscribe(&others).await?);
    }
    Ok(bots)
}

/// Waits until every bot receives every other's audio and video, or as many as `--expect-video` and
/// `--expect-audio` say (or the setup time runs out), then measures
/// for `args.seconds`, stops the bots and adds up what they counted.
async fn measure(
    bots: Vec<Bot>,
    server: Option<(u32, ProcSample)>,
    args: &SfuArgs,
    clock: &Clock,
    setup: Instant,
) -> anyhow::Result<Report> {
    let n = bots.len();
    let others = n - 1;
    let expected = |limit: Option<usize>| limit.map_or(others, |l| l.min(others));
    let everything = n * (expected(args.expect_video) + expected(args.expect_audio));
    let deadline = Instant::now() + Duration::from_secs(args.setup_seconds);
    let seen = |bots: &[Bot]| bots.iter().map(Bot::streams_seen).sum::<usize>();
    while seen(&bots) < everything && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("setup streams_seen={}/{everything} seconds={:.1}", seen(&bots), setup.elapsed().as_secs_f64());
    if seen(&bots) == 0 {
        for bot in bots {
            let _ = bot.stop().await;
        }
        bail!("no media flows: nothing to measure");
    }
    // A second for key frames and queues to settle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = server.as_ref().map(|(pid, _)| pid.to_string());
    let server_start = pid.as_deref().map(sample).transpose()?;
    let own_start = sample("self")?;
    let start = Instant::now();
    let window = Duration::from_secs(args.seconds);
    clock.set_window(start, start + window);
    tokio::time::sleep(window).await;
    let server_end = pid.as_deref().map(sample).transpose()?;
    let own_end = sample("self")?;
    // Frames sent at the window's end are still on their way.
    tokio::time::sleep(Duration::from_secs(1)).await;
    // A bot that failed (its signaling closed, its connection errored) counts nothing but does not void the
    // others' figures; how many failed is printed. Its place is kept: a tally's index is its sender.
    let mut tallies = Vec::with_capacity(n);
    let mut failed = 0;
    for (index, bot) in bots.into_iter().enumerate() {
        match bot.stop().await {
            Ok(tally) => tallies.push(tally),
            Err(e) => {
                eprintln!("bot {index} failed: {e:#}");
                failed += 1;
                tallies.push(Tally::default());
            }
        }
    }
    println!("bots_failed={failed}/{n}");
    let samples = match (server, server_start, server_end) {
        (Some((_, idle)), Some(start), Some(end)) => Some(ServerSamples { idle, start, end }),
        _ => None,
    };
    Ok(Report::new(tallies, window, samples, (own_start, own_end)))
}
