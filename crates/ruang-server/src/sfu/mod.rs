//! The SFU as a member of rooms: one SFU driver per server (`ruang_sfu::driver`, one UDP port for every
//! room's media), and for each room in SFU mode a member under the SFU's participant id for that period.
//!
//! - [`SfuService`] (here): starts the driver, knows which room each SFU participant and SFU room belongs
//!   to, and turns the SFU's events into what the rooms' members see: an SFU offer becomes a `signal` from
//!   the SFU's id, a lost media connection a `reset` signal (both handed to the room's worker, which pushes
//!   them into the client's post after its own answers, through the room's member table, read lock held
//!   across lookup and push: never before its `welcome`, never after its `peer_left`), and a new active
//!   speaker an input to the room (which tells everyone `speaker`).
//! - [`member`]: [`SfuMember`], the room's side: a `ruang_member::Member` whose `deliver` never blocks, and
//!   the commands the room's driver sends it.
//! - `worker`: one task per room that talks to the driver in order (the SFU's calls are async): a client's
//!   offers and answers, layers, tiles, pins, leaving members and role changes.

mod member;
mod worker;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use ruang_member::{Frame, MemberTable};
use ruang_proto::{PeerId, ServerMessage, SignalData, SignalPayload};
use ruang_room::Input;
use ruang_sfu::driver::{SfuEvents, SfuHandle, StartError};
use ruang_sfu::{ParticipantId, RoomKey, SfuEvent};
use tokio::sync::mpsc;

use crate::rooms::RoomCommand;
pub use member::{SfuCommand, SfuMember, SfuRoom};

/// How the SFU is set up.
#[derive(Clone, Copy, Debug)]
pub struct SfuSettings {
    /// Where its UDP socket listens.
    pub listen: SocketAddr,
    /// The address clients are given for it.
    pub public_ip: IpAddr,
    /// Most participants whose video each client gets.
    pub last_n: usize,
    /// Most participants whose audio each client gets, the loudest; `None`: everyone's.
    pub audio_last_n: Option<usize>,
}

/// One SFU room as the events need it: the room's members (for signals from the SFU) and its mailbox (for
/// the active speaker), under the SFU's id of that period.
pub(crate) struct Route {
    pub(crate) sfu: PeerId,
    /// The room's SFU worker, which pushes the SFU's signals in order with its own answers.
    pub(crate) worker: mpsc::WeakSender<SfuCommand>,
    pub(crate) mailbox: mpsc::WeakSender<RoomCommand>,
}

/// The server's SFU: its driver and the routes of its events.
pub struct SfuService {
    handle: SfuHandle,
    /// Each SFU room by its key (the SFU's id bits for the period).
    rooms: Mutex<HashMap<RoomKey, Arc<Route>>>,
    /// The room each SFU participant is in.
    participants: Mutex<HashMap<ParticipantId, RoomKey>>,
}

impl SfuService {
    /// Binds the SFU's UDP port and starts its driver and the task that routes its events.
    pub async fn start(settings: SfuSettings) -> Result<Arc<Self>, StartError> {
        let (last_n, audio_last_n) = (settings.last_n, settings.audio_last_n);
        // Bandwidth estimation off: with it on, str0m paces everything toward a subscriber to 1.1 x its
        // estimate, which starts at 1 Mbps and, measured with 25 bots (24 x 300 kbit/s each), never rose
        // (delay-based overuse kept it at ~1 Mbps): the pacer's backlog held every stream seconds late and
        // grew the server to 2.5 GB; only 810 of 1200 streams ever arrived. An SFU cannot slow a publisher
        // down for one subscriber, only pick a smaller simulcast layer: layers follow tiles (and last-N).
        let (handle, events) = ruang_sfu::driver::start(settings.listen, settings.public_ip, |config| {
            ruang_sfu::SfuConfig { last_n: Some(last_n), audio_last_n, initial_estimate: None, ..config }
        })
        .await?;
        let service = Arc::new(SfuService { handle, rooms: Mutex::default(), participants: Mutex::default() });
        tokio::spawn(route_events(Arc::downgrade(&service), events));
        Ok(service)
    }

