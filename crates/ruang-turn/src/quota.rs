//! Allocations per participant: at most `max` live TURN allocations for one participant id (the part of
//! the username after `:`), so one participant cannot use up the relay ports.
//!
//! An allocation is counted when the server's success response goes out (matched to its request by the
//! STUN transaction id) and forgotten when the TURN library reports it closed.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};

/// Requests waiting for their response before the map is reset (a bound against floods).
const MAX_PENDING: usize = 10_000;

/// The shared allocation count of one server.
pub struct Quota {
    max: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pending: HashMap<[u8; 12], (String, SocketAddr)>,
    live: HashMap<String, HashSet<SocketAddr>>,
}

impl Quota {
    /// At most `max` allocations per participant.
    pub fn new(max: usize) -> Self {
        Quota { max: max.max(1), state: Mutex::default() }
    }

    /// An allocate request from `client` for `username` with transaction `id`: `false` if over the quota.
    pub fn request(&self, username: &str, client: SocketAddr, id: [u8; 12]) -> bool {
        let participant = participant(username);
        let mut state = self.lock();
        let live =
            state.live.get(participant).map_or(0, |clients| clients.len() - usize::from(clients.contains(&client)));
        if live >= self.max {
            return false;
        }
        if state.pending.len() >= MAX_PENDING {
            state.pending.clear();
        }
        state.pending.insert(id, (participant.to_owned(), client));
        true
    }

    /// The answer to request `id` went out; `success` says whether an allocation now exists.
    pub fn answered(&self, id: [u8; 12], success: bool) {
        let mut state = self.lock();
        if let Some((participant, client)) = state.pending.remove(&id)
            && success
        {
            state.live.entry(participant).or_default().insert(client);
        }
    }

    /// The allocation of `client` for `username` closed.
    pub fn closed(&self, username: &str, client: SocketAddr) {
        let participant = participant(username);
        let mut state = self.lock();
        if let Some(clients) = state.live.get_mut(participant) {
            clients.remove(&client);
            if clients.is_empty() {
                state.live.remove(participant);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn participant(username: &str) -> &str {
    username.split_once(':').map_or(username, |(_, participant)| participant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    #[test]
    fn counts_live_allocations_per_participant() {
        let quota = Quota::new(2);
        for (n, port) in [1u8, 2].into_iter().zip([1000, 1001]) {
            assert!(quota.request("100:alice", client(port), [n; 12]));
            quota.answered([n; 12], true);
        }
        assert!(!quota.request("200:alice", client(1002), [3; 12]), "a third allocation is refused");
        assert!(quota.request("100:alice", client(1000), [4; 12]), "the same client may retry");
        assert!(quota.request("100:bob", client(2000), [5; 12]), "others have their own quota");
        quota.closed("100:alice", client(1001));
        assert!(quota.request("300:alice", client(1002), [6; 12]));
    }

    #[test]
    fn failed_allocations_do_not_count() {
        let quota = Quota::new(1);
        assert!(quota.request("100:alice", client(1), [1; 12]));
        quota.answered([1; 12], false);
        assert!(quota.request("100:alice", client(2), [2; 12]));
    }
}
