//! What every connection of one server shares: configuration, rooms, the shutdown signal, and the task
//! trackers that let shutdown wait for sessions and rooms. One value per server, passed by `Arc`; there is no
//! global state.
//!
//! What must be shared by every node once several serve the same rooms sits behind small interfaces whose
//! implementations are chosen here, in-process or, with `--redis`, the cluster's: the password throttle
//! ([`PasswordThrottle`]), the restored participants of a previous instance
//! ([`crate::resume::RestoredClaims`]), connection numbers ([`ConnectionNumbers`]), meeting records with
//! their bans ([`crate::store::MeetingRecords`]), the room directory with its per-address budget of new
//! rooms ([`RoomDirectory`]) and the count of wrong API keys ([`AddressBudget`]). Their callers see only
//! the interfaces, so a cluster changes what is built here and nothing else.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::{AttemptLimits, InviteKey, LocalThrottle, PasswordChecker, PasswordThrottle, PoolSize};
use crate::address::{AddressBudget, PerAddress};
use crate::config::{Secret, ServerConfig};
use crate::conn::AddressCounts;
use crate::http::ServerNames;
use crate::ice::IcePlan;
use crate::numbers::{ConnectionNumbers, LocalConnectionNumbers};
use crate::resume::Resumption;
use crate::store::{MeetingRecords, MeetingStore};

/// Password attempts (failed or under way) per minute: 5 per address, and per room 20 from addresses that
/// have failed plus 20 from fresh ones (see [`crate::access::throttle`]).
const PASSWORD_ATTEMPTS: AttemptLimits =
    AttemptLimits { per_address: 5, per_room_fresh: 20, per_room_others: 20, window: MINUTE };
/// Passwords checked at once (argon2id takes 19 MiB each with the default parameters), checks waiting per
/// queue, and how long one may wait.
const PASSWORD_POOL: PoolSize = PoolSize { workers: 2, queue: 64, wait: Duration::from_secs(5) };
/// Wrong API keys per address per minute at `POST /api/invites`.
const WRONG_API_KEYS_PER_ADDRESS: u32 = 5;
const MINUTE: Duration = Duration::from_secs(60);
use crate::rooms::{LocalDirectory, ReplayLimits, RoomDirectory, RoomSettings, Rooms};
use ruang_turn::RunningTurn;

/// The media servers running beside the signaling: the built-in TURN and the SFU, each if started.
pub struct MediaServers<'a> {
    /// The built-in STUN/TURN server.
    pub turn: Option<&'a RunningTurn>,
    /// The SFU.
    pub sfu: Option<Arc<crate::sfu::SfuService>>,
}

/// The shared state of one server.
pub struct AppState {
    /// The configuration it was started with.
    pub config: ServerConfig,
    /// The limits a frame is read with: `config.limits` with an SDP as large as the SFU takes, as the
    /// target is known only at the relay, which holds an SDP to a peer to `max_sdp_bytes`.
    pub read_limits: ruang_proto::Limits,
    /// Its rooms.
    pub rooms: Arc<Rooms>,
    /// Where sessions find rooms (this process's, or the cluster's), and what counts the rooms each address
    /// opens.
    pub directory: Arc<dyn RoomDirectory>,
    /// Cancelled when the server stops.
    pub shutdown: CancellationToken,
    /// Every session task, so shutdown can wait for them.
    pub sessions: TaskTracker,
    /// Every room task.
    pub room_tasks: TaskTracker,
    /// One permit per open WebSocket connection.
    pub connections: Arc<Semaphore>,
    /// Open connections per client address (`max_connections_per_address`).
    pub per_address: Arc<AddressCounts>,
    /// The host names requests may name (`Host`).
    pub names: ServerNames,
    /// Where participant ids come from.
    pub ids: IdSource,
    /// The ICE servers and policy handed to participants.
    pub ice: Arc<IcePlan>,
    /// Resume tokens and the grace period.
    pub resume: Arc<Resumption>,
    /// What meetings keep across restarts.
    pub store: Arc<MeetingStore>,
    /// Checks (and mints) invitations.
    pub invites: InviteKey,
    /// Counts password attempts (in this process, or for the cluster).
    pub throttle: Arc<dyn PasswordThrottle>,
    /// Checks passwords, a few at a time.
    pub passwords: PasswordChecker,
    /// Counts wrong API keys per address (in this process, or for the cluster).
    pub wrong_api_keys: Arc<dyn AddressBudget>,
    /// Hands out connection numbers.
    connection_numbers: Arc<dyn ConnectionNumbers>,
    /// What `/metrics` shows.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Where room and participant events go.
    pub webhooks: crate::webhooks::Webhooks,
    /// The built-in TURN server's numbers, if it runs.
    pub turn_stats: Option<ruang_turn::TurnStatsSource>,
    /// The SFU, if it runs (its rooms reach it through `rooms`; this is for its numbers).
    pub sfu: Option<Arc<crate::sfu::SfuService>>,
}

