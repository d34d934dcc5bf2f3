//! Throttling password attempts, per client address and per room, so that neither one address nor many
//! together can guess a room's password quickly, while the rightful user still gets in.
//!
//! An attempt is counted when it starts, before any hashing, as a reservation: concurrent attempts from one
//! address cannot exceed its limit. A right password gives its reservation back; a wrong one (or one whose
//! connection went away mid-check) keeps it as a failure; one that was never checked (the checking pool was
//! busy) gives it back.
//!
//! A room has two budgets. Attempts from a *fresh* address — one with no failure in its window and nothing
//! under way — draw on one; all other attempts on the other. Addresses that have failed, however many
//! attempts they fire, therefore cannot use up the budget a fresh address draws on: the rightful user who
//! types the password right the first time gets in while others hammer the room. Both budgets are bounded,
//! so the total guess rate per room is bounded too (only an attacker with more fresh addresses than the
//! fresh budget, per window, can still crowd it out). Addresses count by group ([`crate::address::group`]).
//!
//! The counts sit behind [`PasswordThrottle`], so that nodes sharing rooms can share them too (with
//! `--redis`, `crate::cluster::ClusterThrottle` counts in Redis); the [`Attempt`] guard that settles each
//! reservation is the same whatever counts.

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use ruang_proto::RoomName;
use tokio::time::Instant;

use crate::address::group;
use crate::tally::Tallies;

/// How many password attempts are allowed, per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptLimits {
    /// Failed or pending attempts per address group, across rooms.
    pub per_address: u32,
    /// Failed or pending attempts per room from fresh addresses.
    pub per_room_fresh: u32,
    /// Failed or pending attempts per room from all other addresses.
    pub per_room_others: u32,
    /// The window.
    pub window: Duration,
}

/// Counts password attempts, per address group and per room, for every attempt this server (or, shared, this
/// cluster) sees. [`LocalThrottle`] counts in this process; one shared by several nodes (say in Redis) must
/// keep the same guarantees:
///
/// - [`reserve`](Self::reserve) is atomic: deciding freshness, checking both limits and taking the
///   reservation are one step, so concurrent attempts, on any node, never together exceed a limit;
/// - a reservation counts against its address and its room until settled, however long that takes;
/// - [`settle`](Self::settle) is called exactly once per reservation ([`Attempt`] sees to it, also when it
///   is dropped), and must not block: a shared implementation sends it in the background;
/// - counts are per window of [`AttemptLimits::window`]; `now` is this node's clock, which a shared
///   implementation may replace by its own (key expiry);
/// - [`reserve`](Self::reserve) answers within a bounded time, and never lets an attempt through
///   uncounted: when the shared counts cannot be reached, it counts the attempt some other way (this
///   node's counts).
pub trait PasswordThrottle: Send + Sync {
    /// Reserves an attempt from `address` at `room`, or `None` if a limit is reached.
    fn reserve<'a>(&'a self, address: Option<IpAddr>, room: &'a RoomName, now: Instant) -> ReserveFuture<'a>;

    /// Settles a reservation: counted as a failure (`failed`), or given back.
    fn settle(&self, reservation: &Reservation, failed: bool, now: Instant);
}

/// What [`PasswordThrottle::reserve`] answers with, later (a shared throttle asks Redis).
pub type ReserveFuture<'a> = Pin<Box<dyn Future<Output = Option<Reservation>> + Send + 'a>>;

impl dyn PasswordThrottle + '_ {
    /// Reserves an attempt from `address` at `room` as an [`Attempt`] that must be settled; dropped
    /// unsettled, it counts as a failure. `None` if a limit is reached.
    pub async fn attempt(&self, address: Option<IpAddr>, room: &RoomName, now: Instant) -> Option<Attempt<'_>> {
        let reservation = self.reserve(address, room, now).await?;
        Some(Attempt { throttle: self, reservation, settled: false })
    }
}

/// An attempt counted and not yet settled, as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// The address group it counts against ([`crate::address::group`]).
    pub address: Option<IpAddr>,
    /// The room it counts against.
    pub room: RoomName,
    /// Whether it came from a fresh address, and so draws on the room's fresh budget.
    pub fresh: bool,
    /// Whether the cluster's shared counts hold it; `false`: this node's counts ([`LocalThrottle`]).
    pub shared: bool,
}

