//! Which peer addresses the built-in TURN server relays to. By default only public addresses, never
//! loopback, private, link-local or other special ranges, never the server's own host, and never an IPv6
//! address that embeds such an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64), so TURN
//! cannot be used to reach internal services. The exceptions are exact addresses (IP *and* port): the
//! relayed address of a live allocation of this server, so two relayed participants can reach each other
//! (which relayed addresses are live is the caller's knowledge, passed in), and the media servers of this
//! host the policy names (the SFU's advertised address), so a relay-only client reaches the SFU.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The relay policy for peer addresses.
#[derive(Clone, Debug)]
pub struct PeerPolicy {
    /// Allow private and link-local peers (LAN deployments only). Loopback and the server's own addresses
    /// stay refused.
    pub allow_private: bool,
    /// The server's own addresses (its advertised relay address, its listen address and its interfaces'
    /// addresses): refused except for the relayed address of a live allocation and `own_services`.
    pub own_ips: Vec<IpAddr>,
    /// Exact addresses of this host's own media services clients must reach through TURN (the SFU's
    /// advertised address and port): allowed whatever the rules above say, and nothing else on their IP.
    pub own_services: Vec<SocketAddr>,
}

impl PeerPolicy {
    /// Whether data may be relayed to `peer`; `live_relay` says whether `peer` is exactly the relayed
    /// address of a live allocation of this server.
    pub fn allows(&self, peer: SocketAddr, live_relay: impl FnOnce(SocketAddr) -> bool) -> bool {
        let peer = SocketAddr::new(canonical(peer.ip()), peer.port());
        if live_relay(peer)
            || self.own_services.iter().any(|own| SocketAddr::new(canonical(own.ip()), own.port()) == peer)
        {
            return true;
        }
        let ip = peer.ip();
        if self.own_ips.iter().any(|own| canonical(*own) == ip) || is_loopback(ip) || peer.port() == 0 {
            return false;
        }
        is_public(ip) || (self.allow_private && is_lan(ip))
    }
}

/// `ip` with an IPv4-mapped IPv6 address turned into its IPv4 address (the form relayed addresses are
/// compared in).
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is a globally routable unicast address, judging an IPv6 address that embeds an IPv4
/// address by the embedded address.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Embedded::Addresses(inner) => inner.iter().all(|v4| is_public_v4(*v4)),
            Embedded::Unknown => false,
            Embedded::None => is_public_v6(v6),
        },
    }
}

/// Whether `ip` (or the IPv4 address it embeds) is loopback.
fn is_loopback(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.is_loopback() || v4.octets()[0] == 0,
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || matches!(embedded_v4(v6), Embedded::Addresses(inner) if inner.iter().any(|v4| v4.is_loopback()))
        }
    }
}

