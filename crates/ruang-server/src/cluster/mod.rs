//! Clustering (`--redis`): several nodes serve the same rooms through one Redis (`docs/design/cluster.md`).
//!
//! A room lives on one node at a time, the holder of its lease ([`ruang_cluster::lease`]); a session on
//! any node reaches it through [`ClusterDirectory`], which hands out the local room when this node owns it
//! and an [`edge::EdgeRoom`] otherwise. The edge carries the session's commands and signals to the owner
//! over the bus ([`ruang_cluster::bus`], [`wire`]); the owner feeds them to the room as its own sessions'
//! ([`owner`]), and its room reaches the remote member through an [`owner::RemoteMember`] link, whose
//! deliveries come back over the bus to the connection. Session and room logic are the same as alone.
//!
//! One task per node reads the bus in order; one keeps the node's registry entry and its leases
//! (renewing the held ones, releasing those of rooms that closed). The limits every node counts together
//! (password attempts, rooms opened per address, restored-token claims) are in [`limits`].

mod directory;
mod edge;
mod failover;
mod limits;
mod owner;
mod records;
mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ruang_cluster::bus::{self, Publisher};
use ruang_cluster::keys::LEASE_RENEW;
use ruang_cluster::lease::{self, LeaseBook};
use ruang_cluster::registry::{self, NodeInfo};
use ruang_cluster::{ClusterError, ConnectionManager, NodeId};
use ruang_proto::{Limits, RoomName};
use ruang_room::LogName;
use tokio_util::sync::CancellationToken;

pub use directory::ClusterDirectory;
pub use limits::{ClusterPerAddress, ClusterRestoredClaims, ClusterThrottle};
pub use records::ClusterRecords;

use crate::address::AddressBudget;
use crate::numbers::ConnectionNumbers;
use crate::rooms::{RoomHandle, Rooms};
use crate::store::MeetingStore;
use crate::warn_every::{REDIS_WARN_PERIOD, WarnEvery};

/// Messages queued for Redis (and received from it) per node before the bus pushes back.
const BUS_QUEUE: usize = 65_536;
/// How often the keeper looks at leases, the registry entry and the owners of remote rooms: half the lease
/// renewal period, so a renewal is never more than half a tick late and a lost owner is noticed within
/// half a second of its lease expiring.
const KEEPER_TICK: Duration = Duration::from_millis(500);

/// This node's part in the cluster.
pub struct Cluster {
    node: NodeId,
    redis: ConnectionManager,
    bus: Publisher,
    rooms: Arc<Rooms>,
    /// The leases this node holds; an async lock, as taking and releasing a lease is one step with the
    /// local room's opening or closing.
    leases: tokio::sync::Mutex<LeaseBook>,
    edges: Mutex<edge::Edges>,
    limits: Limits,
    read_limits: Limits,
    /// This node's meeting records: its own store (where a room's record read from Redis is put before the
    /// room opens here), mirrored to Redis.
    records: Arc<ClusterRecords>,
    /// How long a meeting record lives in Redis unless renewed.
    record_ttl: Duration,
    /// The cluster's instance id, set again in Redis if Redis lost it.
    instance: Option<u64>,
    /// While Redis is away every lease and record fails to renew every second: one line per period.
    renewals_failing: WarnEvery,
}

/// What a node tells the registry about itself besides its load.
pub struct NodeAddress {
    /// Where its HTTP listener is bound.
    pub listen: String,
    /// Its public host names.
    pub public_hosts: Vec<String>,
}

/// A node connected to the cluster's Redis, before its rooms exist: its id, its Redis connection, and its
/// bus channel, already subscribed.
pub struct Joining {
    node: NodeId,
    redis: ConnectionManager,
    inbox: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    address: NodeAddress,
    shutdown: CancellationToken,
    instance: Option<u64>,
}

/// Connects to the cluster's Redis at `url` as a node with a fresh random id, and subscribes to its bus
/// channel, until `shutdown`.
pub async fn connect(url: &str, address: NodeAddress, shutdown: CancellationToken) -> Result<Joining, ClusterError> {
    let (client, redis) = ruang_cluster::connect(url).await?;
    let node = NodeId(getrandom::u64().map_err(|_| ClusterError::Unexpected { key: "node id".into() })?);
    let inbox = bus::subscribe(client, node, BUS_QUEUE, shutdown.clone()).await?;
    Ok(Joining { node, redis, inbox, address, shutdown, instance: None })
}

impl Joining {
    /// The instance id resume tokens name: the cluster's, shared by every node (`candidate` if this node is
    /// the first), so a participant resumes through any node as it would on one server.
    pub async fn instance(&mut self, candidate: u64) -> Result<u64, ClusterError> {
        let instance = registry::cluster_instance(&mut self.redis, candidate).await?;
        self.instance = Some(instance);
        Ok(instance)
    }

