//! The node registry: every node writes its entry (id, addresses, load) with a short TTL and renews it, so
//! the live nodes can be listed and a node that died drops out by itself within [`NODE_TTL`].

use std::time::Duration;

use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};

use crate::keys::{NODE_TTL, NODES, node};
use crate::{ClusterError, NodeId};

/// A node as it describes itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// Its id.
    pub id: NodeId,
    /// The address its HTTP listener is bound to.
    pub listen: String,
    /// The public host names it serves (`public_hosts`), if configured.
    pub public_hosts: Vec<String>,
    /// Rooms it owns now.
    pub rooms: usize,
    /// Open WebSocket connections.
    pub connections: usize,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Writes (or renews) `info` for [`NODE_TTL`] at wall-clock time `now_ms`, and prunes entries of the sorted
/// set of nodes that expired.
pub async fn register(redis: &mut ConnectionManager, info: &NodeInfo, now_ms: u64) -> Result<(), ClusterError> {
    let text = serde_json::to_string(info).map_err(|_| ClusterError::Unexpected { key: node(info.id) })?;
    let expires = now_ms.saturating_add(millis(NODE_TTL));
    redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(node(info.id))
        .arg(text)
        .arg("PX")
        .arg(millis(NODE_TTL))
        .ignore()
        .cmd("ZADD")
        .arg(NODES)
        .arg(expires)
        .arg(info.id.to_string())
        .ignore()
        .cmd("ZREMRANGEBYSCORE")
        .arg(NODES)
        .arg("-inf")
        .arg(format!("({now_ms}"))
        .ignore()
        .query_async::<()>(redis)
        .await?;
    Ok(())
}

/// Takes `node`'s entry out at once (a node stopping cleanly).
pub async fn unregister(redis: &mut ConnectionManager, id: NodeId) -> Result<(), ClusterError> {
    redis::pipe()
        .cmd("DEL")
        .arg(node(id))
        .ignore()
        .cmd("ZREM")
        .arg(NODES)
        .arg(id.to_string())
        .ignore()
        .query_async::<()>(redis)
        .await?;
    Ok(())
}

/// The nodes whose entry is live at wall-clock time `now_ms`, by id.
pub async fn live_nodes(redis: &mut ConnectionManager, now_ms: u64) -> Result<Vec<NodeInfo>, ClusterError> {
    let ids: Vec<String> = redis::cmd("ZRANGEBYSCORE").arg(NODES).arg(now_ms).arg("+inf").query_async(redis).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = ids.iter().filter_map(|id| id.parse().ok()).map(node).collect();
    let texts: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query_async(redis).await?;
    let mut nodes: Vec<NodeInfo> =
        texts.into_iter().flatten().filter_map(|text| serde_json::from_str(&text).ok()).collect();
    nodes.sort_by_key(|info| info.id);
    Ok(nodes)
}

/// The cluster's instance id: `candidate` if no node set one before, else the one set.
pub async fn cluster_instance(redis: &mut ConnectionManager, candidate: u64) -> Result<u64, ClusterError> {
    let previous: Option<String> = redis::cmd("SET")
        .arg(crate::keys::INSTANCE)
        .arg(candidate.to_string())
        .arg("NX")
        .arg("GET")
        .query_async(redis)
        .await?;
    match previous {
        None => Ok(candidate),
        Some(text) => text.parse().map_err(|_| ClusterError::Unexpected { key: crate::keys::INSTANCE.into() }),
    }
}