/// Whether `ip` is a private or link-local address a LAN deployment may relay to.
fn is_lan(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local() || is_cgnat(v4),
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// IPv4 addresses carried inside an IPv6 address.
enum Embedded {
    /// Not a form that carries one.
    None,
    /// These (Teredo carries two: its server and the client's mapped address).
    Addresses(Vec<Ipv4Addr>),
    /// A form that carries one where it cannot be told (local-use NAT64 prefixes of any length).
    Unknown,
}

fn embedded_v4(ip: Ipv6Addr) -> Embedded {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
        return Embedded::Addresses(vec![low]); // ::a.b.c.d, IPv4-compatible (deprecated)
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return Embedded::Addresses(vec![low]); // 64:ff9b::/96, well-known NAT64
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001 {
        return Embedded::Unknown; // 64:ff9b:1::/48, local-use NAT64 (RFC 8215)
    }
    if s[0] == 0x2002 {
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return Embedded::Addresses(vec![v4]); // 2002::/16, 6to4
    }
    if s[0] == 0x2001 && s[1] == 0x0000 {
        let server = Ipv4Addr::new((s[2] >> 8) as u8, s[2] as u8, (s[3] >> 8) as u8, s[3] as u8);
        let client = Ipv4Addr::from(!u32::from(low));
        return Embedded::Addresses(vec![server, client]); // 2001::/32, Teredo (client address inverted)
    }
    Embedded::None
}

fn is_cgnat(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    a == 100 && (b & 0xc0) == 64
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || is_cgnat(ip)
        || (a == 192 && b == 0 && c == 0) // 192.0.0.0/24, IETF protocol assignments
        || (a == 192 && b == 88 && c == 99) // 192.88.99.0/24, 6to4 relay anycast
        || (a == 198 && (b & 0xfe) == 18) // 198.18.0.0/15, benchmarking
        || a >= 240; // reserved
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let special = ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || s[..6] == [0; 6] // ::/96 (IPv4-compatible, handled above) and ::, ::1
        || (s[0] == 0 && s[1..5] == [0; 4] && s[5] == 0xffff) // ::ffff:0:0/96 mapped (handled above)
        || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 prefixes (handled above)
        || (s[0] == 0x0100 && s[1..4] == [0; 3]) // 100::/64, discard
        || (s[0] == 0x2001 && s[1] < 0x0200) // 2001::/23, IETF protocol assignments
        || (s[0] == 0x2001 && s[1] == 0x0db8) // 2001:db8::/32, documentation
        || (s[0] & 0xfff0) == 0x3ff0 // 3fff::/20, documentation
        || s[0] == 0x5f00 // 5f00::/16, SRv6 SIDs
        || (s[0] & 0xfe00) == 0xfc00 // fc00::/7, unique local
        || (s[0] & 0xffc0) == 0xfe80 // fe80::/10, link-local
        || (s[0] & 0xffc0) == 0xfec0; // fec0::/10, site-local (deprecated)
    !special
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELAY: &str = "203.0.113.9";

    fn policy() -> PeerPolicy {
        PeerPolicy { allow_private: false, own_ips: vec![RELAY.parse().unwrap()], own_services: Vec::new() }
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn no_live_relay(_: SocketAddr) -> bool {
        false
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
            "[::]:22",
            "[fd00::1]:80",
            "[fe80::1]:80",
            "[fec0::1]:80",
            "[::ffff:10.0.0.1]:80",
            "8.8.8.8:0",
        ];
        for peer in denied {
            assert!(!policy().allows(addr(peer), no_live_relay), "{peer}");
        }
    }

    #[test]
    fn addresses_embedding_a_denied_ipv4_address_are_refused() {
        let denied = [
            "[::ffff:127.0.0.1]:6379",        // IPv4-mapped
            "[::127.0.0.1]:6379",             // IPv4-compatible
            "[::10.0.0.1]:80",                // IPv4-compatible
            "[2002:7f00:1::1]:6379",          // 6to4 of 127.0.0.1
            "[2002:c0a8:101::]:80",           // 6to4 of 192.168.1.1
            "[2001:0:808:808::80ff:fefe]:80", // Teredo, client 127.0.1.1
            "[2001:0:a00:1::f7f7:f7f7]:80",   // Teredo, server 10.0.0.1
            "[64:ff9b::7f00:1]:6379",         // NAT64 of 127.0.0.1
            "[64:ff9b::a9fe:a9fe]:80",        // NAT64 of 169.254.169.254
            "[64:ff9b:1::a00:1]:80",          // local-use NAT64
            "[::ffff:203.0.113.9]:22",        // the server itself, mapped
        ];
        for peer in denied {
            assert!(!policy().allows(addr(peer), no_live_relay), "{peer}");
        }
        let public = ["[2002:808:808::1]:80", "[64:ff9b::808:808]:53", "[2001:0:808:808::f7f7:f7f7]:80"];
        for peer in public {
            assert!(policy().allows(addr(peer), no_live_relay), "{peer}");
        }
    }

    #[test]
    fn public_peers_are_allowed_but_not_the_servers_own_address() {
        for peer in ["8.8.8.8:3478", "[2606:4700::1111]:443"] {
            assert!(policy().allows(addr(peer), no_live_relay), "{peer}");
        }
        assert!(!policy().allows(addr("203.0.113.9:22"), no_live_relay), "the server's own host");
        assert!(!policy().allows(addr("203.0.113.9:50000"), no_live_relay), "not a live relay");
    }

    #[test]
    fn only_the_exact_relayed_address_of_a_live_allocation_is_excepted() {
        let live = addr("127.0.0.1:50001");
        let is_live = |peer: SocketAddr| peer == live;
        assert!(policy().allows(live, is_live));
        assert!(policy().allows(addr("[::ffff:127.0.0.1]:50001"), is_live), "the mapped form of it too");
        assert!(!policy().allows(addr("127.0.0.1:50002"), is_live), "another port on the relay address");
        assert!(!policy().allows(addr("127.0.0.1:6379"), is_live));
    }

    #[test]
    fn the_sfus_own_address_and_port_are_allowed_and_nothing_else_on_the_host() {
        let sfu = addr("203.0.113.9:3479");
        let with_sfu = PeerPolicy { own_services: vec![sfu], ..policy() };
        assert!(with_sfu.allows(sfu, no_live_relay));
        assert!(with_sfu.allows(addr("[::ffff:203.0.113.9]:3479"), no_live_relay), "the mapped form of it too");
        assert!(!with_sfu.allows(addr("203.0.113.9:3478"), no_live_relay), "TURN's own port");
        assert!(!with_sfu.allows(addr("203.0.113.9:22"), no_live_relay));
        assert!(!policy().allows(sfu, no_live_relay), "not without an SFU");
        // A dev server advertising loopback: exactly that port, never the rest of loopback.
        let local = PeerPolicy { own_services: vec![addr("127.0.0.1:3479")], ..policy() };
        assert!(local.allows(addr("127.0.0.1:3479"), no_live_relay));
        assert!(!local.allows(addr("127.0.0.1:6379"), no_live_relay));
    }

    #[test]
    fn lan_deployments_can_opt_in_but_never_reach_loopback_or_the_server_itself() {
        let lan = PeerPolicy { allow_private: true, ..policy() };
        assert!(lan.allows(addr("192.168.1.20:5000"), no_live_relay));
        assert!(lan.allows(addr("[fd00::20]:5000"), no_live_relay));
        assert!(!lan.allows(addr("127.0.0.1:6379"), no_live_relay));
        assert!(!lan.allows(addr("[::ffff:127.0.0.1]:6379"), no_live_relay));
        let lan_server = PeerPolicy { own_ips: vec!["192.168.1.5".parse().unwrap()], ..lan };
        assert!(!lan_server.allows(addr("192.168.1.5:22"), no_live_relay));
    }
}