#[derive(Debug)]
struct Counts {
    addresses: Tallies<Option<IpAddr>>,
    fresh: Tallies<RoomName>,
    others: Tallies<RoomName>,
}

/// Counts password attempts in this process.
#[derive(Debug)]
pub struct LocalThrottle {
    counts: Mutex<Counts>,
    limits: AttemptLimits,
}

impl LocalThrottle {
    /// A throttle with these limits.
    pub fn new(limits: AttemptLimits) -> Self {
        let window = limits.window;
        let counts =
            Counts { addresses: Tallies::new(window), fresh: Tallies::new(window), others: Tallies::new(window) };
        LocalThrottle { counts: Mutex::new(counts), limits }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // Every change is a few counter updates: consistent enough even if a holder panicked.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PasswordThrottle for LocalThrottle {
    fn reserve<'a>(&'a self, address: Option<IpAddr>, room: &'a RoomName, now: Instant) -> ReserveFuture<'a> {
        Box::pin(std::future::ready(self.reserve_here(address, room, now)))
    }

    fn settle(&self, reservation: &Reservation, failed: bool, now: Instant) {
        let mut counts = self.lock();
        counts.addresses.settle(&reservation.address, failed, now);
        let budget = if reservation.fresh { &mut counts.fresh } else { &mut counts.others };
        budget.settle(&reservation.room, failed, now);
    }
}

impl LocalThrottle {
    /// [`PasswordThrottle::reserve`], at once.
    pub fn reserve_here(&self, address: Option<IpAddr>, room: &RoomName, now: Instant) -> Option<Reservation> {
        let mut counts = self.lock();
        let key = group(address);
        let fresh = counts.addresses.peek(&key, now).is_none_or(|tally| tally.used() == 0);
        let (budget, limit) = match fresh {
            true => (&mut counts.fresh, self.limits.per_room_fresh),
            false => (&mut counts.others, self.limits.per_room_others),
        };
        if !budget.reserve(room, limit, now) {
            return None;
        }
        if !counts.addresses.reserve(&key, self.limits.per_address, now) {
            let budget = if fresh { &mut counts.fresh } else { &mut counts.others };
            budget.settle(room, false, now);
            return None;
        }
        Some(Reservation { address: key, room: room.clone(), fresh, shared: false })
    }
}

/// A password attempt under way, counted against its address and room until settled.
pub struct Attempt<'a> {
    throttle: &'a dyn PasswordThrottle,
    reservation: Reservation,
    settled: bool,
}

impl std::fmt::Debug for Attempt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt").field("reservation", &self.reservation).field("settled", &self.settled).finish()
    }
}

