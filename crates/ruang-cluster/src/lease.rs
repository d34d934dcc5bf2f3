//! Room ownership: a room lives on one node at a time, the holder of its lease in Redis
//! ([`crate::keys::room_owner`]: the owner's id, with a short TTL).
//!
//! [`LeaseBook`] is the owner's side without I/O (time passed in): which leases it holds, when each was last
//! confirmed by Redis, which are due for renewal, and which it can no longer be sure of (not confirmed
//! within the TTL, so another node may have taken them). The async functions below are the three atomic
//! Redis operations behind it: take (`SET NX PX`), renew and release (scripts that act only if the lease is
//! still the caller's).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;

use crate::keys::{LEASE_RENEW, LEASE_TTL, room_owner};
use crate::{ClusterError, NodeId};

/// Who holds a room's lease, as Redis answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The asking node (it just took it, or already held it).
    Me,
    /// Another node.
    Other(NodeId),
}

/// The leases one node holds, and when Redis last confirmed each. A lease confirmed at `t` is certainly
/// held until `t + ttl` (the TTL was set at or after `t`); renewals are due every `renew_every`.
#[derive(Debug)]
pub struct LeaseBook {
    ttl: Duration,
    renew_every: Duration,
    confirmed: HashMap<String, Instant>,
}

impl Default for LeaseBook {
    fn default() -> Self {
        LeaseBook::new(LEASE_TTL, LEASE_RENEW)
    }
}

impl LeaseBook {
    /// A book for leases of `ttl`, renewed every `renew_every` (well below `ttl`).
    pub fn new(ttl: Duration, renew_every: Duration) -> Self {
        LeaseBook { ttl, renew_every, confirmed: HashMap::new() }
    }

    /// Redis said `room`'s lease is this node's, in answer to a take or renewal *sent* at `at`. It must be
    /// the time the request left, not the time the answer came: Redis starts the TTL when it runs the
    /// command, which is after `at`, so the lease cannot end in Redis before `at + ttl` and
    /// [`LeaseBook::is_safe`] never claims a lease another node may already have taken.
    pub fn confirm(&mut self, room: &str, at: Instant) {
        self.confirmed.insert(room.to_owned(), at);
    }

    /// This node no longer holds `room`'s lease (released, or Redis named another owner).
    pub fn forget(&mut self, room: &str) {
        self.confirmed.remove(room);
    }

    /// Whether this node believes it holds `room`'s lease.
    pub fn holds(&self, room: &str) -> bool {
        self.confirmed.contains_key(room)
    }

    /// Whether `room`'s lease is certainly still this node's at `now` (confirmed less than a TTL ago).
    pub fn is_safe(&self, room: &str, now: Instant) -> bool {
        self.confirmed.get(room).is_some_and(|at| now < *at + self.ttl)
    }

    /// The held leases due for renewal at `now`.
    pub fn due(&self, now: Instant) -> Vec<String> {
        let mut due: Vec<String> = self
            .confirmed
            .iter()
            .filter(|(_, at)| now >= **at + self.renew_every)
            .map(|(room, _)| room.clone())
            .collect();
        due.sort();
        due
    }

    /// The held leases not confirmed within the TTL at `now`: another node may hold them now.
    pub fn doubtful(&self, now: Instant) -> Vec<String> {
        let mut doubtful: Vec<String> =
            self.confirmed.keys().filter(|room| !self.is_safe(room, now)).cloned().collect();
        doubtful.sort();
        doubtful
    }

    /// Every room this node believes it holds.
    pub fn rooms(&self) -> Vec<String> {
        self.confirmed.keys().cloned().collect()
    }

    /// How many leases are held.
    pub fn len(&self) -> usize {
        self.confirmed.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.confirmed.is_empty()
    }
}

/// Renews the lease if it is still `ARGV[1]`'s (1), or takes it if nobody holds it (2: it expired while
/// Redis was unreachable, or Redis lost its data); 0 if another node has it.
const RENEW: &str = r"
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
elseif owner == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
";

