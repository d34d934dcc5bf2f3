//! What every connection of one server shares: configuration, rooms, the shutdown signal, and the task
//! trackers that let shutdown wait for sessions and rooms. One value per server, passed by `Arc`; there is no
//! global state.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::ServerConfig;
use crate::ice::IcePlan;
use crate::rooms::{RoomSettings, Rooms};
use ruang_turn::RunningTurn;

/// The shared state of one server.
pub struct AppState {
    /// The configuration it was started with.
    pub config: ServerConfig,
    /// Its rooms.
    pub rooms: Arc<Rooms>,
    /// Cancelled when the server stops.
    pub shutdown: CancellationToken,
    /// Every session task, so shutdown can wait for them.
    pub sessions: TaskTracker,
    /// Every room task.
    pub room_tasks: TaskTracker,
    /// One permit per open WebSocket connection.
    pub connections: Arc<Semaphore>,
    /// Where participant ids come from.
    pub ids: IdSource,
    /// The ICE servers and policy handed to participants.
    pub ice: IcePlan,
}

impl AppState {
    /// The state of a server that has not accepted anything yet.
    pub fn new(config: ServerConfig, turn: Option<&RunningTurn>, shutdown: CancellationToken) -> Arc<Self> {
        let room_tasks = TaskTracker::new();
        let settings = RoomSettings {
            limits: config.limits.clone(),
            chat_history: config.chat_history,
            mailbox: config.room_mailbox,
        };
        let rooms = Rooms::new(settings, config.max_rooms, room_tasks.clone());
        let connections = Arc::new(Semaphore::new(config.max_connections));
        let mut ice = IcePlan::new(&config.ice_servers, config.turn_credential_ttl_secs, &config.relay_only);
        if let Some(turn) = turn {
            ice = ice.with_builtin(turn.stun_url(), turn.turn_urls(), turn.secret.clone());
        }
        Arc::new(AppState {
            config,
            rooms,
            shutdown,
            sessions: TaskTracker::new(),
            room_tasks,
            connections,
            ids: IdSource,
            ice,
        })
    }

    /// Open WebSocket connections.
    pub fn connection_count(&self) -> usize {
        self.config.max_connections.saturating_sub(self.connections.available_permits())
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
}
