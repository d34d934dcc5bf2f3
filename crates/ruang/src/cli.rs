//! Command-line flags and environment variables. Precedence: flag, then environment variable, then the
//! TOML file given by `--config`, then the built-in default.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use ruang_server::ServerConfig;
use ruang_server::access::invite::DEFAULT_MAX_LIFETIME_SECS;
use ruang_server::config::{MediaPolicy, Secret};
use ruang_server::ice::IceServerConfig;

/// ruang: self-hosted video meetings. Serves the web client and the signaling WebSocket on one port.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Args {
    /// Something else than serving.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// TOML configuration file; its keys are the long flag names with `_` (see README).
    #[arg(long, env = "RUANG_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8080]. Port 0 picks a free port.
    #[arg(long, env = "RUANG_LISTEN", value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Participants per room [default: 8].
    #[arg(long, env = "RUANG_MAX_PARTICIPANTS")]
    max_participants: Option<usize>,
    /// Rooms at once [default: 10000].
    #[arg(long, env = "RUANG_MAX_ROOMS")]
    max_rooms: Option<usize>,
    /// Rooms one client address (an IPv6 /64) may create per minute [default: 30].
    #[arg(long, env = "RUANG_ROOMS_PER_ADDRESS_PER_MINUTE", value_name = "N")]
    rooms_per_address_per_minute: Option<u32>,
    /// WebSocket connections at once [default: 10000].
    #[arg(long, env = "RUANG_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Open connections (HTTP or WebSocket) from one client address; an IPv6 /64 counts as one [default: 50].
    #[arg(long, env = "RUANG_MAX_CONNECTIONS_PER_ADDRESS")]
    max_connections_per_address: Option<usize>,
    /// Time a client gets to send a request (headers and body), to send the next one on an idle connection,
    /// and to complete a TLS handshake, in milliseconds [default: 10000].
    #[arg(long, env = "RUANG_HTTP_TIMEOUT_MS")]
    http_timeout_ms: Option<u64>,
    /// Host name the server answers to besides IP addresses, localhost, its certificate's names and the
    /// allowed origins' hosts, e.g. the public name behind a reverse proxy (repeatable, or comma-separated).
    #[arg(long = "public-host", env = "RUANG_PUBLIC_HOSTS", value_delimiter = ',', value_name = "NAME")]
    public_hosts: Vec<String>,
    /// Largest text frame, in bytes [default: 294912].
    #[arg(long, env = "RUANG_MAX_FRAME_BYTES")]
    max_frame_bytes: Option<usize>,
    /// Largest SDP to a peer, in bytes [default: 32768].
    #[arg(long, env = "RUANG_MAX_SDP_BYTES")]
    max_sdp_bytes: Option<usize>,
    /// Largest SDP to the room's SFU, in bytes [default: 262144].
    #[arg(long, env = "RUANG_MAX_SFU_SDP_BYTES")]
    max_sfu_sdp_bytes: Option<usize>,
    /// Largest ICE candidate, in bytes [default: 1024].
    #[arg(long, env = "RUANG_MAX_CANDIDATE_BYTES")]
    max_candidate_bytes: Option<usize>,
    /// Largest chat message, in bytes [default: 4096].
    #[arg(long, env = "RUANG_MAX_CHAT_BYTES")]
    max_chat_bytes: Option<usize>,
    /// Largest display name, in bytes [default: 64].
    #[arg(long, env = "RUANG_MAX_NAME_BYTES")]
    max_name_bytes: Option<usize>,
    /// Sustained messages per second per connection [default: 50].
    #[arg(long, env = "RUANG_MESSAGES_PER_SECOND")]
    messages_per_second: Option<u32>,
    /// Messages a connection may send in a burst [default: 200].
    #[arg(long, env = "RUANG_MESSAGE_BURST")]
    message_burst: Option<u32>,
    /// Server ping interval, in milliseconds [default: 5000].
    #[arg(long, env = "RUANG_HEARTBEAT_INTERVAL_MS")]
    heartbeat_interval_ms: Option<u64>,
    /// Silence after which a connection is closed, in milliseconds [default: 15000].
    #[arg(long, env = "RUANG_HEARTBEAT_TIMEOUT_MS")]
    heartbeat_timeout_ms: Option<u64>,
    /// Time a new connection has to join, in milliseconds [default: 10000].
    #[arg(long, env = "RUANG_JOIN_TIMEOUT_MS")]
    join_timeout_ms: Option<u64>,
    /// Frames queued per connection before it is dropped as too slow [default: 256].
    #[arg(long, env = "RUANG_SEND_QUEUE")]
    send_queue: Option<usize>,
    /// Chat messages remembered per room [default: 100].
    #[arg(long, env = "RUANG_CHAT_HISTORY")]
    chat_history: Option<usize>,
    /// Newcomers waiting in one room's lobby at most [default: 50].
    #[arg(long, env = "RUANG_MAX_WAITING")]
    max_waiting: Option<usize>,
    /// Violations a connection may commit at once before it is closed [default: 20].
    #[arg(long, env = "RUANG_VIOLATION_BURST")]
    violation_burst: Option<u32>,
    /// Extra origin allowed to open WebSocket sessions (repeatable, or comma-separated); `*` allows any.
    #[arg(long = "allowed-origin", env = "RUANG_ALLOWED_ORIGINS", value_delimiter = ',', value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// STUN server URL handed to clients, e.g. stun:stun.example.org:3478 (repeatable, or comma-separated).
    #[arg(long = "stun", env = "RUANG_STUN", value_delimiter = ',', value_name = "URL")]
    stun: Vec<String>,
    /// PEM certificate chain for HTTPS/WSS (with --tls-key).
    #[arg(long, env = "RUANG_TLS_CERT", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS/WSS (with --tls-cert).
    #[arg(long, env = "RUANG_TLS_KEY", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS/WSS with a self-signed certificate made at start (LAN use; its fingerprint is printed).
    #[arg(long, env = "RUANG_TLS_SELF_SIGNED")]
    tls_self_signed: bool,
    /// Extra host name or IP address for the self-signed certificate (repeatable, or comma-separated).
    #[arg(long = "tls-hostname", env = "RUANG_TLS_HOSTNAMES", value_delimiter = ',', value_name = "NAME")]
    tls_hostnames: Vec<String>,
    /// Do not run the built-in STUN/TURN server.
    #[arg(long, env = "RUANG_NO_TURN")]
    no_turn: bool,
    /// Address for the built-in STUN/TURN server, UDP and TCP [default: the --listen IP, port 3478].
    #[arg(long, env = "RUANG_TURN_LISTEN", value_name = "ADDR")]
    turn_listen: Option<SocketAddr>,
    /// Address clients reach the TURN server at [default: detected].
    #[arg(long, env = "RUANG_TURN_PUBLIC_IP", value_name = "IP")]
    turn_public_ip: Option<std::net::IpAddr>,
    /// Shared secret for TURN credentials [default: random at each start]; keep it out of shell history.
    #[arg(long, env = "RUANG_TURN_SECRET", value_name = "SECRET", hide_env_values = true)]
    turn_secret: Option<String>,
    /// Address for TURN over TLS (turns:), e.g. 0.0.0.0:5349; uses the HTTPS certificate.
    #[arg(long, env = "RUANG_TURN_TLS_LISTEN", value_name = "ADDR")]
    turn_tls_listen: Option<SocketAddr>,
    /// Host name in turns: URLs, matching the certificate [default: the TURN public IP].
    #[arg(long, env = "RUANG_TURN_TLS_HOST", value_name = "NAME")]
    turn_tls_host: Option<String>,
    /// Lifetime of each participant's TURN credential, in seconds; renewed before it expires [default: 600].
    #[arg(long, env = "RUANG_TURN_CREDENTIAL_TTL_SECS", value_name = "SECS")]
    turn_credential_ttl_secs: Option<u64>,
    /// Let TURN relay to private and link-local addresses (LAN deployments only; never loopback).
    #[arg(long, env = "RUANG_TURN_ALLOW_PRIVATE_PEERS")]
    turn_allow_private_peers: bool,
    /// UDP address of the SFU's one media port [default: the --listen IP, port 3479].
    #[arg(long, env = "RUANG_SFU_LISTEN", value_name = "ADDR")]
    sfu_listen: Option<SocketAddr>,
    /// Every room's media mode: auto (mesh, SFU from --sfu-threshold participants), mesh (no SFU is started)
    /// or sfu; a room's own `[rooms.<name>] media_mode` wins [default: auto].
    #[arg(long, env = "RUANG_MEDIA_MODE", value_name = "MODE", value_parser = parse_media_mode)]
    media_mode: Option<MediaPolicy>,
    /// Participants at which an auto room moves to the SFU (back to mesh after 30 s at two fewer) [default: 4].
    #[arg(long, env = "RUANG_SFU_THRESHOLD", value_name = "N")]
    sfu_threshold: Option<usize>,
    /// Most participants of a room in SFU mode [default: 100].
    #[arg(long, env = "RUANG_MAX_SFU_PARTICIPANTS", value_name = "N")]
    max_sfu_participants: Option<usize>,
    /// Most participants whose video the SFU forwards to each client (last-N) [default: 9].
    #[arg(long, env = "RUANG_SFU_LAST_N", value_name = "N")]
    sfu_last_n: Option<usize>,
    /// Most participants whose audio the SFU forwards to each client, the loudest [default: all].
    #[arg(long, env = "RUANG_SFU_AUDIO_LAST_N", value_name = "N")]
    sfu_audio_last_n: Option<usize>,
    /// Address clients reach the SFU at [default: detected, as for TURN].
    #[arg(long, env = "RUANG_SFU_PUBLIC_IP", value_name = "IP")]
    sfu_public_ip: Option<std::net::IpAddr>,
    /// Relay-only privacy for every room: media goes through TURN only, so participants never learn each
    /// other's addresses.
    #[arg(long, env = "RUANG_RELAY_ONLY")]
    relay_only: bool,
    /// Time clients get to close on shutdown, in milliseconds [default: 5000].
    #[arg(long, env = "RUANG_SHUTDOWN_GRACE_MS")]
    shutdown_grace_ms: Option<u64>,
    /// Server secret signing resume tokens, at least 16 bytes [default: random at each start]. Restart with the
    /// same secret and participants resume their calls; keep it out of shell history.
    #[arg(long, env = "RUANG_SECRET", value_name = "SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// How long a participant whose connection was lost keeps its place, in milliseconds; 0 turns resume
    /// off [default: 30000].
    #[arg(long, env = "RUANG_RESUME_GRACE_MS")]
    resume_grace_ms: Option<u64>,
    /// Longest invitation lifetime, in seconds: longer ones are neither minted nor accepted [default: 2592000].
    #[arg(long, env = "RUANG_MAX_INVITE_TTL_SECS", value_name = "SECS")]
    max_invite_ttl_secs: Option<u64>,
    /// Directory where meetings keep their roles, bans, lock and lobby across restarts (created if missing)
    /// [default: none: they last as long as the process].
    #[arg(long, env = "RUANG_DATA_DIR", value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// Redis shared by the nodes of a cluster (`redis://[user:password@]host:port[/db]`) [default: none: this
    /// server runs alone]. All nodes need the same --secret.
    #[arg(long, env = "RUANG_REDIS_URL", value_name = "URL", hide_env_values = true)]
    redis: Option<String>,
    /// The admin listener, webhooks (issue 18's operations block).
    #[command(flatten)]
    operations: crate::operations::OperationFlags,
}

