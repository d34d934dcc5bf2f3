//! The seam where a session finds the room it joins or resumes in: every room in this process
//! ([`LocalDirectory`]), or, with `--redis`, rooms shared by the nodes of a cluster
//! (`crate::cluster::ClusterDirectory`), without touching session code.

use std::pin::Pin;
use std::sync::Arc;

use ruang_proto::RoomName;

use super::{CreateError, RoomHandle, Rooms};

/// What [`RoomDirectory::find_or_open`] answers with, later (a shared directory asks Redis first).
pub type DirectoryFuture<'a> = Pin<Box<dyn Future<Output = Result<RoomHandle, CreateError>> + Send + 'a>>;

/// Finds rooms by name, opening them when needed.
pub trait RoomDirectory: Send + Sync + 'static {
    /// The room called `name`, opened if it is not open and `may_open` agrees (asked only then, so it counts
    /// only rooms really opened).
    fn find_or_open<'a>(
        &'a self,
        name: &'a RoomName,
        may_open: &'a mut (dyn FnMut() -> bool + Send),
    ) -> DirectoryFuture<'a>;

    /// How many rooms are open here.
    fn count(&self) -> usize;
}

/// The rooms of this process.
pub struct LocalDirectory {
    rooms: Arc<Rooms>,
}

impl LocalDirectory {
    /// A directory of `rooms`.
    pub fn new(rooms: Arc<Rooms>) -> Self {
        LocalDirectory { rooms }
    }
}

impl RoomDirectory for LocalDirectory {
    fn find_or_open<'a>(
        &'a self,
        name: &'a RoomName,
        may_open: &'a mut (dyn FnMut() -> bool + Send),
    ) -> DirectoryFuture<'a> {
        let found = self.rooms.get_or_create_if(name, may_open);
        Box::pin(std::future::ready(found))
    }

    fn count(&self) -> usize {
        self.rooms.count()
    }
}
