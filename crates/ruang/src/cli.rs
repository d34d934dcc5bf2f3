//! The command line: subcommands, `--config`, `--stun`, and the server flags of [`crate::settings`].
//! Precedence: flag, then environment variable, then the TOML file given by `--config`, then the default
//! (`ServerConfig::default()`, the only place a default is written).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser};
use ruang_server::ServerConfig;
use ruang_server::access::invite::DEFAULT_MAX_LIFETIME_SECS;
use ruang_server::config::merge;
use ruang_server::ice::IceServerConfig;
use toml::Table;

use crate::settings;

/// Settings `--help` cannot list as flags: they are tables in the configuration file.
const FILE_ONLY: &str = "\
Only in the configuration file (--config FILE; `ruang config print` shows every key):
  [rooms.<name>]    access (open | password | invite), password_hash, host_password_hash, first_is_host,
                    lobby, media_mode: one room's policy
  [[ice_servers]]   urls, username, credential, secret: STUN/TURN servers handed to clients
  relay_only.rooms  rooms whose media goes through TURN only
Logging: --log / RUANG_LOG takes a tracing filter, --log-format / RUANG_LOG_FORMAT text or json.";

/// ruang: self-hosted video meetings. Serves the web client and the signaling WebSocket on one port.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, after_help = FILE_ONLY)]
pub struct Args {
    /// Something else than serving.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// TOML configuration file; each flag below names its key, and `ruang config print` shows them all.
    #[arg(long, env = "RUANG_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// STUN server URL handed to clients, added to the file's ice_servers, e.g. stun:stun.example.org:3478
    /// (repeatable, or comma-separated) [toml: ice_servers] [default: none]
    #[arg(long = "stun", env = "RUANG_STUN", value_delimiter = ',', value_name = "URL")]
    stun: Vec<String>,
}

/// What `ruang` can do besides serving.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print an invitation (a JWT signed with the server secret) and the path that opens it.
    Token(TokenArgs),
    /// Read a room password from standard input and print its argon2id hash for `password_hash`.
    HashPassword,
    /// Show or check the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Steer a running server through its admin API (rooms, participants, invitations, draining).
    Ctl(crate::ctl::CtlArgs),
    /// Send files to people in a meeting, peer-to-peer: ruang send FILE… --to https://host/r/ROOM
    Send(crate::peer::SendArgs),
    /// Receive files people in a meeting offer, peer-to-peer: ruang receive --from https://host/r/ROOM
    Receive(crate::peer::ReceiveArgs),
}

/// `ruang config …`.
#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration as TOML: defaults, then the --config file, then environment
    /// variables and flags given before `config` (`ruang --max-rooms 5 config print`). Secrets are redacted.
    Print,
    /// Check a configuration file: every key known, every value of the right type and in range.
    Check {
        /// The TOML file.
        file: PathBuf,
    },
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

/// The parsed command line: the subcommand and file, and the settings given by flag or environment.
#[derive(Debug)]
pub struct Cli {
    /// Subcommand, `--config`, `--stun`.
    pub args: Args,
    /// The server settings that were given, as TOML to lay over the file.
    overlay: Table,
}

/// The whole command: the derived part and the table of server flags.
pub fn command() -> clap::Command {
    Args::command().args(settings::args())
}

impl Cli {
    /// Parses the process's arguments; on a usage error or `--help`, prints and exits as clap does.
    pub fn parse() -> anyhow::Result<Self> {
        Self::from_matches(&command().get_matches())
    }

