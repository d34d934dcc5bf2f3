//! The file transfers over one peer's `files` data channel: the web client's protocol (web/js/files.js,
//! docs/protocol.md) as a state machine with time passed in. No network and no async: the driver feeds
//! it the channel's messages ([`Transfers::handle_text`], [`Transfers::handle_binary`]) and writes what
//! [`Transfers::poll_outbound`] gives while the channel's buffer has room (that is the flow control); what
//! happened comes out of [`Transfers::poll_event`]. It does read and write the files themselves, with
//! blocking `std::fs` calls of one chunk at a time (a sans-IO file layer would only move the same calls).
//!
//! One file at a time per channel in each direction (the chunks carry no id). The receiver writes into a
//! temporary file in the target directory and renames it to a safe, unused name only after the size and
//! SHA-256 match; anything else removes it. What a peer can make us spend is bounded: the announced size
//! ([`ReceivePolicy::max_size`]), the bytes actually written (never more than announced), and the number of
//! offers we hold at once ([`ReceivePolicy::max_pending`]).
//!
//! (Over 400 lines with its tests in transfer_tests.rs: sending and receiving share the per-link state — one
//! outbox, one event queue, one `finish` that cleans up either direction — and split they would reach into it.)

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::names::{free_path, safe_name};
use crate::wire::FileMessage;

/// Chunk size: the web client's (it fits every browser's SCTP message size).
pub const CHUNK: usize = 16 * 1024;

/// How often a transfer's progress is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// At most this many offers are looked at per connection; later ones are ignored (a peer that floods us
/// with offers to decline does not grow our records without end).
const MAX_OFFERS: usize = 1000;

/// How many `name (n)` variants are tried when the name is taken.
const NAME_TRIES: u32 = 1000;

/// What to do with offers (a sender's link has none: every offer is declined).
#[derive(Clone, Debug)]
pub struct ReceivePolicy {
    /// Where received files go.
    pub dir: PathBuf,
    /// Larger offers are declined.
    pub max_size: u64,
    /// At most this many accepted offers of one peer wait or run at once; more are declined.
    pub max_pending: usize,
}

/// Which way a transfer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// We send.
    Out,
    /// We receive.
    In,
}

/// How a transfer ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sent, and the receiver's hash matched; or received, verified and written to this path.
    Done(Option<PathBuf>),
    /// The receiver said no (we, for an incoming one, by our policy).
    Declined,
    /// Stopped by the peer.
    CancelledByPeer,
    /// Stopped by us.
    Cancelled,
    /// Something went wrong; why.
    Failed(String),
}

/// What happened to a transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferEvent {
    /// A transfer exists: we offered a file, or a peer offered one (and we accepted or declined it).
    Started {
        /// Its id.
        id: String,
        /// Which way.
        direction: Direction,
        /// The file name (for an incoming one, made safe).
        name: String,
        /// Its announced size.
        size: u64,
    },
    /// Bytes have gone or come (reported at most every 100 ms).
    Progress {
        /// Which transfer.
        id: String,
        /// How many so far.
        bytes: u64,
    },
    /// The transfer is over.
    Finished {
        /// Which transfer.
        id: String,
        /// How.
        outcome: Outcome,
        /// The SHA-256 (hex) of what went or came, when all of it did.
        sha256: Option<String>,
    },
}

/// A message for the data channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outbound {
    /// A text message.
    Text(String),
    /// A file chunk.
    Binary(Vec<u8>),
}

#[derive(Debug, PartialEq, Eq)]
enum OutState {
    Offered,
    Accepted,
    Sending,
    Verifying,
}

struct Outgoing {
    file: Option<File>,
    size: u64,
    state: OutState,
    /// Once sent: the hash of what went.
    sha256: Option<String>,
}

/// The file being sent.
struct Sending {
    id: String,
    hasher: Sha256,
    sent: u64,
    reported: Instant,
}

struct Incoming {
    name: String,
    size: u64,
    started: bool,
}

/// The file being received.
struct Receiving {
    id: String,
    file: File,
    temp: PathBuf,
    hasher: Sha256,
    received: u64,
    reported: Instant,
}

/// Every transfer with one peer.
pub struct Transfers {
    policy: Option<ReceivePolicy>,
    outgoing: HashMap<String, Outgoing>,
    incoming: HashMap<String, Incoming>,
    queue: VecDeque<String>,
    sending: Option<Sending>,
    receiving: Option<Receiving>,
    outbox: VecDeque<Outbound>,
    events: VecDeque<TransferEvent>,
    offers_seen: usize,
}

