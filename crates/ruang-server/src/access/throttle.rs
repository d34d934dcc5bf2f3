//! Throttling wrong passwords, per client address and per room, so neither one address nor many addresses
//! together can guess a room's password quickly. Failures are counted in fixed windows; once a key reaches
//! its limit, attempts are refused (before any hashing) until its window ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use ruang_proto::RoomName;
use tokio::time::Instant;

/// Most keys remembered before windows that have ended are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    Room(RoomName),
}

#[derive(Clone, Copy, Debug)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Counts wrong passwords.
#[derive(Debug)]
pub struct Throttle {
    windows: Mutex<HashMap<Key, Window>>,
    per_address: u32,
    per_room: u32,
    window: Duration,
}

impl Throttle {
    /// At most `per_address` failures from one address and `per_room` for one room, per `window`.
    pub fn new(per_address: u32, per_room: u32, window: Duration) -> Self {
        Throttle { windows: Mutex::default(), per_address, per_room, window }
    }

    /// Whether an attempt from `address` for `room` may be checked now.
    pub fn allows(&self, address: Option<IpAddr>, room: &RoomName, now: Instant) -> bool {
        let windows = self.lock();
        let under = |key: Key, limit: u32| {
            windows.get(&key).is_none_or(|w| now.duration_since(w.started) >= self.window || w.failures < limit)
        };
        under(Key::Room(room.clone()), self.per_room)
            && address.is_none_or(|a| under(Key::Address(a), self.per_address))
    }

    /// Records a wrong password from `address` for `room`.
    pub fn failed(&self, address: Option<IpAddr>, room: &RoomName, now: Instant) {
        let mut windows = self.lock();
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, w| now.duration_since(w.started) < self.window);
        }
        let keys = std::iter::once(Key::Room(room.clone())).chain(address.map(Key::Address));
        for key in keys {
            let window = windows.entry(key).or_insert(Window { started: now, failures: 0 });
            if now.duration_since(window.started) >= self.window {
                *window = Window { started: now, failures: 0 };
            }
            window.failures += 1;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Window>> {
        self.windows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_address_and_each_room_within_a_window() {
        let throttle = Throttle::new(2, 3, Duration::from_secs(60));
        let room = RoomName::parse("r").unwrap_or_else(|| unreachable!());
        let other = RoomName::parse("s").unwrap_or_else(|| unreachable!());
        let (one, two) = (Some(IpAddr::from([192, 0, 2, 1])), Some(IpAddr::from([192, 0, 2, 2])));
        let now = Instant::now();
        throttle.failed(one, &room, now);
        assert!(throttle.allows(one, &room, now));
        throttle.failed(one, &room, now);
        assert!(!throttle.allows(one, &room, now), "address limit");
        assert!(!throttle.allows(one, &other, now), "the address is throttled for every room");
        assert!(throttle.allows(two, &room, now));
        throttle.failed(two, &room, now);
        assert!(!throttle.allows(Some(IpAddr::from([192, 0, 2, 3])), &room, now), "room limit, any address");
        assert!(throttle.allows(one, &room, now + Duration::from_secs(60)), "a new window");
    }
}
