//! A token bucket with time passed in, used to bound messages (and violations) per connection.

/// A token bucket: holds up to `burst` tokens and refills `per_second` tokens each second.
///
/// Time is given by the caller as milliseconds on any monotonic clock, so tests need no real clock.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    burst: f64,
    per_ms: f64,
    tokens: f64,
    last_ms: u64,
}

impl TokenBucket {
    /// A full bucket at time `now_ms`.
    pub fn new(per_second: u32, burst: u32, now_ms: u64) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket { burst, per_ms: f64::from(per_second) / 1000.0, tokens: burst, last_ms: now_ms }
    }

    /// Takes one token if there is one; `false` means the caller is over its rate.
    pub fn try_take(&mut self, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(self.last_ms);
        self.last_ms = self.last_ms.max(now_ms);
        self.tokens = (self.tokens + elapsed as f64 * self.per_ms).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let mut bucket = TokenBucket::new(10, 5, 0);
        assert_eq!((0..8).filter(|_| bucket.try_take(0)).count(), 5);
        assert!(!bucket.try_take(50), "half a token after 50 ms");
        assert!(bucket.try_take(100), "one token after 100 ms");
        assert!(!bucket.try_take(100));
    }

    #[test]
    fn refill_never_exceeds_the_burst() {
        let mut bucket = TokenBucket::new(1000, 3, 0);
        assert_eq!((0..10).filter(|_| bucket.try_take(60_000)).count(), 3);
    }

    #[test]
    fn a_clock_going_backwards_grants_nothing() {
        let mut bucket = TokenBucket::new(10, 1, 1_000);
        assert!(bucket.try_take(1_000));
        assert!(!bucket.try_take(500));
        assert!(!bucket.try_take(1_000));
    }
}
