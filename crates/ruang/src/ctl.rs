//! `ruang ctl …`: the admin API from the command line. Each subcommand is one request to a running server
//! (`--server`, the admin listener if it has one), authenticated with the API key (`--api-key` or
//! `RUANG_API_KEY`, whose SHA-256 is the server's `api_key_sha256`); the answer is printed as a table, or
//! as the server's JSON with `--json`. An `https://` server is checked against the system's certificate
//! authorities (plus `--ca`), or pinned by `--fingerprint` when it has a self-signed certificate. A refused request exits with status 1 and the server's reason.

use std::time::Duration;

use anyhow::{Context, bail};
use ruang_server::client::{HttpUrl, Method, Trust, call};
use serde_json::{Value, json};

/// How long a request may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// `ruang ctl`.
#[derive(Debug, clap::Args)]
pub struct CtlArgs {
    /// The server's admin API: its `--admin-listen` address, or its main one without it.
    #[arg(long, env = "RUANG_SERVER", default_value = "http://127.0.0.1:8080", value_name = "URL")]
    server: String,
    /// For an https:// server with a self-signed certificate: its SHA-256 fingerprint, as ruang prints it
    /// at start (the certificate is then believed by this alone).
    #[arg(long, env = "RUANG_SERVER_FINGERPRINT", value_name = "SHA256", conflicts_with = "ca")]
    fingerprint: Option<String>,
    /// For an https:// server: a PEM file of certificate authorities to trust beside the system's.
    #[arg(long, env = "RUANG_SERVER_CA", value_name = "PATH")]
    ca: Option<std::path::PathBuf>,
    /// The API key (its SHA-256 is the server's api_key_sha256).
    #[arg(long, env = "RUANG_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Print the server's JSON answer instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// What to do.
    #[command(subcommand)]
    command: CtlCommand,
}

/// What `ruang ctl` can do.
#[derive(Debug, clap::Subcommand)]
enum CtlCommand {
    /// Whether the node drains, its rooms and connections.
    Status,
    /// List the open rooms.
    Rooms,
    /// List one room's participants.
    Participants {
        /// The room.
        room: String,
    },
    /// Take a participant out of its room (it may join again).
    Remove {
        /// The room.
        room: String,
        /// The participant's id (16 hex characters, as `participants` shows).
        id: String,
    },
    /// Take a participant out for the rest of the meeting.
    Ban {
        /// The room.
        room: String,
        /// The participant's id.
        id: String,
    },
    /// Mute a participant's microphone.
    Mute {
        /// The room.
        room: String,
        /// The participant's id.
        id: String,
    },
    /// Refuse newcomers to a room.
    Lock {
        /// The room.
        room: String,
    },
    /// Accept newcomers to a room again.
    Unlock {
        /// The room.
        room: String,
    },
    /// End a room's meeting for everyone.
    End {
        /// The room.
        room: String,
    },
    /// Mint an invitation.
    Invite {
        /// The room it opens.
        room: String,
        /// The role it gives: host, moderator, participant or viewer.
        #[arg(long, default_value = "participant")]
        role: String,
        /// The display name it gives.
        #[arg(long)]
        name: Option<String>,
        /// How long it is valid, in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl_secs: u64,
    },
    /// Stop opening new rooms; meetings under way go on.
    Drain,
    /// Open new rooms again.
    Undrain,
}