    /// What the SFU holds and has forwarded, for `/metrics`; `None` if its driver has stopped or is too
    /// busy to answer.
    pub async fn stats(&self) -> Option<ruang_sfu::SfuStats> {
        // A driver too busy to answer within this leaves the SFU's series as they were at the last scrape.
        const STATS_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);
        match tokio::time::timeout(STATS_WITHIN, self.handle.stats()).await {
            Ok(Ok(stats)) => Some(stats),
            Ok(Err(_)) | Err(_) => None,
        }
    }

    /// Where the SFU listens and is reached.
    pub fn addresses(&self) -> ruang_sfu::driver::SfuAddresses {
        self.handle.addresses()
    }

    pub(crate) fn handle(&self) -> &SfuHandle {
        &self.handle
    }

    /// Stops the driver (the server is stopping).
    pub async fn shutdown(&self) {
        self.handle.shutdown().await;
    }

    pub(crate) fn open_room(&self, key: RoomKey, route: Route) {
        lock(&self.rooms).insert(key, Arc::new(route));
    }

    pub(crate) fn close_room(&self, key: RoomKey) {
        lock(&self.rooms).remove(&key);
        lock(&self.participants).retain(|_, room| *room != key);
    }

    pub(crate) fn enter(&self, participant: ParticipantId, key: RoomKey) {
        lock(&self.participants).insert(participant, key);
    }

    pub(crate) fn leave(&self, participant: ParticipantId) {
        lock(&self.participants).remove(&participant);
    }

    fn route_of(&self, participant: ParticipantId) -> Option<Arc<Route>> {
        let key = *lock(&self.participants).get(&participant)?;
        lock(&self.rooms).get(&key).cloned()
    }

    /// Hands a signal of the SFU for `participant` to its room's worker, which pushes it after anything it
    /// is sending that participant already (its answer to the offer that added it comes first).
    fn to_worker(&self, participant: ParticipantId, data: SignalData) {
        let Some(route) = self.route_of(participant) else { return };
        let Some(worker) = route.worker.upgrade() else { return };
        let command = SfuCommand::FromSfu { sfu: route.sfu, to: PeerId::from_bits(participant.0), data };
        if worker.try_send(command).is_err() {
            tracing::warn!(%participant, "SFU worker queue full: a signal from the SFU was dropped");
        }
    }

    fn room(&self, key: RoomKey) -> Option<Arc<Route>> {
        lock(&self.rooms).get(&key).cloned()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every change is a single map operation: the maps stay consistent if a holder panicked.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Pushes a `signal` from the SFU `sfu` to member `to` of `table`, if it is still a member.
pub(crate) fn signal_member(table: &MemberTable, sfu: PeerId, to: PeerId, data: SignalData) {
    let members = table.read();
    let Some(entry) = members.get(to) else { return };
    let frame = Frame::single(ServerMessage::Signal { from: sfu, data: SignalPayload::from(data) });
    if entry.post.push(&frame, tokio::time::Instant::now().into_std()).is_err() {
        tracing::debug!(peer = %to, "a signal from the SFU found the connection gone or full");
    }
}

/// Turns the driver's events into signals, `reset`s and active speakers, until the driver stops.
async fn route_events(service: Weak<SfuService>, mut events: SfuEvents) {
    while let Some(event) = events.recv().await {
        let Some(service) = service.upgrade() else { return };
        match event {
            SfuEvent::Offer { participant, sdp } => service.to_worker(participant, SignalData::Offer { sdp }),
            SfuEvent::Lost(participant) => {
                tracing::debug!(%participant, "SFU media lost; the client is told to start anew");
                service.to_worker(participant, SignalData::Reset);
                service.leave(participant);
            }
            SfuEvent::Closed(participant) => service.leave(participant),
            SfuEvent::ActiveSpeaker { room, participant: Some(speaker) } => {
                if let Some(route) = service.room(room)
                    && let Some(mailbox) = route.mailbox.upgrade()
                {
                    let input = Input::Speaker { sfu: route.sfu, id: PeerId::from_bits(speaker.0) };
                    // A hint: a busy room may miss it (the next change is announced again).
                    let _ = mailbox.try_send(RoomCommand::Input(input));
                }
            }
            SfuEvent::ActiveSpeaker { participant: None, .. }
            | SfuEvent::Connected(_)
            | SfuEvent::Disconnected(_)
            | SfuEvent::TrackPublished { .. }
            | SfuEvent::TrackUnpublished { .. } => {}
        }
    }
}
