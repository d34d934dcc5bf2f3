//! The bitrate a simulcast layer actually arrives at, measured over one-second windows (time passed in).
//!
//! A publisher describes each layer with the most it may send (the web client says 1.5 Mbit/s for its
//! largest layer whatever the camera), but a 320×180 camera's largest layer carries a few hundred kbit/s.
//! Choosing layers against the described figure asks the bandwidth estimate toward a subscriber for five
//! times what the layer needs: on a loaded machine the estimate never gets there, and everyone sees the
//! middle layer of a camera they could have seen whole. The layer choice uses what this meter measured
//! (with headroom) where it has measured, the description where not.

use std::time::{Duration, Instant};

/// The measuring window: long enough to average a key frame into the frames around it.
pub(crate) const WINDOW: Duration = Duration::from_secs(1);

/// A window this long or longer had a pause in it (the layer stopped and started again): its average would
/// understate the layer, so it is not taken.
const PAUSED_WINDOW: Duration = Duration::from_secs(3);

/// Bytes of one stream counted per window; the bitrate of the last complete window.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateMeter {
    /// When the current window began (`None`: nothing counted yet).
    window_start: Option<Instant>,
    /// Bytes counted in the current window.
    bytes: u64,
    /// Bits per second over the last complete window.
    last: Option<u64>,
    /// The measure last reported as moved (see [`RateMeter::add`]).
    reported: Option<u64>,
}

impl RateMeter {
    /// Counts `bytes` of payload arriving at `now`. True when the measure moved: the first one, or one more
    /// than a quarter away from the last that moved (the layer choices are then made again).
    pub fn add(&mut self, bytes: usize, now: Instant) -> bool {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        let Some(start) = self.window_start else {
            self.window_start = Some(now);
            self.bytes = bytes;
            return false;
        };
        let elapsed = now.saturating_duration_since(start);
        let mut moved = false;
        if elapsed >= WINDOW {
            if elapsed < PAUSED_WINDOW {
                let millis = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX).max(1);
                let bitrate = self.bytes.saturating_mul(8_000) / millis;
                self.last = Some(bitrate);
                moved = self.reported.is_none_or(|r| bitrate.abs_diff(r) > r / 4);
                if moved {
                    self.reported = Some(bitrate);
                }
            }
            self.window_start = Some(now);
            self.bytes = 0;
        }
        self.bytes = self.bytes.saturating_add(bytes);
        moved
    }

    /// Bits per second over the last complete window, if one has completed.
    pub fn bitrate(&self) -> Option<u64> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_stream_measures_its_bitrate_after_one_window() {
        let start = Instant::now();
        let mut meter = RateMeter::default();
        // 15 frames a second of 2,500 bytes: 300 kbit/s
        for frame in 0..15 {
            assert!(!meter.add(2_500, start + Duration::from_millis(frame * 1000 / 15)));
            assert_eq!(meter.bitrate(), None, "no complete window yet");
        }
        assert!(meter.add(2_500, start + Duration::from_millis(1000)), "a first measure moves");
        assert_eq!(meter.bitrate(), Some(300_000));
        // the next second a little busier (about 330 kbit/s): measured, but not a move
        let mut moves = 0;
        for frame in 1..=15 {
            moves += usize::from(meter.add(2_750, start + Duration::from_millis(1000 + frame * 1000 / 15)));
        }
        assert_eq!(moves, 0);
        assert!(meter.bitrate().is_some_and(|b| (320_000..=335_000).contains(&b)), "{:?}", meter.bitrate());
        // then half as much: a move
        for frame in 1..=15 {
            moves += usize::from(meter.add(1_250, start + Duration::from_millis(2000 + frame * 1000 / 15)));
        }
        assert_eq!(moves, 1);
        assert!(meter.bitrate().is_some_and(|b| b < 200_000), "{:?}", meter.bitrate());
    }

    #[test]
    fn a_window_spanning_a_pause_is_not_taken() {
        let start = Instant::now();
        let mut meter = RateMeter::default();
        meter.add(10_000, start);
        meter.add(10_000, start + Duration::from_millis(1000));
        assert_eq!(meter.bitrate(), Some(80_000));
        // the layer stops for five seconds: the window over the pause would say ~16 kbit/s
        meter.add(10_000, start + Duration::from_secs(6));
        assert_eq!(meter.bitrate(), Some(80_000), "the last measure before the pause stays");
        meter.add(20_000, start + Duration::from_millis(7000));
        assert_eq!(meter.bitrate(), Some(80_000), "the first window after it: the 10,000 bytes of its first second");
    }
}