impl AppState {
    /// The state of a server that has not accepted anything yet. `secret` signs resume tokens; `instance`
    /// tells this server's tokens from those of a previous one with the same secret; `names` are the host
    /// names it answers to.
    pub fn new(
        config: ServerConfig,
        media: MediaServers<'_>,
        shutdown: CancellationToken,
        secret: &Secret,
        instance: u64,
        names: ServerNames,
        store: Arc<MeetingStore>,
    ) -> Arc<Self> {
        Self::in_cluster(config, media, shutdown, secret, instance, names, store, None)
    }

    /// [`AppState::new`] for a node of a cluster when `cluster` is given: its rooms are found through the
    /// cluster's directory and its connection numbers are unique in the cluster.
    #[allow(clippy::too_many_arguments)]
    pub fn in_cluster(
        config: ServerConfig,
        media: MediaServers<'_>,
        shutdown: CancellationToken,
        secret: &Secret,
        instance: u64,
        names: ServerNames,
        store: Arc<MeetingStore>,
        cluster: Option<crate::cluster::Joining>,
    ) -> Arc<Self> {
        let MediaServers { turn, sfu } = media;
        let room_tasks = TaskTracker::new();
        let invites = InviteKey::new(secret.expose()).with_max_lifetime_secs(config.max_invite_ttl_secs);
        let grace = Duration::from_millis(config.resume_grace_ms);
        let replay = ReplayLimits {
            messages: config.replay_messages,
            bytes: config.replay_bytes,
            // A dead connection is noticed at most a heartbeat timeout late; a little margin on top.
            horizon: config.limits.heartbeat_timeout() + Duration::from_secs(5),
        };
        // In a cluster, records are also written to Redis, for the node that takes a room over.
        let cluster = cluster.map(|joining| {
            let records = joining.records(Arc::clone(&store), grace);
            (joining, records)
        });
        let mut resume = Resumption::new(secret.expose(), instance, grace);
        if let Some((joining, _)) = &cluster {
            // Kept as long as a previous instance's token may be valid, plus a minute for the nodes' clocks.
            let ttl = resume.token_lifetime() + MINUTE;
            resume = resume.with_restored_claims(joining.restored_claims(ttl));
        }
        let resume = Arc::new(resume);
        let throttle: Arc<dyn PasswordThrottle> = match &cluster {
            Some((joining, _)) => joining.throttle(PASSWORD_ATTEMPTS),
            None => Arc::new(LocalThrottle::new(PASSWORD_ATTEMPTS)),
        };
        let wrong_api_keys: Arc<dyn AddressBudget> = match &cluster {
            Some((joining, _)) => joining.per_address("api-keys", WRONG_API_KEYS_PER_ADDRESS, MINUTE),
            None => Arc::new(PerAddress::new(WRONG_API_KEYS_PER_ADDRESS, MINUTE)),
        };
        let mut ice = IcePlan::new(&config.ice_servers, config.turn_credential_ttl_secs, &config.relay_only);
        if let Some(turn) = turn {
            ice = ice.with_builtin(turn.stun_url(), turn.turn_urls(), turn.secret.clone());
        }
        let ice = Arc::new(ice);
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let webhooks = start_webhooks(&config, &metrics, &shutdown, &room_tasks);
        let records: Arc<dyn MeetingRecords> = match &cluster {
            Some((_, records)) => Arc::clone(records) as Arc<dyn MeetingRecords>,
            None => Arc::clone(&store) as Arc<dyn MeetingRecords>,
        };
        let settings = RoomSettings {
            limits: config.limits.clone(),
            chat_history: config.chat_history,
            max_waiting: config.max_waiting,
            mailbox: config.room_mailbox,
            resume_grace: grace,
            replay,
            shutdown: shutdown.clone(),
            policies: config.room_policies(),
            resume: Arc::clone(&resume),
            ice: Arc::clone(&ice),
            store: records,
            media: ruang_room::MediaSettings {
                policy: config.media_mode,
                threshold: config.sfu_threshold,
                max_sfu_participants: config.max_sfu_participants,
                ..ruang_room::MediaSettings::default()
            },
            sfu: sfu.clone(),
            metrics: Arc::clone(&metrics),
            webhooks: webhooks.clone(),
        };
        let ids = IdSource;
        let rooms_per_address = config.rooms_per_address_per_minute;
        let rooms = Rooms::new(settings, config.max_rooms, room_tasks.clone());
        let connections = Arc::new(Semaphore::new(config.max_connections));
        let per_address = AddressCounts::new(config.max_connections_per_address);
        let read_limits = config.limits.for_reading();
        let (directory, connection_numbers): (Arc<dyn RoomDirectory>, Arc<dyn ConnectionNumbers>) = match cluster {
            None => {
                let opened = PerAddress::new(rooms_per_address, MINUTE);
                let directory = LocalDirectory::new(Arc::clone(&rooms), opened);
                (Arc::new(directory), Arc::new(LocalConnectionNumbers::default()))
            }
            Some((joining, records)) => {
                let numbers = joining.connection_numbers();
                let (open, max) = (Arc::clone(&connections), config.max_connections);
                let count = Arc::new(move || max.saturating_sub(open.available_permits()));
                let (limits, rooms) = (config.limits.clone(), Arc::clone(&rooms));
                let cluster = joining.start(rooms, records, grace, limits, read_limits.clone(), count);
                (Arc::new(crate::cluster::ClusterDirectory::new(cluster, rooms_per_address, MINUTE)), numbers)
            }
        };
        Arc::new(AppState {
            read_limits,
            config,
            directory,
            rooms,
            shutdown,
            sessions: TaskTracker::new(),
            room_tasks,
            connections,
            per_address,
            names,
            ids,
            ice,
            resume,
            store,
            invites,
            throttle,
            passwords: PasswordChecker::new(PASSWORD_POOL),
            wrong_api_keys,
            connection_numbers,
            metrics,
            webhooks,
            turn_stats: turn.map(RunningTurn::stats),
            sfu,
        })
    }

