//! A room outliving its owner node. Two halves:
//!
//! - **Taking over**: the node that takes a free lease reads the room's record from Redis into its own
//!   store before it opens the room ([`Cluster::adopt_record`]), so the room is rebuilt carried over: its
//!   roster (ids, roles), bans, lock, lobby and chat, with the participants expected back.
//! - **Noticing**: every keeper tick, a node looks up who holds the lease of each room its connections
//!   reach on another node ([`Cluster::watch_owners`]). When another node holds it, or nobody does while the
//!   room's record is still in Redis, or nobody has (nor a record) for longer than an owner takes to renew
//!   it after a Redis restart, the owner is lost: the node ends those connections with close 4003
//!   (resume to continue), and their clients resume, which finds (or takes) the room's new owner.
//!
//! Which node rebuilds the room is decided by the lease alone (`SET NX`): of any number of nodes trying at
//! once, one opens the room and the others reach it.

use std::collections::HashMap;
use std::time::Duration;

use ruang_cluster::NodeId;
use ruang_cluster::keys::{LEASE_RENEW, LEASE_TTL};
use ruang_proto::RoomName;
use ruang_room::LogName;

use super::{Cluster, KEEPER_TICK};
use crate::clock::wall_clock_secs;

/// How long a meeting record lives in Redis unless its owner renews it: the resume grace period (how long
/// its participants may take to come back) plus two lease TTLs (how long before another node can take over).
pub(super) fn record_ttl(grace: Duration) -> Duration {
    grace + 2 * LEASE_TTL
}

/// For how many keeper ticks in a row a room's lease may be free before its owner counts as lost: well
/// over what a live owner takes to take its lease back after Redis lost it (a restart: the owner's next
/// renewal, at most [`LEASE_RENEW`] later, after its connection to Redis is made again).
const FREE_FOR_TICKS: u32 = (2 * LEASE_RENEW.as_millis() / KEEPER_TICK.as_millis()) as u32 + 2;

/// For how many ticks in a row each remote room's lease was found free.
#[derive(Default)]
pub(super) struct OwnersAway {
    free_for: HashMap<(RoomName, NodeId), u32>,
}

impl Cluster {
    /// Puts `name`'s record from Redis into this node's store, for the room about to open here. Without one
    /// (a new meeting, or Redis cannot say) the room opens from what this node's store holds, if anything.
    pub(super) async fn adopt_record(&self, name: &RoomName) {
        match ruang_cluster::records::read(&mut self.redis.clone(), name.as_str()).await {
            Ok(Some(json)) => match super::records::decode(&json) {
                Some(record) => {
                    tracing::info!(room = %LogName::of_str(name.as_str()), "cluster: rebuilding a room from its record");
                    self.records.local().save(name, record, wall_clock_secs());
                }
                None => {
                    tracing::warn!(room = %LogName::of_str(name.as_str()), "cluster: a meeting record in Redis did not decode")
                }
            },
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(%err, room = %LogName::of_str(name.as_str()), "cluster: cannot read a meeting record")
            }
        }
    }

    /// Sets the cluster's instance id in Redis again if Redis lost it (a restart without persistence), so
    /// nodes that start later share it; warns if another one was set meanwhile.
    pub(super) async fn keep_instance(&self) {
        let Some(instance) = self.instance else { return };
        match ruang_cluster::registry::cluster_instance(&mut self.redis.clone(), instance).await {
            Ok(kept) if kept == instance => {}
            Ok(_) => tracing::error!("cluster: Redis names another instance than this node's tokens do"),
            Err(err) => tracing::debug!(%err, "cluster: cannot check the cluster's instance"),
        }
    }

    /// Another node holds the lease of `name`, open here (Redis was unreachable past the TTL and the room
    /// was taken over meanwhile): the room is no longer found here, and every member's connection, here or
    /// on another node, is ended with close 4003, so the clients resume with the new owner. The room's task
    /// goes on until its members' grace ends, then closes; its record writes are refused (not the owner).
    pub(super) fn step_back(&self, name: &RoomName) {
        let Some(handle) = self.rooms.forget(name) else { return };
        let links: Vec<_> = handle
            .members()
            .read()
            .entries()
            .filter(|entry| !entry.sfu)
            .filter_map(|entry| entry.post.link())
            .collect();
        for link in &links {
            link.member.disconnect(ruang_member::Disconnect::Slow);
        }
        tracing::warn!(room = %LogName::of_str(name.as_str()), connections = links.len(), "cluster: stepped back from a room another node took over");
    }

    /// Ends this node's connections in rooms whose owner was lost, so their clients resume with the new one.
    pub(super) async fn watch_owners(&self, away: &mut OwnersAway) {
        let rooms = self.edges(|edges| edges.remote_rooms());
        if rooms.is_empty() {
            away.free_for.clear();
            return;
        }
        let names: Vec<String> = rooms.iter().map(|(room, _)| room.as_str().to_owned()).collect();
        let mut redis = self.redis.clone();
        let looked_up = async {
            let holders = ruang_cluster::lease::holders(&mut redis, &names).await?;
            let records = ruang_cluster::records::present(&mut redis, &names).await?;
            Ok::<_, ruang_cluster::ClusterError>((holders, records))
        };
        let (holders, records) = match looked_up.await {
            Ok(found) => found,
            Err(err) => {
                tracing::debug!(%err, "cluster: cannot look up the owners of remote rooms");
                return;
            }
        };
        let mut free_for = HashMap::new();
        for (((room, owner), holder), recorded) in rooms.into_iter().zip(holders).zip(records) {
            let lost = match holder {
                Some(holder) => holder != owner,
                // The lease expired while Redis kept the room's record: the owner stopped renewing (dead, or
                // cut off from Redis past the TTL). Its members move now.
                None if recorded => true,
                // Nothing at all: maybe Redis lost its data, and a live owner takes its lease back at its next
                // renewal; give it the time to.
                None => {
                    let ticks = away.free_for.get(&(room.clone(), owner)).copied().unwrap_or(0) + 1;
                    free_for.insert((room.clone(), owner), ticks);
                    ticks >= FREE_FOR_TICKS
                }
            };
            if lost {
                let ended = self.owner_lost(&room, owner);
                tracing::warn!(room = %LogName::of_str(room.as_str()), %owner, connections = ended, "cluster: a room's owner was lost; its members here resume");
                free_for.remove(&(room, owner));
            }
        }
        away.free_for = free_for;
    }
}
