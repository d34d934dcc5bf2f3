//! What forwarding costs the SFU core: N publishers of synthetic VP8 (30 frames per second, 300-byte delta
//! frames, 2500-byte key frames when asked) and M viewers, everyone receiving every publisher (last-N off),
//! through the in-memory harness of the tests (str0m clients, fake clock). Prints the frames forwarded per
//! second of real time spent inside the SFU's calls (its CPU time on one core; the clients' own str0m work
//! is not counted). Run in release:
//!
//! ```text
//! cargo run --release -p ruang-sfu --example forwarding_cost -- <publishers> <viewers> <seconds>
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use ruang_sfu::{ParticipantId, SfuConfig};
use support::{MediaSource, Net, Publish, publish_all};

fn arg(index: usize, default: u64) -> u64 {
    std::env::args().nth(index).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn main() {
    let (publishers, viewers, seconds) = (arg(1, 4), arg(2, 20), arg(3, 10));
    let mut net = Net::with_config(|config| SfuConfig { last_n: None, ..config });
    let ids: Vec<ParticipantId> = (1..=publishers).map(|id| net.join(id, Publish::Video)).collect();
    for id in 0..viewers {
        net.join(1000 + id, Publish::Nothing);
    }
    let connected = net.run_until(Duration::from_secs(10), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects within 10 s of fake time");

    let mut sources: Vec<MediaSource> = ids.iter().map(|id| MediaSource::video().tagged(id.0 as u8)).collect();
    let mut publishing: Vec<(&mut MediaSource, ParticipantId)> = sources.iter_mut().zip(ids.iter().copied()).collect();
    // One second to warm up (key frames, negotiation), then the measured run.
    publish_all(&mut net, &mut publishing, Duration::from_secs(1));
    let received_before: usize = net.clients.values().map(|c| c.frames.len()).sum();
    net.sfu_busy = Duration::ZERO;
    let wall = Instant::now();
    publish_all(&mut net, &mut publishing, Duration::from_secs(seconds));
    let wall = wall.elapsed();
    let forwarded = net.clients.values().map(|c| c.frames.len()).sum::<usize>() - received_before;

    let streams = publishers * (publishers - 1 + viewers);
    let busy = net.sfu_busy.as_secs_f64();
    println!("publishers {publishers}, viewers {viewers}: {streams} forwarded streams, {seconds} s of media");
    println!("frames forwarded: {forwarded} (expected about {})", streams * 30 * seconds);
    println!("time inside the SFU: {busy:.3} s (whole run incl. clients: {:.3} s)", wall.as_secs_f64());
    println!("forwarded frames per SFU-second: {:.0}", forwarded as f64 / busy);
    println!("microseconds per forwarded frame: {:.2}", busy * 1e6 / forwarded as f64);
    println!("streams one core holds at 30 fps: {:.0}", forwarded as f64 / busy / 30.0);
}
