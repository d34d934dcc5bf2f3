//! The limits a node of a cluster counts with every other node, in Redis ([`ruang_cluster::limits`]): the
//! password throttle ([`ClusterThrottle`]), the rooms each address group opens and its wrong API keys
//! ([`ClusterPerAddress`]), and the claims on a previous instance's participants
//! ([`ClusterRestoredClaims`]).
//!
//! Redis unreachable: each question to Redis waits at most [`REDIS_WAIT`]; without an answer, the node
//! counts that request in its own counts (the same limits, this node only) and logs a warning. An outage
//! therefore never opens a gate (every attempt is still counted, at worst per node: with `n` nodes an
//! address gets at most `n` times its limit while Redis is away) and never holds a join for more than
//! [`REDIS_WAIT`] per question.

use std::net::IpAddr;
use std::time::Duration;

use ruang_cluster::ConnectionManager;
use ruang_cluster::limits;
use ruang_proto::{PeerId, RoomName};
use tokio::time::Instant;

use crate::access::{AttemptLimits, LocalThrottle, PasswordThrottle, Reservation, ReserveFuture};
use crate::address::{AddressBudget, PerAddress, TakeFuture, group};
use crate::resume::{ClaimFuture, LocalRestoredClaims, RestoredClaims};
use crate::warn_every::{REDIS_WARN_PERIOD, WarnEvery};

/// The longest a node waits for Redis on a join's behalf before it counts the request itself.
pub const REDIS_WAIT: Duration = Duration::from_secs(1);
/// The least time a password reservation keeps its counts in Redis alive: longer than a check can take (at
/// most 5 s waiting for the pool, then one argon2id hash), so it counts until it is settled.
const PENDING: Duration = Duration::from_secs(30);
/// How long a give-back may take before it is dropped (the count then expires with its window: stricter,
/// never looser).
const SETTLE_WAIT: Duration = Duration::from_secs(5);

