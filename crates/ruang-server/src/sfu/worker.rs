//! One room's SFU worker: the task that talks to the SFU driver for the room, one call at a time, so a
//! room's changes reach the SFU in the order they happened (a period's participants leave before the next
//! period's join). It keeps which members have a media session on the SFU in the current period and what
//! each last asked for (layers, tiles, pin), applied again once its session exists.
//!
//! When a period ends (the room goes back to mesh), its media sessions are kept for [`LINGER`] (make before
//! break: clients close their SFU connection once their mesh media flows, at most 10 s later), then removed;
//! sooner if the member leaves, signals the SFU again, or a new period starts.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Weak};

use ruang_member::MemberTable;
use ruang_proto::{PeerId, Role, SignalData};
use ruang_room::SfuRequest;
use ruang_sfu::driver::DriverError;
use ruang_sfu::{ParticipantId, Publishing, RoomKey, SfuError};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Route, SfuCommand, SfuService, signal_member};

/// How long the sessions of an ended SFU period are kept: the protocol's 10 s for a client's switch back
/// to mesh, and a little margin.
const LINGER: std::time::Duration = std::time::Duration::from_secs(12);
use crate::rooms::RoomCommand;

/// A client's media connection to the SFU, named by the ICE username fragment of its SDP (`None`: the SDP
/// has none, which str0m refuses anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Connection(Option<String>);

impl Connection {
    fn of(sdp: &str) -> Self {
        let ufrag = sdp.lines().find_map(|line| line.trim_end().strip_prefix("a=ice-ufrag:"));
        Connection(ufrag.map(str::to_owned))
    }

    /// The SFU's answer to an offer of this connection, saying so: a session-level
    /// `a=ruang-answers:<ufrag>` line (protocol.md), so that a client that has meanwhile opened another
    /// connection does not apply it there. Browsers ignore attributes they do not know.
    fn mark_answer(&self, sdp: String) -> String {
        let (Some(ufrag), Some(at)) = (&self.0, sdp.find("\r\nm=")) else { return sdp };
        let mut marked = String::with_capacity(sdp.len() + ufrag.len() + 24);
        marked.push_str(&sdp[..at + 2]);
        marked.push_str("a=ruang-answers:");
        marked.push_str(ufrag);
        marked.push_str("\r\n");
        marked.push_str(&sdp[at + 2..]);
        marked
    }
}

/// How many of a member's connections that ended are remembered, so that their late signals are ignored.
const ENDED_CONNECTIONS: usize = 4;

/// What a member last asked of the SFU.
#[derive(Default)]
struct Wishes {
    layers: Option<Vec<ruang_proto::Layer>>,
    tiles: Option<Vec<ruang_proto::Tile>>,
    pin: Option<Option<PeerId>>,
}

struct Worker {
    service: Arc<SfuService>,
    table: Weak<MemberTable>,
    mailbox: mpsc::WeakSender<RoomCommand>,
    /// Its own queue, for the SFU's events to come back through.
    queue: mpsc::WeakSender<SfuCommand>,
    /// The SFU's id and room key of the current period.
    period: Option<(PeerId, RoomKey)>,
    /// Members with a media session on the SFU in this period, each with the ICE username fragment of the
    /// client connection that session belongs to (see [`Worker::signal`]).
    joined: HashMap<PeerId, Connection>,
    /// Each member's last few connections whose session ended (reset, replaced): an offer of one of them
    /// crossed the end and would only open a session nobody uses (whose offers time out into a `reset`
    /// that would then end the client's current connection).
    ended: HashMap<PeerId, VecDeque<Connection>>,
    wishes: HashMap<PeerId, Wishes>,
    /// Media sessions of the period that ended, and when they are removed.
    lingering: HashSet<PeerId>,
    linger_until: Option<Instant>,
}

