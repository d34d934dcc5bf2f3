//! TLS handshakes, shared fairly between addresses: each has a deadline, one address has at most a few in
//! flight, and when all slots are taken a newcomer takes the oldest slot of the address holding the most
//! (if that address holds more than the newcomer's would), so sockets that never send a hello, from one
//! address or from many, cannot make anyone else wait. A connection that gets no slot is closed at once.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

use super::AddressKey;

/// Most handshakes in flight at once.
pub const MAX_HANDSHAKES: usize = 512;
/// Most handshakes in flight from one address (a browser opens up to six connections at once).
pub const HANDSHAKES_PER_ADDRESS: usize = 8;

/// Completes TLS handshakes within their limits.
pub struct Handshakes {
    acceptor: TlsAcceptor,
    slots: Mutex<Slots>,
    deadline: Duration,
}

impl Handshakes {
    /// Handshakes with `acceptor`, each within `deadline`.
    pub fn new(acceptor: TlsAcceptor, deadline: Duration) -> Self {
        Handshakes { acceptor, slots: Mutex::new(Slots::default()), deadline }
    }

    /// The TLS stream once `peer` has completed its handshake on `tcp`, or `None` (closing it) when it gets
    /// no slot, loses its slot to another address, is too slow, or fails. A trusted proxy (`exempt`) is
    /// not limited per address.
    pub async fn complete(&self, tcp: TcpStream, peer: IpAddr, exempt: bool) -> Option<TlsStream<TcpStream>> {
        let key = AddressKey::from(peer);
        let per_address = if exempt { MAX_HANDSHAKES } else { HANDSHAKES_PER_ADDRESS };
        let admitted = self.lock().admit(key, per_address, MAX_HANDSHAKES);
        let Some((id, evicted)) = admitted else {
            tracing::debug!("closed a connection: no TLS handshake slot for its address");
            return None;
        };
        let _slot = SlotGuard { handshakes: self, key, id };
        let handshake = tokio::time::timeout(self.deadline, self.acceptor.accept(tcp));
        let outcome = tokio::select! {
            () = evicted.cancelled() => {
                tracing::debug!("TLS handshake gave its slot to another address");
                return None;
            }
            outcome = handshake => outcome,
        };
        match outcome {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(err)) => {
                tracing::debug!(%err, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out");
                None
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Gives a handshake's slot back when it ends, however it ends.
struct SlotGuard<'a> {
    handshakes: &'a Handshakes,
    key: AddressKey,
    id: u64,
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        self.handshakes.lock().release(self.key, self.id);
    }
}

/// Who holds the handshake slots: per address, oldest first, each with the token that takes it away.
#[derive(Debug, Default)]
struct Slots {
    next_id: u64,
    total: usize,
    by_address: HashMap<AddressKey, VecDeque<(u64, CancellationToken)>>,
}

impl Slots {
    /// A slot for `key` (its id, and the token cancelled if it is taken away), or `None`.
    fn admit(&mut self, key: AddressKey, per_address: usize, most: usize) -> Option<(u64, CancellationToken)> {
        let here = self.by_address.get(&key).map_or(0, VecDeque::len);
        if here >= per_address {
            return None;
        }
        if self.total >= most {
            let (_, biggest) = self.by_address.iter_mut().max_by_key(|(_, queue)| queue.len())?;
            // Only take from an address that would still hold more than this one.
            if biggest.len() <= here + 1 {
                return None;
            }
            let (_, oldest) = biggest.pop_front()?;
            oldest.cancel();
            self.total -= 1;
        }
        let id = self.next_id;
        self.next_id += 1;
        let token = CancellationToken::new();
        self.by_address.entry(key).or_default().push_back((id, token.clone()));
        self.total += 1;
        Some((id, token))
    }

    /// Gives slot `id` of `key` back (nothing if it was taken away already).
    fn release(&mut self, key: AddressKey, id: u64) {
        let Some(queue) = self.by_address.get_mut(&key) else { return };
        if let Some(position) = queue.iter().position(|(held, _)| *held == id) {
            queue.remove(position);
            self.total -= 1;
        }
        if queue.is_empty() {
            self.by_address.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(n: u8) -> AddressKey {
        AddressKey::from(std::net::IpAddr::from([192, 0, 2, n]))
    }

    #[test]
    fn one_address_gets_at_most_its_share() {
        let mut slots = Slots::default();
        assert!(slots.admit(address(1), 2, 10).is_some());
        assert!(slots.admit(address(1), 2, 10).is_some());
        assert!(slots.admit(address(1), 2, 10).is_none());
        assert!(slots.admit(address(2), 2, 10).is_some());
    }

    #[test]
    fn when_full_a_newcomer_takes_the_oldest_slot_of_the_biggest_holder() {
        let mut slots = Slots::default();
        let first = slots.admit(address(1), 3, 4).map(|(_, token)| token);
        for _ in 0..2 {
            assert!(slots.admit(address(1), 3, 4).is_some());
        }
        assert!(slots.admit(address(2), 3, 4).is_some());
        assert_eq!(slots.total, 4);
        let newcomer = slots.admit(address(3), 3, 4);
        assert!(newcomer.is_some(), "address 1 holds 3, the newcomer would hold 1");
        assert!(first.is_some_and(|token| token.is_cancelled()), "the oldest of address 1 gave way");
        assert_eq!(slots.total, 4);
        // Now 2, 1, 1: a fourth address would take from address 1 (2 > 0 + 1); address 2 may not (2 <= 1 + 1).
        assert!(slots.admit(address(2), 3, 4).is_none());
        assert!(slots.admit(address(4), 3, 4).is_some());
        // 1, 1, 1, 1: nobody holds more than a newcomer would.
        assert!(slots.admit(address(5), 3, 4).is_none());
    }

    #[test]
    fn released_and_taken_slots_are_counted_once() {
        let mut slots = Slots::default();
        let (a, _) = slots.admit(address(1), 2, 2).unwrap_or_default();
        let (b, _) = slots.admit(address(1), 2, 2).unwrap_or_default();
        let (c, _) = slots.admit(address(2), 2, 2).unwrap_or_default();
        // `a` was taken away by `c`: releasing it changes nothing.
        slots.release(address(1), a);
        assert_eq!(slots.total, 2);
        slots.release(address(1), b);
        slots.release(address(2), c);
        assert_eq!((slots.total, slots.by_address.len()), (0, 0));
    }
}
