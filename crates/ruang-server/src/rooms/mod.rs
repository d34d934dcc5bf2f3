//! Rooms: the registry that finds or creates a room by name, the directory sessions find rooms through, and
//! the task that drives each room's state.
//!
//! Every room is one task ([`task`]) that drives a sans-IO [`ruang_room::Room`] and is reached only through
//! its mailbox, so concurrent joins are serialized by the room itself and no pair can be introduced twice or
//! missed. The registry holds only mailboxes; its lock is never held across an `.await`.
//!
//! A `signal` does not go through the room's task: each room publishes its members' posts in a
//! [`MemberTable`], and a member's session relays straight into the target's post (see
//! `docs/design/relay-path.md` for the ordering rule that keeps this in step with the room's messages).
//!
//! A room removes itself from the registry when its last participant leaves, then closes its mailbox and
//! answers any join still in it with [`ruang_room::Refusal::Closed`], so that joiner looks the room up again and
//! creates a fresh one. That makes creation and removal race-free without holding a lock while sending.

mod admin;
mod command;
mod directory;
mod observe;
mod task;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ruang_proto::{Limits, PeerId, Rejection, RoomName, SignalPayload};
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

pub use admin::{AdminRefusal, RoomSummary};
pub use command::{Answer, Entering, RoomCommand};
pub use directory::{DirectoryFuture, LocalDirectory, Opener, RoomDirectory};
pub use ruang_member::{DeliveryError, Disconnect, Frame, Link, Member, MemberTable, ReplayLimits};

/// What every room of a server shares: the limits for `welcome`, its chat memory, how long it keeps a
/// participant whose connection was lost, and the server's shutdown signal.
#[derive(Clone)]
pub struct RoomSettings {
    /// The limits, also sent in `welcome`.
    pub limits: Limits,
    /// Chat messages remembered per room.
    pub chat_history: usize,
    /// Most newcomers waiting in a room's lobby.
    pub max_waiting: usize,
    /// Mailbox size of a room task.
    pub mailbox: usize,
    /// How long a participant whose connection was lost stays in its room (zero: it leaves at once).
    pub resume_grace: std::time::Duration,
    /// What each participant's stream keeps for replay.
    pub replay: ReplayLimits,
    /// Cancelled when the server stops; rooms then close without anyone leaving.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// The configured policies; rooms not listed are open.
    pub policies: HashMap<RoomName, crate::access::RoomPolicy>,
    /// Mints the resume tokens a room hands out in `welcome`, `resumed` and after a role change.
    pub resume: Arc<crate::resume::Resumption>,
    /// The ICE servers a participant gets once it is in.
    pub ice: Arc<crate::ice::IcePlan>,
    /// What each meeting keeps across restarts.
    pub store: Arc<dyn crate::store::MeetingRecords>,
    /// How rooms choose their media mode (the policy of rooms without their own `media_mode`).
    pub media: ruang_room::MediaSettings,
    /// The server's SFU; `None` when every room is mesh.
    pub sfu: Option<Arc<crate::sfu::SfuService>>,
    /// What rooms count for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Where rooms send their events.
    pub webhooks: crate::webhooks::Webhooks,
}

/// A way to reach one room: its task's mailbox in this process, or a room owned by another node of a
/// cluster ([`RemoteRoom`]).
#[derive(Clone, Debug)]
pub struct RoomHandle {
    mailbox: Route,
    members: Arc<MemberTable>,
}

#[derive(Clone, Debug)]
enum Route {
    Local(mpsc::Sender<RoomCommand>),
    Remote(Arc<dyn RemoteRoom>),
}

