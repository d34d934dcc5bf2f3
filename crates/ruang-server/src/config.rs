//! The server's configuration: every limit and setting, with its default (written once, in `Default`: the
//! command line's help and `ruang config print` read it from there), readable from and printable as TOML
//! ([`toml_io`]).

mod log;
mod toml_io;

pub use log::{LogConfig, LogFormat};
pub use toml_io::{REDACTED, insert, is_secret_key, lookup, merge};

use std::net::SocketAddr;
use std::path::Path;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use ruang_proto::{Limits, RoomName};

use crate::access::{AccessKind, RoomPolicy, password};
pub use ruang_room::MediaPolicy;
use serde::{Deserialize, Serialize};

use crate::ice::{IceServerConfig, RelayOnlyConfig};
use crate::tls::TlsConfig;
use ruang_turn::TurnConfig;

/// Messages a participant may need to exchange with each other participant at once: an offer or answer,
/// its trickled ICE candidates (a browser with several interfaces finds a dozen or more) and the end of
/// candidates. A newcomer sends this many to everyone at once; everyone already there answers it the same way.
pub const INTRODUCTION_MESSAGES: u32 = 24;

/// The SFU's UDP port when `sfu_listen` is not set (next to TURN's 3478).
pub const SFU_DEFAULT_PORT: u16 = 3479;

/// The STUN/TURN port when `turn.listen` is not set.
pub const TURN_DEFAULT_PORT: u16 = 3478;

/// Everything the server can be told. Every field has a default; a TOML file sets any subset of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Most open connections (HTTP or WebSocket) from one client address (an IPv6 /64 counts as one).
    pub max_connections_per_address: usize,
    /// Time a client gets to send a request's headers, to send its body, to send the next request on an
    /// idle keep-alive connection, and to complete a TLS handshake, in milliseconds.
    pub http_timeout_ms: u64,
    /// Host names the server answers to besides IP addresses, `localhost`, its certificate's names and the
    /// hosts of `allowed_origins` (for example the public name behind a reverse proxy).
    pub public_hosts: Vec<String>,
    /// Time a connection has to send `join`, in milliseconds.
    pub join_timeout_ms: u64,
    /// Frames queued to one connection before it counts as too slow and is dropped.
    pub send_queue: usize,
    /// Commands queued to one room before senders wait.
    pub room_mailbox: usize,
    /// Chat messages remembered per room for newcomers.
    pub chat_history: usize,
    /// Most newcomers waiting in one room's lobby; beyond, `join` gets `lobby_full`.
    pub max_waiting: usize,
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
    /// The SFU's one UDP port for every participant's media; `None` means the listen IP with port 3479
    /// ([`SFU_DEFAULT_PORT`]).
    pub sfu_listen: Option<SocketAddr>,
    /// The address clients reach the SFU at; `None` detects it as TURN's is (the SFU listen address, or on
    /// a wildcard address the address of the interface with the default route).
    pub sfu_public_ip: Option<IpAddr>,
    /// Every room's media mode unless `[rooms.<name>] media_mode` says otherwise: `auto` (mesh, SFU from
    /// `sfu_threshold` members who all speak it), `mesh` or `sfu`. With `mesh` everywhere the SFU is not
    /// started.
    pub media_mode: MediaPolicy,
    /// Members at which an `auto` room moves to SFU (back to mesh after 30 s at `sfu_threshold - 2` or fewer).
    pub sfu_threshold: usize,
    /// Most participants of a room in SFU mode (`limits.max_participants` is the mesh's).
    pub max_sfu_participants: usize,
    /// Most participants whose video the SFU forwards to each client (the pinned one, then the latest
    /// speakers).
    pub sfu_last_n: usize,
    /// Most participants whose audio the SFU forwards to each client, the loudest (from the audio-level
    /// header extension browsers send; audio without it is always forwarded). Unset: everyone's.
    pub sfu_audio_last_n: Option<usize>,
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
    /// Reverse proxies whose `X-Forwarded-For` names the client address (for the per-address limits).
    pub trusted_proxies: Vec<IpAddr>,
    /// Rooms one client address (an IPv6 /64) may create per minute; joining existing rooms is not counted.
    pub rooms_per_address_per_minute: u32,
    /// The longest invitation lifetime, in seconds: longer ones are neither minted nor accepted.
    pub max_invite_ttl_secs: u64,
    /// Where meetings keep their roles, bans, lock and lobby across restarts (an embedded database in this
    /// directory). Unset: they are kept in memory and last as long as the process.
    pub data_dir: Option<std::path::PathBuf>,
    /// Logging: what is logged and in which format (read by the binary before it serves).
    pub log: LogConfig,
    /// The admin API and metrics listener (`[admin]`).
    pub admin: crate::admin::AdminConfig,
    /// Where webhook events go (`[webhooks]`).
    pub webhooks: crate::webhooks::WebhookConfig,
    /// Clustering over Redis (`[redis]`, `docs/design/cluster.md`); without a URL this server runs alone.
    pub redis: RedisConfig,
}

