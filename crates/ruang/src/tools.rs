//! The subcommands that do not serve: minting an invitation, hashing a room password, printing the
//! configuration.

use std::io::BufRead;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use ruang_server::access::{InviteKey, password};
use ruang_server::proto::{Role, RoomName};

use crate::cli::TokenArgs;

/// `ruang token`: prints an invitation and the path that opens it.
pub fn token(args: &TokenArgs) -> anyhow::Result<()> {
    if args.secret.len() < 16 {
        bail!("the secret must be at least 16 bytes, like the server's");
    }
    let room = RoomName::parse(&args.room).context("a room name is 1 to 64 characters of A-Z a-z 0-9 - _")?;
    let role = match args.role.as_str() {
        "host" => Role::Host,
        "moderator" => Role::Moderator,
        "participant" => Role::Participant,
        "viewer" => Role::Viewer,
        _ => bail!("the role is host, moderator, participant or viewer"),
    };
    if args.ttl_secs == 0 || args.ttl_secs > args.max_ttl_secs {
        bail!(
            "--ttl-secs must be from 1 to {} (the server's max_invite_ttl_secs, set with --max-ttl-secs)",
            args.max_ttl_secs
        );
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let key = InviteKey::new(args.secret.as_bytes()).with_max_lifetime_secs(args.max_ttl_secs);
    let token = key.invite(room.clone(), role, args.name.clone(), args.ttl_secs, now).context("no random source")?;
    println!("{token}");
    println!("open: /r/{room}#invite={token}");
    Ok(())
}

/// `ruang hash-password`: reads one line (the password) from standard input and prints its argon2id hash.
pub fn hash_password() -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        bail!("give the password on standard input, for example: printf '%s' 'the password' | ruang hash-password");
    }
    println!("{}", password::hash(password)?);
    Ok(())
}

/// `ruang config print`: the effective configuration as TOML, secrets redacted, and as comments the settings
/// left unset with what unset means (TOML has no "unset" value).
pub fn print_config(config: &ruang_server::ServerConfig) -> String {
    let table = config.to_table();
    let unset: String = crate::settings::flags()
        .iter()
        .filter(|flag| ruang_server::config::lookup(&table, flag.key).is_none())
        .filter_map(|flag| Some(format!("#   {} (--{}): {}\n", flag.key, flag.long, flag.unset_means()?)))
        .collect();
    format!(
        "# ruang's effective configuration: defaults, then the --config file, then environment and flags.\n\
         # Secrets are shown as {:?}. Unset:\n{unset}\n{}",
        ruang_server::config::REDACTED,
        config.to_redacted_toml()
    )
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};

    fn token_with(extra: &[&str]) -> anyhow::Result<()> {
        let base = ["ruang", "token", "--secret", "sixteen bytes at least", "--room", "board"];
        let cli = Cli::try_parse_from(base.iter().chain(extra))?;
        let Some(Command::Token(token)) = &cli.args.command else { unreachable!("a token command") };
        super::token(token)
    }

    #[test]
    fn a_token_lifetime_is_capped() {
        assert!(token_with(&["--ttl-secs", "3600"]).is_ok());
        assert!(token_with(&["--ttl-secs", "31536000"]).is_err(), "a year is beyond the default 30 days");
        assert!(token_with(&["--ttl-secs", "0"]).is_err());
        assert!(token_with(&["--ttl-secs", "31536000", "--max-ttl-secs", "31536000"]).is_ok(), "configurable");
    }
}
