//! Starting and serving: [`start`] binds every listener (the SFU's UDP and TCP, STUN/TURN) and opens the
//! meeting store, so a taken port fails before anything is announced; [`Started::run`] accepts connections
//! until shutdown, then tells every client, waits for sessions and rooms to finish (bounded by the grace
//! period), and returns.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::wall_clock_secs;
use crate::config::ServerConfig;
use crate::state::{AppState, IdSource, MediaServers};
use crate::store::MeetingStore;
use crate::tls::Tls;
use crate::{conn, http};

/// Serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The listener failed.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The STUN/TURN server could not start.
    #[error(transparent)]
    Turn(#[from] ruang_turn::TurnError),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    Random,
    /// The data directory's meeting store could not be opened.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The SFU could not start (its UDP port is taken, say).
    #[error("{0} (choose another address with --sfu-listen, or run without the SFU with --media-mode mesh)")]
    Sfu(#[from] ruang_sfu::driver::StartError),
    /// The cluster's Redis (`--redis`) could not be reached.
    #[error("cannot join the cluster: {0}")]
    Cluster(#[from] ruang_cluster::ClusterError),
    /// The admin listener could not be bound.
    #[error(
        "cannot listen on {address} for the admin API and metrics (choose another address with --admin-listen): {source}"
    )]
    AdminListen {
        /// Where.
        address: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Serves on `listener` until `shutdown` is cancelled, then closes every session (each client is told with a
/// `shutdown` message and close code 1001) and returns once they are gone or the grace period has passed.
/// TLS is set up from `config.tls`; use [`serve`] to set it up yourself (to show its fingerprint first).
pub async fn run(listener: TcpListener, config: ServerConfig, shutdown: CancellationToken) -> Result<(), ServerError> {
    let tls = crate::tls::prepare(&config.tls)?;
    serve(listener, config, tls, shutdown).await
}

/// [`run`] with TLS already prepared (`None` for plain HTTP).
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    tls: Option<Tls>,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    start(listener, config, tls, shutdown).await?.run().await
}

/// [`serve`] with the admin listener bound by the caller (`None`: `/metrics` and the admin API are on
/// `listener`, whatever `admin.listen` says).
pub async fn serve_with_admin(
    listener: TcpListener,
    admin: Option<TcpListener>,
    config: ServerConfig,
    tls: Option<Tls>,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    start_with_admin(listener, admin, config, tls, shutdown).await?.run().await
}

/// A server with every listener bound and its meeting store open, not yet accepting: made by [`start`],
/// served by [`Started::run`].
pub struct Started {
    listener: TcpListener,
    admin: Option<TcpListener>,
    state: Arc<AppState>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    turn: Option<ruang_turn::RunningTurn>,
    sfu: Option<Arc<crate::sfu::SfuService>>,
    store: Arc<MeetingStore>,
    grace: Duration,
}

/// Binds the STUN/TURN server and the SFU and opens the meeting store for a server on `listener`, checking
/// the configuration first. Any failure (a taken port, say) is returned before anything is served.
pub async fn start(
    listener: TcpListener,
    config: ServerConfig,
    tls: Option<Tls>,
    shutdown: CancellationToken,
) -> Result<Started, ServerError> {
    let admin = match config.admin.listen {
        Some(address) => {
            let bound = TcpListener::bind(address).await;
            Some(bound.map_err(|source| ServerError::AdminListen { address, source })?)
        }
        None => None,
    };
    start_with_admin(listener, admin, config, tls, shutdown).await
}

/// [`start`] with the admin listener bound by the caller (`None`: `/metrics` and the admin API are on
/// `listener`, whatever `admin.listen` says).
pub async fn start_with_admin(
    listener: TcpListener,
    admin: Option<TcpListener>,
    config: ServerConfig,
    tls: Option<Tls>,
    shutdown: CancellationToken,
) -> Result<Started, ServerError> {
    config.validate()?;
    let mut config = config;
    config.admin.listen = match &admin {
        Some(admin) => Some(admin.local_addr()?),
        None => None,
    };
    for raised in config.fit_to_room_size() {
        tracing::warn!("raised {raised}, so that a newcomer can introduce itself to a full room");
    }
    // The tiles a client may describe: as many as an SFU room holds.
    config.limits.max_sfu_participants = config.max_sfu_participants;
    let grace = Duration::from_millis(config.shutdown_grace_ms);
    // The SFU first: TURN must relay to its advertised address (and to nothing else on this host).
    let sfu = match config.needs_sfu() {
        true => Some(start_sfu(&config).await?),
        false => None,
    };
    if let Some(sfu) = &sfu {
        config.turn.own_services.push(sfu.addresses().public);
    }
    let turn = match config.turn.enabled {
        true => {
            let acceptor = tls.as_ref().map(|tls| tls.acceptor.clone());
            let mut turn_config = config.turn.clone();
            turn_config.listen = Some(config.turn_listen_addr());
            Some(ruang_turn::start(&turn_config, listener.local_addr()?.ip(), acceptor).await?)
        }
        false => None,
    };
    let ids = IdSource;
    let random = || ids.secret().ok_or(ServerError::Random);
    let secret = match &config.secret {
        Some(secret) => secret.clone(),
        None => random()?,
    };
    let mut instance = ids.next().ok_or(ServerError::Random)?;
    let store = Arc::new(open_store(&config)?);
    let certificate_names = tls.as_ref().map(|tls| tls.names.clone()).unwrap_or_default();
    let names = http::ServerNames::new(&config.public_hosts, &config.allowed_origins, &certificate_names);
    let cluster = match &config.redis.url {
        Some(url) => {
            let address = crate::cluster::NodeAddress {
                listen: listener.local_addr()?.to_string(),
                public_hosts: config.public_hosts.clone(),
            };
            let mut joining = crate::cluster::connect(url, address, shutdown.clone()).await?;
            instance = joining.instance(instance).await?;
            Some(joining)
        }
        None => None,
    };
    let media = MediaServers { turn: turn.as_ref(), sfu: sfu.clone() };
    let store_ = Arc::clone(&store);
    let state = AppState::in_cluster(config, media, shutdown, &secret, instance, names, store_, cluster);
    let acceptor = tls.map(|tls| tls.acceptor);
    Ok(Started { listener, admin, state, acceptor, turn, sfu, store, grace })
}

impl Started {
    /// Where the web server and WebSocket listen.
    pub fn http_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where the admin API and `/metrics` listen, when they have a listener of their own.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|admin| admin.local_addr().ok())
    }

    /// Where STUN/TURN listens (UDP and TCP), when it runs.
    pub fn turn_addr(&self) -> Option<SocketAddr> {
        self.turn.as_ref().map(|turn| turn.udp)
    }

    /// Where the SFU's media port is bound (UDP and TCP), when it runs.
    pub fn sfu_addr(&self) -> Option<SocketAddr> {
        self.sfu.as_ref().map(|sfu| sfu.addresses().local)
    }

    /// Serves until the shutdown token given to [`start`] is cancelled, then drains and returns.
    pub async fn run(self) -> Result<(), ServerError> {
        let Started { listener, admin, state, acceptor, turn, sfu, store, grace } = self;
        let app = http::router(state.clone());
        let connections = TaskTracker::new();
        if let Some(admin) = admin {
            tracing::info!(address = %admin.local_addr()?, "admin API and metrics listening");
            let admin_app = http::admin_router(state.clone());
            connections.spawn(conn::serve(admin, state.clone(), admin_app, None, connections.clone()));
        }
        connections.spawn(upkeep(state.clone()));
        conn::serve(listener, state.clone(), app, acceptor, connections.clone()).await;
        connections.close();
        state.sessions.close();
        state.room_tasks.close();
        let drained = tokio::time::timeout(grace, async {
            connections.wait().await;
            state.sessions.wait().await;
            state.room_tasks.wait().await;
        })
        .await;
        match drained {
            Ok(()) => tracing::info!("all sessions closed"),
            Err(_) => tracing::warn!(open = state.connection_count(), "shutdown grace period over; dropping the rest"),
        }
        drop(turn);
        if let Some(sfu) = sfu {
            sfu.shutdown().await;
        }
        drop(state);
        // Writes out the meetings' last changes and closes the database, so the next instance can open it.
        let _ = tokio::task::spawn_blocking(move || store.close()).await;
        Ok(())
    }
}

