//! The room directory of a node in a cluster: the room is this node's if it is open here or if this node
//! takes its lease now; otherwise it is the lease holder's, reached through an [`EdgeRoom`]. A room opened
//! here by a client's join is counted against its address group's budget in Redis
//! ([`ClusterPerAddress`]), for the whole cluster.

use std::sync::Arc;

use ruang_cluster::lease::{self, Owner};
use ruang_proto::RoomName;
use ruang_room::LogName;

use super::Cluster;
use super::edge::EdgeRoom;
use super::limits::ClusterPerAddress;
use crate::address::AddressBudget;
use crate::rooms::{CreateError, DirectoryFuture, Opener, RoomDirectory, RoomHandle};
use crate::warn_every::{REDIS_WARN_PERIOD, WarnEvery};

/// Finds rooms across the cluster.
pub struct ClusterDirectory {
    cluster: Arc<Cluster>,
    opened: ClusterPerAddress,
    /// Every join asks Redis for the room's owner: while Redis is away, one line per period.
    unreachable: WarnEvery,
}

impl ClusterDirectory {
    /// The directory of `cluster`'s node, where each address group opens at most `per_window` rooms per
    /// `window` in the whole cluster.
    pub fn new(cluster: Arc<Cluster>, per_window: u32, window: std::time::Duration) -> Self {
        let opened = ClusterPerAddress::new(cluster.redis.clone(), "rooms", per_window, window);
        ClusterDirectory { cluster, opened, unreachable: WarnEvery::new(REDIS_WARN_PERIOD) }
    }

    async fn find(&self, name: &RoomName, opener: Opener) -> Result<RoomHandle, CreateError> {
        let cluster = &self.cluster;
        if let Some(handle) = cluster.rooms.get(name) {
            return Ok(handle);
        }
        let mut leases = cluster.leases.lock().await;
        // The time the request leaves, not the answer's: the lease's TTL runs from later in Redis.
        let sent = std::time::Instant::now();
        let taken = lease::take(&mut cluster.redis.clone(), name.as_str(), cluster.node).await;
        match taken {
            Ok(Owner::Me) => {
                leases.confirm(name.as_str(), sent);
                if cluster.rooms.get(name).is_none() {
                    // Taken over (or new): the meeting goes on from its record, if its last owner left one.
                    cluster.adopt_record(name).await;
                }
                // Counted only if it really opens here: not open, room for it, and the lease held (so no other
                // node opens it meanwhile; the leases' lock keeps this node's own joins in line).
                let may_open = match opener {
                    Opener::Client(address) if cluster.rooms.get(name).is_none() => {
                        !cluster.rooms.has_room_for_one_more() || self.opened.take_one(address).await
                    }
                    _ => true,
                };
                let opened = cluster.rooms.get_or_create_if(name, || may_open);
                if opened.is_err() {
                    // Not opened here after all: let another node have it.
                    leases.forget(name.as_str());
                    let _ = lease::release(&mut cluster.redis.clone(), name.as_str(), cluster.node).await;
                }
                opened
            }
            Ok(Owner::Other(owner)) => {
                let room = EdgeRoom { room: name.clone(), owner, cluster: Arc::clone(cluster) };
                Ok(RoomHandle::remote(Arc::new(room)))
            }
            Err(err) => {
                if let Some(folded) = self.unreachable.due(std::time::Instant::now()) {
                    tracing::warn!(%err, room = %LogName::of(name), folded, "cluster: cannot find the room's owner");
                }
                Err(CreateError::TooManyRooms)
            }
        }
    }
}

impl RoomDirectory for ClusterDirectory {
    fn find_or_open<'a>(&'a self, name: &'a RoomName, opener: Opener) -> DirectoryFuture<'a> {
        Box::pin(self.find(name, opener))
    }

    fn count(&self) -> usize {
        self.cluster.rooms.count()
    }
}
