//! The seam where a session finds the room it joins or resumes in: every room in this process
//! ([`LocalDirectory`]), or, with `--redis`, rooms shared by the nodes of a cluster
//! (`crate::cluster::ClusterDirectory`), without touching session code. A directory also counts the rooms
//! each client address opens (`rooms_per_address_per_minute`): in this process, or across the cluster.

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use ruang_proto::RoomName;
use tokio::time::Instant;

use super::{CreateError, RoomHandle, Rooms};
use crate::address::PerAddress;

/// What [`RoomDirectory::find_or_open`] answers with, later (a shared directory asks Redis first).
pub type DirectoryFuture<'a> = Pin<Box<dyn Future<Output = Result<RoomHandle, CreateError>> + Send + 'a>>;

/// Who opens a room that is not open yet, for the budget of rooms each address may open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opener {
    /// A join from this client address: the room opens only if its group may open one more now.
    Client(Option<IpAddr>),
    /// A resume (only a signed token gets here), or a room another node sends a member to: not counted.
    Uncounted,
}

/// Finds rooms by name, opening them when needed.
pub trait RoomDirectory: Send + Sync + 'static {
    /// The room called `name`, opened if it is not open and `opener` may open it (counted only then, so
    /// only rooms really opened count).
    fn find_or_open<'a>(&'a self, name: &'a RoomName, opener: Opener) -> DirectoryFuture<'a>;

    /// How many rooms are open here.
    fn count(&self) -> usize;
}

/// The rooms of this process.
pub struct LocalDirectory {
    rooms: Arc<Rooms>,
    opened: PerAddress,
}

impl LocalDirectory {
    /// A directory of `rooms`, where each address group opens at most the rooms `opened` allows.
    pub fn new(rooms: Arc<Rooms>, opened: PerAddress) -> Self {
        LocalDirectory { rooms, opened }
    }
}

impl RoomDirectory for LocalDirectory {
    fn find_or_open<'a>(&'a self, name: &'a RoomName, opener: Opener) -> DirectoryFuture<'a> {
        let found = match opener {
            Opener::Client(address) => self.rooms.get_or_create_if(name, || self.opened.take(address, Instant::now())),
            Opener::Uncounted => self.rooms.get_or_create_if(name, || true),
        };
        Box::pin(std::future::ready(found))
    }

    fn count(&self) -> usize {
        self.rooms.count()
    }
}