pub(super) async fn run(
    service: Arc<SfuService>,
    table: Weak<MemberTable>,
    mailbox: mpsc::WeakSender<RoomCommand>,
    queue: mpsc::WeakSender<SfuCommand>,
    mut inbox: mpsc::Receiver<SfuCommand>,
) {
    let mut worker = Worker {
        service,
        table,
        mailbox,
        queue,
        period: None,
        joined: HashMap::new(),
        ended: HashMap::new(),
        wishes: HashMap::new(),
        lingering: HashSet::new(),
        linger_until: None,
    };
    loop {
        let linger = worker.linger_until;
        let command = tokio::select! {
            command = inbox.recv() => command,
            () = sleep_until(linger) => {
                worker.end_lingering().await;
                continue;
            }
        };
        let Some(command) = command else { break };
        worker.handle(command).await;
    }
    if let Some((sfu, _)) = worker.period {
        worker.stop(sfu).await;
    }
    worker.end_lingering().await;
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn participant(id: PeerId) -> ParticipantId {
    ParticipantId(id.bits())
}

impl Worker {
    async fn handle(&mut self, command: SfuCommand) {
        match command {
            SfuCommand::Start { sfu } => {
                if let Some((old, _)) = self.period {
                    self.stop(old).await;
                }
                // The same members join the new period under the same participant ids.
                self.end_lingering().await;
                let key = RoomKey(sfu.bits());
                let route = Route { sfu, worker: self.queue.clone(), mailbox: self.mailbox.clone() };
                self.service.open_room(key, route);
                self.period = Some((sfu, key));
            }
            SfuCommand::Stop { sfu } => self.stop(sfu).await,
            SfuCommand::Signal { from, data } => self.signal(from, data.data().clone()).await,
            SfuCommand::Request { from, request } => match *request {
                SfuRequest::Signal(data) => self.signal(from, data.data().clone()).await,
                request => {
                    let wishes = self.wishes.entry(from).or_default();
                    match request {
                        SfuRequest::Layers(layers) => wishes.layers = Some(layers),
                        SfuRequest::Tiles(tiles) => wishes.tiles = Some(tiles),
                        SfuRequest::Pin(pin) => wishes.pin = Some(pin),
                        SfuRequest::Signal(_) => {}
                    }
                    if self.joined.contains_key(&from) {
                        self.apply_wishes(from).await;
                    }
                }
            },
            SfuCommand::FromSfu { sfu, to, data } => {
                if self.period.is_none_or(|(current, _)| current != sfu) {
                    return;
                }
                if data == SignalData::Reset {
                    // The SFU removed the participant itself.
                    if let Some(connection) = self.joined.remove(&to) {
                        self.remember_ended(to, connection);
                    }
                }
                if let Some(table) = self.table.upgrade() {
                    signal_member(&table, sfu, to, data);
                }
            }
            SfuCommand::Left { id } => {
                self.wishes.remove(&id);
                self.remove(id).await;
                self.ended.remove(&id);
            }
            SfuCommand::Role { id, role } => {
                if self.joined.contains_key(&id) {
                    let result = self.service.handle().set_publishing(participant(id), publishing(role)).await;
                    log_failure("set_publishing", id, result);
                }
            }
        }
    }

    /// Ends the period of `sfu`: its signals and events no longer reach the room, and everyone's media
    /// session on the SFU lingers for [`LINGER`] while the clients move back to mesh.
    async fn stop(&mut self, sfu: PeerId) {
        let Some((_, key)) = self.period.filter(|(current, _)| *current == sfu) else { return };
        self.end_lingering().await;
        self.lingering = std::mem::take(&mut self.joined).into_keys().collect();
        self.linger_until = Some(Instant::now() + LINGER);
        self.service.close_room(key);
        self.period = None;
    }

    /// Removes the media sessions of the period that ended.
    async fn end_lingering(&mut self) {
        self.linger_until = None;
        for id in std::mem::take(&mut self.lingering) {
            let result = self.service.handle().remove_participant(participant(id)).await;
            log_failure("remove_participant", id, result);
        }
    }

    /// A member's signal to the SFU: its first offer opens its media session, later ones renegotiate; an
    /// answer answers the SFU's offer; `reset` closes the session; candidates are ignored (ICE-lite).
    ///
    /// A session belongs to one client connection, named by the ICE username fragment of the client's SDP
    /// (a browser keeps it for the life of a connection; our client never restarts ICE toward the SFU, it
    /// opens a new connection). So signals that cross a `reset` sort themselves out: an offer of another
    /// connection replaces the session (a client that was told `reset` twice, or whose own `reset` crossed
    /// ours, opens a new connection each time: the last one wins), and an answer of another connection, or
    /// one that reaches a session the SFU has just dropped (its `reset` is on the way), is ignored.
    async fn signal(&mut self, from: PeerId, data: SignalData) {
        let Some((sfu, key)) = self.period else { return };
        if self.lingering.remove(&from) {
            // A member of the ended period signals the new one: its old session goes first.
            log_failure("remove_participant", from, self.service.handle().remove_participant(participant(from)).await);
        }
        let handle = self.service.handle().clone();
        match data {
            SignalData::Offer { sdp } => {
                let connection = Connection::of(&sdp);
                if self.ended.get(&from).is_some_and(|ended| ended.contains(&connection)) {
                    tracing::debug!(peer = %from, "an offer of a client connection whose session ended ignored");
                    return;
                }
                let renegotiation = match self.joined.get(&from) {
                    Some(current) if *current == connection => true,
                    Some(_) => {
                        tracing::debug!(peer = %from, "an offer of a new client connection replaces its SFU session");
                        self.remove(from).await;
                        false
                    }
                    None => false,
                };
                let answer = if renegotiation {
                    handle.handle_offer(participant(from), sdp).await
                } else {
                    // Entered before the call, so the SFU's first offer to it finds its room.
                    self.service.enter(participant(from), key);
                    let role = self.role_of(from);
                    handle.add_participant(key, participant(from), publishing(role), sdp).await
                };
                match answer {
                    Ok(sdp) => {
                        let sdp = connection.mark_answer(sdp);
                        let first = self.joined.insert(from, connection).is_none();
                        if let Some(table) = self.table.upgrade() {
                            signal_member(&table, sfu, from, SignalData::Answer { sdp });
                        }
                        if first {
                            self.apply_wishes(from).await;
                        }
                    }
                    Err(err) => {
                        tracing::debug!(peer = %from, %err, "the SFU refused an offer; the client starts anew");
                        self.remove(from).await;
                        if let Some(table) = self.table.upgrade() {
                            signal_member(&table, sfu, from, SignalData::Reset);
                        }
                    }
                }
            }
            SignalData::Answer { sdp } => {
                let Some(current) = self.joined.get(&from) else { return };
                if *current != Connection::of(&sdp) {
                    tracing::debug!(peer = %from, "an answer of an earlier client connection ignored");
                    return;
                }
                match handle.handle_answer(participant(from), sdp).await {
                    Ok(_) => {}
                    Err(DriverError::Sfu(SfuError::UnknownParticipant(_))) => {
                        // The SFU dropped the session while the answer waited here: its `reset` follows.
                        tracing::debug!(peer = %from, "an answer reached a session the SFU had dropped");
                    }
                    Err(err) => {
                        // An answer the SFU cannot take (none of its offers is outstanding, or it does not
                        // fit the one that is) would leave that offer's tracks unopened for good: anew.
                        tracing::warn!(peer = %from, %err, "the SFU could not take an answer; the client starts anew");
                        self.remove(from).await;
                        if let Some(table) = self.table.upgrade() {
                            signal_member(&table, sfu, from, SignalData::Reset);
                        }
                    }
                }
            }
            SignalData::Reset => self.remove(from).await,
            SignalData::Candidate { .. } => {}
        }
    }

    /// Takes `id`'s media session off the SFU, if it has one.
    async fn remove(&mut self, id: PeerId) {
        self.service.leave(participant(id));
        let joined = self.joined.remove(&id);
        let had_session = joined.is_some();
        if let Some(connection) = joined {
            self.remember_ended(id, connection);
        }
        if had_session || self.lingering.remove(&id) {
            let result = self.service.handle().remove_participant(participant(id)).await;
            log_failure("remove_participant", id, result);
        }
    }

    fn remember_ended(&mut self, id: PeerId, connection: Connection) {
        let ended = self.ended.entry(id).or_default();
        if ended.len() == ENDED_CONNECTIONS {
            ended.pop_front();
        }
        ended.push_back(connection);
    }

    /// Gives the SFU what `id` last asked for.
    async fn apply_wishes(&mut self, id: PeerId) {
        let Some(wishes) = self.wishes.get(&id) else { return };
        let handle = self.service.handle().clone();
        let (layers, tiles, pin) = (wishes.layers.clone(), wishes.tiles.clone(), wishes.pin);
        if let Some(layers) = layers {
            let layers = layers
                .into_iter()
                .map(|l| (l.rid, ruang_sfu::layer::Layer { height: l.height, bitrate: l.bitrate }))
                .collect();
            log_failure("describe_layers_of", id, handle.describe_layers_of(participant(id), layers).await);
        }
        if let Some(tiles) = tiles {
            let tiles = tiles.into_iter().map(|t| (participant(t.id), t.height)).collect();
            log_failure("set_tiles", id, handle.set_tiles(participant(id), tiles).await);
        }
        if let Some(pin) = pin {
            log_failure("pin", id, handle.pin(participant(id), pin.map(participant)).await);
        }
    }

    /// The member's role as the room last published it (a participant's if it just left).
    fn role_of(&self, id: PeerId) -> Role {
        let table = self.table.upgrade();
        table.and_then(|table| table.read().get(id).map(|entry| entry.role)).unwrap_or(Role::Viewer)
    }
}

fn publishing(role: Role) -> Publishing {
    if role == Role::Viewer { Publishing::Refused } else { Publishing::Allowed }
}

fn log_failure<T>(call: &str, id: PeerId, result: Result<T, ruang_sfu::driver::DriverError>) {
    if let Err(err) = result {
        tracing::debug!(peer = %id, call, %err, "SFU call failed");
    }
}
