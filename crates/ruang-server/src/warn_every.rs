//! Warnings that an outage or an outsider can repeat many times a second — Redis away makes every join,
//! every password attempt and every lease renewal fail the same way — are logged at most once per period,
//! each line saying how many like it were folded into it. The first one is logged at once. Time is passed
//! in, so the rule is tested without waiting.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The period used for the cluster's Redis warnings.
pub const REDIS_WARN_PERIOD: Duration = Duration::from_secs(10);

/// One kind of warning, logged at most once per period.
#[derive(Debug)]
pub struct WarnEvery {
    period: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    last: Option<Instant>,
    folded: u64,
}

impl WarnEvery {
    /// At most one line per `period`.
    pub fn new(period: Duration) -> Self {
        WarnEvery { period, state: Mutex::default() }
    }

    /// The warning happened at `now`: `Some(folded)` when it is to be logged, with the number of its
    /// occurrences not logged since the last line; `None` when it is folded into the next.
    pub fn due(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.last.is_some_and(|last| now.saturating_duration_since(last) < self.period) {
            state.folded = state.folded.saturating_add(1);
            return None;
        }
        state.last = Some(now);
        Some(std::mem::take(&mut state.folded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_is_logged_then_one_per_period_with_the_count_folded() {
        let warn = WarnEvery::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(warn.due(start), Some(0));
        for ms in 1..=500 {
            assert_eq!(warn.due(start + Duration::from_millis(ms * 10)), None, "within the period");
        }
        assert_eq!(warn.due(start + Duration::from_secs(10)), Some(500));
        assert_eq!(warn.due(start + Duration::from_secs(11)), None);
        assert_eq!(warn.due(start + Duration::from_secs(60)), Some(1));
    }
}