/// What `ruang` can do besides serving.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print an invitation (a JWT signed with the server secret) and the path that opens it.
    Token(TokenArgs),
    /// Read a room password from standard input and print its argon2id hash for `password_hash`.
    HashPassword,
    /// Call a running server's admin API (list rooms and participants, remove, ban, lock, end, invite, drain).
    Ctl(crate::ctl::CtlArgs),
}

/// `ruang token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// The server secret the running server was started with.
    #[arg(long, env = "RUANG_SECRET", hide_env_values = true)]
    pub secret: String,
    /// The room the invitation opens.
    #[arg(long)]
    pub room: String,
    /// The role it gives: host, moderator, participant or viewer.
    #[arg(long, default_value = "participant")]
    pub role: String,
    /// The display name it gives (optional).
    #[arg(long)]
    pub name: Option<String>,
    /// How long it is valid, in seconds (at most --max-ttl-secs).
    #[arg(long, default_value_t = 3600)]
    pub ttl_secs: u64,
    /// The longest lifetime the running server accepts (its `max_invite_ttl_secs`), in seconds.
    #[arg(long, env = "RUANG_MAX_INVITE_TTL_SECS", default_value_t = DEFAULT_MAX_LIFETIME_SECS)]
    pub max_ttl_secs: u64,
}

