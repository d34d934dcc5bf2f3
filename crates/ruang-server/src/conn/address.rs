//! Counting per client address: how many connections (or TLS handshakes) one address holds, so no single
//! address can take every slot. Addresses are grouped as [`crate::address`]
//! says (an IPv6 /64 counts as one).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

pub use crate::address::AddressKey;

/// Counts what each address holds, up to `limit` each.
#[derive(Debug)]
pub struct AddressCounts {
    limit: usize,
    counts: Mutex<HashMap<AddressKey, usize>>,
}

impl AddressCounts {
    /// Counts with at most `limit` per address.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(AddressCounts { limit, counts: Mutex::new(HashMap::new()) })
    }

    /// Takes one of `address`'s places, or `None` when it already holds `limit`. The place is given back
    /// when the returned slot is dropped.
    pub fn try_acquire(self: &Arc<Self>, address: IpAddr) -> Option<AddressSlot> {
        let key = AddressKey::from(address);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(key).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(AddressSlot { counts: Arc::clone(self), key })
    }

    /// How many places `address` holds.
    pub fn held(&self, address: IpAddr) -> usize {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.get(&AddressKey::from(address)).copied().unwrap_or(0)
    }

    /// How many addresses hold at least one place.
    pub fn addresses(&self) -> usize {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn release(&self, key: AddressKey) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&key);
            }
        }
    }
}

/// One place held by one address; given back on drop.
#[derive(Debug)]
pub struct AddressSlot {
    counts: Arc<AddressCounts>,
    key: AddressKey,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        self.counts.release(self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn an_address_gets_its_limit_and_its_places_back_on_drop() {
        let counts = AddressCounts::new(2);
        let one = IpAddr::from([192, 0, 2, 1]);
        let other = IpAddr::from([192, 0, 2, 2]);
        let a = counts.try_acquire(one);
        let b = counts.try_acquire(one);
        assert!(a.is_some() && b.is_some());
        assert!(counts.try_acquire(one).is_none(), "a third place is refused");
        assert!(counts.try_acquire(other).is_some(), "another address is not affected");
        drop(a);
        assert_eq!(counts.held(one), 1);
        assert!(counts.try_acquire(one).is_some());
        drop(b);
        assert_eq!(counts.addresses(), 0, "addresses holding nothing are forgotten");
    }

    #[test]
    fn ipv6_addresses_of_one_64_prefix_count_as_one_and_mapped_ipv4_as_ipv4() {
        let counts = AddressCounts::new(1);
        let first: IpAddr = "2001:db8:1:2::1".parse().unwrap_or(IpAddr::V6(Ipv6Addr::LOCALHOST));
        let same_prefix: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap_or(IpAddr::V6(Ipv6Addr::LOCALHOST));
        let next_prefix: IpAddr = "2001:db8:1:3::1".parse().unwrap_or(IpAddr::V6(Ipv6Addr::LOCALHOST));
        let _held = counts.try_acquire(first);
        assert!(counts.try_acquire(same_prefix).is_none());
        assert!(counts.try_acquire(next_prefix).is_some());
        let v4 = Ipv4Addr::new(198, 51, 100, 7);
        let _v4 = counts.try_acquire(IpAddr::V4(v4));
        assert!(counts.try_acquire(IpAddr::V6(v4.to_ipv6_mapped())).is_none());
    }
}
