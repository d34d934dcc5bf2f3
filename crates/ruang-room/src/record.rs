//! One meeting's record: its roster with roles, its bans, its lock and lobby, and when it ended. The room
//! decides when it is saved; the server's store keeps it.

use std::net::IpAddr;

use ruang_proto::{ChatEntry, PeerId, Role};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Most bans of each kind (participants, addresses, browser keys) a meeting keeps; past that the oldest
/// ban of that kind is dropped.
pub const MAX_BANS: usize = 256;

/// A participant of the meeting, reconnecting ones included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    /// Who.
    pub id: PeerId,
    /// Its role now.
    pub role: Role,
    /// The hash of the browser key it joined with, so a ban after a restart covers the browser too.
    pub key: Option<BrowserKeyHash>,
    /// Its resume generation when the record was saved: a room rebuilt from the record on another node
    /// refuses its tokens of an earlier generation (used ones).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub generation: u32,
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

/// The hash of a browser key: the key itself is never kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BrowserKeyHash([u8; 32]);

impl BrowserKeyHash {
    /// The hash of `key`, as a client sent it.
    pub fn of(key: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"ruang browser key v1\0");
        hasher.update(key.as_bytes());
        BrowserKeyHash(hasher.finalize().into())
    }
}

/// What a meeting keeps across a restart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRecord {
    /// Everyone in the meeting, in join order: the only participants a restarted server takes back.
    pub roster: Vec<Seat>,
    /// Banned participants.
    pub banned_ids: Vec<PeerId>,
    /// Addresses of banned participants, as [`ban_address`] makes them.
    pub banned_addresses: Vec<IpAddr>,
    /// Browser keys of banned participants.
    pub banned_keys: Vec<BrowserKeyHash>,
    /// Invitations (their `jti`) of banned participants: they no longer open the room.
    #[serde(default)]
    pub banned_invitations: Vec<String>,
    /// Whether the room is locked.
    pub locked: bool,
    /// Whether newcomers wait in the lobby.
    pub lobby: bool,
    /// When the meeting ended (its last participant left), in seconds since the Unix epoch; `None` while it
    /// goes on.
    pub ended_at: Option<u64>,
    /// The chat's last sequence number, so a room rebuilt from this record (after a restart, or on another
    /// node after its owner was lost) numbers on from there.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub chat_seq: u64,
    /// The chat the room remembers (at most its chat history), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chat: Vec<ChatEntry>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl MeetingRecord {
    /// Whether the record says nothing that a room made afresh would not: an ended meeting without bans.
    pub fn is_blank(&self) -> bool {
        self.ended_at.is_some()
            && self.banned_ids.is_empty()
            && self.banned_addresses.is_empty()
            && self.banned_keys.is_empty()
            && self.banned_invitations.is_empty()
    }

    /// Whether a newcomer from `address` with browser key `key` is banned by address or key.
    pub fn bans(&self, address: Option<IpAddr>, key: Option<&BrowserKeyHash>) -> bool {
        let address = address.and_then(ban_address);
        address.is_some_and(|a| self.banned_addresses.contains(&a)) || key.is_some_and(|k| self.banned_keys.contains(k))
    }

    /// Bans a participant, its address and its browser key, each as far as it is known.
    pub fn ban(&mut self, id: PeerId, address: Option<IpAddr>, key: Option<BrowserKeyHash>) {
        push_bounded(&mut self.banned_ids, Some(id));
        push_bounded(&mut self.banned_addresses, address.and_then(ban_address));
        push_bounded(&mut self.banned_keys, key);
    }

    /// Bans the invitation a banned participant came with.
    pub fn ban_invitation(&mut self, jti: String) {
        push_bounded(&mut self.banned_invitations, Some(jti));
    }

    /// Whether the invitation `jti` was banned.
    pub fn bans_invitation(&self, jti: &str) -> bool {
        self.banned_invitations.iter().any(|banned| banned == jti)
    }
}

/// The address a ban covers: an IPv4 address, or the /64 network of an IPv6 one (one household or device
/// usually has a whole /64). Loopback and unspecified addresses are never banned: they are the server's
/// own machine (a local reverse proxy that is not a trusted proxy), which tells nobody apart.
pub fn ban_address(address: IpAddr) -> Option<IpAddr> {
    let address = address.to_canonical();
    if address.is_loopback() || address.is_unspecified() {
        return None;
    }
    Some(match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
    })
}

fn push_bounded<T: PartialEq>(list: &mut Vec<T>, item: Option<T>) {
    let Some(item) = item else { return };
    if list.contains(&item) {
        return;
    }
    if list.len() >= MAX_BANS {
        list.remove(0);
    }
    list.push(item);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn a_ban_covers_the_address_and_an_ipv6_network_but_never_loopback() {
        let mut record = MeetingRecord::default();
        record.ban(PeerId::from_bits(1), Some(ip("2001:db8:1:2:aaaa::1")), Some(BrowserKeyHash::of("k")));
        assert!(record.bans(Some(ip("2001:db8:1:2:bbbb::9")), None), "same /64");
        assert!(!record.bans(Some(ip("2001:db8:1:3::1")), None), "another /64");
        assert!(record.bans(None, Some(&BrowserKeyHash::of("k"))));
        assert!(!record.bans(None, Some(&BrowserKeyHash::of("other"))));
        record.ban(PeerId::from_bits(2), Some(ip("127.0.0.1")), None);
        assert!(!record.bans(Some(ip("127.0.0.1")), None), "loopback tells nobody apart");
        record.ban(PeerId::from_bits(3), Some(ip("::ffff:192.0.2.7")), None);
        assert!(record.bans(Some(ip("192.0.2.7")), None), "a mapped IPv4 address is the IPv4 address");
    }

    #[test]
    fn bans_are_bounded_and_drop_the_oldest() {
        let mut record = MeetingRecord::default();
        for i in 0..(MAX_BANS as u64 + 5) {
            record.ban(PeerId::from_bits(i), None, None);
        }
        assert_eq!(record.banned_ids.len(), MAX_BANS);
        assert_eq!(record.banned_ids[0], PeerId::from_bits(5));
    }
}
