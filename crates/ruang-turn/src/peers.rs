//! Which peer addresses the built-in TURN server relays to. By default only public addresses, and the
//! server's own relay addresses (so two relayed participants can reach each other), never loopback,
//! private, link-local or other special ranges, so TURN cannot be used to reach internal services.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;

/// The relay policy for peer addresses.
#[derive(Clone, Debug)]
pub struct PeerPolicy {
    /// Allow loopback, private and link-local peers (LAN deployments only).
    pub allow_private: bool,
    /// The server's advertised relay address.
    pub relay_ip: IpAddr,
    /// The ports relays are allocated on.
    pub relay_ports: RangeInclusive<u16>,
}

impl PeerPolicy {
    /// Whether a permission or channel to `peer` may be created.
    pub fn allows(&self, peer: SocketAddr) -> bool {
        let ip = canonical(peer.ip());
        let own_relay = ip == canonical(self.relay_ip) && self.relay_ports.contains(&peer.port());
        self.allow_private || own_relay || is_public(ip)
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is a globally routable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let special = ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (b & 0xc0) == 64) // 100.64.0.0/10, carrier-grade NAT
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // 192.0.0.0/24, IETF protocol assignments
        || (a == 198 && (b & 0xfe) == 18) // 198.18.0.0/15, benchmarking
        || a >= 240; // reserved
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let special = ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // fc00::/7, unique local
        || (first & 0xffc0) == 0xfe80 // fe80::/10, link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || first == 0x0064; // 64:ff9b::/96 NAT64 can reach private IPv4 space
    !special
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PeerPolicy {
        PeerPolicy { allow_private: false, relay_ip: "203.0.113.9".parse().unwrap(), relay_ports: 50000..=50100 }
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn internal_ranges_are_refused_by_default() {
        let denied = [
            "127.0.0.1:22",
            "10.1.2.3:80",
            "172.16.0.1:80",
            "192.168.1.1:80",
            "169.254.169.254:80",
            "100.64.0.1:1",
            "0.0.0.0:1",
            "224.0.0.1:1",
            "255.255.255.255:1",
            "[::1]:22",
            "[fd00::1]:80",
            "[fe80::1]:80",
            "[::ffff:10.0.0.1]:80",
            "[64:ff9b::a00:1]:80",
        ];
        for peer in denied {
            assert!(!policy().allows(addr(peer)), "{peer}");
        }
    }

    #[test]
    fn public_peers_and_own_relays_are_allowed() {
        for peer in ["8.8.8.8:3478", "[2606:4700::1111]:443", "203.0.113.9:50000", "203.0.113.9:50100"] {
            assert!(policy().allows(addr(peer)), "{peer}");
        }
        assert!(!policy().allows(addr("203.0.113.9:22")), "only relay ports of the server itself");
    }

    #[test]
    fn loopback_relays_of_a_local_server_are_allowed_but_not_other_loopback_ports() {
        let local = PeerPolicy { relay_ip: "127.0.0.1".parse().unwrap(), ..policy() };
        assert!(local.allows(addr("127.0.0.1:50001")));
        assert!(!local.allows(addr("127.0.0.1:6379")));
    }

    #[test]
    fn lan_deployments_can_opt_in() {
        let lan = PeerPolicy { allow_private: true, ..policy() };
        assert!(lan.allows(addr("192.168.1.20:5000")));
    }
}