/// A room owned by another node, as a session on this one reaches it (`crate::cluster`): commands and
/// signals are carried to the owner, which relays and answers as it does for its own sessions.
pub trait RemoteRoom: Send + Sync + std::fmt::Debug + 'static {
    /// Carries a command to the owner without waiting; `Err` gives it back when it cannot (the room is
    /// unreachable now).
    fn send(&self, command: RoomCommand) -> Result<(), RoomCommand>;

    /// Carries a signal from `from` (on connection `conn`) to `to`; a refusal comes back later, as an error
    /// on the connection, from the owner (where the room's member table is).
    fn signal(&self, from: PeerId, conn: u64, to: PeerId, data: &SignalPayload) -> Result<(), Rejection>;
}

impl RoomHandle {
    /// A handle to a room owned by another node: its member table here is empty, as its members are
    /// known only on the owner.
    pub fn remote(room: Arc<dyn RemoteRoom>) -> Self {
        RoomHandle { mailbox: Route::Remote(room), members: Arc::new(MemberTable::new()) }
    }

    /// The room on another node this handle reaches, if it does.
    pub fn as_remote(&self) -> Option<&Arc<dyn RemoteRoom>> {
        match &self.mailbox {
            Route::Remote(room) => Some(room),
            Route::Local(_) => None,
        }
    }

    /// The room's members as it publishes them, for relaying to a member without a hop through the room
    /// task (hold its read lock across the lookup and the push).
    pub fn members(&self) -> &Arc<MemberTable> {
        &self.members
    }

    /// Sends a command, waiting while the mailbox is full. `Err` means the room has closed.
    pub async fn send(&self, command: RoomCommand) -> Result<(), RoomCommand> {
        let mailbox = match &self.mailbox {
            Route::Local(mailbox) => mailbox,
            Route::Remote(room) => return room.send(command),
        };
        // Without waiting when there is room, the usual case; the waiting path is boxed so that every
        // connection's task does not carry its state.
        match mailbox.try_send(command) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Closed(command)) => Err(command),
            Err(mpsc::error::TrySendError::Full(command)) => Box::pin(mailbox.send(command)).await.map_err(|err| err.0),
        }
    }

    /// Sends a command if the mailbox has room at once, without waiting.
    pub fn try_send(&self, command: RoomCommand) -> Result<(), Busy> {
        let mailbox = match &self.mailbox {
            Route::Local(mailbox) => mailbox,
            Route::Remote(room) => return room.send(command).map_err(|_| Busy::Closed),
        };
        mailbox.try_send(command).map_err(|err| match err {
            mpsc::error::TrySendError::Full(command) => Busy::Full(command),
            mpsc::error::TrySendError::Closed(_) => Busy::Closed,
        })
    }

    /// Queues a command only if the mailbox has room at once: for hints the room may miss (another
    /// acknowledgement follows), so a busy room never holds up a reader for them.
    pub fn offer(&self, command: RoomCommand) {
        let _ = match &self.mailbox {
            Route::Local(mailbox) => mailbox.try_send(command).is_ok(),
            Route::Remote(room) => room.send(command).is_ok(),
        };
    }
}

/// Why [`RoomHandle::try_send`] did not send.
pub enum Busy {
    /// The mailbox is full; here is the command back.
    Full(RoomCommand),
    /// The room has closed.
    Closed,
}

/// Why [`Rooms::get_or_create_if`] did not create a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    /// The server holds its maximum number of rooms.
    #[error("the server holds its maximum number of rooms")]
    TooManyRooms,
    /// The caller may not create a room now.
    #[error("no new room now")]
    NotNow,
    /// The node is draining: it keeps its meetings and opens no new ones.
    #[error("the server is draining and opens no new rooms")]
    Draining,
}

struct Entry {
    handle: RoomHandle,
    generation: u64,
}

#[derive(Default)]
struct Registry {
    rooms: HashMap<RoomName, Entry>,
    next_generation: u64,
}

/// The rooms of one server, by name.
pub struct Rooms {
    registry: Mutex<Registry>,
    settings: Arc<RoomSettings>,
    max_rooms: usize,
    tasks: TaskTracker,
    /// Set while the node drains (see [`Rooms::set_draining`]).
    draining: std::sync::atomic::AtomicBool,
}

