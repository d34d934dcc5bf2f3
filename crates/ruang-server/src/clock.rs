//! The server's clocks: wall-clock time for timestamps clients see, and sleeping until an optional deadline.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Milliseconds since the Unix epoch (0 if the system clock is before 1970).
pub fn wall_clock_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Seconds since the Unix epoch.
pub fn wall_clock_secs() -> u64 {
    wall_clock_ms() / 1000
}

/// Sleeps until `deadline`, or forever if there is none.
pub async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