impl Transfers {
    /// Transfers under this policy for offers (`None`: decline them all).
    pub fn new(policy: Option<ReceivePolicy>) -> Self {
        Transfers {
            policy,
            outgoing: HashMap::new(),
            incoming: HashMap::new(),
            queue: VecDeque::new(),
            sending: None,
            receiving: None,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            offers_seen: 0,
        }
    }

    /// Offers a file; its transfer id.
    pub fn offer(&mut self, path: &Path) -> std::io::Result<String> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        let name = safe_name(&path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        let id = new_id();
        let size = meta.len();
        self.outgoing.insert(id.clone(), Outgoing { file: Some(file), size, state: OutState::Offered, sha256: None });
        self.send(FileMessage::Offer { id: id.clone(), name: name.clone(), size });
        self.events.push_back(TransferEvent::Started { id: id.clone(), direction: Direction::Out, name, size });
        Ok(id)
    }

    /// Whether any transfer is still going (offered, waiting, running or being verified).
    pub fn active(&self) -> bool {
        !self.outgoing.is_empty() || !self.incoming.is_empty()
    }

    /// A text message from the channel.
    pub fn handle_text(&mut self, text: &str, now: Instant) {
        let Some(message) = FileMessage::parse(text) else {
            tracing::debug!("files: ignored a message that is not part of the protocol");
            return;
        };
        match message {
            FileMessage::Offer { id, name, size } => self.on_offer(id, &name, size),
            FileMessage::Accept { id } => {
                if let Some(out) = self.outgoing.get_mut(&id).filter(|o| o.state == OutState::Offered) {
                    out.state = OutState::Accepted;
                    self.queue.push_back(id);
                }
            }
            FileMessage::Decline { id } => {
                if self.outgoing.get(&id).is_some_and(|o| o.state == OutState::Offered) {
                    self.finish(&id, Outcome::Declined);
                }
            }
            FileMessage::Cancel { id } => {
                if self.outgoing.contains_key(&id) || self.incoming.contains_key(&id) {
                    self.finish(&id, Outcome::CancelledByPeer);
                }
            }
            FileMessage::Begin { id } => self.on_begin(id, now),
            FileMessage::End { id, sha256 } => self.on_end(&id, &sha256),
            FileMessage::Ok { id } => {
                if self.outgoing.get(&id).is_some_and(|o| o.state == OutState::Verifying) {
                    self.finish(&id, Outcome::Done(None));
                }
            }
            FileMessage::Bad { id } => {
                if self.outgoing.get(&id).is_some_and(|o| o.state == OutState::Verifying) {
                    self.finish(&id, Outcome::Failed("the receiver's checksum does not match".into()));
                }
            }
        }
    }

    /// A binary message (a chunk of the file being received).
    pub fn handle_binary(&mut self, data: &[u8], now: Instant) {
        let Some(rx) = self.receiving.as_mut() else { return };
        let id = rx.id.clone();
        let size = self.incoming.get(&id).map_or(0, |i| i.size);
        rx.received += data.len() as u64;
        if rx.received > size {
            self.send(FileMessage::Cancel { id: id.clone() });
            self.finish(&id, Outcome::Failed("the peer sent more bytes than it announced".into()));
            return;
        }
        rx.hasher.update(data);
        if let Err(err) = rx.file.write_all(data) {
            self.send(FileMessage::Cancel { id: id.clone() });
            self.finish(&id, Outcome::Failed(format!("cannot write the file: {err}")));
            return;
        }
        if now.duration_since(rx.reported) >= PROGRESS_EVERY {
            rx.reported = now;
            let bytes = rx.received;
            self.events.push_back(TransferEvent::Progress { id, bytes });
        }
    }

