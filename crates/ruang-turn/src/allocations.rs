//! What the gate knows of the TURN library's allocations, learnt from the answers it sends: each client's
//! relayed address and its expiry (so only the exact relayed addresses of live allocations are excepted
//! from the peer policy), its permissions and channels (bounded in number; channels so ChannelData can be
//! checked against the peer it goes to), and its bandwidth buckets.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::bandwidth::Bucket;
use crate::peers::canonical;

/// A client of the TURN server: the transport's protocol number and the client's address.
pub type ClientKey = (u8, SocketAddr);

/// How long a permission lasts (RFC 8656 section 9).
pub const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);

/// Channel bind requests waiting for their answer before the map is reset (a bound against floods).
const MAX_PENDING: usize = 10_000;

/// Tracked allocations beyond which expired ones are swept out when a new one is added.
const SWEEP_ABOVE: usize = 1_024;

/// Limits per allocation.
#[derive(Clone, Copy, Debug)]
pub struct AllocationLimits {
    /// Bits per second in each direction (0: unlimited).
    pub max_bps: u64,
    /// Distinct peer IPs with a permission.
    pub permissions: usize,
    /// Channels bound.
    pub channels: usize,
    /// How long a channel binding lasts.
    pub channel_lifetime: Duration,
}

/// An allocation has no room for another permission or channel.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

struct Allocation {
    relay: SocketAddr,
    expires: Instant,
    permissions: HashMap<IpAddr, Instant>,
    channels: HashMap<u16, Channel>,
    up: Bucket,
    down: Bucket,
}

/// A channel as the client numbered it, with the number the TURN library knows it by (they differ for
/// numbers the library cannot take, 0x5000-0x7FFF).
#[derive(Clone, Copy)]
struct Channel {
    peer: SocketAddr,
    expires: Instant,
    server_number: u16,
}

/// A channel bind request waiting for its answer.
type PendingChannel = (ClientKey, u16, u16, SocketAddr);

/// The tracked allocations of one server, all transports together.
pub struct Allocations {
    limits: AllocationLimits,
    by_client: HashMap<ClientKey, Allocation>,
    relays: HashMap<SocketAddr, ClientKey>,
    pending_channels: HashMap<[u8; 12], PendingChannel>,
}

impl Allocations {
    /// No allocations yet.
    pub fn new(limits: AllocationLimits) -> Self {
        Allocations { limits, by_client: HashMap::new(), relays: HashMap::new(), pending_channels: HashMap::new() }
    }

    /// The server granted `client` an allocation relayed at `relay` for `lifetime`.
    pub fn created(&mut self, client: ClientKey, relay: SocketAddr, lifetime: Duration, now: Instant) {
        if self.by_client.len() >= SWEEP_ABOVE {
            self.sweep(now);
        }
        self.remove(client);
        let relay = SocketAddr::new(canonical(relay.ip()), relay.port());
        let allocation = Allocation {
            relay,
            expires: now + lifetime,
            permissions: HashMap::new(),
            channels: HashMap::new(),
            up: Bucket::new(self.limits.max_bps),
            down: Bucket::new(self.limits.max_bps),
        };
        self.by_client.insert(client, allocation);
        self.relays.insert(relay, client);
    }

    /// The server refreshed `client`'s allocation to `lifetime` (zero deletes it).
    pub fn refreshed(&mut self, client: ClientKey, lifetime: Duration, now: Instant) {
        if lifetime.is_zero() {
            self.remove(client);
        } else if let Some(allocation) = self.by_client.get_mut(&client) {
            allocation.expires = now + lifetime;
        }
    }

    /// `client` is gone (its TCP connection closed, or its allocation deleted).
    pub fn remove(&mut self, client: ClientKey) {
        if let Some(allocation) = self.by_client.remove(&client)
            && self.relays.get(&allocation.relay) == Some(&client)
        {
            self.relays.remove(&allocation.relay);
        }
    }

    /// Whether `peer` is exactly the relayed address of a live allocation.
    pub fn is_live_relay(&self, peer: SocketAddr, now: Instant) -> bool {
        let peer = SocketAddr::new(canonical(peer.ip()), peer.port());
        self.relays.get(&peer).and_then(|client| self.live(*client, now)).is_some_and(|a| a.relay == peer)
    }

    /// `client` asks for permissions to `ips`: refused if that would exceed its limit.
    pub fn permit(&mut self, client: ClientKey, ips: &[IpAddr], now: Instant) -> Result<(), Full> {
        let max = self.limits.permissions;
        let Some(allocation) = self.live_mut(client, now) else { return Ok(()) };
        allocation.permissions.retain(|_, expires| *expires > now);
        let new = ips.iter().filter(|ip| !allocation.permissions.contains_key(*ip)).count();
        if allocation.permissions.len() + new > max {
            return Err(Full);
        }
        for ip in ips {
            allocation.permissions.insert(*ip, now + PERMISSION_LIFETIME);
        }
        Ok(())
    }

    /// `client` asks (in transaction `id`) to bind its channel `number`, known to the TURN library as
    /// `server_number`, to `peer`: refused if that would exceed its limit.
    pub fn bind_requested(
        &mut self,
        id: [u8; 12],
        client: ClientKey,
        (number, server_number): (u16, u16),
        peer: SocketAddr,
        now: Instant,
    ) -> Result<(), Full> {
        let max = self.limits.channels;
        let Some(allocation) = self.live_mut(client, now) else { return Ok(()) };
        allocation.channels.retain(|_, channel| channel.expires > now);
        if !allocation.channels.contains_key(&number) && allocation.channels.len() >= max {
            return Err(Full);
        }
        if self.pending_channels.len() >= MAX_PENDING {
            self.pending_channels.clear();
        }
        self.pending_channels.insert(id, (client, number, server_number, peer));
        Ok(())
    }

