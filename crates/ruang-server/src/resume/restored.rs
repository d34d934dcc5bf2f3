//! Which participants of a previous server instance have been restored, so that each of that instance's
//! resume tokens restores its participant at most once.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use ruang_proto::PeerId;

/// Claims on participants of a previous instance. A token of a previous instance cannot be checked against
/// any room state (the rooms it was minted for are gone), so its participant is claimed here by the first
/// connection that presents it and later ones are refused.
///
/// [`LocalRestoredClaims`] remembers the claims of this process; with `--redis`,
/// `crate::cluster::ClusterRestoredClaims` remembers them in Redis. One shared by several nodes must
/// guarantee:
///
/// - [`claim`](Self::claim) is atomic across every node ("set if absent", e.g. `SET NX`): of any number of
///   concurrent claims on one participant, wherever they arrive, exactly one returns `true`;
/// - a claim is remembered at least as long as a token of a previous instance may still be valid (one and
///   a half resume grace periods plus a second), and survives the restart of any one node;
/// - a claim is answered within a bounded time.
pub trait RestoredClaims: Send + Sync {
    /// Claims participant `id` of a previous instance for restoring; `false` if it was claimed before.
    fn claim(&self, id: PeerId) -> ClaimFuture<'_>;
}

/// What [`RestoredClaims::claim`] answers with, later (a shared implementation asks Redis).
pub type ClaimFuture<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// The claims of this process, kept as long as it runs.
#[derive(Debug, Default)]
pub struct LocalRestoredClaims {
    restored: Mutex<HashSet<PeerId>>,
}

impl LocalRestoredClaims {
    /// [`RestoredClaims::claim`], at once.
    pub fn claim_here(&self, id: PeerId) -> bool {
        // One insertion: the set is whole even if a holder panicked.
        self.restored.lock().unwrap_or_else(PoisonError::into_inner).insert(id)
    }
}

impl RestoredClaims for LocalRestoredClaims {
    fn claim(&self, id: PeerId) -> ClaimFuture<'_> {
        Box::pin(std::future::ready(self.claim_here(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_participant_is_claimed_once_and_others_apart() {
        let claims = LocalRestoredClaims::default();
        assert!(claims.claim_here(PeerId::from_bits(1)));
        assert!(!claims.claim_here(PeerId::from_bits(1)), "the second claim is refused");
        assert!(claims.claim_here(PeerId::from_bits(2)));
    }

    #[test]
    fn of_concurrent_claims_on_one_participant_exactly_one_wins() {
        let claims = LocalRestoredClaims::default();
        let won = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..8).map(|_| scope.spawn(|| claims.claim_here(PeerId::from_bits(7)))).collect();
            threads.into_iter().filter_map(|thread| thread.join().ok()).filter(|won| *won).count()
        });
        assert_eq!(won, 1);
    }
}
