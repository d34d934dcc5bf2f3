//! What forwarding costs the SFU core: N publishers of synthetic VP8 (30 frames per second, 300-byte delta
//! frames, 2500-byte key frames when asked) and M viewers, everyone receiving every publisher (last-N off),
//! through the in-memory harness of the tests (str0m clients, fake clock). Prints the frames forwarded per
//! second of the SFU's CPU time. That is estimated as the thread's CPU time over the run (Linux
//! `/proc/thread-self/schedstat`, so other processes on a loaded machine do not count) times the share of
//! real time spent inside the SFU's calls (the clients' own str0m work is the rest). Run in release:
//!
//! ```text
//! cargo run --release -p ruang-sfu --example forwarding_cost -- <publishers> <viewers> <seconds> [audio]
//! ```
//!
//! With `audio`, the publishers send Opus-sized frames (80 bytes) instead of video, at the same rate.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use ruang_sfu::{ParticipantId, SfuConfig};
use support::{MediaSource, Net, Publish, publish_all};

/// This thread's CPU time so far (Linux); `None` elsewhere.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok().map(Duration::from_nanos)
}

fn arg(index: usize, default: u64) -> u64 {
    std::env::args().nth(index).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn main() {
    let (publishers, viewers, seconds) = (arg(1, 4), arg(2, 20), arg(3, 10));
    let audio = std::env::args().nth(4).is_some_and(|a| a == "audio");
    let (publish, kind) = if audio { (Publish::Audio, "audio") } else { (Publish::Video, "video") };
    let mut net = Net::with_config(|config| SfuConfig { last_n: None, ..config });
    let ids: Vec<ParticipantId> = (1..=publishers).map(|id| net.join(id, publish)).collect();
    for id in 0..viewers {
        net.join(1000 + id, Publish::Nothing);
    }
    let connected = net.run_until(Duration::from_secs(10), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects within 10 s of fake time");

    let source =
        |id: &ParticipantId| if audio { MediaSource::audio() } else { MediaSource::video() }.tagged(id.0 as u8);
    let mut sources: Vec<MediaSource> = ids.iter().map(source).collect();
    let mut publishing: Vec<(&mut MediaSource, ParticipantId)> = sources.iter_mut().zip(ids.iter().copied()).collect();
    // One second to warm up (key frames, negotiation), then the measured run.
    publish_all(&mut net, &mut publishing, Duration::from_secs(1));
    let received_before: usize = net.clients.values().map(|c| c.frames.len()).sum();
    net.sfu_busy = Duration::ZERO;
    let (wall, cpu) = (Instant::now(), thread_cpu());
    publish_all(&mut net, &mut publishing, Duration::from_secs(seconds));
    let (wall, cpu) = (wall.elapsed(), thread_cpu().zip(cpu).map(|(end, start)| end.saturating_sub(start)));
    let forwarded = net.clients.values().map(|c| c.frames.len()).sum::<usize>() - received_before;

    let streams = publishers * (publishers - 1 + viewers);
    let share = net.sfu_busy.as_secs_f64() / wall.as_secs_f64();
    let cpu = cpu.map_or(net.sfu_busy.as_secs_f64(), |cpu| cpu.as_secs_f64() * share);
    println!("publishers {publishers} ({kind}), viewers {viewers}: {streams} forwarded streams, {seconds} s of media");
    println!("frames forwarded: {forwarded} (expected about {})", streams * 30 * seconds);
    println!("share of the run inside the SFU: {:.0}%; SFU CPU time: {cpu:.3} s", share * 100.0);
    println!("forwarded frames per SFU CPU-second: {:.0}", forwarded as f64 / cpu);
    println!("microseconds per forwarded frame: {:.2}", cpu * 1e6 / forwarded as f64);
    println!("streams one core holds at 30 fps: {:.0}", forwarded as f64 / cpu / 30.0);
}
