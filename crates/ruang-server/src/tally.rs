//! Counting events per key in fixed windows, with reservations for attempts still under way, in a map whose
//! size is bounded: the counters behind the per-address and per-room limits on passwords, API keys and room
//! creation.
//!
//! A key's window starts with its first event and lasts `window`; when it has ended, the count starts again
//! from zero (reservations still under way carry over). Keys whose window has ended and that have nothing
//! under way are swept once the map holds [`SWEEP_AT`] keys, then again each time it has doubled since (so
//! sweeping costs O(1) per key, amortized); a new key is refused while it holds [`CAPACITY`] live ones, so a
//! flood of addresses costs a bounded amount of memory (a full map is swept at most once a second).

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use tokio::time::Instant;

/// Keys remembered before ended windows are swept.
const SWEEP_AT: usize = 10_000;
/// Most keys remembered at once (about 6 MB).
const CAPACITY: usize = 100_000;

/// One key's count in its current window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tally {
    started: Instant,
    /// Events counted in this window.
    pub counted: u32,
    /// Reservations taken and not yet settled.
    pub pending: u32,
}

impl Tally {
    /// Counted and pending together: what a limit is compared with.
    pub fn used(&self) -> u32 {
        self.counted.saturating_add(self.pending)
    }
}

/// Counts per key.
#[derive(Debug)]
pub(crate) struct Tallies<K> {
    map: HashMap<K, Tally>,
    window: Duration,
    /// The size at which the map is swept next.
    sweep_at: usize,
    /// The size of the first sweep.
    first_sweep: usize,
    capacity: usize,
    /// When a full map was last swept: at most once a second, so that a full map does not cost a sweep for
    /// every new key.
    swept_full: Option<Instant>,
}

impl<K: Eq + Hash + Clone> Tallies<K> {
    /// Empty counts with windows of `window`.
    pub fn new(window: Duration) -> Self {
        Tallies::sized(window, SWEEP_AT, CAPACITY)
    }

    fn sized(window: Duration, sweep_at: usize, capacity: usize) -> Self {
        Tallies { map: HashMap::new(), window, sweep_at, first_sweep: sweep_at, capacity, swept_full: None }
    }

    /// The tally of `key` in its current window, created if new; `None` if it is new and the map is full.
    pub fn get(&mut self, key: &K, now: Instant) -> Option<&mut Tally> {
        if !self.map.contains_key(key) {
            let full = self.map.len() >= self.capacity;
            let swept_lately = self.swept_full.is_some_and(|at| now.duration_since(at) < Duration::from_secs(1));
            if self.map.len() >= self.sweep_at.min(self.capacity) && !(full && swept_lately) {
                self.swept_full = full.then_some(now);
                let window = self.window;
                self.map.retain(|_, t| t.pending > 0 || now.duration_since(t.started) < window);
                self.sweep_at = self.map.len().saturating_mul(2).max(self.first_sweep);
            }
            if self.map.len() >= self.capacity {
                return None;
            }
            self.map.insert(key.clone(), Tally { started: now, counted: 0, pending: 0 });
        }
        let tally = self.map.get_mut(key)?;
        if now.duration_since(tally.started) >= self.window {
            tally.started = now;
            tally.counted = 0;
        }
        Some(tally)
    }

    /// The tally of `key` if it has one, without creating it.
    pub fn peek(&self, key: &K, now: Instant) -> Option<Tally> {
        let tally = self.map.get(key)?;
        match now.duration_since(tally.started) >= self.window {
            true => Some(Tally { started: now, counted: 0, pending: tally.pending }),
            false => Some(*tally),
        }
    }

    /// Takes a reservation for `key` if its use is below `limit`.
    pub fn reserve(&mut self, key: &K, limit: u32, now: Instant) -> bool {
        match self.get(key, now) {
            Some(tally) if tally.used() < limit => {
                tally.pending += 1;
                true
            }
            _ => false,
        }
    }

    /// Settles a reservation of `key`: counted as an event, or given back.
    pub fn settle(&mut self, key: &K, counted: bool, now: Instant) {
        if let Some(tally) = self.get(key, now) {
            tally.pending = tally.pending.saturating_sub(1);
            tally.counted = tally.counted.saturating_add(u32::from(counted));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_count_against_the_limit_until_given_back() {
        let mut tallies = Tallies::new(Duration::from_secs(60));
        let now = Instant::now();
        assert!(tallies.reserve(&"a", 2, now));
        assert!(tallies.reserve(&"a", 2, now));
        assert!(!tallies.reserve(&"a", 2, now), "two under way fill a limit of two");
        tallies.settle(&"a", false, now);
        assert!(tallies.reserve(&"a", 2, now), "a reservation given back frees its place");
        tallies.settle(&"a", true, now);
        tallies.settle(&"a", true, now);
        assert!(!tallies.reserve(&"a", 2, now), "two counted fill it too");
        assert!(tallies.reserve(&"a", 2, now + Duration::from_secs(60)), "until the window ends");
        assert!(tallies.reserve(&"b", 2, now), "other keys are counted apart");
    }

    #[test]
    fn a_pending_reservation_outlives_its_window() {
        let mut tallies = Tallies::new(Duration::from_secs(60));
        let now = Instant::now();
        assert!(tallies.reserve(&1, 1, now));
        let later = now + Duration::from_secs(61);
        assert!(!tallies.reserve(&1, 1, later), "still under way in the new window");
        tallies.settle(&1, true, later);
        assert_eq!(tallies.peek(&1, later).map(|t| (t.counted, t.pending)), Some((1, 0)));
    }

    #[test]
    fn the_map_is_swept_and_bounded() {
        const SIZE: usize = 100;
        let mut tallies = Tallies::sized(Duration::from_secs(60), 10, SIZE);
        let now = Instant::now();
        for key in 0..SIZE {
            assert!(tallies.reserve(&key, 1, now));
        }
        assert!(!tallies.reserve(&SIZE, 1, now), "full of live keys: a new key is refused");
        assert!(tallies.reserve(&0, 2, now), "known keys are still counted");
        let later = now + Duration::from_secs(60);
        for key in 0..SIZE {
            tallies.settle(&key, true, now);
        }
        tallies.settle(&0, true, now);
        assert!(tallies.reserve(&SIZE, 1, later), "ended windows are swept");
        assert_eq!(tallies.map.len(), 1);
        assert_eq!(tallies.sweep_at, 10, "and the next sweep is back at the start");
    }
}