    /// The next message for the channel, if any: control messages first, then the next chunk of the file
    /// being sent. Call it while the channel's buffered amount is below the high-water mark.
    pub fn poll_outbound(&mut self, now: Instant) -> Option<Outbound> {
        if let Some(message) = self.outbox.pop_front() {
            return Some(message);
        }
        if self.sending.is_none() {
            let id = self.queue.pop_front()?;
            let out = self.outgoing.get_mut(&id).filter(|o| o.state == OutState::Accepted)?;
            out.state = OutState::Sending;
            self.sending = Some(Sending { id: id.clone(), hasher: Sha256::new(), sent: 0, reported: now });
            return Some(Outbound::Text(FileMessage::Begin { id }.to_json()));
        }
        let tx = self.sending.as_mut()?;
        let id = tx.id.clone();
        let out = self.outgoing.get_mut(&id)?;
        let left = out.size - tx.sent;
        if left == 0 {
            let sha256 = hex(&std::mem::take(&mut tx.hasher).finalize());
            self.sending = None;
            out.state = OutState::Verifying;
            out.sha256 = Some(sha256.clone());
            out.file = None;
            self.events.push_back(TransferEvent::Progress { id: id.clone(), bytes: out.size });
            return Some(Outbound::Text(FileMessage::End { id, sha256 }.to_json()));
        }
        let mut chunk = vec![0; CHUNK.min(usize::try_from(left).unwrap_or(CHUNK))];
        let read = match out.file.as_mut().map(|f| f.read(&mut chunk)) {
            Some(Ok(n)) if n > 0 => n,
            Some(Err(err)) => return self.abort(&id, format!("cannot read the file: {err}")),
            _ => return self.abort(&id, "the file got shorter while it was sent".into()),
        };
        chunk.truncate(read);
        tx.hasher.update(&chunk);
        tx.sent += read as u64;
        if now.duration_since(tx.reported) >= PROGRESS_EVERY {
            tx.reported = now;
            let bytes = tx.sent;
            self.events.push_back(TransferEvent::Progress { id, bytes });
        }
        Some(Outbound::Binary(chunk))
    }

    /// What happened since the last call.
    pub fn poll_event(&mut self) -> Option<TransferEvent> {
        self.events.pop_front()
    }

    /// Stops every transfer (we leave): the peer is told.
    pub fn cancel_all(&mut self) {
        let ids: Vec<String> = self.outgoing.keys().chain(self.incoming.keys()).cloned().collect();
        for id in ids {
            self.send(FileMessage::Cancel { id: id.clone() });
            self.finish(&id, Outcome::Cancelled);
        }
    }

    /// The channel is gone: every transfer fails.
    pub fn detach(&mut self, why: &str) {
        let ids: Vec<String> = self.outgoing.keys().chain(self.incoming.keys()).cloned().collect();
        for id in ids {
            self.finish(&id, Outcome::Failed(why.to_owned()));
        }
        self.outbox.clear();
    }

    fn on_offer(&mut self, id: String, announced: &str, size: u64) {
        if self.incoming.contains_key(&id) || self.outgoing.contains_key(&id) || self.offers_seen >= MAX_OFFERS {
            return;
        }
        self.offers_seen += 1;
        let name = safe_name(announced);
        self.events.push_back(TransferEvent::Started {
            id: id.clone(),
            direction: Direction::In,
            name: name.clone(),
            size,
        });
        let refusal = match &self.policy {
            None => Some("not receiving files".to_owned()),
            Some(p) if size > p.max_size => Some(format!("larger than the limit of {} bytes", p.max_size)),
            Some(p) if self.incoming.len() >= p.max_pending => Some("too many files at once".to_owned()),
            Some(_) => None,
        };
        if let Some(why) = refusal {
            tracing::info!(%name, size, "files: declined an offer: {why}");
            self.send(FileMessage::Decline { id: id.clone() });
            self.events.push_back(TransferEvent::Finished { id, outcome: Outcome::Declined, sha256: None });
            return;
        }
        self.incoming.insert(id.clone(), Incoming { name, size, started: false });
        self.send(FileMessage::Accept { id });
    }

    fn on_begin(&mut self, id: String, now: Instant) {
        let Some(dir) = self.policy.as_ref().map(|p| p.dir.clone()) else { return };
        let Some(incoming) = self.incoming.get_mut(&id).filter(|i| !i.started) else { return };
        incoming.started = true;
        // A `begin` while another file arrives: the web client starts over with the new one too.
        if let Some(previous) = self.receiving.as_ref().map(|r| r.id.clone()) {
            self.finish(&previous, Outcome::Failed("the peer started another file before finishing this one".into()));
        }
        let temp = dir.join(format!(".ruang-{}.part", new_id()));
        match File::options().write(true).create_new(true).open(&temp) {
            Ok(file) => {
                self.receiving = Some(Receiving { id, file, temp, hasher: Sha256::new(), received: 0, reported: now });
            }
            Err(err) => {
                self.send(FileMessage::Cancel { id: id.clone() });
                self.finish(&id, Outcome::Failed(format!("cannot create a file in {}: {err}", dir.display())));
            }
        }
    }