/// Clustering: the Redis several nodes share rooms through.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`; unset: no cluster.
    pub url: Option<String>,
}

/// Serialized with the URL redacted: it may carry a password.
impl Serialize for RedisConfig {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("RedisConfig", 1)?;
        out.serialize_field("url", &self.url.as_ref().map(|_| REDACTED))?;
        out.end()
    }
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("RedisConfig").field("url", &self.url.as_ref().map(|_| "<set>")).finish()
    }
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

/// Serialized as [`REDACTED`]: a printed configuration never shows it.
impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
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
            max_connections_per_address: 50,
            http_timeout_ms: 10_000,
            public_hosts: Vec::new(),
            join_timeout_ms: 10_000,
            send_queue: 256,
            room_mailbox: 1024,
            chat_history: 100,
            max_waiting: 50,
            violation_burst: 20,
            violations_per_second: 1,
            allowed_origins: Vec::new(),
            ice_servers: Vec::new(),
            turn_credential_ttl_secs: 600,
            relay_only: RelayOnlyConfig::default(),
            shutdown_grace_ms: 5_000,
            tls: TlsConfig::default(),
            turn: TurnConfig::default(),
            sfu_listen: None,
            sfu_public_ip: None,
            media_mode: MediaPolicy::Auto,
            sfu_threshold: 4,
            max_sfu_participants: 100,
            sfu_last_n: 9,
            sfu_audio_last_n: None,
            secret: None,
            resume_grace_ms: 30_000,
            replay_messages: 128,
            replay_bytes: 256 * 1024,
            rooms: BTreeMap::new(),
            api_key_sha256: None,
            trusted_proxies: Vec::new(),
            rooms_per_address_per_minute: 30,
            max_invite_ttl_secs: crate::access::invite::DEFAULT_MAX_LIFETIME_SECS,
            data_dir: None,
            redis: RedisConfig::default(),
            admin: crate::admin::AdminConfig::default(),
            webhooks: crate::webhooks::WebhookConfig::default(),
            log: LogConfig::default(),
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
    /// A key is unknown, or its value has the wrong type.
    #[error("invalid configuration in {origin}: {key}: {message}")]
    Key {
        /// Where the configuration came from (the file, or flags and environment).
        origin: String,
        /// The key's full path, e.g. `rooms.board.media_mode`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl ServerConfig {
    /// Reads a TOML file; fields it leaves out keep their defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        Self::from_table(Self::read_table(path)?, &path.display().to_string())
    }

    /// Checks values that would make the server unusable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let limits = &self.limits;
        let checks = [
            (limits.max_participants >= 1, "limits.max_participants must be at least 1"),
            (limits.max_frame_bytes >= 1024, "limits.max_frame_bytes must be at least 1024"),
            (limits.message_burst >= 1, "limits.message_burst must be at least 1"),
            (limits.messages_per_second >= 1, "limits.messages_per_second must be at least 1 (clients ping every 2 s)"),
            (
                limits.max_sdp_bytes.saturating_add(256) <= limits.max_frame_bytes,
                "limits.max_sdp_bytes must leave 256 bytes of a frame (max_frame_bytes) for the rest of a signal",
            ),
            (
                limits.max_sdp_bytes <= limits.max_sfu_sdp_bytes
                    && limits.max_sfu_sdp_bytes.saturating_add(256) <= limits.max_frame_bytes,
                "limits.max_sfu_sdp_bytes must be at least max_sdp_bytes and leave 256 bytes of a frame \
                 (max_frame_bytes) for the rest of a signal",
            ),
            (
                limits.max_chat_bytes.saturating_add(128) <= limits.max_frame_bytes
                    && limits.max_candidate_bytes.saturating_add(256) <= limits.max_frame_bytes,
                "limits.max_chat_bytes and max_candidate_bytes must fit in a frame (max_frame_bytes)",
            ),
            (
                limits.heartbeat_interval_ms < limits.heartbeat_timeout_ms,
                "heartbeat_interval_ms must be below heartbeat_timeout_ms",
            ),
            (self.max_rooms >= 1 && self.max_connections >= 1, "max_rooms and max_connections must be at least 1"),
            (self.rooms_per_address_per_minute >= 1, "rooms_per_address_per_minute must be at least 1"),
            (self.max_connections_per_address >= 1, "max_connections_per_address must be at least 1"),
            (self.http_timeout_ms >= 100, "http_timeout_ms must be at least 100"),
            (self.send_queue >= 8, "send_queue must be at least 8"),
            (self.room_mailbox >= 1, "room_mailbox must be at least 1"),
            (self.max_waiting >= 1, "max_waiting must be at least 1"),
            (self.violation_burst >= 1, "violation_burst must be at least 1"),
            (self.secret.as_ref().is_none_or(|s| s.expose().len() >= 16), "secret must be at least 16 bytes"),
            (self.replay_messages < self.send_queue, "replay_messages must be below send_queue"),
            (self.replay_bytes >= 1024, "replay_bytes must be at least 1024"),
            (self.max_invite_ttl_secs >= 60, "max_invite_ttl_secs must be at least 60"),
            (self.sfu_threshold >= 2, "sfu_threshold must be at least 2"),
            (self.max_sfu_participants >= 1, "max_sfu_participants must be at least 1"),
            (self.sfu_last_n >= 1, "sfu_last_n must be at least 1"),
            (self.sfu_audio_last_n != Some(0), "sfu_audio_last_n must be at least 1"),
        ];
        if let Some((_, message)) = checks.into_iter().find(|(ok, _)| !ok) {
            return Err(ConfigError::Invalid(message.to_owned()));
        }
        let hex64 = |key: &String| key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        if self.api_key_sha256.as_ref().is_some_and(|key| !hex64(key)) {
            return Err(ConfigError::Invalid("api_key_sha256 must be 64 hexadecimal characters".into()));
        }
        self.webhooks.check().map_err(ConfigError::Invalid)?;
        self.rooms.iter().try_for_each(|(name, policy)| check_policy(name, policy))
    }

    /// What a connection must be able to send (and be sent) at once in a full room: an introduction to each
    /// other participant. Sized by the mesh's `max_participants`, not `max_sfu_participants`: in SFU mode a
    /// client negotiates with one peer, the SFU.
    pub fn introduction_burst(&self) -> u32 {
        let others = u32::try_from(self.limits.max_participants.saturating_sub(1)).unwrap_or(u32::MAX);
        others.saturating_mul(INTRODUCTION_MESSAGES)
    }

    /// Raises the settings that must grow with the room size: the message burst (a newcomer offers to
    /// everyone at once, and each extra message would be a violation) and the send queue (it receives
    /// everyone's answers at once). Returns what it changed, for the log.
    pub fn fit_to_room_size(&mut self) -> Vec<String> {
        let needed = self.introduction_burst();
        let mut raised = Vec::new();
        if self.limits.message_burst < needed {
            raised.push(format!("limits.message_burst from {} to {needed}", self.limits.message_burst));
            self.limits.message_burst = needed;
        }
        let queue = usize::try_from(needed).unwrap_or(usize::MAX);
        if self.send_queue < queue {
            raised.push(format!("send_queue from {} to {queue}", self.send_queue));
            self.send_queue = queue;
        }
        raised
    }

    /// The room policies by validated room name (names that are not valid are refused by `validate`).
    pub fn room_policies(&self) -> HashMap<RoomName, RoomPolicy> {
        self.rooms.iter().filter_map(|(name, policy)| Some((RoomName::parse(name)?, policy.clone()))).collect()
    }

    /// Sockets the listener holds open at most: every WebSocket connection and room for plain HTTP requests
    /// besides them, so the page and `/healthz` still answer when all WebSocket places are taken. Beyond it a
    /// new connection is answered 503 at once.
    pub fn max_open_sockets(&self) -> usize {
        self.max_connections.saturating_add(http_headroom(self.max_connections))
    }

    /// Lowers `max_connections` so that [`Self::max_open_sockets`] and [`RESERVED_DESCRIPTORS`] fit in
    /// `descriptors` (the process's open-file limit). Returns the value it had when it was lowered.
    pub fn fit_to_descriptors(&mut self, descriptors: u64) -> Option<usize> {
        let budget = usize::try_from(descriptors.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX);
        if self.max_open_sockets() <= budget {
            return None;
        }
        // The largest m with m + headroom(m) <= budget (at least 1).
        let fitting = (budget / 9 * 8).min(budget.saturating_sub(MIN_HTTP_HEADROOM)).max(1);
        Some(std::mem::replace(&mut self.max_connections, fitting))
    }

    /// Whether some room may use the SFU: unless every room is `mesh`, the server starts it (so a taken
    /// port fails at start, not at a room's fourth join).
    pub fn needs_sfu(&self) -> bool {
        let mesh = MediaPolicy::Mesh;
        self.media_mode != mesh || self.rooms.values().any(|policy| policy.media_mode.is_some_and(|m| m != mesh))
    }

    /// The media policy of a room with `policy`: its own, or the server's.
    pub fn media_policy(&self, policy: &RoomPolicy) -> MediaPolicy {
        policy.media_mode.unwrap_or(self.media_mode)
    }

    /// The SFU's UDP address: `sfu_listen`, or the listen IP with [`SFU_DEFAULT_PORT`] (port 0, a free
    /// one, when the listen port is 0: a server started on port 0 takes no fixed port at all).
    pub fn sfu_listen_addr(&self) -> SocketAddr {
        self.sfu_listen.unwrap_or(self.beside_listen(SFU_DEFAULT_PORT))
    }

    /// The STUN/TURN address: `turn.listen`, or the listen IP with [`TURN_DEFAULT_PORT`] (port 0 when the
    /// listen port is 0, as for the SFU).
    pub fn turn_listen_addr(&self) -> SocketAddr {
        self.turn.listen.unwrap_or(self.beside_listen(TURN_DEFAULT_PORT))
    }

    fn beside_listen(&self, port: u16) -> SocketAddr {
        let port = if self.listen.port() == 0 { 0 } else { port };
        SocketAddr::new(self.listen.ip(), port)
    }

    /// The IP clients are given for the SFU: `sfu_public_ip`, or detected from the SFU listen address as
    /// TURN's public IP is ([`ruang_turn::detect_public_ip`]).
    pub fn sfu_advertised_ip(&self) -> IpAddr {
        self.sfu_public_ip.unwrap_or_else(|| ruang_turn::detect_public_ip(self.sfu_listen_addr().ip()))
    }

    /// The transport's hard frame limit: frames up to this size are read and answered with
    /// `frame_too_large`; larger ones close the connection with 1009.
    pub fn hard_frame_limit(&self) -> usize {
        self.limits.max_frame_bytes.saturating_mul(2)
    }
}

