//! Connection numbers: what tells one connection of a participant from another (a resume on a new
//! connection, a stale one still closing), so a room acts only on its participant's current link.

use std::sync::atomic::{AtomicU64, Ordering};

/// Hands out connection numbers. [`LocalConnectionNumbers`] counts in this process. One shared by several
/// nodes must guarantee that a number is never handed out twice in the cluster while a connection holding
/// it may still be open (a shared counter such as Redis `INCR`, or a node number in the high bits), as a
/// participant may resume on a node other than the one its previous connection was on; and never 0.
pub trait ConnectionNumbers: Send + Sync {
    /// A number no open connection has.
    fn next(&self) -> u64;
}

/// Numbers from a counter of this process, starting at 1.
#[derive(Debug)]
pub struct LocalConnectionNumbers {
    next: AtomicU64,
}

impl Default for LocalConnectionNumbers {
    fn default() -> Self {
        LocalConnectionNumbers { next: AtomicU64::new(1) }
    }
}

impl ConnectionNumbers for LocalConnectionNumbers {
    fn next(&self) -> u64 {
        // Only uniqueness matters, which the atomic addition gives with any ordering.
        self.next.fetch_add(1, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_start_at_one_and_never_repeat_across_threads() {
        let numbers = LocalConnectionNumbers::default();
        let mut drawn: Vec<u64> = std::thread::scope(|scope| {
            let threads: Vec<_> =
                (0..4).map(|_| scope.spawn(|| (0..100).map(|_| numbers.next()).collect::<Vec<_>>())).collect();
            threads.into_iter().flat_map(|thread| thread.join().unwrap_or_default()).collect()
        });
        drawn.sort_unstable();
        assert_eq!(drawn, (1..=400).collect::<Vec<_>>());
    }
}