    /// Connection numbers unique in the cluster: the node's id in the high 24 bits, a counter below.
    pub fn connection_numbers(&self) -> Arc<dyn ConnectionNumbers> {
        Arc::new(ClusterConnectionNumbers { high: (self.node.0 >> 40).max(1) << 40, next: AtomicU64::new(1) })
    }

    /// The meeting records of this node: kept in `store` and written to Redis, so another node rebuilds a
    /// room from them if this one is lost; `grace` is the resume grace period.
    pub fn records(&self, store: Arc<MeetingStore>, grace: Duration) -> Arc<ClusterRecords> {
        let (redis, ttl, shutdown) = (self.redis.clone(), failover::record_ttl(grace), self.shutdown.clone());
        Arc::new(ClusterRecords::start(store, redis, self.node, ttl, shutdown))
    }

    /// The password throttle of the cluster: attempts counted in Redis with `limits`.
    pub fn throttle(&self, limits: crate::access::AttemptLimits) -> Arc<dyn crate::access::PasswordThrottle> {
        Arc::new(ClusterThrottle::new(self.redis.clone(), limits))
    }

    /// At most `limit` events of `kind` (`api-keys`) per address group per `window`, in the whole cluster.
    pub fn per_address(&self, kind: &'static str, limit: u32, window: Duration) -> Arc<dyn AddressBudget> {
        Arc::new(ClusterPerAddress::new(self.redis.clone(), kind, limit, window))
    }

    /// The claims on a previous instance's participants, in Redis, each kept for `ttl`.
    pub fn restored_claims(&self, ttl: Duration) -> Arc<dyn crate::resume::RestoredClaims> {
        Arc::new(ClusterRestoredClaims::new(self.redis.clone(), ttl))
    }

    /// Starts this node's part: reads its bus channel, registers, and keeps its leases until shutdown.
    /// `connections` counts its open WebSocket connections for the registry; `records` are this node's
    /// ([`Joining::records`], with the resume grace period `grace`).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        self,
        rooms: Arc<Rooms>,
        records: Arc<ClusterRecords>,
        grace: Duration,
        limits: Limits,
        read_limits: Limits,
        connections: Arc<dyn Fn() -> usize + Send + Sync>,
    ) -> Arc<Cluster> {
        let Joining { node, redis, mut inbox, address, shutdown, instance } = self;
        let cluster = Arc::new(Cluster {
            node,
            bus: Publisher::start(redis.clone(), BUS_QUEUE, shutdown.clone()),
            redis,
            rooms,
            leases: tokio::sync::Mutex::new(LeaseBook::default()),
            edges: Mutex::default(),
            limits,
            read_limits,
            records,
            record_ttl: failover::record_ttl(grace),
            instance,
            renewals_failing: WarnEvery::new(REDIS_WARN_PERIOD),
        });
        tracing::info!(node = %node, "joined the cluster");
        let reader = Arc::clone(&cluster);
        let stop = shutdown.clone();
        tokio::spawn(async move {
            loop {
                let message = tokio::select! {
                    () = stop.cancelled() => return,
                    message = inbox.recv() => message,
                };
                let Some(message) = message else { return };
                match wire::decode(&message) {
                    Some((wire::Envelope::Owner(message), body)) => reader.to_owner(message, body).await,
                    Some((wire::Envelope::Edge(message), body)) => reader.to_edge(message, &body),
                    None => tracing::warn!("cluster bus: a message did not decode"),
                }
            }
        });
        let keeper = Arc::clone(&cluster);
        tokio::spawn(async move { keeper.keep(address, connections, shutdown).await });
        cluster
    }
}

impl Cluster {
    /// This node's id.
    pub fn node(&self) -> NodeId {
        self.node
    }

    async fn register(
        &self,
        address: &NodeAddress,
        connections: &(dyn Fn() -> usize + Send + Sync),
    ) -> Result<(), ClusterError> {
        let info = NodeInfo {
            id: self.node,
            listen: address.listen.clone(),
            public_hosts: address.public_hosts.clone(),
            rooms: self.rooms.count(),
            connections: connections(),
        };
        registry::register(&mut self.redis.clone(), &info, crate::clock::wall_clock_ms()).await
    }

