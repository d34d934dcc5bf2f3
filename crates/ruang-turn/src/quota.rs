//! Allocations per participant and for the whole server: at most `max` live TURN allocations for one
//! participant id (the part of the username after `:`), so one participant cannot use up the relay ports,
//! and at most `max_total` in all (like coturn's `total-quota`), since each holds a socket and a task.
//!
//! An allocation is counted when the server's success response goes out (matched to its request by the
//! STUN transaction id), until its lifetime (renewed by Refresh answers) ends or the TURN library reports
//! it closed: the library notices expiry only when it next allocates, which a full quota would prevent.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Requests waiting for their response before the map is reset (a bound against floods).
const MAX_PENDING: usize = 10_000;

/// The shared allocation count of one server.
pub struct Quota {
    max: usize,
    max_total: usize,
    state: Mutex<State>,
}

/// Why an allocate request is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum OverQuota {
    /// The participant holds its maximum.
    Participant,
    /// The server holds its maximum.
    Server,
}

#[derive(Default)]
struct State {
    pending: HashMap<[u8; 12], (String, SocketAddr)>,
    /// Per participant, its clients' allocations and when they expire.
    live: HashMap<String, HashMap<SocketAddr, Instant>>,
}

impl Quota {
    /// Allocations live now (expired ones still counted until they are noticed).
    pub fn live(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).live.values().map(HashMap::len).sum()
    }

    /// At most `max` allocations per participant and `max_total` in all.
    pub fn new(max: usize, max_total: usize) -> Self {
        Quota { max: max.max(1), max_total: max_total.max(1), state: Mutex::default() }
    }

    /// An allocate request from `client` for `username` with transaction `id` at `now`, refused if over a
    /// quota.
    pub fn request(&self, username: &str, client: SocketAddr, id: [u8; 12], now: Instant) -> Result<(), OverQuota> {
        let participant = participant(username);
        let mut state = self.lock();
        state.forget_expired(now);
        let clients = state.live.get(participant);
        let retry = clients.is_some_and(|clients| clients.contains_key(&client));
        let live = clients.map_or(0, |clients| clients.len() - usize::from(retry));
        if live >= self.max {
            return Err(OverQuota::Participant);
        }
        let total: usize = state.live.values().map(HashMap::len).sum();
        if !retry && total >= self.max_total {
            return Err(OverQuota::Server);
        }
        if state.pending.len() >= MAX_PENDING {
            state.pending.clear();
        }
        state.pending.insert(id, (participant.to_owned(), client));
        Ok(())
    }

    /// The answer to request `id` went out: an allocation for `lifetime` from `now` if `Some`, none if `None`.
    pub fn answered(&self, id: [u8; 12], lifetime: Option<Duration>, now: Instant) {
        let mut state = self.lock();
        if let Some((participant, client)) = state.pending.remove(&id)
            && let Some(lifetime) = lifetime
        {
            state.live.entry(participant).or_default().insert(client, now + lifetime);
        }
    }

    /// The allocation of `client` was refreshed to `lifetime` from `now` (zero ends it).
    pub fn refreshed(&self, client: SocketAddr, lifetime: Duration, now: Instant) {
        let mut state = self.lock();
        for clients in state.live.values_mut() {
            if let Some(expires) = clients.get_mut(&client) {
                *expires = now + lifetime;
            }
        }
        state.forget_expired(now);
    }

    /// The allocation of `client` for `username` closed.
    pub fn closed(&self, username: &str, client: SocketAddr) {
        let participant = participant(username);
        let mut state = self.lock();
        let Some(clients) = state.live.get_mut(participant) else { return };
        clients.remove(&client);
        if clients.is_empty() {
            state.live.remove(participant);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn forget_expired(&mut self, now: Instant) {
        self.live.retain(|_, clients| {
            clients.retain(|_, expires| *expires > now);
            !clients.is_empty()
        });
    }
}

fn participant(username: &str) -> &str {
    username.split_once(':').map_or(username, |(_, participant)| participant)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFETIME: Option<Duration> = Some(Duration::from_secs(600));

    fn client(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    #[test]
    fn counts_live_allocations_per_participant() {
        let now = Instant::now();
        let quota = Quota::new(2, 100);
        for (n, port) in [1u8, 2].into_iter().zip([1000, 1001]) {
            assert!(quota.request("100:alice", client(port), [n; 12], now).is_ok());
            quota.answered([n; 12], LIFETIME, now);
        }
        assert!(quota.request("200:alice", client(1002), [3; 12], now).is_err(), "a third allocation is refused");
        assert!(quota.request("100:alice", client(1000), [4; 12], now).is_ok(), "the same client may retry");
        assert!(quota.request("100:bob", client(2000), [5; 12], now).is_ok(), "others have their own quota");
        quota.closed("100:alice", client(1001));
        assert!(quota.request("300:alice", client(1002), [6; 12], now).is_ok());
    }

    #[test]
    fn the_server_wide_quota_bounds_all_participants_together() {
        let now = Instant::now();
        let quota = Quota::new(5, 2);
        for (n, name) in [(1u8, "1:alice"), (2, "1:bob")] {
            assert!(quota.request(name, client(u16::from(n)), [n; 12], now).is_ok());
            quota.answered([n; 12], LIFETIME, now);
        }
        assert_eq!(quota.request("1:carol", client(3), [3; 12], now), Err(OverQuota::Server));
        assert!(quota.request("1:alice", client(1), [4; 12], now).is_ok(), "a retry of a live one is no new one");
        quota.closed("1:bob", client(2));
        assert!(quota.request("1:carol", client(3), [5; 12], now).is_ok());
    }

    #[test]
    fn expired_allocations_stop_counting_even_before_the_library_reports_them() {
        let now = Instant::now();
        let quota = Quota::new(1, 1);
        assert!(quota.request("1:alice", client(1), [1; 12], now).is_ok());
        quota.answered([1; 12], LIFETIME, now);
        let later = now + Duration::from_secs(300);
        quota.refreshed(client(1), Duration::from_secs(600), later);
        assert!(quota.request("1:bob", client(2), [2; 12], now + Duration::from_secs(800)).is_err(), "refreshed");
        assert!(quota.request("1:bob", client(2), [3; 12], later + Duration::from_secs(600)).is_ok(), "expired");
        quota.refreshed(client(2), Duration::ZERO, later);
        assert!(quota.request("1:carol", client(3), [4; 12], later).is_ok(), "nothing held after Refresh 0");
    }

    #[test]
    fn failed_allocations_do_not_count() {
        let now = Instant::now();
        let quota = Quota::new(1, 100);
        assert!(quota.request("100:alice", client(1), [1; 12], now).is_ok());
        quota.answered([1; 12], None, now);
        assert!(quota.request("100:alice", client(2), [2; 12], now).is_ok());
    }
}
