//! `ruang send` and `ruang receive`: files with people in a browser meeting, peer-to-peer, from a
//! terminal (the `ruang-peer` library does the work). Progress bars with speed and ETA on stderr (when it
//! is a terminal), a summary on stdout, and the exit status: 0 when every transfer was delivered or
//! received and verified, 1 otherwise. Ctrl-C cancels what is running and tells the other side.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use ruang_peer::{
    Credentials, Direction, Event, Job, Outcome, PeerConfig, ReceivePolicy, Record, TransferEvent, Trust,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Who we are in the room (both subcommands).
#[derive(Debug, clap::Args)]
pub struct RoomArgs {
    /// The display name people see.
    #[arg(long, default_value = "Terminal")]
    name: String,
    /// The room password, for a password-protected room.
    #[arg(long, env = "RUANG_ROOM_PASSWORD", hide_env_values = true, conflicts_with = "invite")]
    password: Option<String>,
    /// An invitation token (`ruang token`), for an invitation-only room.
    #[arg(long, env = "RUANG_INVITE", hide_env_values = true)]
    invite: Option<String>,
    /// For an https:// server with a self-signed certificate: trust exactly the certificate with this
    /// SHA-256 fingerprint (the one the server printed at start; colons optional).
    #[arg(long, value_name = "SHA256")]
    insecure_fingerprint: Option<String>,
}

/// `ruang send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// The files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The room's link, as the web client shows it: http(s)://host/r/ROOM.
    #[arg(long, value_name = "URL")]
    to: String,
    /// Only to the participants with this display name (default: everyone in the room).
    #[arg(long, value_name = "NAME")]
    peer: Option<String>,
    #[command(flatten)]
    room: RoomArgs,
}

/// `ruang receive`.
#[derive(Debug, clap::Args)]
pub struct ReceiveArgs {
    /// The room's link, as the web client shows it: http(s)://host/r/ROOM.
    #[arg(long, value_name = "URL")]
    from: String,
    /// Where received files go (it must exist).
    #[arg(long, default_value = ".", value_name = "DIR")]
    dir: PathBuf,
    /// Stop after this many files (default: until Ctrl-C).
    #[arg(long, value_name = "N")]
    count: Option<usize>,
    /// Decline files announced larger than this many bytes.
    #[arg(long, default_value_t = 16 << 30, value_name = "BYTES")]
    max_size: u64,
    #[command(flatten)]
    room: RoomArgs,
}

impl RoomArgs {
    fn config(&self, url: &str) -> anyhow::Result<PeerConfig> {
        let credentials =
            Credentials { password: self.password.clone(), invite: self.invite.clone(), ..Credentials::default() };
        let trust = match &self.insecure_fingerprint {
            Some(pin) => Trust::fingerprint(pin)?,
            None => Trust::System,
        };
        Ok(PeerConfig { url: url.to_owned(), name: self.name.clone(), credentials, trust })
    }
}

/// `ruang send …`.
pub async fn send(args: &SendArgs) -> anyhow::Result<()> {
    for file in &args.files {
        let meta = std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
        if !meta.is_file() {
            bail!("{} is not a file", file.display());
        }
    }
    let job = Job::Send { files: args.files.clone(), to: args.peer.clone() };
    let records = run(args.room.config(&args.to)?, job).await?;
    summarize(&records)
}

/// `ruang receive …`.
pub async fn receive(args: &ReceiveArgs) -> anyhow::Result<()> {
    let dir = args.dir.canonicalize().with_context(|| format!("cannot use {}", args.dir.display()))?;
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let policy = ReceivePolicy { dir, max_size: args.max_size, max_pending: 64 };
    let records = run(args.room.config(&args.from)?, Job::Receive { policy, count: args.count }).await?;
    summarize(&records)
}

/// Runs the job with progress bars until it ends or Ctrl-C.
async fn run(config: PeerConfig, job: Job) -> anyhow::Result<Vec<Record>> {
    let (tx, mut events) = mpsc::channel(256);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(ruang_peer::run(config, job, tx, cancel.clone()));
    let interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("ruang: interrupted, cancelling");
            interrupt.cancel();
        }
    });
    let bars = MultiProgress::new();
    let mut shown: HashMap<String, ProgressBar> = HashMap::new();
    while let Some(event) = events.recv().await {
        show(&bars, &mut shown, event);
    }
    Ok(task.await.context("the transfer task failed")??)
}

fn show(bars: &MultiProgress, shown: &mut HashMap<String, ProgressBar>, event: Event) {
    let say = |line: String| {
        let _ = bars.println(&line);
        if bars.is_hidden() {
            println!("{line}");
        }
    };
    match event {
        Event::Waiting => say("waiting in the lobby for a host to let you in…".into()),
        Event::Joined { room, peers, mode, relay_only } => {
            let relay = if relay_only { ", relay-only" } else { "" };
            say(format!("joined {room} ({peers} other participants, {} room{relay})", mode.as_str()));
        }
        Event::Relayed { url, address } => say(format!("TURN relay ready at {address} (via {url})")),
        Event::Resumed => say("the connection to the server was lost and is back".into()),
        Event::Connected { name } => say(format!("connected to {name}")),
        Event::Transfer { peer, event } => match event {
            TransferEvent::Started { id, direction, name, size } => {
                let bar = bars.add(ProgressBar::new(size));
                let style = ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
                )
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                let arrow = if direction == Direction::Out { "to" } else { "from" };
                bar.set_prefix(format!("{name} {arrow} {peer}"));
                bar.set_message(if direction == Direction::Out { "offered" } else { "incoming" });
                bar.enable_steady_tick(Duration::from_millis(250));
                shown.insert(id, bar);
            }
            TransferEvent::Progress { id, bytes } => {
                if let Some(bar) = shown.get(&id) {
                    bar.set_message("");
                    bar.set_position(bytes);
                }
            }
            TransferEvent::Finished { id, outcome, .. } => {
                if let Some(bar) = shown.remove(&id) {
                    bar.finish_with_message(describe(&outcome));
                }
            }
        },
    }
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Done(Some(path)) => format!("received, checksum verified: {}", path.display()),
        Outcome::Done(None) => "delivered, checksum verified".into(),
        Outcome::Declined => "declined".into(),
        Outcome::CancelledByPeer => "cancelled by the other side".into(),
        Outcome::Cancelled => "cancelled".into(),
        Outcome::Failed(why) => format!("failed: {why}"),
    }
}

/// Prints one line per transfer; an error unless every one was delivered or received and verified.
fn summarize(records: &[Record]) -> anyhow::Result<()> {
    let mut ok = 0;
    for r in records {
        let arrow = if r.direction == Direction::Out { "to" } else { "from" };
        let outcome = r.outcome.as_ref().map_or_else(|| "unfinished".to_owned(), describe);
        let sha = r.sha256.as_deref().map(|s| format!(" sha256 {s}")).unwrap_or_default();
        println!("{} ({} bytes) {arrow} {}: {outcome}{sha}", r.name, r.size, r.peer);
        ok += usize::from(matches!(r.outcome, Some(Outcome::Done(_))));
    }
    match (records.len(), ok) {
        (0, _) => bail!("nothing was transferred"),
        (n, ok) if ok == n => Ok(()),
        (n, ok) => bail!("{} of {n} transfers did not succeed", n - ok),
    }
}