    /// Every [`KEEPER_TICK`]: renews the registry entry and the leases due, gives up the leases of rooms
    /// that closed here, and warns about leases it could not renew. On shutdown the entry is taken out;
    /// the leases are left to expire, as the rooms' participants resume elsewhere.
    async fn keep(
        self: Arc<Self>,
        address: NodeAddress,
        connections: Arc<dyn Fn() -> usize + Send + Sync>,
        shutdown: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(KEEPER_TICK);
        let mut registered: Option<tokio::time::Instant> = None;
        let mut owners_away = failover::OwnersAway::default();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            let now = tokio::time::Instant::now();
            if registered.is_none_or(|at| now >= at + ruang_cluster::keys::NODE_RENEW) {
                match self.register(&address, connections.as_ref()).await {
                    Ok(()) => registered = Some(now),
                    Err(err) => tracing::warn!(%err, "cluster: cannot renew this node's entry"),
                }
                self.keep_instance().await;
            }
            self.keep_leases().await;
            self.watch_owners(&mut owners_away).await;
        }
        let _ = registry::unregister(&mut self.redis.clone(), self.node).await;
    }

    async fn keep_leases(&self) {
        let mut leases = self.leases.lock().await;
        let mut redis = self.redis.clone();
        let open: std::collections::HashSet<String> =
            self.rooms.names().iter().map(|name| name.as_str().to_owned()).collect();
        for room in leases.rooms() {
            if !open.contains(&room) {
                if let Err(err) = lease::release(&mut redis, &room, self.node).await {
                    tracing::warn!(%err, room = %LogName::of_str(&room), "cluster: cannot release a lease; it will expire");
                }
                leases.forget(&room);
            }
        }
        let now = std::time::Instant::now();
        let mut renewed = Vec::new();
        // Due before the next tick's middle: renewed every LEASE_RENEW whatever the ticks' jitter. All at once
        // (the connection pipelines them), each bounded, so a slow Redis cannot hold the keeper past the TTL.
        let due = leases.due(now + KEEPER_TICK / 2);
        let answers = futures_util::future::join_all(due.iter().map(|room| {
            let mut redis = redis.clone();
            async move {
                match tokio::time::timeout(LEASE_RENEW, lease::renewal(&mut redis, room, self.node)).await {
                    Ok(answer) => answer,
                    Err(_) => Err(ClusterError::Timeout(LEASE_RENEW)),
                }
            }
        }))
        .await;
        for (room, answer) in due.into_iter().zip(answers) {
            match answer {
                Ok(lease::Renewal::Renewed) => {
                    leases.confirm(&room, now);
                    renewed.push(room);
                }
                Ok(lease::Renewal::Retaken) => {
                    // Redis lost it (a restart, or an outage past the TTL): its record may be gone too.
                    tracing::warn!(room = %LogName::of_str(&room), "cluster: took a lease back; writing the room's record again");
                    leases.confirm(&room, now);
                    if let Some(name) = RoomName::parse(&room) {
                        self.records.rewrite(&name, crate::clock::wall_clock_secs());
                    }
                }
                Ok(lease::Renewal::Lost) => {
                    tracing::error!(room = %LogName::of_str(&room), "cluster: another node holds the lease of a room open here; stepping back");
                    leases.forget(&room);
                    if let Some(name) = RoomName::parse(&room) {
                        self.step_back(&name);
                    }
                }
                Err(err) => {
                    if let Some(folded) = self.renewals_failing.due(now) {
                        tracing::warn!(%err, room = %LogName::of_str(&room), folded, "cluster: cannot renew a lease");
                    }
                }
            }
        }
        if let Err(err) = ruang_cluster::records::touch(&mut redis, &renewed, self.record_ttl).await
            && let Some(folded) = self.renewals_failing.due(now)
        {
            tracing::warn!(%err, folded, "cluster: cannot renew meeting records");
        }
        for room in leases.doubtful(now) {
            if let Some(folded) = self.renewals_failing.due(now) {
                tracing::warn!(room = %LogName::of_str(&room), folded, "cluster: a lease was not renewed within its TTL");
            }
        }
    }

    /// The room `name` if this node owns it: open here, or leased by this node (and opened now).
    async fn owned_room(&self, name: &RoomName) -> Option<RoomHandle> {
        if let Some(handle) = self.rooms.get(name) {
            return Some(handle);
        }
        let leases = self.leases.lock().await;
        if !leases.holds(name.as_str()) {
            return None;
        }
        self.adopt_record(name).await;
        self.rooms.get_or_create_if(name, || true).ok()
    }
}

/// Connection numbers of one node of a cluster: its id's high bits, then a counter.
struct ClusterConnectionNumbers {
    high: u64,
    next: AtomicU64,
}

impl ConnectionNumbers for ClusterConnectionNumbers {
    fn next(&self) -> u64 {
        self.high | (self.next.fetch_add(1, Ordering::Relaxed) & ((1 << 40) - 1))
    }
}