impl Attempt<'_> {
    /// Whether it comes from a fresh address (no failure in its window, nothing else under way).
    pub fn is_fresh(&self) -> bool {
        self.reservation.fresh
    }

    /// The password was right: the attempt does not count.
    pub fn succeeded(mut self) {
        self.settle(false, Instant::now());
    }

    /// The password was wrong: the attempt counts as a failure.
    pub fn failed(mut self, now: Instant) {
        self.settle(true, now);
    }

    /// The password was never checked (the checking pool was busy): the attempt does not count.
    pub fn not_checked(mut self) {
        self.settle(false, Instant::now());
    }

    fn settle(&mut self, failed: bool, now: Instant) {
        if !self.settled {
            self.settled = true;
            self.throttle.settle(&self.reservation, failed, now);
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        // Abandoned mid-check (the connection went away): the guess may have been computed, so it counts.
        self.settle(true, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: AttemptLimits =
        AttemptLimits { per_address: 3, per_room_fresh: 3, per_room_others: 2, window: Duration::from_secs(60) };

    fn room(name: &str) -> RoomName {
        RoomName::parse(name).unwrap_or_else(|| unreachable!())
    }

    fn fail(attempt: Option<Attempt<'_>>, now: Instant) {
        if let Some(attempt) = attempt {
            attempt.failed(now);
        }
    }

    fn address(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([192, 0, 2, last]))
    }

    #[tokio::test]
    async fn concurrent_attempts_from_one_address_count_before_they_are_checked() {
        let local = LocalThrottle::new(LIMITS);
        let throttle: &dyn PasswordThrottle = &local;
        let now = Instant::now();
        let first = throttle.attempt(address(1), &room("r"), now).await;
        let second = throttle.attempt(address(1), &room("s"), now).await;
        let third = throttle.attempt(address(1), &room("t"), now).await;
        assert!(first.is_some() && second.is_some() && third.is_some());
        assert!(throttle.attempt(address(1), &room("u"), now).await.is_none(), "three under way fill the address");
        if let Some(second) = second {
            second.not_checked();
        }
        assert!(
            throttle.attempt(address(1), &room("r"), now).await.is_some(),
            "an unchecked attempt gives its place back"
        );
    }

    #[tokio::test]
    async fn failures_count_for_the_window_and_successes_do_not() {
        let local = LocalThrottle::new(LIMITS);
        let throttle: &dyn PasswordThrottle = &local;
        let now = Instant::now();
        for _ in 0..5 {
            if let Some(a) = throttle.attempt(address(1), &room("r"), now).await {
                a.succeeded();
            }
        }
        fail(throttle.attempt(address(1), &room("r"), now).await, now);
        fail(throttle.attempt(address(1), &room("r"), now).await, now);
        drop(throttle.attempt(address(1), &room("r"), now).await);
        assert!(throttle.attempt(address(1), &room("r"), now).await.is_none(), "a dropped attempt counts as failed");
        assert!(throttle.attempt(address(1), &room("r"), now + LIMITS.window).await.is_some(), "a new window");
    }

    #[tokio::test]
    async fn failed_addresses_cannot_use_up_what_a_fresh_address_draws_on() {
        let local = LocalThrottle::new(LIMITS);
        let throttle: &dyn PasswordThrottle = &local;
        let now = Instant::now();
        // Three addresses fail once each: fresh attempts, they take the fresh budget (3).
        for last in 1..=3 {
            fail(throttle.attempt(address(last), &room("r"), now).await, now);
        }
        assert!(throttle.attempt(address(4), &room("r"), now).await.is_none(), "the fresh budget is spent");
        let room = room("s");
        for last in 1..=2 {
            let attempt = throttle.attempt(address(last), &room, now).await;
            assert!(attempt.as_ref().is_some_and(|a| !a.is_fresh()), "address {last} has failed before");
            fail(attempt, now);
        }
        assert!(throttle.attempt(address(3), &room, now).await.is_none(), "the others budget of room s is spent");
        let rightful = throttle.attempt(address(9), &room, now).await;
        assert!(rightful.as_ref().is_some_and(Attempt::is_fresh), "a fresh address still gets its attempt");
    }

    #[tokio::test]
    async fn the_guess_rate_per_room_is_bounded_whatever_the_number_of_addresses() {
        let local = LocalThrottle::new(LIMITS);
        let throttle: &dyn PasswordThrottle = &local;
        let now = Instant::now();
        let mut checked = Vec::new();
        for last in 1..=100 {
            checked.extend(throttle.attempt(address(last), &room("r"), now).await);
        }
        let checked = checked.len();
        assert_eq!(checked, 3, "fresh addresses draw on the fresh budget only");
    }

    #[tokio::test]
    async fn ipv6_addresses_of_one_64_prefix_share_a_limit() {
        let local = LocalThrottle::new(LIMITS);
        let throttle: &dyn PasswordThrottle = &local;
        let now = Instant::now();
        for n in 1..=3u16 {
            let ip = IpAddr::from([0x2001, 0xdb8, 0, 1, 0, 0, 0, n]);
            fail(throttle.attempt(Some(ip), &room("r"), now).await, now);
        }
        let neighbour = IpAddr::from([0x2001, 0xdb8, 0, 1, 0xffff, 0, 0, 7]);
        assert!(throttle.attempt(Some(neighbour), &room("r"), now).await.is_none());
    }
}
