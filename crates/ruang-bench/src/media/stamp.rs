//! What a bot's synthetic frames carry, and what a bot counts of the frames it receives.
//!
//! Every frame, video or audio, carries a [`Stamp`] at a fixed offset: who sent it, of which kind, its number
//! and its send time on the clock all bots of a run share (they live in one process). Video frames start
//! with a real VP8 frame tag (and, for key frames, the start code and a 320x240 size), so a server that looks
//! for key frames finds them; audio frames start with an Opus TOC byte.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::stats::Latencies;

/// Where the stamp starts: after the longest codec header we write (a VP8 key frame's 10 bytes).
const OFFSET: usize = 10;
const MAGIC: [u8; 2] = *b"rb";
/// Magic, kind, sender, number, send time.
const STAMP_LEN: usize = 2 + 1 + 4 + 4 + 8;

/// VP8 key frame: frame tag (key, shown), start code, 320x240.
const VP8_KEY: [u8; OFFSET] = [0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];
/// VP8 delta frame: frame tag (inter, shown), then padding up to the stamp.
const VP8_DELTA: [u8; OFFSET] = [0x11, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0];
/// Opus TOC byte for a 20 ms CELT frame, then padding.
const OPUS: [u8; OFFSET] = [0x78, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// Video or audio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Video = 0,
    Audio = 1,
}

/// What every frame says about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub kind: Kind,
    /// The sending bot's index in the run.
    pub sender: u32,
    /// The frame's number in its stream.
    pub number: u32,
    /// Microseconds since the run's [`Clock`] started.
    pub sent_us: u64,
}

/// A frame of `size` bytes (at least the header and stamp) carrying `stamp`.
pub fn frame(stamp: Stamp, key: bool, size: usize) -> Vec<u8> {
    let header = match (stamp.kind, key) {
        (Kind::Video, true) => VP8_KEY,
        (Kind::Video, false) => VP8_DELTA,
        (Kind::Audio, _) => OPUS,
    };
    let mut bytes = Vec::with_capacity(size.max(OFFSET + STAMP_LEN));
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&MAGIC);
    bytes.push(stamp.kind as u8);
    bytes.extend_from_slice(&stamp.sender.to_be_bytes());
    bytes.extend_from_slice(&stamp.number.to_be_bytes());
    bytes.extend_from_slice(&stamp.sent_us.to_be_bytes());
    bytes.resize(size.max(bytes.len()), (stamp.number % 251) as u8);
    bytes
}

/// The stamp of a received frame, if it carries one.
pub fn read(frame: &[u8]) -> Option<Stamp> {
    let stamp = frame.get(OFFSET..OFFSET + STAMP_LEN)?;
    if stamp[..2] != MAGIC {
        return None;
    }
    let kind = match stamp[2] {
        0 => Kind::Video,
        1 => Kind::Audio,
        _ => return None,
    };
    let u32_at = |at: usize| stamp[at..at + 4].try_into().ok().map(u32::from_be_bytes);
    let sent_us = stamp[11..19].try_into().ok().map(u64::from_be_bytes)?;
    Some(Stamp { kind, sender: u32_at(3)?, number: u32_at(7)?, sent_us })
}

/// The run's shared clock and its measurement window: only frames sent inside the window are counted, by
/// their senders and by their receivers, so setup and teardown do not count and in-flight frames at the end
/// are not losses.
#[derive(Debug)]
pub struct Clock {
    base: Instant,
    start_us: AtomicU64,
    end_us: AtomicU64,
}

impl Clock {
    /// A clock starting now, with no window yet (nothing counts).
    pub fn new() -> Arc<Clock> {
        Arc::new(Clock { base: Instant::now(), start_us: AtomicU64::new(u64::MAX), end_us: AtomicU64::new(0) })
    }

    /// Microseconds since the clock started.
    pub fn micros(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.base).as_micros() as u64
    }

    /// Counts frames sent from `start` to `end`.
    pub fn set_window(&self, start: Instant, end: Instant) {
        self.end_us.store(self.micros(end), Ordering::Relaxed);
        self.start_us.store(self.micros(start), Ordering::Relaxed);
    }

    /// Whether a frame sent at `sent_us` counts.
    pub fn counts(&self, sent_us: u64) -> bool {
        sent_us >= self.start_us.load(Ordering::Relaxed) && sent_us < self.end_us.load(Ordering::Relaxed)
    }
}

/// What one stream (one sender's video or audio, at one receiver) delivered in the window.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamTally {
    pub frames: u64,
    pub packets: u64,
    pub bytes: u64,
}

/// One endpoint's counts over the window.
#[derive(Default)]
pub struct Tally {
    /// Frames this endpoint sent, video then audio.
    pub sent: [u64; 2],
    /// Frames received, by sender and kind.
    pub received: HashMap<(u32, Kind), StreamTally>,
    /// Send-to-receive delay of every frame received.
    pub delays: Latencies,
    /// Key frames this endpoint sent because a receiver (the server) asked.
    pub keyframe_requests: u64,
}

impl Tally {
    /// Records a received frame of `packets` RTP packets.
    pub fn record(&mut self, stamp: Stamp, bytes: usize, packets: u64, delay_us: u64) {
        let stream = self.received.entry((stamp.sender, stamp.kind)).or_default();
        stream.frames += 1;
        stream.packets += packets;
        stream.bytes += bytes as u64;
        self.delays.record(delay_us);
    }

    /// Adds another endpoint's counts (a bot's publishing and subscribing connections).
    pub fn merge(&mut self, other: Tally) {
        self.sent[0] += other.sent[0];
        self.sent[1] += other.sent[1];
        for (key, stream) in other.received {
            let mine = self.received.entry(key).or_default();
            mine.frames += stream.frames;
            mine.packets += stream.packets;
            mine.bytes += stream.bytes;
        }
        self.delays.merge(other.delays);
        self.keyframe_requests += other.keyframe_requests;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_gives_back_its_stamp_at_any_size() {
        let stamp = Stamp { kind: Kind::Video, sender: 7, number: 1234, sent_us: 99_000_001 };
        for (key, size) in [(true, 5000), (false, 1200), (false, 0)] {
            let bytes = frame(stamp, key, size);
            assert_eq!(read(&bytes), Some(stamp));
            assert_eq!(bytes[0] & 1, u8::from(!key), "VP8 tag marks key frames");
        }
        let audio = Stamp { kind: Kind::Audio, ..stamp };
        assert_eq!(read(&frame(audio, false, 80)), Some(audio));
        assert_eq!(read(b"not a stamped frame at all, just bytes"), None);
    }
}
