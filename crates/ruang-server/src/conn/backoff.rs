//! Back-off for a failing `accept`: when the process is out of descriptors (or the kernel out of memory) the
//! loop waits, longer each time up to a second, instead of spinning on the error or logging it thousands of
//! times a second. Errors that concern only the one connection being accepted are not failures of the loop.

use std::io;
use std::time::Duration;

const FIRST_DELAY: Duration = Duration::from_millis(10);
const LONGEST_DELAY: Duration = Duration::from_secs(1);

/// The wait before the next `accept` after a failure.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The wait after another failure; the first failure of a run is logged at `warn`, the rest at `debug`.
    pub fn next(&mut self, err: &io::Error) -> Duration {
        if self.failures == 0 {
            tracing::warn!(%err, "accepting connections failed; backing off until it works again");
        } else {
            tracing::debug!(%err, failures = self.failures, "accepting connections still fails");
        }
        let delay = FIRST_DELAY.saturating_mul(1 << self.failures.min(16)).min(LONGEST_DELAY);
        self.failures = self.failures.saturating_add(1);
        delay
    }

    /// An `accept` worked: the next failure starts over.
    pub fn reset(&mut self) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "accepting connections works again");
        }
        self.failures = 0;
    }
}

/// Whether `err` concerns only the connection being accepted (it went away first), not the listener.
pub fn affects_one_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_a_second_and_starts_over_after_a_success() {
        let err = io::Error::from_raw_os_error(24); // EMFILE
        let mut backoff = Backoff::default();
        let waits: Vec<_> = (0..10).map(|_| backoff.next(&err)).collect();
        assert_eq!(waits[0], Duration::from_millis(10));
        assert_eq!(waits[1], Duration::from_millis(20));
        assert_eq!(waits[9], Duration::from_secs(1));
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        backoff.reset();
        assert_eq!(backoff.next(&err), Duration::from_millis(10));
    }

    #[test]
    fn a_connection_gone_before_accept_is_not_a_listener_failure() {
        assert!(affects_one_connection(&io::Error::from(io::ErrorKind::ConnectionAborted)));
        assert!(!affects_one_connection(&io::Error::from_raw_os_error(24)));
    }
}