/// What renewing a lease found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renewal {
    /// The lease was still the node's, and runs on.
    Renewed,
    /// Nobody held it any more (it expired, or Redis lost its data), and the node took it back: what else
    /// it keeps in Redis for the room may be gone too.
    Retaken,
    /// Another node holds it.
    Lost,
}

/// Deletes the lease only if it is still `ARGV[1]`'s.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Takes `room`'s lease for `node` if nobody holds it, and says who holds it afterwards.
pub async fn take(redis: &mut ConnectionManager, room: &str, node: NodeId) -> Result<Owner, ClusterError> {
    let key = room_owner(room);
    let me = node.to_string();
    // SET NX GET: one round trip that either takes the lease or names its holder.
    let previous: Option<String> = redis::cmd("SET")
        .arg(&key)
        .arg(&me)
        .arg("NX")
        .arg("GET")
        .arg("PX")
        .arg(millis(LEASE_TTL))
        .query_async(redis)
        .await?;
    match previous {
        None => Ok(Owner::Me),
        Some(owner) if owner == me => Ok(Owner::Me),
        Some(owner) => owner.parse().map(Owner::Other).map_err(|_| ClusterError::Unexpected { key }),
    }
}

/// Renews `room`'s lease for `node` (or takes it again if it expired meanwhile): `true` if `node` holds it.
pub async fn renew(redis: &mut ConnectionManager, room: &str, node: NodeId) -> Result<bool, ClusterError> {
    Ok(renewal(redis, room, node).await? != Renewal::Lost)
}

/// Renews `room`'s lease for `node`, or takes it again if nobody holds it, and says which.
pub async fn renewal(redis: &mut ConnectionManager, room: &str, node: NodeId) -> Result<Renewal, ClusterError> {
    let held: i64 = redis::Script::new(RENEW)
        .key(room_owner(room))
        .arg(node.to_string())
        .arg(millis(LEASE_TTL))
        .invoke_async(redis)
        .await?;
    Ok(match held {
        1 => Renewal::Renewed,
        2 => Renewal::Retaken,
        _ => Renewal::Lost,
    })
}

/// Gives `room`'s lease up if `node` still holds it.
pub async fn release(redis: &mut ConnectionManager, room: &str, node: NodeId) -> Result<(), ClusterError> {
    let _: i64 = redis::Script::new(RELEASE).key(room_owner(room)).arg(node.to_string()).invoke_async(redis).await?;
    Ok(())
}

/// Who holds each of `rooms`' leases now (`None`: nobody), in the order given; one round trip.
pub async fn holders(redis: &mut ConnectionManager, rooms: &[String]) -> Result<Vec<Option<NodeId>>, ClusterError> {
    if rooms.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = rooms.iter().map(|room| room_owner(room)).collect();
    let owners: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query_async(redis).await?;
    Ok(owners.into_iter().map(|owner| owner.and_then(|owner| owner.parse().ok())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_due_for_renewal_after_the_period_and_doubtful_after_the_ttl() {
        let start = Instant::now();
        let mut book = LeaseBook::new(Duration::from_secs(10), Duration::from_secs(3));
        book.confirm("a", start);
        book.confirm("b", start + Duration::from_secs(2));
        assert!(book.due(start + Duration::from_secs(1)).is_empty());
        assert_eq!(book.due(start + Duration::from_secs(3)), vec!["a".to_owned()]);
        assert_eq!(book.due(start + Duration::from_secs(5)), vec!["a".to_owned(), "b".to_owned()]);
        assert!(book.is_safe("a", start + Duration::from_millis(9_999)));
        assert!(!book.is_safe("a", start + Duration::from_secs(10)));
        assert_eq!(book.doubtful(start + Duration::from_secs(11)), vec!["a".to_owned()]);
        book.confirm("a", start + Duration::from_secs(11));
        assert!(book.doubtful(start + Duration::from_secs(11)).is_empty());
    }

    #[test]
    fn a_forgotten_lease_is_neither_held_nor_due() {
        let start = Instant::now();
        let mut book = LeaseBook::default();
        book.confirm("a", start);
        assert!(book.holds("a"));
        book.forget("a");
        assert!(!book.holds("a"));
        assert!(book.due(start + Duration::from_secs(60)).is_empty());
        assert!(book.is_empty());
    }
}