impl Args {
    /// The configuration: defaults, overridden by the file, overridden by environment and flags.
    pub fn config(&self) -> anyhow::Result<ServerConfig> {
        let mut config = match &self.config {
            Some(path) => ServerConfig::from_file(path)?,
            None => ServerConfig::default(),
        };
        self.apply(&mut config);
        config.validate()?;
        Ok(config)
    }

    fn apply(&self, config: &mut ServerConfig) {
        fn set<T: Clone>(target: &mut T, value: &Option<T>) {
            if let Some(value) = value {
                *target = value.clone();
            }
        }
        let limits = &mut config.limits;
        set(&mut config.listen, &self.listen);
        set(&mut limits.max_participants, &self.max_participants);
        set(&mut limits.max_frame_bytes, &self.max_frame_bytes);
        set(&mut limits.max_sdp_bytes, &self.max_sdp_bytes);
        set(&mut limits.max_sfu_sdp_bytes, &self.max_sfu_sdp_bytes);
        set(&mut limits.max_candidate_bytes, &self.max_candidate_bytes);
        set(&mut limits.max_chat_bytes, &self.max_chat_bytes);
        set(&mut limits.max_name_bytes, &self.max_name_bytes);
        set(&mut limits.messages_per_second, &self.messages_per_second);
        set(&mut limits.message_burst, &self.message_burst);
        set(&mut limits.heartbeat_interval_ms, &self.heartbeat_interval_ms);
        set(&mut limits.heartbeat_timeout_ms, &self.heartbeat_timeout_ms);
        set(&mut config.max_rooms, &self.max_rooms);
        set(&mut config.rooms_per_address_per_minute, &self.rooms_per_address_per_minute);
        set(&mut config.max_connections, &self.max_connections);
        set(&mut config.max_connections_per_address, &self.max_connections_per_address);
        set(&mut config.http_timeout_ms, &self.http_timeout_ms);
        config.public_hosts.extend(self.public_hosts.iter().cloned());
        set(&mut config.join_timeout_ms, &self.join_timeout_ms);
        set(&mut config.send_queue, &self.send_queue);
        set(&mut config.chat_history, &self.chat_history);
        set(&mut config.max_waiting, &self.max_waiting);
        set(&mut config.violation_burst, &self.violation_burst);
        set(&mut config.shutdown_grace_ms, &self.shutdown_grace_ms);
        set(&mut config.resume_grace_ms, &self.resume_grace_ms);
        set(&mut config.secret, &self.secret.clone().map(|secret| Some(Secret::new(secret))));
        set(&mut config.data_dir, &self.data_dir.clone().map(Some));
        set(&mut config.redis.url, &self.redis.clone().map(Some));
        set(&mut config.turn_credential_ttl_secs, &self.turn_credential_ttl_secs);
        set(&mut config.max_invite_ttl_secs, &self.max_invite_ttl_secs);
        config.allowed_origins.extend(self.allowed_origins.iter().cloned());
        config.relay_only.all_rooms |= self.relay_only;
        let turn = &mut config.turn;
        turn.enabled &= !self.no_turn;
        set(&mut turn.listen, &self.turn_listen.map(Some));
        set(&mut turn.public_ip, &self.turn_public_ip.map(Some));
        set(&mut turn.secret, &self.turn_secret.clone().map(Some));
        turn.allow_private_peers |= self.turn_allow_private_peers;
        set(&mut turn.tls_listen, &self.turn_tls_listen.map(Some));
        set(&mut turn.tls_host, &self.turn_tls_host.clone().map(Some));
        set(&mut config.sfu_listen, &self.sfu_listen.map(Some));
        set(&mut config.sfu_public_ip, &self.sfu_public_ip.map(Some));
        set(&mut config.media_mode, &self.media_mode);
        set(&mut config.sfu_threshold, &self.sfu_threshold);
        set(&mut config.max_sfu_participants, &self.max_sfu_participants);
        set(&mut config.sfu_last_n, &self.sfu_last_n);
        set(&mut config.sfu_audio_last_n, &self.sfu_audio_last_n.map(Some));
        self.operations.apply(config);
        let tls = &mut config.tls;
        set(&mut tls.cert, &self.tls_cert.clone().map(Some));
        set(&mut tls.key, &self.tls_key.clone().map(Some));
        tls.self_signed |= self.tls_self_signed;
        tls.hostnames.extend(self.tls_hostnames.iter().cloned());
        if !self.stun.is_empty() {
            config.ice_servers.push(IceServerConfig { urls: self.stun.clone(), ..IceServerConfig::default() });
        }
    }
}

