//! What several ruang nodes share through Redis, and nothing else: the Redis-facing half of clustering.
//!
//! - [`keys`]: every Redis key and channel name, and their time-to-live.
//! - [`lease`]: who owns a room: the lease rules without I/O ([`lease::LeaseBook`], time passed in) and the
//!   three atomic Redis operations behind them (take, renew, release).
//! - [`limits`]: the limits every node counts together (password attempts, rooms created per address,
//!   claims on a previous instance's participants), each one atomic Redis step.
//! - [`records`]: each room's meeting record, written by its owner only, read by the node that takes the
//!   room over when its owner is lost.
//! - [`registry`]: each node's entry (id, addresses, load) with a short TTL, and the list of live nodes.
//! - [`bus`]: node-to-node messages over Redis pub/sub, one channel per node, published in order by one
//!   task per node ([`bus::Publisher`]) and read by one subscriber ([`bus::subscribe`]).
//! - [`sequence`]: per-link sequence numbers that turn a lost pub/sub message into a detected gap.
//!
//! What travels on the bus, and what a node does with it, is the server's business (`ruang-server`'s
//! `cluster` module): this crate moves opaque bytes and keeps the Redis state.

#![deny(missing_docs)]

pub mod bus;
pub mod keys;
pub mod lease;
pub mod limits;
pub mod records;
pub mod registry;
pub mod sequence;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use redis::Client;
pub use redis::aio::ConnectionManager;

/// A node's identity in the cluster: random, drawn at each start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u64);

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for NodeId {
    type Err = std::num::ParseIntError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(text, 16).map(NodeId)
    }
}

/// Talking to Redis failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Redis answered with an error, or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis did not answer within the time the caller gave it.
    #[error("redis did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// A value read from Redis is not what a ruang node writes.
    #[error("unexpected value in redis at {key}")]
    Unexpected {
        /// The key.
        key: String,
    },
}

/// Connects to Redis at `url` (`redis://[user:password@]host:port[/db]`) with a connection that reconnects
/// by itself, for commands; pub/sub uses its own connection ([`bus::subscribe`]).
pub async fn connect(url: &str) -> Result<(redis::Client, ConnectionManager), ClusterError> {
    let client = redis::Client::open(url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(std::time::Duration::from_secs(2))
        .set_response_timeout(std::time::Duration::from_secs(2))
        .set_number_of_retries(2);
    let manager = ConnectionManager::new_with_config(client.clone(), config).await?;
    Ok((client, manager))
}