    /// The server answered channel bind request `id` with success.
    pub fn bind_granted(&mut self, id: [u8; 12], now: Instant) {
        let lifetime = self.limits.channel_lifetime;
        if let Some((client, number, server_number, peer)) = self.pending_channels.remove(&id)
            && let Some(allocation) = self.live_mut(client, now)
        {
            allocation.channels.insert(number, Channel { peer, expires: now + lifetime, server_number });
            allocation.permissions.insert(peer.ip(), now + PERMISSION_LIFETIME);
        }
    }

    /// The server refused channel bind request `id`.
    pub fn bind_refused(&mut self, id: [u8; 12]) {
        self.pending_channels.remove(&id);
    }

    /// The peer `client`'s channel `number` is bound to, if it is.
    pub fn channel_peer(&self, client: ClientKey, number: u16, now: Instant) -> Option<SocketAddr> {
        let channel = self.live(client, now)?.channels.get(&number)?;
        (channel.expires > now).then_some(channel.peer)
    }

    /// The client's number and the peer of the channel the TURN library numbers `server_number`.
    pub fn server_channel(&self, client: ClientKey, server_number: u16, now: Instant) -> Option<(u16, SocketAddr)> {
        let channels = &self.live(client, now)?.channels;
        let mut found = channels.iter().filter(|(_, c)| c.server_number == server_number && c.expires > now);
        found.next().map(|(number, channel)| (*number, channel.peer))
    }

    /// Whether `bytes` from `client` to its peers fit its bandwidth at `now`.
    pub fn admit_up(&mut self, client: ClientKey, bytes: usize, now: Instant) -> bool {
        self.live_mut(client, now).is_some_and(|a| a.up.admit(bytes, now))
    }

    /// Whether `bytes` from peers to `client` fit its bandwidth at `now`.
    pub fn admit_down(&mut self, client: ClientKey, bytes: usize, now: Instant) -> bool {
        self.live_mut(client, now).is_some_and(|a| a.down.admit(bytes, now))
    }

    fn live(&self, client: ClientKey, now: Instant) -> Option<&Allocation> {
        self.by_client.get(&client).filter(|a| a.expires > now)
    }

    fn live_mut(&mut self, client: ClientKey, now: Instant) -> Option<&mut Allocation> {
        self.by_client.get_mut(&client).filter(|a| a.expires > now)
    }

    fn sweep(&mut self, now: Instant) {
        let expired: Vec<ClientKey> =
            self.by_client.iter().filter(|(_, a)| a.expires <= now).map(|(client, _)| *client).collect();
        for client in expired {
            self.remove(client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: AllocationLimits =
        AllocationLimits { max_bps: 0, permissions: 2, channels: 1, channel_lifetime: Duration::from_secs(600) };

    fn client(port: u16) -> ClientKey {
        (17, SocketAddr::from(([192, 0, 2, 1], port)))
    }

    fn relay(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn a_relayed_address_is_live_until_its_allocation_expires_or_is_deleted() {
        let now = Instant::now();
        let mut allocations = Allocations::new(LIMITS);
        allocations.created(client(1), relay(50000), Duration::from_secs(600), now);
        assert!(allocations.is_live_relay(relay(50000), now));
        assert!(!allocations.is_live_relay(relay(50001), now), "only the exact port");
        assert!(!allocations.is_live_relay(relay(50000), now + Duration::from_secs(600)), "expired");
        allocations.refreshed(client(1), Duration::from_secs(1200), now + Duration::from_secs(300));
        assert!(allocations.is_live_relay(relay(50000), now + Duration::from_secs(1000)), "refreshed");
        allocations.refreshed(client(1), Duration::ZERO, now);
        assert!(!allocations.is_live_relay(relay(50000), now), "deleted");
    }

    #[test]
    fn permissions_and_channels_are_bounded_per_allocation() {
        let now = Instant::now();
        let mut allocations = Allocations::new(LIMITS);
        allocations.created(client(1), relay(50000), Duration::from_secs(600), now);
        let ips: Vec<IpAddr> = ["8.8.8.8", "8.8.4.4", "1.1.1.1"].iter().map(|ip| ip.parse().unwrap()).collect();
        assert_eq!(allocations.permit(client(1), &ips, now), Err(Full));
        assert_eq!(allocations.permit(client(1), &ips[..2], now), Ok(()));
        assert_eq!(allocations.permit(client(1), &ips[2..], now), Err(Full));
        assert_eq!(allocations.permit(client(1), &ips[2..], now + PERMISSION_LIFETIME), Ok(()), "expired");
        let peer = SocketAddr::from(([8, 8, 8, 8], 9));
        assert_eq!(allocations.bind_requested([1; 12], client(1), (0x4000, 0x4000), peer, now), Ok(()));
        assert_eq!(allocations.channel_peer(client(1), 0x4000, now), None, "not before the server agrees");
        allocations.bind_granted([1; 12], now);
        assert_eq!(allocations.channel_peer(client(1), 0x4000, now), Some(peer));
        assert_eq!(allocations.bind_requested([2; 12], client(1), (0x4001, 0x4001), peer, now), Err(Full));
        assert_eq!(allocations.bind_requested([3; 12], client(1), (0x4000, 0x4000), peer, now), Ok(()), "a refresh");
        allocations.bind_refused([3; 12]);
        allocations.bind_granted([3; 12], now + Duration::from_secs(300));
        assert_eq!(
            allocations.channel_peer(client(1), 0x4000, now + Duration::from_secs(599)),
            Some(peer),
            "not refreshed"
        );
        assert_eq!(allocations.channel_peer(client(1), 0x4000, now + Duration::from_secs(600)), None);
    }
}
