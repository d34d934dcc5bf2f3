//! How a room appears in logs: never by its name — whoever knows an open room's name may enter it — but as
//! a short hash of the name (`#1a2b3c4d`), the same in every line and every process, so one meeting can be
//! followed through the log (and found from its name by whoever already knows it) without the log giving
//! the name away.

use std::fmt;

use ruang_proto::RoomName;
use sha2::{Digest, Sha256};

/// A room's name as logged: the first 32 bits of its SHA-256, in hex after a `#`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LogName([u8; 4]);

impl LogName {
    /// The logged form of `name`.
    pub fn of(name: &RoomName) -> Self {
        Self::of_str(name.as_str())
    }

    /// The logged form of a room name held as text (Redis keys, leases): the same as [`LogName::of`].
    pub fn of_str(name: &str) -> Self {
        let digest = Sha256::digest(name.as_bytes());
        LogName([digest[0], digest[1], digest[2], digest[3]])
    }
}

impl fmt::Display for LogName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "#{a:02x}{b:02x}{c:02x}{d:02x}")
    }
}

impl fmt::Debug for LogName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_name_is_a_stable_short_hash_that_does_not_contain_the_name() {
        let name = RoomName::parse("board").unwrap();
        let logged = LogName::of(&name).to_string();
        // The first 32 bits of SHA-256("board"), as `printf board | sha256sum` shows them.
        assert_eq!(logged, "#859169b3");
        assert_eq!(logged.len(), 9);
        assert!(logged.starts_with('#') && !logged.contains("board"));
        assert_ne!(logged, LogName::of(&RoomName::parse("boarc").unwrap()).to_string());
    }
}