impl Rooms {
    /// An empty set of rooms; room tasks are spawned on `tasks`.
    pub fn new(settings: RoomSettings, max_rooms: usize, tasks: TaskTracker) -> Arc<Self> {
        let draining = std::sync::atomic::AtomicBool::new(false);
        Arc::new(Rooms { registry: Mutex::default(), settings: Arc::new(settings), max_rooms, tasks, draining })
    }

    /// The room called `name`, created if it does not exist and `may_create` agrees (asked only then, under
    /// the registry's lock, so it counts only rooms really created).
    pub fn get_or_create_if(
        self: &Arc<Self>,
        name: &RoomName,
        may_create: impl FnOnce() -> bool,
    ) -> Result<RoomHandle, CreateError> {
        let mut registry = self.lock();
        if let Some(entry) = registry.rooms.get(name) {
            return Ok(entry.handle.clone());
        }
        if self.is_draining() {
            return Err(CreateError::Draining);
        }
        if registry.rooms.len() >= self.max_rooms {
            return Err(CreateError::TooManyRooms);
        }
        if !may_create() {
            return Err(CreateError::NotNow);
        }
        let (mailbox, inbox) = mpsc::channel(self.settings.mailbox);
        let members = Arc::new(MemberTable::new());
        let weak = mailbox.downgrade();
        let handle = RoomHandle { mailbox: Route::Local(mailbox), members: Arc::clone(&members) };
        let generation = registry.next_generation;
        registry.next_generation += 1;
        registry.rooms.insert(name.clone(), Entry { handle: handle.clone(), generation });
        drop(registry);
        let room =
            task::RoomTask::new(name.clone(), generation, Arc::clone(&self.settings), Arc::clone(self), members, weak);
        self.tasks.spawn(room.run(inbox));
        Ok(handle)
    }

    /// Whether one more room could open here now: not draining, and fewer rooms than `max_rooms`.
    pub fn has_room_for_one_more(&self) -> bool {
        !self.is_draining() && self.lock().rooms.len() < self.max_rooms
    }

    /// Starts or stops draining: while draining, rooms that exist go on (joins and resumes included) and no
    /// new room is opened.
    pub fn set_draining(&self, draining: bool) {
        self.draining.store(draining, std::sync::atomic::Ordering::Release);
    }

    /// Whether the node is draining.
    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Every room open now, by name (sorted), with the way to reach it.
    pub fn list(&self) -> Vec<(RoomName, RoomHandle)> {
        let mut rooms: Vec<_> =
            self.lock().rooms.iter().map(|(name, entry)| (name.clone(), entry.handle.clone())).collect();
        rooms.sort_by(|a, b| a.0.cmp(&b.0));
        rooms
    }

    /// The room called `name`, if it is open.
    pub fn get(&self, name: &RoomName) -> Option<RoomHandle> {
        self.lock().rooms.get(name).map(|entry| entry.handle.clone())
    }

    /// The names of the rooms open in this process.
    pub fn names(&self) -> Vec<RoomName> {
        self.lock().rooms.keys().cloned().collect()
    }

    /// How many rooms exist.
    pub fn count(&self) -> usize {
        self.lock().rooms.len()
    }

    /// Forgets room `name` if it is still the instance `generation` (a newer one may have replaced it).
    /// Takes the room `name` out of the registry while its task goes on (its members are leaving): lookups
    /// no longer find it, and the task's own removal when it closes leaves a newer room of that name alone.
    pub fn forget(&self, name: &RoomName) -> Option<RoomHandle> {
        self.lock().rooms.remove(name).map(|entry| entry.handle)
    }

    fn remove(&self, name: &RoomName, generation: u64) {
        let mut registry = self.lock();
        if registry.rooms.get(name).is_some_and(|entry| entry.generation == generation) {
            registry.rooms.remove(name);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // The registry stays consistent even if a holder panicked: every change is a single map operation.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
