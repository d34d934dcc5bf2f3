//! A ruang participant outside the browser: joins a room over the signaling protocol (docs/protocol.md),
//! opens str0m peer connections to the people in it, and sends or receives files over the web client's
//! `files` data channel with its protocol (docs/protocol.md, "File transfer on the data channel"). The
//! seed of every non-browser client; `ruang send` and `ruang receive` are its first users.
//!
//! - [`run`] drives one job ([`Job::Send`] or [`Job::Receive`]) until it is done or cancelled, reporting
//!   [`Event`]s on the way and returning a [`Record`] per transfer.
//! - `transfer` is the file protocol as a state machine with time passed in; `link` one str0m `Rtc` per
//!   remote participant; `session` the tokio driver; `signaling` the WebSocket client; `names` what makes a
//!   peer-chosen file name safe to write.

mod link;
mod names;
mod resume;
mod session;
mod signaling;
mod tls;
mod transfer;
mod turn;
mod turn_framing;
mod wire;

use std::path::PathBuf;

pub use names::{free_path, safe_name};
pub use ruang_proto::{Credentials, MediaMode};
pub use signaling::RoomUrl;
pub use tls::Trust;
pub use transfer::{Direction, Outcome, ReceivePolicy, TransferEvent};
pub use wire::FileMessage;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Why a job could not run.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// The room link is not one.
    #[error("{0}")]
    Url(String),
    /// The signaling connection failed or broke.
    #[error("{0}")]
    Signaling(String),
    /// The server refused us.
    #[error("the server refused: {0}")]
    Refused(String),
    /// The machine's network.
    #[error("{0}")]
    Network(String),
}

/// Who we are and where.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    /// The room's link, `http(s)://host/r/ROOM`.
    pub url: String,
    /// Our display name.
    pub name: String,
    /// A password or invitation for a protected room.
    pub credentials: Credentials,
    /// Which certificates a `wss://` server may show.
    pub trust: Trust,
}

/// What to do in the room.
#[derive(Clone, Debug)]
pub enum Job {
    /// Offer these files to everyone (or to the participants called `to`), each as soon as the connection
    /// to them is up; done when every offer has been answered and every accepted file delivered or failed.
    Send {
        /// The files.
        files: Vec<PathBuf>,
        /// Only to participants with this display name.
        to: Option<String>,
    },
    /// Accept what is offered, under the policy; done after `count` files (declined ones not counted), or
    /// when cancelled.
    Receive {
        /// Where files go and what is accepted.
        policy: ReceivePolicy,
        /// Stop after this many.
        count: Option<usize>,
    },
}

/// What happens, as it happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The room has a lobby: we wait to be let in.
    Waiting,
    /// We are in the room.
    Joined {
        /// Which.
        room: String,
        /// How many others were there.
        peers: usize,
        /// The room's media mode (in an SFU room, files go over files-only peer connections).
        mode: MediaMode,
        /// A relay-only room: our connections go through the room's TURN server only.
        relay_only: bool,
    },
    /// Our TURN allocation is there: connections may go through this relayed address (UDP, on the TURN
    /// server), reached over the route of `url` (`turn:` over UDP or TCP, or `turns:`).
    Relayed {
        /// The room's TURN URL in use.
        url: String,
        /// The relayed address.
        address: std::net::SocketAddr,
    },
    /// The signaling connection was lost and is back (the transfers went on meanwhile).
    Resumed,
    /// A data channel to a participant is open.
    Connected {
        /// Their display name.
        name: String,
    },
    /// A transfer with a participant.
    Transfer {
        /// Their display name.
        peer: String,
        /// What happened.
        event: TransferEvent,
    },
}

/// One transfer, as it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The other side's display name.
    pub peer: String,
    /// Which way.
    pub direction: Direction,
    /// The file name (incoming: made safe).
    pub name: String,
    /// The announced size.
    pub size: u64,
    /// How it ended (`None`: it had not when the job stopped).
    pub outcome: Option<Outcome>,
    /// The SHA-256 of what went or came.
    pub sha256: Option<String>,
}

/// Joins the room and runs the job until it is done or `cancel` fires (then every running transfer is
/// cancelled, and the peers told). Events go to `events`; a full channel holds the job back (so a slow
/// reader slows the transfer rather than piling up events).
pub async fn run(
    config: PeerConfig,
    job: Job,
    events: mpsc::Sender<Event>,
    cancel: CancellationToken,
) -> Result<Vec<Record>, PeerError> {
    session::run(config, job, events, cancel).await
}
