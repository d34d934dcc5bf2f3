//! Every Redis key and pub/sub channel a ruang node uses, and how long each lives. All keys start with
//! `ruang:`, so one Redis can serve other applications beside.

use std::time::Duration;

use crate::NodeId;

/// How long a node's registry entry lives without renewal.
pub const NODE_TTL: Duration = Duration::from_secs(10);
/// How often a node renews its entry.
pub const NODE_RENEW: Duration = Duration::from_secs(3);
/// How long a room's lease lives without renewal: a dead owner's rooms are free after this, so it bounds
/// how long a failover takes (`docs/design/cluster.md`, "Lease timing").
pub const LEASE_TTL: Duration = Duration::from_secs(3);
/// How often an owner renews its leases: a lease survives two missed renewals (a Redis hiccup, a busy
/// node) before it expires.
pub const LEASE_RENEW: Duration = Duration::from_secs(1);

/// The owner lease of room `room`: the owner's node id, with a TTL of [`LEASE_TTL`].
pub fn room_owner(room: &str) -> String {
    format!("ruang:room:{room}:owner")
}

/// The record of room `room`'s meeting (JSON, the server's `MeetingRecord`), written by its owner, with a
/// TTL the owner renews with its lease: what another node rebuilds the room from when the owner is lost.
pub fn room_record(room: &str) -> String {
    format!("ruang:room:{room}:record")
}

/// Node `node`'s registry entry (JSON, [`crate::registry::NodeInfo`]), with a TTL of [`NODE_TTL`].
pub fn node(node: NodeId) -> String {
    format!("ruang:node:{node}")
}

/// The sorted set of nodes by the time (Unix ms) their entry expires, so live nodes are listed without `SCAN`.
pub const NODES: &str = "ruang:nodes";

/// The pub/sub channel node `node` reads its messages from.
pub fn bus(node: NodeId) -> String {
    format!("ruang:bus:{node}")
}

/// The cluster's instance id (no TTL): the instance every node's resume tokens name, so a token minted by one
/// node is this cluster's on every other (a different one means a previous cluster, whose participants are
/// restored).
pub const INSTANCE: &str = "ruang:instance";

/// Password attempts (failed or under way) from address group `address` (an IPv4 address or an IPv6 /64
/// prefix, as text; `unknown` when the address is not known) in its window: a count whose expiry is the
/// window ([`crate::limits`]).
pub fn password_address(address: &str) -> String {
    format!("ruang:limit:password:address:{address}")
}

/// Password attempts at room `room` drawing on its `budget` (`fresh` or `others`) in its window.
pub fn password_room(room: &str, budget: &str) -> String {
    format!("ruang:limit:password:room:{room}:{budget}")
}

/// Events of kind `kind` from address group `address` in its window: `rooms` opened
/// (`rooms_per_address_per_minute`), wrong `api-keys`.
pub fn per_address(kind: &str, address: &str) -> String {
    format!("ruang:limit:{kind}:address:{address}")
}

/// The claim on participant `id` (16 hex digits) of a previous instance: set once, by the first node a token
/// of that participant restores it on, and kept as long as such a token may be valid.
pub fn restored_claim(id: &str) -> String {
    format!("ruang:restored:{id}")
}
