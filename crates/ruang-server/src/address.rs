//! Client addresses as the server counts them for its per-address limits, and the simplest such limit.
//!
//! An IPv4 address counts on its own; an IPv6 address counts by its /64 prefix, because one subscriber
//! usually holds a whole /64 and could otherwise take a fresh budget for each of its 2^64 addresses. An
//! IPv4-mapped IPv6 address counts as its IPv4 address. Behind a reverse proxy the address is the one it
//! reports, if it is listed in `trusted_proxies` (see [`crate::http`]).

use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::tally::Tallies;

/// The group `address` is counted in (`None`, an unknown address, is a group of its own).
pub fn group(address: Option<IpAddr>) -> Option<IpAddr> {
    address.map(AddressKey::from).map(|key| key.0)
}

/// A client address as counted: an IPv4 address (IPv4-mapped IPv6 included), or an IPv6 /64 prefix (the
/// rest of its bits zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddressKey(IpAddr);

impl From<IpAddr> for AddressKey {
    fn from(address: IpAddr) -> Self {
        AddressKey(match address {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
            },
        })
    }
}

/// What [`AddressBudget::take_one`] answers with, later (a cluster's budget asks Redis).
pub type TakeFuture<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// At most so many events per address group per window, counted in this process ([`PerAddress`]) or for a
/// whole cluster (`crate::cluster::ClusterPerAddress`, with `--redis`).
pub trait AddressBudget: Send + Sync {
    /// Counts an event from `address` if its group is under the limit; `false` (nothing counted) if not.
    fn take_one(&self, address: Option<IpAddr>) -> TakeFuture<'_>;

    /// Gives back an event [`AddressBudget::take_one`] counted (it turned out not to count); never blocks.
    fn give_one_back(&self, address: Option<IpAddr>);
}

impl AddressBudget for PerAddress {
    fn take_one(&self, address: Option<IpAddr>) -> TakeFuture<'_> {
        Box::pin(std::future::ready(self.take(address, Instant::now())))
    }

    fn give_one_back(&self, address: Option<IpAddr>) {
        self.give_back(address, Instant::now());
    }
}

/// At most `limit` events per address group per window: rooms created, wrong API keys.
#[derive(Debug)]
pub struct PerAddress {
    tallies: Mutex<Tallies<Option<IpAddr>>>,
    limit: u32,
}

impl PerAddress {
    /// At most `limit` events per address group per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        PerAddress { tallies: Mutex::new(Tallies::new(window)), limit }
    }

    /// Counts an event from `address` if its group is under the limit; `false` (nothing counted) if not.
    pub fn take(&self, address: Option<IpAddr>, now: Instant) -> bool {
        let mut tallies = self.tallies.lock().unwrap_or_else(PoisonError::into_inner);
        let key = group(address);
        let taken = tallies.reserve(&key, self.limit, now);
        if taken {
            tallies.settle(&key, true, now);
        }
        taken
    }

    /// Gives back an event [`PerAddress::take`] counted (it turned out not to count: a right API key).
    pub fn give_back(&self, address: Option<IpAddr>, now: Instant) {
        let mut tallies = self.tallies.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tally) = tallies.get(&group(address), now) {
            tally.counted = tally.counted.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64_prefix_and_mapped_ipv4_as_ipv4() {
        let ip = |text: &str| text.parse::<IpAddr>().ok();
        assert_eq!(group(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(group(ip("2001:db8:1:2:ffff:1:2:3")), group(ip("2001:db8:1:2::9")));
        assert_ne!(group(ip("2001:db8:1:3::1")), group(ip("2001:db8:1:2::1")));
        assert_eq!(group(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(group(ip("192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(group(None), None);
    }

    #[test]
    fn counts_per_group_and_gives_back() {
        let limit = PerAddress::new(2, Duration::from_secs(60));
        let (a, b) = ("2001:db8::1".parse().ok(), "2001:db8::2".parse().ok());
        let now = Instant::now();
        assert!(limit.take(a, now) && limit.take(b, now), "one /64 shares the limit");
        assert!(!limit.take(a, now));
        limit.give_back(b, now);
        assert!(limit.take(a, now));
        assert!(limit.take("2001:db8:0:1::1".parse().ok(), now), "another /64 has its own");
        assert!(limit.take(a, now + Duration::from_secs(60)), "a new window");
    }
}
