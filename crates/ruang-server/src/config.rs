//! The server's configuration: every limit and setting, with defaults, readable from TOML.

use std::net::SocketAddr;
use std::path::Path;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use ruang_proto::{Limits, RoomName};

use crate::access::{AccessKind, RoomPolicy, password};
use serde::Deserialize;

use crate::ice::{IceServerConfig, RelayOnlyConfig};
use crate::tls::TlsConfig;
use ruang_turn::TurnConfig;

/// Everything the server can be told. Every field has a default; a TOML file sets any subset of them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Per-message and per-room limits, sent to clients in `welcome`.
    pub limits: Limits,
    /// Most rooms at once.
    pub max_rooms: usize,
    /// Most WebSocket connections at once.
    pub max_connections: usize,
    /// Time a connection has to send `join`, in milliseconds.
    pub join_timeout_ms: u64,
    /// Frames queued to one connection before it counts as too slow and is dropped.
    pub send_queue: usize,
    /// Commands queued to one room before senders wait.
    pub room_mailbox: usize,
    /// Chat messages remembered per room for newcomers.
    pub chat_history: usize,
    /// Protocol violations a connection may commit at once before it is closed.
    pub violation_burst: u32,
    /// Violations forgiven per second.
    pub violations_per_second: u32,
    /// Origins (`scheme://host[:port]`) allowed besides the server's own; `*` allows any.
    pub allowed_origins: Vec<String>,
    /// STUN/TURN servers given to clients in `welcome`.
    pub ice_servers: Vec<IceServerConfig>,
    /// Lifetime of the TURN credentials minted per participant, in seconds (at least 2; minutes, not days).
    pub turn_credential_ttl_secs: u64,
    /// Rooms (or all) where participants may only connect through TURN.
    pub relay_only: RelayOnlyConfig,
    /// Time connections get to close on shutdown, in milliseconds.
    pub shutdown_grace_ms: u64,
    /// HTTPS/WSS settings; off by default.
    pub tls: TlsConfig,
    /// The built-in STUN/TURN server; on by default.
    pub turn: TurnConfig,
    /// The server secret that signs resume tokens (at least 16 bytes). Servers started with the same secret
    /// accept each other's tokens, so participants survive a restart. Unset: a random one per start.
    pub secret: Option<Secret>,
    /// How long a participant whose connection was lost stays in its room, in milliseconds (0: no resume).
    pub resume_grace_ms: u64,
    /// Messages kept per participant for replay after a resume (below `send_queue`).
    pub replay_messages: usize,
    /// Bytes kept per participant for replay after a resume.
    pub replay_bytes: usize,
    /// Per-room policies (`[rooms.<name>]`): password, invite-only, lobby. Rooms not listed are open.
    pub rooms: BTreeMap<String, RoomPolicy>,
    /// SHA-256 (hex) of the API key that may mint invitations at `POST /api/invites`; unset: no endpoint.
    pub api_key_sha256: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client address (for throttling wrong passwords).
    pub trusted_proxies: Vec<IpAddr>,
    /// Where meetings keep their roles, bans, lock and lobby across restarts (an embedded database in this
    /// directory). Unset: they are kept in memory and last as long as the process.
    pub data_dir: Option<std::path::PathBuf>,
}

/// A secret from the configuration; never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret's bytes.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            limits: Limits::default(),
            max_rooms: 10_000,
            max_connections: 10_000,
            join_timeout_ms: 10_000,
            send_queue: 256,
            room_mailbox: 1024,
            chat_history: 100,
            violation_burst: 20,
            violations_per_second: 1,
            allowed_origins: Vec::new(),
            ice_servers: Vec::new(),
            turn_credential_ttl_secs: 600,
            relay_only: RelayOnlyConfig::default(),
            shutdown_grace_ms: 5_000,
            tls: TlsConfig::default(),
            turn: TurnConfig::default(),
            secret: None,
            resume_grace_ms: 30_000,
            replay_messages: 128,
            replay_bytes: 256 * 1024,
            rooms: BTreeMap::new(),
            api_key_sha256: None,
            trusted_proxies: Vec::new(),
            data_dir: None,
        }
    }
}

/// The configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// It could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is not valid TOML for this configuration.
    #[error("invalid configuration in {path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// Why.
        source: Box<toml::de::Error>,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl ServerConfig {
    /// Reads a TOML file; fields it leaves out keep their defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse { path: shown, source: Box::new(source) })
    }

    /// Checks values that would make the server unusable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let limits = &self.limits;
        let checks = [
            (limits.max_participants >= 1, "limits.max_participants must be at least 1"),
            (limits.max_frame_bytes >= 1024, "limits.max_frame_bytes must be at least 1024"),
            (limits.message_burst >= 1, "limits.message_burst must be at least 1"),
            (
                limits.heartbeat_interval_ms < limits.heartbeat_timeout_ms,
                "heartbeat_interval_ms must be below heartbeat_timeout_ms",
            ),
            (self.max_rooms >= 1 && self.max_connections >= 1, "max_rooms and max_connections must be at least 1"),
            (self.send_queue >= 8, "send_queue must be at least 8"),
            (self.room_mailbox >= 1, "room_mailbox must be at least 1"),
            (self.violation_burst >= 1, "violation_burst must be at least 1"),
            (self.secret.as_ref().is_none_or(|s| s.expose().len() >= 16), "secret must be at least 16 bytes"),
            (self.replay_messages < self.send_queue, "replay_messages must be below send_queue"),
            (self.replay_bytes >= 1024, "replay_bytes must be at least 1024"),
        ];
        if let Some((_, message)) = checks.into_iter().find(|(ok, _)| !ok) {
            return Err(ConfigError::Invalid(message.to_owned()));
        }
        let hex64 = |key: &String| key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        if self.api_key_sha256.as_ref().is_some_and(|key| !hex64(key)) {
            return Err(ConfigError::Invalid("api_key_sha256 must be 64 hexadecimal characters".into()));
        }
        self.rooms.iter().try_for_each(|(name, policy)| check_policy(name, policy))
    }

    /// The room policies by validated room name (names that are not valid are refused by `validate`).
    pub fn room_policies(&self) -> HashMap<RoomName, RoomPolicy> {
        self.rooms.iter().filter_map(|(name, policy)| Some((RoomName::parse(name)?, policy.clone()))).collect()
    }

    /// The transport's hard frame limit: frames up to this size are read and answered with
    /// `frame_too_large`; larger ones close the connection with 1009.
    pub fn hard_frame_limit(&self) -> usize {
        self.limits.max_frame_bytes.saturating_mul(2)
    }
}

fn check_policy(name: &str, policy: &RoomPolicy) -> Result<(), ConfigError> {
    let invalid = |message: String| Err(ConfigError::Invalid(format!("rooms.{name}: {message}")));
    if RoomName::parse(name).is_none() {
        return invalid("a room name is 1 to 64 characters of A-Z a-z 0-9 - _".into());
    }
    match (&policy.access, &policy.password_hash) {
        (AccessKind::Password, None) => {
            invalid("access = \"password\" needs password_hash (ruang hash-password)".into())
        }
        (AccessKind::Password, Some(hash)) => password::check_hash(hash).or_else(|err| invalid(err.to_string())),
        _ => Ok(()),
    }
}