    /// A number for a new connection, unique among open connections.
    pub fn connection_number(&self) -> u64 {
        self.connection_numbers.next()
    }

    /// Open WebSocket connections.
    pub fn connection_count(&self) -> usize {
        self.config.max_connections.saturating_sub(self.connections.available_permits())
    }
}

/// The webhook delivery tasks, one per configured receiver (none without `webhook_urls`).
fn start_webhooks(
    config: &ServerConfig,
    metrics: &Arc<crate::metrics::Metrics>,
    shutdown: &CancellationToken,
    tasks: &TaskTracker,
) -> crate::webhooks::Webhooks {
    match config.webhooks.settings() {
        Some(settings) => crate::webhooks::Webhooks::start(settings, Arc::clone(metrics), shutdown.clone(), tasks),
        None => crate::webhooks::Webhooks::disabled(Arc::clone(metrics)),
    }
}

/// Draws participant ids: 64 bits from the operating system's random source, so ids are unguessable.
#[derive(Debug)]
pub struct IdSource;

impl IdSource {
    /// A fresh random id; `None` only if the operating system's random source fails.
    pub fn next(&self) -> Option<u64> {
        getrandom::u64().ok()
    }

    /// A random secret for a server nobody gave one; `None` only if the operating system's random source
    /// fails.
    pub fn secret(&self) -> Option<Secret> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).ok()?;
        Some(Secret::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
    }
}
