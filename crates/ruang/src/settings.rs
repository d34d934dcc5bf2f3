//! Every server setting that has a flag, in one table ([`flags`]): its TOML key, its flag, what it takes and
//! what it means. Nothing else is written per setting: the environment variable is derived from the flag
//! (`--max-rooms` → `RUANG_MAX_ROOMS`), the default clap shows is read from `ServerConfig::default()`, and a
//! flag or variable that was given is laid over the configuration file under its key ([`overlay`]).
//!
//! To add a setting: a field in `ServerConfig` (its default in `Default`), then one line here.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::builder::{FalseyValueParser, PossibleValuesParser};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, value_parser};
use ruang_server::ServerConfig;
use ruang_server::config::{insert, lookup};
use toml::{Table, Value};

/// What a flag takes.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A whole number (≥ 0).
    Int,
    /// A string.
    Text,
    /// A string kept out of `--help`'s environment display.
    Secret,
    /// An address and port.
    Addr,
    /// An IP address.
    Ip,
    /// A file or directory.
    Path,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// Strings, repeatable or comma-separated.
    List,
    /// IP addresses, repeatable or comma-separated.
    IpList,
    /// A switch that sets its key to `true`.
    On,
    /// A switch that sets its key to `false` (`--no-turn`).
    Off,
}

/// One flag of the table.
#[derive(Clone, Debug)]
pub struct Flag {
    /// The TOML key it sets, dotted for nested tables (`limits.max_participants`); also the clap id.
    pub key: &'static str,
    /// The long flag, without `--`.
    pub long: &'static str,
    kind: Kind,
    help: &'static str,
    /// What the setting does when unset (its default is `None`), shown as the default.
    unset: Option<&'static str>,
    /// The environment variable, when it is not `RUANG_` and the flag in capitals.
    env: Option<&'static str>,
}

fn flag(key: &'static str, long: &'static str, kind: Kind, help: &'static str) -> Flag {
    Flag { key, long, kind, help, unset: None, env: None }
}

impl Flag {
    fn unset(self, words: &'static str) -> Self {
        Flag { unset: Some(words), ..self }
    }

    fn env(self, name: &'static str) -> Self {
        Flag { env: Some(name), ..self }
    }

    /// What the setting does when unset, for settings whose default is `None`.
    pub fn unset_means(&self) -> Option<&'static str> {
        self.unset
    }

    /// Its environment variable.
    pub fn env_name(&self) -> String {
        self.env.map(str::to_owned).unwrap_or_else(|| format!("RUANG_{}", self.long.to_uppercase().replace('-', "_")))
    }
}

const MEDIA_MODES: &[&str] = &["auto", "mesh", "sfu"];
const LOG_FORMATS: &[&str] = &["text", "json"];