/// Descriptors kept for everything but the listener's sockets: the TURN server's sockets, log and
/// configuration files, the runtime's own, and refusals being answered.
pub const RESERVED_DESCRIPTORS: u64 = 128;
/// The fewest sockets kept for plain HTTP besides the WebSocket connections.
const MIN_HTTP_HEADROOM: usize = 16;

/// Sockets kept for plain HTTP requests besides `max_connections` WebSocket connections: an eighth of them,
/// at least [`MIN_HTTP_HEADROOM`].
fn http_headroom(max_connections: usize) -> usize {
    (max_connections / 8).max(MIN_HTTP_HEADROOM)
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
    }?;
    match &policy.host_password_hash {
        Some(hash) => password::check_hash(hash).or_else(|err| invalid(format!("host_password_hash: {err}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_and_send_queue_grow_with_the_room_size() {
        let mut small = ServerConfig::default();
        assert!(small.fit_to_room_size().is_empty(), "the defaults fit rooms of 8");
        let mut large = ServerConfig::default();
        large.limits.max_participants = 50;
        assert_eq!(large.fit_to_room_size().len(), 2);
        assert_eq!(large.limits.message_burst, 49 * INTRODUCTION_MESSAGES);
        assert_eq!(large.send_queue, 49 * 24);
        small.limits.message_burst = 5_000;
        small.fit_to_room_size();
        assert_eq!(small.limits.message_burst, 5_000, "a larger burst is kept");
    }

    #[test]
    fn the_sfu_listens_beside_the_server_and_advertises_its_listen_ip_unless_told() {
        let mut config = ServerConfig { listen: "192.0.2.10:8080".parse().unwrap(), ..ServerConfig::default() };
        assert_eq!(config.sfu_listen_addr(), "192.0.2.10:3479".parse().unwrap());
        assert_eq!(config.sfu_advertised_ip(), "192.0.2.10".parse::<IpAddr>().unwrap());
        config.sfu_listen = Some("0.0.0.0:4000".parse().unwrap());
        assert_eq!(config.sfu_listen_addr().port(), 4000);
        assert!(!config.sfu_advertised_ip().is_unspecified(), "a wildcard listen address is never advertised");
        config.sfu_public_ip = Some("203.0.113.7".parse().unwrap());
        assert_eq!(config.sfu_advertised_ip(), "203.0.113.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_media_mode_is_read_for_the_server_and_per_room_and_decides_whether_an_sfu_starts() {
        let text = "media_mode = \"mesh\"\nsfu_threshold = 3\n[rooms.townhall]\nmedia_mode = \"sfu\"\n";
        let config: ServerConfig = toml::from_str(text).unwrap();
        assert_eq!((config.media_mode, config.sfu_threshold), (MediaPolicy::Mesh, 3));
        assert_eq!(config.media_policy(&config.rooms["townhall"]), MediaPolicy::Sfu);
        assert_eq!(config.media_policy(&RoomPolicy::default()), MediaPolicy::Mesh);
        assert!(config.needs_sfu(), "one sfu room needs the SFU");
        let all_mesh: ServerConfig = toml::from_str("media_mode = \"mesh\"").unwrap();
        assert!(!all_mesh.needs_sfu());
        assert!(ServerConfig::default().needs_sfu(), "auto is the default");
        assert!(toml::from_str::<ServerConfig>("media_mode = \"p2p\"").is_err());
        assert!(toml::from_str::<ServerConfig>("[limits]\nmax_sfu_participants = 5").is_err(), "a top-level key");
        let bad_threshold = ServerConfig { sfu_threshold: 1, ..ServerConfig::default() };
        assert!(bad_threshold.validate().is_err());
    }

    #[test]
    fn the_burst_does_not_grow_with_sfu_rooms_where_a_client_signals_one_peer() {
        let mut config = ServerConfig { max_sfu_participants: 100, ..ServerConfig::default() };
        assert!(config.fit_to_room_size().is_empty());
        assert_eq!(config.limits.message_burst, 200);
    }

    #[test]
    fn limits_that_cannot_work_together_are_refused() {
        let mut sdp_beyond_frame = ServerConfig::default();
        sdp_beyond_frame.limits.max_sdp_bytes = sdp_beyond_frame.limits.max_frame_bytes;
        sdp_beyond_frame.limits.max_sfu_sdp_bytes = sdp_beyond_frame.limits.max_frame_bytes;
        assert!(sdp_beyond_frame.validate().is_err());
        let mut sfu_sdp_beyond_frame = ServerConfig::default();
        sfu_sdp_beyond_frame.limits.max_sfu_sdp_bytes = sfu_sdp_beyond_frame.limits.max_frame_bytes - 255;
        assert!(sfu_sdp_beyond_frame.validate().is_err());
        let mut sfu_sdp_below_mesh = ServerConfig::default();
        sfu_sdp_below_mesh.limits.max_sfu_sdp_bytes = sfu_sdp_below_mesh.limits.max_sdp_bytes - 1;
        assert!(sfu_sdp_below_mesh.validate().is_err());
        let mut no_rate = ServerConfig::default();
        no_rate.limits.messages_per_second = 0;
        assert!(no_rate.validate().is_err());
        assert!(ServerConfig::default().validate().is_ok());
    }

    #[test]
    fn max_connections_is_lowered_to_fit_the_descriptor_limit_with_room_for_http() {
        let mut config = ServerConfig::default();
        assert_eq!(config.fit_to_descriptors(1_048_576), None, "a high limit leaves the default alone");
        for limit in [150, 256, 1024, 4096, 11_000] {
            let mut config = ServerConfig::default();
            assert_eq!(config.fit_to_descriptors(limit), Some(10_000), "limit {limit}");
            let sockets = config.max_open_sockets() as u64;
            assert!(sockets + RESERVED_DESCRIPTORS <= limit, "limit {limit}: {sockets} sockets");
            assert!(sockets - config.max_connections as u64 >= MIN_HTTP_HEADROOM as u64);
            assert!(config.max_connections >= 1);
        }
        let mut config_1024 = ServerConfig::default();
        config_1024.fit_to_descriptors(1024);
        assert_eq!(config_1024.max_connections, 792);
        config.max_connections = 100;
        assert_eq!(config.fit_to_descriptors(1024), None, "a limit that fits is kept");
    }
}