/// Folds the metrics' histogram samples into their buckets now and then, until shutdown.
async fn upkeep(state: Arc<AppState>) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            _ = every.tick() => state.metrics.upkeep(),
        }
    }
}

/// The server's one SFU, on `sfu_listen` (UDP), advertised at `sfu_public_ip` or the detected address.
async fn start_sfu(config: &ServerConfig) -> Result<Arc<crate::sfu::SfuService>, ServerError> {
    let settings = crate::sfu::SfuSettings {
        listen: config.sfu_listen_addr(),
        public_ip: config.sfu_advertised_ip(),
        last_n: config.sfu_last_n,
        audio_last_n: config.sfu_audio_last_n,
    };
    let sfu = crate::sfu::SfuService::start(settings).await?;
    tracing::info!(port = sfu.addresses().local.port(), "SFU started");
    Ok(sfu)
}

/// The meeting store: in the data directory if there is one, else in memory. Ended meetings are forgotten
/// after the resume grace; it holds at most two records per room the server may hold at once.
fn open_store(config: &ServerConfig) -> Result<MeetingStore, ServerError> {
    let forget_after = Duration::from_millis(config.resume_grace_ms);
    let capacity = config.max_rooms.saturating_mul(2);
    Ok(match &config.data_dir {
        Some(dir) => {
            let store = MeetingStore::open(dir, forget_after, capacity, wall_clock_secs())?;
            tracing::info!(dir = %dir.display(), meetings = store.len(), "meeting store opened");
            store
        }
        None => {
            if config.secret.is_some() && config.resume_grace_ms > 0 && config.redis.url.is_none() {
                // A fixed secret makes tokens outlive the process; without a data directory nothing else does
                // (in a cluster the meeting records are kept in Redis).
                tracing::warn!(
                    "a fixed secret without --data-dir: after a restart, bans, removals, lock and lobby are \
                     forgotten and anyone holding a valid resume token comes back (see docs/security.md)"
                );
            }
            MeetingStore::in_memory(forget_after, capacity)
        }
    })
}