/// Every server setting with a flag, in the order `--help` lists them.
pub fn flags() -> Vec<Flag> {
    use Kind::*;
    vec![
        flag("listen", "listen", Addr, "Address and port of the web server and WebSocket; port 0 picks a free one"),
        flag("limits.max_participants", "max-participants", Int, "Participants per room (mesh)"),
        flag("max_rooms", "max-rooms", Int, "Rooms at once"),
        flag("rooms_per_address_per_minute", "rooms-per-address-per-minute", Int, "New rooms one client address (an IPv6 /64) may create per minute"),
        flag("max_connections", "max-connections", Int, "WebSocket connections at once (503 beyond); lowered at start to fit the open-file limit"),
        flag("max_connections_per_address", "max-connections-per-address", Int, "Open connections (HTTP or WebSocket) from one client address; an IPv6 /64 counts as one"),
        flag("http_timeout_ms", "http-timeout-ms", Int, "Time a client gets to send a request, the next one on an idle connection, and to complete a TLS handshake, in ms"),
        flag("public_hosts", "public-host", List, "Host name the server answers to besides IP addresses, localhost, its certificate's names and the allowed origins' hosts (e.g. the public name behind a reverse proxy)").env("RUANG_PUBLIC_HOSTS"),
        flag("trusted_proxies", "trusted-proxy", IpList, "Reverse proxy whose X-Forwarded-For gives the client address (for every per-address limit)").env("RUANG_TRUSTED_PROXIES"),
        flag("limits.max_frame_bytes", "max-frame-bytes", Int, "Largest message, in bytes; twice this closes the socket"),
        flag("limits.max_sdp_bytes", "max-sdp-bytes", Int, "Largest SDP to a peer, in bytes"),
        flag("limits.max_sfu_sdp_bytes", "max-sfu-sdp-bytes", Int, "Largest SDP to the room's SFU, in bytes"),
        flag("limits.max_candidate_bytes", "max-candidate-bytes", Int, "Largest ICE candidate, in bytes"),
        flag("limits.max_chat_bytes", "max-chat-bytes", Int, "Largest chat message, in bytes"),
        flag("limits.max_name_bytes", "max-name-bytes", Int, "Largest display name, in bytes"),
        flag("limits.messages_per_second", "messages-per-second", Int, "Sustained messages per second per connection"),
        flag("limits.message_burst", "message-burst", Int, "Messages a connection may send at once before the rate applies (raised at start to fit the room size)"),
        flag("limits.heartbeat_interval_ms", "heartbeat-interval-ms", Int, "Server ping interval, in ms"),
        flag("limits.heartbeat_timeout_ms", "heartbeat-timeout-ms", Int, "Silence after which a connection is closed, in ms"),
        flag("join_timeout_ms", "join-timeout-ms", Int, "Time a new connection has to join, in ms"),
        flag("send_queue", "send-queue", Int, "Frames queued per connection before it is dropped as too slow (raised at start to fit the room size)"),
        flag("room_mailbox", "room-mailbox", Int, "Commands queued to one room before senders wait"),
        flag("chat_history", "chat-history", Int, "Chat messages remembered per room for newcomers"),
        flag("max_waiting", "max-waiting", Int, "Newcomers waiting in one room's lobby at most"),
        flag("violation_burst", "violation-burst", Int, "Protocol violations a connection may commit at once before it is closed"),
        flag("violations_per_second", "violations-per-second", Int, "Violations forgiven per second"),
        flag("allowed_origins", "allowed-origin", List, "Extra page origin allowed to open WebSocket sessions; * allows any").env("RUANG_ALLOWED_ORIGINS"),
        flag("tls.cert", "tls-cert", Path, "PEM certificate chain for HTTPS/WSS (with --tls-key)").unset("none: plain HTTP"),
        flag("tls.key", "tls-key", Path, "PEM private key for HTTPS/WSS (with --tls-cert)").unset("none"),
        flag("tls.self_signed", "tls-self-signed", On, "Serve HTTPS/WSS with a self-signed certificate made at start (LAN use; its fingerprint is printed)"),
        flag("tls.hostnames", "tls-hostname", List, "Extra host name or IP address for the self-signed certificate").env("RUANG_TLS_HOSTNAMES"),
        flag("turn.enabled", "no-turn", Off, "Do not run the built-in STUN/TURN server"),
        flag("turn.listen", "turn-listen", Addr, "Address of the built-in STUN/TURN server, UDP and TCP").unset("the --listen IP, port 3478 (port 0 with --listen port 0)"),
        flag("turn.public_ip", "turn-public-ip", Ip, "Address clients reach the TURN server at").unset("detected"),
        flag("turn.secret", "turn-secret", Secret, "Shared secret TURN credentials are signed with; keep it out of shell history").unset("random at each start"),
        flag("turn.tls_listen", "turn-tls-listen", Addr, "Address for TURN over TLS (turns:), e.g. 0.0.0.0:5349; uses the HTTPS certificate").unset("off"),
        flag("turn.tls_host", "turn-tls-host", Text, "Host name in turns: URLs, matching the certificate").unset("the TURN public IP"),
        flag("turn.allow_private_peers", "turn-allow-private-peers", On, "Let TURN relay to private and link-local addresses (LAN deployments only; never loopback)"),
        flag("turn.relay_port_min", "turn-relay-port-min", Int, "Lowest TURN relay port"),
        flag("turn.relay_port_max", "turn-relay-port-max", Int, "Highest TURN relay port"),
        flag("turn.realm", "turn-realm", Text, "The TURN realm"),
        flag("turn.allocations_per_participant", "turn-allocations-per-participant", Int, "Live TURN allocations one participant may hold (486 beyond)"),
        flag("turn.max_allocations", "turn-max-allocations", Int, "Live TURN allocations on the whole server (508 beyond); each holds a UDP socket"),
        flag("turn.max_bps", "turn-max-bps", Int, "Relay bandwidth of one TURN allocation in each direction, bits/s (0: unlimited)"),
        flag("turn.total_bps", "turn-total-bps", Int, "Relay bandwidth of the whole TURN server in each direction, bits/s (0: unlimited)"),
        flag("turn.tcp_idle_timeout_secs", "turn-tcp-idle-timeout-secs", Int, "Seconds an idle TURN-over-TCP or TLS connection is kept"),
        flag("turn_credential_ttl_secs", "turn-credential-ttl-secs", Int, "Lifetime of each participant's TURN credential, in seconds; renewed before it expires"),
        flag("media_mode", "media-mode", Choice(MEDIA_MODES), "Every room's media mode: auto (mesh, SFU from --sfu-threshold participants), mesh (no SFU is started) or sfu; a room's own rooms.<name>.media_mode wins"),
        flag("sfu_threshold", "sfu-threshold", Int, "Participants at which an auto room moves to the SFU (back to mesh after 30 s at two fewer)"),
        flag("max_sfu_participants", "max-sfu-participants", Int, "Participants per room in SFU mode"),
        flag("sfu_last_n", "sfu-last-n", Int, "Participants whose video the SFU forwards to each client: the pinned one, then the latest speakers"),
        flag("sfu_audio_last_n", "sfu-audio-last-n", Int, "Participants whose audio the SFU forwards to each client, the loudest").unset("all"),
        flag("sfu_listen", "sfu-listen", Addr, "The SFU's one media port for every room, UDP and TCP").unset("the --listen IP, port 3479 (port 0 with --listen port 0)"),
        flag("sfu_public_ip", "sfu-public-ip", Ip, "Address clients reach the SFU at").unset("detected, as for TURN"),
        flag("relay_only.all_rooms", "relay-only", On, "Media through TURN only in every room, so participants never learn each other's addresses (some rooms: relay_only.rooms)"),
        flag("shutdown_grace_ms", "shutdown-grace-ms", Int, "Time clients get to close on shutdown, in ms"),
        flag("secret", "secret", Secret, "Server secret (at least 16 bytes) signing resume tokens and invitations; restart with the same one and calls survive; keep it out of shell history").unset("random at each start"),
        flag("resume_grace_ms", "resume-grace-ms", Int, "How long a participant whose connection was lost keeps its place, in ms; 0 turns resume off"),
        flag("replay_messages", "replay-messages", Int, "Messages kept per participant to replay after a resume (below --send-queue)"),
        flag("replay_bytes", "replay-bytes", Int, "Bytes kept per participant to replay after a resume"),
        flag("max_invite_ttl_secs", "max-invite-ttl-secs", Int, "Longest invitation lifetime, in seconds: longer ones are neither minted nor accepted"),
        flag("api_key_sha256", "api-key-sha256", Secret, "SHA-256 (hex) of the API key for POST /api/invites (printf '%s' KEY | sha256sum)").unset("none: no endpoint"),
        flag("data_dir", "data-dir", Path, "Directory where meetings keep roles, bans, lock and lobby across restarts (created if missing)").unset("none: in memory"),
        flag("log.filter", "log", Text, "What is logged: a level (error, warn, info, debug, trace) or tracing directives (info,ruang_server=debug); never SDP, candidates or client addresses at info"),
        flag("log.format", "log-format", Choice(LOG_FORMATS), "Log format on stderr: text, or json (one object per line)"),
        flag("admin.listen", "admin-listen", Addr, "Separate listener for /metrics (open there) and the admin API").unset("none: both on --listen, /metrics behind the API key"),
        flag("webhooks.urls", "webhook-url", List, "http:// or https:// URL that receives webhook events (room started/ended, participant joined/left)").env("RUANG_WEBHOOK_URLS"),
        flag("webhooks.ca", "webhook-ca", Path, "PEM file of certificate authorities trusted for https:// webhook receivers, beside the system's").unset("none: the system's"),
        flag("webhooks.secret", "webhook-secret", Secret, "Secret the webhook POSTs are signed with (HMAC-SHA256, at least 16 bytes)").unset("none"),
        flag("webhooks.queue", "webhook-queue", Int, "Webhook events queued per receiver before new ones are dropped (and counted)"),
        flag("redis.url", "redis", Secret, "Redis shared by the nodes of a cluster (redis://[user:password@]host:port[/db]); all nodes need the same --secret").env("RUANG_REDIS_URL").unset("none: this server runs alone"),
        // end of flags
    ]
}

