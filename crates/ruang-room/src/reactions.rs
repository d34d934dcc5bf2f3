//! How often a member may react: a token bucket per member, with time passed in.
//!
//! A reaction costs every member a message and a moment of screen, so each member holds
//! [`REACTION_BURST`] reactions and gets one back every [`REACTION_REFILL`] (5 per 10 s). One over the
//! limit is dropped with `too_many_reactions`, which is not a violation: an eager audience is never cut off.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ruang_proto::{ErrorCode, PeerId, Rejection};

/// Reactions a member may send at once.
pub const REACTION_BURST: u32 = 5;
/// How long it takes to get one reaction back.
pub const REACTION_REFILL: Duration = Duration::from_secs(2);

/// One member's budget: `tokens` reactions left as of `at`.
#[derive(Clone, Copy, Debug)]
struct Budget {
    tokens: u32,
    at: Instant,
}

impl Budget {
    /// Takes one reaction at `now` if there is one left, after refilling for the time passed.
    fn take(&mut self, now: Instant) -> bool {
        let refill_ms = REACTION_REFILL.as_millis();
        let elapsed_ms = now.saturating_duration_since(self.at).as_millis();
        let earned = u32::try_from(elapsed_ms / refill_ms).unwrap_or(u32::MAX);
        if self.tokens.saturating_add(earned) >= REACTION_BURST {
            (self.tokens, self.at) = (REACTION_BURST, now);
        } else if earned > 0 {
            self.tokens += earned;
            // Keep the part of a refill already under way.
            let kept = Duration::from_millis(u64::from(earned) * refill_ms as u64);
            self.at += kept;
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

/// Every member's reaction budget.
#[derive(Debug, Default)]
pub(crate) struct Reactions {
    budgets: HashMap<PeerId, Budget>,
}

impl Reactions {
    /// Whether `id` may react at `now` (taking one from its budget), or the rejection to send it.
    /// `is_member` tells who is still in the room, so budgets of members who left are forgotten.
    pub(crate) fn take(
        &mut self,
        id: PeerId,
        now: Instant,
        is_member: impl Fn(PeerId) -> bool,
    ) -> Result<(), Rejection> {
        if !self.budgets.contains_key(&id) {
            // A new budget: the map never holds more than the room's members.
            self.budgets.retain(|known, _| is_member(*known));
        }
        let budget = self.budgets.entry(id).or_insert(Budget { tokens: REACTION_BURST, at: now });
        if budget.take(now) {
            Ok(())
        } else {
            let message = "too many reactions (5 per 10 seconds); this one was dropped";
            Err(Rejection::new(ErrorCode::TooManyReactions, message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_five_then_one_every_two_seconds() {
        let start = Instant::now();
        let mut budget = Budget { tokens: REACTION_BURST, at: start };
        assert_eq!((0..8).filter(|_| budget.take(start)).count(), 5);
        assert!(!budget.take(start + Duration::from_millis(1_999)));
        assert!(budget.take(start + Duration::from_millis(2_000)));
        assert!(!budget.take(start + Duration::from_millis(2_500)));
        assert!(budget.take(start + Duration::from_millis(4_000)), "the refill under way was kept");
        let later = start + Duration::from_secs(60);
        assert_eq!((0..8).filter(|_| budget.take(later)).count(), 5, "never more than the burst");
    }
}