/// Runs one `ruang ctl` subcommand.
pub async fn run(args: &CtlArgs) -> anyhow::Result<()> {
    let server = HttpUrl::parse(&args.server).context("--server must be an http:// or https:// URL")?;
    let trust = match (server.is_https(), &args.fingerprint) {
        (false, _) => Trust::default(),
        (true, Some(fingerprint)) => Trust::pinned(fingerprint).context("--fingerprint")?,
        (true, None) => Trust::system(args.ca.as_deref()).context("--ca")?,
    };
    let room_path = |room: &str, action: &str| format!("/api/admin/rooms/{}/{action}", segment(room));
    let who = |room: &str, id: &str, action: &str| {
        format!("/api/admin/rooms/{}/participants/{}/{action}", segment(room), segment(id))
    };
    let (method, path, body) = match &args.command {
        CtlCommand::Status => (Method::GET, "/api/admin/status".to_owned(), None),
        CtlCommand::Rooms => (Method::GET, "/api/admin/rooms".to_owned(), None),
        CtlCommand::Participants { room } => (Method::GET, format!("/api/admin/rooms/{}", segment(room)), None),
        CtlCommand::Remove { room, id } => (Method::POST, who(room, id, "remove"), None),
        CtlCommand::Ban { room, id } => (Method::POST, who(room, id, "ban"), None),
        CtlCommand::Mute { room, id } => (Method::POST, who(room, id, "mute"), None),
        CtlCommand::Lock { room } => (Method::POST, room_path(room, "lock"), None),
        CtlCommand::Unlock { room } => (Method::POST, room_path(room, "unlock"), None),
        CtlCommand::End { room } => (Method::POST, room_path(room, "end"), None),
        CtlCommand::Invite { room, role, name, ttl_secs } => {
            let body = json!({ "room": room, "role": role, "name": name, "ttl_secs": ttl_secs });
            (Method::POST, "/api/admin/invites".to_owned(), Some(body))
        }
        CtlCommand::Drain => (Method::POST, "/api/admin/drain".to_owned(), None),
        CtlCommand::Undrain => (Method::DELETE, "/api/admin/drain".to_owned(), None),
    };
    let url = server.join(&path)?;
    let body = body.map(|body| body.to_string().into_bytes());
    let (status, answer) = call(&trust, method, &url, Some(&args.api_key), body, TIMEOUT)
        .await
        .with_context(|| format!("no answer from {}", args.server))?;
    let text = String::from_utf8_lossy(&answer);
    if !status.is_success() {
        let reason = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|value| value.get("error").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| text.trim().to_owned());
        bail!("the server refused ({status}): {reason}");
    }
    let value: Value = serde_json::from_str(&text).context("the server's answer is not JSON")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    print!("{}", render(&args.command, &value));
    Ok(())
}

/// A path segment: room names and ids are plain ASCII already; anything else is refused by the server, so
/// only the characters that would change the path are escaped.
fn segment(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' => c.to_string(),
            _ => format!("%{:02X}", u32::from(c) & 0xff),
        })
        .collect()
}

/// The answer as people read it.
fn render(command: &CtlCommand, value: &Value) -> String {
    let text = |v: &Value, key: &str| match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    match command {
        CtlCommand::Status | CtlCommand::Drain | CtlCommand::Undrain => table(
            &["DRAINING", "ROOMS", "CONNECTIONS"],
            vec![vec![text(value, "draining"), text(value, "rooms"), text(value, "connections")]],
        ),
        CtlCommand::Rooms => {
            let rooms = value.as_array().cloned().unwrap_or_default();
            let rows = rooms
                .iter()
                .map(|room| {
                    let count = room.get("participants").and_then(Value::as_array).map_or(0, Vec::len);
                    vec![text(room, "room"), count.to_string(), text(room, "locked"), text(room, "lobby")]
                })
                .collect();
            table(&["ROOM", "PARTICIPANTS", "LOCKED", "LOBBY"], rows)
        }
        CtlCommand::Participants { .. } => {
            let people = value.get("participants").and_then(Value::as_array).cloned().unwrap_or_default();
            let rows = people
                .iter()
                .map(|p| {
                    let media = p.get("media").cloned().unwrap_or(Value::Null);
                    let on = |key: &str| media.get(key).and_then(Value::as_bool).unwrap_or(false);
                    let sending: Vec<&str> = [("audio", on("audio")), ("video", on("video")), ("screen", on("screen"))]
                        .into_iter()
                        .filter_map(|(name, on)| on.then_some(name))
                        .collect();
                    let state = if p.get("reconnecting").and_then(Value::as_bool) == Some(true) {
                        "reconnecting"
                    } else {
                        "connected"
                    };
                    vec![text(p, "id"), text(p, "name"), text(p, "role"), sending.join(","), state.to_owned()]
                })
                .collect();
            table(&["ID", "NAME", "ROLE", "SENDING", "STATE"], rows)
        }
        CtlCommand::Invite { .. } => {
            format!(
                "path: {}\ntoken: {}\nexpires: {}\n",
                text(value, "path"),
                text(value, "token"),
                text(value, "expires")
            )
        }
        _ => "ok\n".to_owned(),
    }
}

/// Columns padded to their widest cell; names are cut to 40 characters and stripped of control
/// characters, as they are other people's text.
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let clean = |cell: &str| cell.chars().filter(|c| !c.is_control()).take(40).collect::<String>();
    let rows: Vec<Vec<String>> = rows.iter().map(|row| row.iter().map(|cell| clean(cell)).collect()).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(headers.to_vec());
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up_and_names_cannot_break_them() {
        let out = table(&["A", "NAME"], vec![vec!["1".into(), "x\ny\u{1b}[31m".into()], vec!["22".into(), "z".into()]]);
        assert_eq!(out, "A   NAME\n1   xy[31m\n22  z\n");
    }
}
