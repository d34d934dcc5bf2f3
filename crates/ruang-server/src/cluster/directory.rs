//! The room directory of a node in a cluster: the room is this node's if it is open here or if this node
//! takes its lease now; otherwise it is the lease holder's, reached through an [`EdgeRoom`].

use std::sync::Arc;

use ruang_cluster::lease::{self, Owner};
use ruang_proto::RoomName;

use super::Cluster;
use super::edge::EdgeRoom;
use crate::rooms::{CreateError, DirectoryFuture, RoomDirectory, RoomHandle};

/// Finds rooms across the cluster.
pub struct ClusterDirectory {
    cluster: Arc<Cluster>,
}

impl ClusterDirectory {
    /// The directory of `cluster`'s node.
    pub fn new(cluster: Arc<Cluster>) -> Self {
        ClusterDirectory { cluster }
    }

    async fn find(
        &self,
        name: &RoomName,
        may_open: &mut (dyn FnMut() -> bool + Send),
    ) -> Result<RoomHandle, CreateError> {
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
                let opened = cluster.rooms.get_or_create_if(name, may_open);
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
                tracing::warn!(%err, room = %name, "cluster: cannot find the room's owner");
                Err(CreateError::TooManyRooms)
            }
        }
    }
}

impl RoomDirectory for ClusterDirectory {
    fn find_or_open<'a>(
        &'a self,
        name: &'a RoomName,
        may_open: &'a mut (dyn FnMut() -> bool + Send),
    ) -> DirectoryFuture<'a> {
        Box::pin(self.find(name, may_open))
    }

    fn count(&self) -> usize {
        self.cluster.rooms.count()
    }
}
