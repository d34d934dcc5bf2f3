//! The subcommands that do not serve: minting an invitation and hashing a room password.

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
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let key = InviteKey::new(args.secret.as_bytes());
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