    fn on_end(&mut self, id: &str, expected: &str) {
        if self.receiving.as_ref().is_none_or(|r| r.id != id) {
            return;
        }
        let Some(rx) = self.receiving.take() else { return };
        let Some(incoming) = self.incoming.remove(id) else { return };
        let actual = hex(&rx.hasher.finalize());
        let failure = if rx.received != incoming.size {
            Some("incomplete: fewer bytes arrived than announced".to_owned())
        } else if actual != expected.to_ascii_lowercase() {
            Some("damaged: the checksum does not match".to_owned())
        } else {
            rx.file.sync_all().err().map(|err| format!("cannot write the file: {err}"))
        };
        drop(rx.file);
        let outcome = match failure {
            Some(why) => {
                self.send(FileMessage::Bad { id: id.to_owned() });
                let _ = std::fs::remove_file(&rx.temp);
                Outcome::Failed(why)
            }
            None => match self.place(&rx.temp, &incoming.name) {
                Ok(path) => {
                    self.send(FileMessage::Ok { id: id.to_owned() });
                    Outcome::Done(Some(path))
                }
                Err(err) => {
                    // Verified, but we cannot keep it: the sender must not believe it was delivered.
                    self.send(FileMessage::Bad { id: id.to_owned() });
                    let _ = std::fs::remove_file(&rx.temp);
                    Outcome::Failed(format!("cannot name the file: {err}"))
                }
            },
        };
        self.events.push_back(TransferEvent::Finished { id: id.to_owned(), outcome, sha256: Some(actual) });
    }

    /// Moves a verified temporary file to a free name in its directory, never replacing a file.
    fn place(&self, temp: &Path, name: &str) -> std::io::Result<PathBuf> {
        let dir = temp.parent().unwrap_or(Path::new("."));
        for _ in 0..NAME_TRIES {
            let target =
                free_path(dir, name, NAME_TRIES).ok_or_else(|| std::io::Error::other("every name is taken"))?;
            // hard_link fails if the target appeared meanwhile (rename would replace it)
            match std::fs::hard_link(temp, &target) {
                Ok(()) => {
                    std::fs::remove_file(temp)?;
                    return Ok(target);
                }
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
                // (a file system without hard links: the name was free a moment ago)
                Err(_) => return std::fs::rename(temp, &target).map(|()| target),
            }
        }
        Err(std::io::Error::other("every name is taken"))
    }

    fn abort(&mut self, id: &str, why: String) -> Option<Outbound> {
        self.finish(id, Outcome::Failed(why));
        // (finish queued the cancel)
        self.outbox.pop_front()
    }

    /// Ends a transfer: forget it, clean up, tell the peer if we stopped it, report.
    fn finish(&mut self, id: &str, outcome: Outcome) {
        let mut sha256 = None;
        if let Some(out) = self.outgoing.remove(id) {
            sha256 = out.sha256;
            if self.sending.as_ref().is_some_and(|s| s.id == id) {
                self.sending = None;
                if matches!(outcome, Outcome::Failed(_)) {
                    // (a failure of ours while sending: the receiver stops waiting)
                    self.outbox.push_back(Outbound::Text(FileMessage::Cancel { id: id.to_owned() }.to_json()));
                }
            }
            self.queue.retain(|q| q != id);
        }
        if self.incoming.remove(id).is_some()
            && self.receiving.as_ref().is_some_and(|r| r.id == id)
            && let Some(rx) = self.receiving.take()
        {
            drop(rx.file);
            let _ = std::fs::remove_file(&rx.temp);
        }
        self.events.push_back(TransferEvent::Finished { id: id.to_owned(), outcome, sha256 });
    }

    fn send(&mut self, message: FileMessage) {
        self.outbox.push_back(Outbound::Text(message.to_json()));
    }
}

impl Drop for Transfers {
    fn drop(&mut self) {
        if let Some(rx) = self.receiving.take() {
            drop(rx.file);
            let _ = std::fs::remove_file(&rx.temp);
        }
    }
}

/// A fresh transfer id: 16 hex characters, as the web client makes them.
fn new_id() -> String {
    let mut bytes = [0u8; 8];
    // (without an OS random source the ids only need to differ, which the time makes likely)
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        bytes = (nanos as u64).to_le_bytes();
    }
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "transfer_tests.rs"]
mod tests;
