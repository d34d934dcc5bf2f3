//! What a run measured, added up over all bots, and its printout.

use std::time::Duration;

use crate::media::stamp::{Kind, Tally};
use crate::procfs::ProcSample;
use crate::stats::Latencies;

/// The figures of one run.
pub struct Report {
    pub bots: usize,
    pub window: Duration,
    /// Publisher-to-subscriber pairs that received anything in the window, video and audio.
    pub video_streams: usize,
    pub audio_streams: usize,
    /// Frames the receiving streams' publishers sent in the window, and how many of them arrived.
    pub expected: u64,
    pub received: u64,
    /// Frames all bots published in the window (video and audio).
    pub published: u64,
    pub packets: u64,
    pub bytes: u64,
    pub delay: [u32; 4],
    pub keyframe_requests: u64,
    /// Server CPU over the window, in cores, and memory growth per participant.
    pub server_cores: Option<f64>,
    pub server_rss_per_participant_kib: Option<u64>,
    pub server_rss_kib: Option<u64>,
    /// This process's (the bots') CPU over the window, in cores.
    pub bots_cores: f64,
}

/// Server readings: before any bot joined, at the window's start and end.
pub struct ServerSamples {
    pub idle: ProcSample,
    pub start: ProcSample,
    pub end: ProcSample,
}

impl Report {
    /// Adds up `tallies` (index = bot index).
    pub fn new(
        tallies: Vec<Tally>,
        window: Duration,
        server: Option<ServerSamples>,
        own: (ProcSample, ProcSample),
    ) -> Report {
        let bots = tallies.len();
        let sent: Vec<[u64; 2]> = tallies.iter().map(|t| t.sent).collect();
        let published = sent.iter().map(|s| s[0] + s[1]).sum();
        let mut delays = Latencies::default();
        let (mut video_streams, mut audio_streams, mut expected, mut received, mut packets, mut bytes) =
            (0, 0, 0, 0, 0, 0);
        let mut keyframe_requests = 0;
        for tally in tallies {
            keyframe_requests += tally.keyframe_requests;
            for ((sender, kind), stream) in &tally.received {
                match kind {
                    Kind::Video => video_streams += 1,
                    Kind::Audio => audio_streams += 1,
                }
                let sent_by_sender = sent.get(*sender as usize).map_or(0, |s| s[*kind as usize]);
                expected += sent_by_sender.max(stream.frames);
                received += stream.frames;
                packets += stream.packets;
                bytes += stream.bytes;
            }
            delays.merge(tally.delays);
        }
        let seconds = window.as_secs_f64();
        let cores = |a: &ProcSample, b: &ProcSample| b.cpu.saturating_sub(a.cpu).as_secs_f64() / seconds;
        Report {
            bots,
            window,
            video_streams,
            audio_streams,
            expected,
            received,
            published,
            packets,
            bytes,
            delay: delays.summary(),
            keyframe_requests,
            server_cores: server.as_ref().map(|s| cores(&s.start, &s.end)),
            server_rss_per_participant_kib: server
                .as_ref()
                .map(|s| s.start.rss_kib.saturating_sub(s.idle.rss_kib) / bots.max(1) as u64),
            server_rss_kib: server.as_ref().map(|s| s.end.rss_kib),
            bots_cores: cores(&own.0, &own.1),
        }
    }

    /// Prints the report as `key=value` lines (the first starts with `sfu `).
    pub fn print(&self, server: &str) {
        let seconds = self.window.as_secs_f64();
        let possible = self.bots * self.bots.saturating_sub(1);
        let loss = 100.0 * (self.expected - self.received) as f64 / self.expected.max(1) as f64;
        println!(
            "sfu server={server} bots={} seconds={seconds:.1} video_streams={}/{possible} audio_streams={}/{possible} \
             loss={loss:.3}% keyframe_requests={}",
            self.bots, self.video_streams, self.audio_streams, self.keyframe_requests
        );
        println!(
            "forwarded packets_per_s={:.0} frames_per_s={:.0} mbit_per_s={:.1} (published frames_per_s={:.0})",
            self.packets as f64 / seconds,
            self.received as f64 / seconds,
            self.bytes as f64 * 8.0 / seconds / 1e6,
            self.published as f64 / seconds
        );
        let [p50, p90, p99, max] = self.delay;
        println!("delay_us p50={p50} p90={p90} p99={p99} max={max}");
        if let (Some(cores), Some(per), Some(rss)) =
            (self.server_cores, self.server_rss_per_participant_kib, self.server_rss_kib)
        {
            let per_stream = 100.0 * cores / self.video_streams.max(1) as f64;
            let per_core = self.video_streams as f64 / cores.max(1e-9);
            println!(
                "server cpu_cores={cores:.3} cpu_per_video_stream={per_stream:.3}% video_streams_per_core={per_core:.0} \
                 rss_kib={rss} rss_per_participant_kib={per}"
            );
        }
        println!("bots cpu_cores={:.3} (the bots share the server's machine)", self.bots_cores);
    }
}