/// The flags as clap arguments, each showing its default from `ServerConfig::default()` and its TOML key.
pub fn args() -> Vec<Arg> {
    let defaults = ServerConfig::default().to_table();
    flags().iter().map(|flag| arg(flag, lookup(&defaults, flag.key))).collect()
}

fn arg(flag: &Flag, default: Option<&Value>) -> Arg {
    let arg = Arg::new(flag.key).long(flag.long).env(flag.env_name());
    let shown_default = match default {
        Some(Value::Array(items)) if items.is_empty() => None,
        Some(Value::Array(items)) => Some(items.iter().map(plain).collect::<Vec<_>>().join(",")),
        Some(Value::Boolean(_)) | None => None,
        Some(value) => Some(plain(value)),
    };
    let words = match (flag.kind, &shown_default, flag.unset) {
        (Kind::On | Kind::Off, _, _) | (_, Some(_), _) => String::new(),
        (_, None, Some(words)) => format!(" [default: {words}]"),
        (_, None, None) => " [default: none]".to_owned(),
    };
    let key = match flag.kind {
        Kind::Off => format!("{} = false", flag.key),
        _ => flag.key.to_owned(),
    };
    let arg = arg.help(format!("{} [toml: {key}]{words}", flag.help));
    let arg = match shown_default {
        Some(value) => arg.default_value(value),
        None => arg,
    };
    match flag.kind {
        Kind::Int => arg.value_name("N").value_parser(value_parser!(i64).range(0..)),
        Kind::Text => arg.value_name("TEXT").value_parser(value_parser!(String)),
        Kind::Secret => arg.value_name("SECRET").hide_env_values(true).value_parser(value_parser!(String)),
        Kind::Addr => arg.value_name("ADDR").value_parser(value_parser!(SocketAddr)),
        Kind::Ip => arg.value_name("IP").value_parser(value_parser!(IpAddr)),
        Kind::Path => arg.value_name("PATH").value_parser(value_parser!(PathBuf)),
        Kind::Choice(words) => arg.value_parser(PossibleValuesParser::new(words.iter().copied())),
        Kind::List => {
            arg.value_name("VALUE").action(ArgAction::Append).value_delimiter(',').value_parser(value_parser!(String))
        }
        Kind::IpList => {
            arg.value_name("IP").action(ArgAction::Append).value_delimiter(',').value_parser(value_parser!(IpAddr))
        }
        Kind::On | Kind::Off => arg.action(ArgAction::SetTrue).value_parser(FalseyValueParser::new()),
    }
}

