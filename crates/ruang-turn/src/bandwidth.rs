//! Token buckets for relay bandwidth: one per allocation and direction (`max_bps`), and one per direction
//! for the whole server (`total_bps`). A datagram over its bucket is dropped, as a congested link would.

use std::time::Instant;

/// How many seconds of traffic a bucket holds, so short bursts (a key frame) pass.
const BURST_SECS: f64 = 1.0;

/// A token bucket counting bytes; a rate of 0 bits per second means no limit.
#[derive(Debug)]
pub struct Bucket {
    bytes_per_sec: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl Bucket {
    /// A full bucket for `bits_per_sec` (0: unlimited).
    pub fn new(bits_per_sec: u64) -> Self {
        let bytes_per_sec = bits_per_sec as f64 / 8.0;
        Bucket { bytes_per_sec, tokens: bytes_per_sec * BURST_SECS, last: None }
    }

    /// Whether `bytes` may pass at `now`, taking them from the bucket if so.
    pub fn admit(&mut self, bytes: usize, now: Instant) -> bool {
        if self.bytes_per_sec <= 0.0 {
            return true;
        }
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.bytes_per_sec).min(self.bytes_per_sec * BURST_SECS);
        }
        self.last = Some(now);
        let cost = bytes as f64;
        if self.tokens < cost {
            return false;
        }
        self.tokens -= cost;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn passes_the_rate_and_drops_what_is_beyond_it() {
        let start = Instant::now();
        let mut bucket = Bucket::new(8_000); // 1000 bytes per second
        assert!(bucket.admit(600, start));
        assert!(bucket.admit(400, start));
        assert!(!bucket.admit(1, start), "the burst is spent");
        assert!(bucket.admit(500, start + Duration::from_millis(500)), "refilled at the rate");
        assert!(!bucket.admit(100, start + Duration::from_millis(500)));
        assert!(!bucket.admit(1001, start + Duration::from_secs(60)), "never more than one second's worth");
    }

    #[test]
    fn a_rate_of_zero_is_unlimited() {
        let mut bucket = Bucket::new(0);
        assert!((0..1000).all(|_| bucket.admit(65_535, Instant::now())));
    }
}