/// An address group as the Redis keys name it.
fn address_key(address: Option<IpAddr>) -> String {
    group(address).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// `question` answered by Redis within [`REDIS_WAIT`], or `None` (and a warning naming `what`, at most one
/// per `warn`'s period: anyone can make us ask, so an outage must not flood the log).
async fn ask<T>(
    what: &str,
    warn: &WarnEvery,
    question: impl Future<Output = Result<T, ruang_cluster::ClusterError>>,
) -> Option<T> {
    let err = match tokio::time::timeout(REDIS_WAIT, question).await {
        Ok(Ok(answer)) => return Some(answer),
        Ok(Err(err)) => err.to_string(),
        Err(_) => "no answer in time".to_owned(),
    };
    if let Some(folded) = warn.due(std::time::Instant::now()) {
        tracing::warn!(%err, folded, "cluster: cannot count {what} in redis; counting it on this node");
    }
    None
}

/// Password attempts counted in Redis, per address group and per room, for the whole cluster.
pub struct ClusterThrottle {
    redis: ConnectionManager,
    limits: limits::AttemptLimits,
    /// Where attempts are counted while Redis does not answer.
    fallback: LocalThrottle,
    warn: WarnEvery,
}

impl ClusterThrottle {
    /// A throttle with `limits` over `redis`.
    pub fn new(redis: ConnectionManager, limits: AttemptLimits) -> Self {
        let AttemptLimits { per_address, per_room_fresh, per_room_others, window } = limits;
        let shared = limits::AttemptLimits { per_address, per_room_fresh, per_room_others, window, pending: PENDING };
        ClusterThrottle {
            redis,
            limits: shared,
            fallback: LocalThrottle::new(limits),
            warn: WarnEvery::new(REDIS_WARN_PERIOD),
        }
    }
}

impl PasswordThrottle for ClusterThrottle {
    fn reserve<'a>(&'a self, address: Option<IpAddr>, room: &'a RoomName, now: Instant) -> ReserveFuture<'a> {
        Box::pin(async move {
            let mut redis = self.redis.clone();
            let key = address_key(address);
            let question = limits::reserve_attempt(&mut redis, &key, room.as_str(), &self.limits);
            match ask("a password attempt", &self.warn, question).await {
                Some(Some(fresh)) => {
                    Some(Reservation { address: group(address), room: room.clone(), fresh, shared: true })
                }
                Some(None) => None,
                None => self.fallback.reserve_here(address, room, now),
            }
        })
    }

    fn settle(&self, reservation: &Reservation, failed: bool, now: Instant) {
        if !reservation.shared {
            return self.fallback.settle(reservation, failed, now);
        }
        if failed {
            // Counted for the window already.
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let (mut redis, address) = (self.redis.clone(), address_key(reservation.address));
        let (room, fresh) = (reservation.room.clone(), reservation.fresh);
        runtime.spawn(async move {
            let given_back = limits::settle_attempt(&mut redis, &address, room.as_str(), fresh, false);
            match tokio::time::timeout(SETTLE_WAIT, given_back).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::debug!(%err, "cluster: a password attempt was not given back"),
                Err(_) => tracing::debug!("cluster: a password attempt was not given back in time"),
            }
        });
    }
}

/// Events of one kind per address group per window (rooms opened, wrong API keys), counted in Redis for
/// the whole cluster.
pub struct ClusterPerAddress {
    redis: ConnectionManager,
    kind: &'static str,
    limit: u32,
    window: Duration,
    /// Where events are counted while Redis does not answer.
    fallback: PerAddress,
    warn: WarnEvery,
}

impl ClusterPerAddress {
    /// At most `limit` events of `kind` (a key name: `rooms`, `api-keys`) per address group per `window`,
    /// over `redis`.
    pub fn new(redis: ConnectionManager, kind: &'static str, limit: u32, window: Duration) -> Self {
        ClusterPerAddress {
            redis,
            kind,
            limit,
            window,
            fallback: PerAddress::new(limit, window),
            warn: WarnEvery::new(REDIS_WARN_PERIOD),
        }
    }
}

impl AddressBudget for ClusterPerAddress {
    fn take_one(&self, address: Option<IpAddr>) -> TakeFuture<'_> {
        Box::pin(async move {
            let mut redis = self.redis.clone();
            let key = address_key(address);
            match ask(self.kind, &self.warn, limits::take(&mut redis, self.kind, &key, self.limit, self.window)).await {
                Some(taken) => taken,
                None => self.fallback.take(address, Instant::now()),
            }
        })
    }

    /// Given back in both counts, as the caller does not say which one took it: this node's count never
    /// goes below zero, and a Redis count is decremented only within its window.
    fn give_one_back(&self, address: Option<IpAddr>) {
        self.fallback.give_back(address, Instant::now());
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let (mut redis, kind, key) = (self.redis.clone(), self.kind, address_key(address));
        runtime.spawn(async move {
            match tokio::time::timeout(SETTLE_WAIT, limits::give_back(&mut redis, kind, &key)).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::debug!(%err, "cluster: an event was not given back"),
                Err(_) => tracing::debug!("cluster: an event was not given back in time"),
            }
        });
    }
}

/// Claims on a previous instance's participants, in Redis: each is restored once in the whole cluster.
pub struct ClusterRestoredClaims {
    redis: ConnectionManager,
    ttl: Duration,
    /// Where claims are made while Redis does not answer (each participant then restored at most once per
    /// node).
    fallback: LocalRestoredClaims,
    warn: WarnEvery,
}

impl ClusterRestoredClaims {
    /// Claims over `redis`, each kept for `ttl` (at least as long as a token of a previous instance may
    /// still be valid).
    pub fn new(redis: ConnectionManager, ttl: Duration) -> Self {
        ClusterRestoredClaims {
            redis,
            ttl,
            fallback: LocalRestoredClaims::default(),
            warn: WarnEvery::new(REDIS_WARN_PERIOD),
        }
    }
}

impl RestoredClaims for ClusterRestoredClaims {
    fn claim(&self, id: PeerId) -> ClaimFuture<'_> {
        Box::pin(async move {
            let mut redis = self.redis.clone();
            let key = format!("{:016x}", id.bits());
            match ask("a restored participant", &self.warn, limits::claim_restored(&mut redis, &key, self.ttl)).await {
                // Also remembered here, so that a later outage cannot restore it again through this node.
                Some(won) => won && self.fallback.claim_here(id),
                None => self.fallback.claim_here(id),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_keyed_by_their_group() {
        let ip = |text: &str| text.parse::<IpAddr>().ok();
        assert_eq!(address_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::");
        assert_eq!(address_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(address_key(None), "unknown");
    }
}