/// `auto`, `mesh` or `sfu`.
fn parse_media_mode(text: &str) -> Result<MediaPolicy, String> {
    match text {
        "auto" => Ok(MediaPolicy::Auto),
        "mesh" => Ok(MediaPolicy::Mesh),
        "sfu" => Ok(MediaPolicy::Sfu),
        _ => Err("the media mode is auto, mesh or sfu".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_defaults() {
        let args = Args::parse_from([
            "ruang",
            "--listen",
            "127.0.0.1:0",
            "--max-participants",
            "50",
            "--stun",
            "stun:a:1,stun:b:2",
            "--rooms-per-address-per-minute",
            "7",
        ]);
        let config = args.config().unwrap();
        assert_eq!(config.rooms_per_address_per_minute, 7);
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.limits.max_participants, 50);
        assert_eq!(config.ice_servers[0].urls, vec!["stun:a:1", "stun:b:2"]);
        assert_eq!(config.limits.max_sdp_bytes, ServerConfig::default().limits.max_sdp_bytes);
    }

    #[test]
    fn edge_flags_set_their_settings() {
        let args = Args::parse_from([
            "ruang",
            "--max-connections-per-address",
            "7",
            "--http-timeout-ms",
            "2500",
            "--public-host",
            "meet.example.org,meet.example.net",
        ]);
        let config = args.config().unwrap();
        assert_eq!((config.max_connections_per_address, config.http_timeout_ms), (7, 2500));
        assert_eq!(config.public_hosts, vec!["meet.example.org", "meet.example.net"]);
    }

    #[test]
    fn media_mode_flags_set_the_mode_threshold_capacity_and_last_n() {
        let defaults = Args::parse_from(["ruang"]).config().unwrap();
        assert_eq!(defaults.media_mode, MediaPolicy::Auto);
        assert_eq!((defaults.sfu_threshold, defaults.max_sfu_participants, defaults.sfu_last_n), (4, 100, 9));
        assert_eq!(defaults.sfu_audio_last_n, None);
        let args = Args::parse_from([
            "ruang",
            "--media-mode",
            "sfu",
            "--sfu-threshold",
            "3",
            "--max-sfu-participants",
            "60",
            "--sfu-last-n",
            "6",
            "--sfu-audio-last-n",
            "3",
        ]);
        let config = args.config().unwrap();
        assert_eq!(config.media_mode, MediaPolicy::Sfu);
        assert_eq!((config.sfu_threshold, config.max_sfu_participants, config.sfu_last_n), (3, 60, 6));
        assert_eq!(config.sfu_audio_last_n, Some(3));
        assert!(Args::try_parse_from(["ruang", "--media-mode", "p2p"]).is_err());
    }

    #[test]
    fn sfu_flags_set_its_address_and_leave_the_defaults_otherwise() {
        let defaults = Args::parse_from(["ruang"]).config().unwrap();
        assert_eq!((defaults.sfu_listen, defaults.sfu_public_ip), (None, None));
        let args = Args::parse_from(["ruang", "--sfu-listen", "0.0.0.0:4479", "--sfu-public-ip", "203.0.113.7"]);
        let config = args.config().unwrap();
        assert_eq!(config.sfu_listen, Some("0.0.0.0:4479".parse().unwrap()));
        assert_eq!(config.sfu_public_ip, Some("203.0.113.7".parse().unwrap()));
    }

    #[test]
    fn the_config_file_sets_what_flags_leave_alone() {
        let dir = std::env::temp_dir().join(format!("ruang-cli-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ruang.toml");
        std::fs::write(&path, "max_rooms = 3\n[limits]\nmax_participants = 4\nmax_chat_bytes = 100\n").unwrap();
        let args = Args::parse_from(["ruang", "--config", path.to_str().unwrap(), "--max-participants", "6"]);
        let config = args.config().unwrap();
        assert_eq!((config.max_rooms, config.limits.max_participants, config.limits.max_chat_bytes), (3, 6, 100));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_redis_url_comes_from_the_flag_or_the_file() {
        let args = Args::try_parse_from(["ruang", "--redis", "redis://127.0.0.1:7000/"]).unwrap();
        assert_eq!(args.config().unwrap().redis.url.as_deref(), Some("redis://127.0.0.1:7000/"));
        let dir = std::env::temp_dir().join(format!("ruang-cli-test-redis-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ruang.toml");
        std::fs::write(&path, "[redis]\nurl = \"redis://10.0.0.1:6379/\"\n").unwrap();
        let args = Args::try_parse_from(["ruang", "--config", path.to_str().unwrap()]).unwrap();
        assert_eq!(args.config().unwrap().redis.url.as_deref(), Some("redis://10.0.0.1:6379/"));
        std::fs::remove_dir_all(dir).unwrap();
        assert_eq!(ServerConfig::default().redis.url, None, "alone unless asked");
    }

    #[test]
    fn the_data_directory_comes_from_the_flag_or_the_file() {
        let args = Args::parse_from(["ruang", "--data-dir", "/var/lib/ruang"]);
        assert_eq!(args.config().unwrap().data_dir, Some(std::path::PathBuf::from("/var/lib/ruang")));
        let dir = std::env::temp_dir().join(format!("ruang-cli-test-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ruang.toml");
        std::fs::write(&path, "data_dir = \"/srv/ruang\"\n").unwrap();
        let args = Args::parse_from(["ruang", "--config", path.to_str().unwrap()]);
        assert_eq!(args.config().unwrap().data_dir, Some(std::path::PathBuf::from("/srv/ruang")));
        assert_eq!(ServerConfig::default().data_dir, None, "in memory unless asked");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_unknown_config_key_is_an_error() {
        let dir = std::env::temp_dir().join(format!("ruang-cli-test-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ruang.toml");
        std::fs::write(&path, "max_roms = 3\n").unwrap();
        let args = Args::parse_from(["ruang", "--config", path.to_str().unwrap()]);
        assert!(args.config().is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