    /// Parses `args` (the first is the program name).
    #[cfg(test)]
    pub fn try_parse_from<I, T>(args: I) -> anyhow::Result<Self>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::from_matches(&command().try_get_matches_from(args)?)
    }

    fn from_matches(matches: &clap::ArgMatches) -> anyhow::Result<Self> {
        Ok(Cli { args: Args::from_arg_matches(matches)?, overlay: settings::overlay(matches)? })
    }

    /// The configuration: defaults, overridden by the file, overridden by environment and flags; checked.
    pub fn config(&self) -> anyhow::Result<ServerConfig> {
        let mut table = match &self.args.config {
            Some(path) => ServerConfig::read_table(path)?,
            None => Table::new(),
        };
        merge(&mut table, self.overlay.clone());
        let origin = match &self.args.config {
            Some(path) => format!("{} (or the environment and flags above it)", path.display()),
            None => "the environment and flags".to_owned(),
        };
        let mut config = ServerConfig::from_table(table, &origin)?;
        if !self.args.stun.is_empty() {
            config.ice_servers.push(IceServerConfig { urls: self.args.stun.clone(), ..IceServerConfig::default() });
        }
        config.validate()?;
        Ok(config)
    }
}

/// `ruang config check FILE`: the file alone, over the defaults.
pub fn check_file(path: &Path) -> anyhow::Result<ServerConfig> {
    let config = ServerConfig::from_file(path)?;
    config.validate().with_context(|| format!("in {}", path.display()))?;
    crate::logging::filter(&config.log).with_context(|| format!("in {}", path.display()))?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruang_server::config::MediaPolicy;

    fn parse<const N: usize>(args: [&str; N]) -> Cli {
        Cli::try_parse_from(args).unwrap()
    }

    /// `text` as `ruang.toml` in a new directory, removed (passed or failed) when the `TempDir` is dropped.
    fn config_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::Builder::new().prefix("ruang-cli-test-").tempdir().unwrap();
        let path = dir.path().join("ruang.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn flags_override_the_defaults() {
        let args = parse([
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
        let args = parse([
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
        let defaults = parse(["ruang"]).config().unwrap();
        assert_eq!(defaults.media_mode, MediaPolicy::Auto);
        assert_eq!((defaults.sfu_threshold, defaults.max_sfu_participants, defaults.sfu_last_n), (4, 100, 9));
        assert_eq!(defaults.sfu_audio_last_n, None);
        let args = parse([
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
        assert!(Cli::try_parse_from(["ruang", "--media-mode", "p2p"]).is_err());
    }

    #[test]
    fn sfu_flags_set_its_address_and_leave_the_defaults_otherwise() {
        let defaults = parse(["ruang"]).config().unwrap();
        assert_eq!((defaults.sfu_listen, defaults.sfu_public_ip), (None, None));
        let args = parse(["ruang", "--sfu-listen", "0.0.0.0:4479", "--sfu-public-ip", "203.0.113.7"]);
        let config = args.config().unwrap();
        assert_eq!(config.sfu_listen, Some("0.0.0.0:4479".parse().unwrap()));
        assert_eq!(config.sfu_public_ip, Some("203.0.113.7".parse().unwrap()));
    }

    #[test]
    fn the_config_file_sets_what_flags_leave_alone() {
        let (_dir, path) = config_file("max_rooms = 3\n[limits]\nmax_participants = 4\nmax_chat_bytes = 100\n");
        let args = parse(["ruang", "--config", path.to_str().unwrap(), "--max-participants", "6"]);
        let config = args.config().unwrap();
        assert_eq!((config.max_rooms, config.limits.max_participants, config.limits.max_chat_bytes), (3, 6, 100));
    }

    #[test]
    fn the_data_directory_comes_from_the_flag_or_the_file() {
        let args = parse(["ruang", "--data-dir", "/var/lib/ruang"]);
        assert_eq!(args.config().unwrap().data_dir, Some(std::path::PathBuf::from("/var/lib/ruang")));
        let (_dir, path) = config_file("data_dir = \"/srv/ruang\"\n");
        let args = parse(["ruang", "--config", path.to_str().unwrap()]);
        assert_eq!(args.config().unwrap().data_dir, Some(std::path::PathBuf::from("/srv/ruang")));
        assert_eq!(ServerConfig::default().data_dir, None, "in memory unless asked");
    }

    #[test]
    fn an_unknown_config_key_is_an_error() {
        let (_dir, path) = config_file("max_roms = 3\n");
        let args = parse(["ruang", "--config", path.to_str().unwrap()]);
        assert!(args.config().is_err());
    }
}