/// A TOML value as a flag's value is written.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The settings given by flag or environment variable, as a TOML table to lay over the configuration file.
/// Defaults clap filled in are left out: the file's values stand unless a flag or variable was given.
pub fn overlay(matches: &ArgMatches) -> anyhow::Result<Table> {
    let mut table = Table::new();
    for flag in flags() {
        let given = matches!(matches.value_source(flag.key), Some(ValueSource::CommandLine | ValueSource::EnvVariable));
        if given {
            insert(&mut table, flag.key, value(matches, &flag)?);
        }
    }
    Ok(table)
}

/// The TOML value of a flag that was given.
fn value(matches: &ArgMatches, flag: &Flag) -> anyhow::Result<Value> {
    let key = flag.key;
    let missing = || anyhow::anyhow!("--{}: no value", flag.long);
    Ok(match flag.kind {
        Kind::Int => Value::Integer(*matches.try_get_one::<i64>(key)?.ok_or_else(missing)?),
        Kind::Text | Kind::Secret | Kind::Choice(_) => {
            Value::String(matches.try_get_one::<String>(key)?.ok_or_else(missing)?.clone())
        }
        Kind::Addr => Value::String(matches.try_get_one::<SocketAddr>(key)?.ok_or_else(missing)?.to_string()),
        Kind::Ip => Value::String(matches.try_get_one::<IpAddr>(key)?.ok_or_else(missing)?.to_string()),
        Kind::Path => {
            let path = matches.try_get_one::<PathBuf>(key)?.ok_or_else(missing)?;
            let text = path.to_str().ok_or_else(|| anyhow::anyhow!("--{}: the path is not UTF-8", flag.long))?;
            Value::String(text.to_owned())
        }
        Kind::List => Value::Array(
            matches
                .try_get_many::<String>(key)?
                .into_iter()
                .flatten()
                .map(|item| Value::String(item.clone()))
                .collect(),
        ),
        Kind::IpList => Value::Array(
            matches
                .try_get_many::<IpAddr>(key)?
                .into_iter()
                .flatten()
                .map(|ip| Value::String(ip.to_string()))
                .collect(),
        ),
        Kind::On => Value::Boolean(*matches.try_get_one::<bool>(key)?.ok_or_else(missing)?),
        Kind::Off => Value::Boolean(!*matches.try_get_one::<bool>(key)?.ok_or_else(missing)?),
    })
}
