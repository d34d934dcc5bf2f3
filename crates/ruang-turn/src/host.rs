//! The addresses of this host's own interfaces, so the peer policy can refuse them all (on a wildcard
//! listen address the server answers on every one). Read at start from Linux's `/proc`; elsewhere, or if
//! `/proc` cannot be read, the list is empty and the operator's firewall has to cover them (see
//! docs/security.md).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// This host's interface addresses, as far as they can be found.
pub fn interface_addresses() -> Vec<IpAddr> {
    let mut addresses = Vec::new();
    if let Ok(trie) = std::fs::read_to_string("/proc/net/fib_trie") {
        addresses.extend(local_v4(&trie).into_iter().map(IpAddr::V4));
    }
    if let Ok(table) = std::fs::read_to_string("/proc/net/if_inet6") {
        addresses.extend(local_v6(&table).into_iter().map(IpAddr::V6));
    }
    addresses.sort_unstable();
    addresses.dedup();
    addresses
}

/// The IPv4 addresses `/proc/net/fib_trie` lists as `/32 host LOCAL`: each follows its `|-- a.b.c.d` line.
fn local_v4(trie: &str) -> Vec<Ipv4Addr> {
    let mut found = Vec::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in trie.lines() {
        let line = line.trim();
        if let Some(address) = line.strip_prefix("|-- ") {
            last = address.parse().ok();
        } else if line.starts_with("/32 host LOCAL")
            && let Some(address) = last
        {
            found.push(address);
        }
    }
    found
}

/// The addresses in `/proc/net/if_inet6`: 32 hexadecimal digits at the start of each line.
fn local_v6(table: &str) -> Vec<Ipv6Addr> {
    table
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(|hex| u128::from_str_radix(hex, 16).ok().filter(|_| hex.len() == 32))
        .map(Ipv6Addr::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_local_addresses_from_the_kernels_tables() {
        let trie = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n\
                    |-- 127.0.0.1\n              /32 host LOCAL\n        |-- 192.0.2.255\n           /32 link BROADCAST\n\
                    |-- 192.0.2.2\n              /32 host LOCAL\n";
        assert_eq!(local_v4(trie), vec![Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(192, 0, 2, 2)]);
        let table = "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\nfd000000000000000000000000000002 04 40 00 82 eth0\n";
        let expected: Vec<Ipv6Addr> = vec!["fe80::fc:ff:fe00:1".parse().unwrap(), "fd00::2".parse().unwrap()];
        assert_eq!(local_v6(table), expected);
    }
}
