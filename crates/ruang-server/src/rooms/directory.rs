//! The seam where a session finds the room it joins or resumes in. Today every room lives in this process
//! ([`LocalDirectory`]); a directory shared by several nodes (over Redis, say) can take its place without
//! touching session code.

use std::sync::Arc;

use ruang_proto::RoomName;

use super::{CreateError, RoomHandle, Rooms};

/// Finds rooms by name, opening them when needed.
pub trait RoomDirectory: Send + Sync + 'static {
    /// The room called `name`, opened if it is not open and `may_open` agrees (asked only then, so it counts
    /// only rooms really opened).
    fn find_or_open(&self, name: &RoomName, may_open: &mut dyn FnMut() -> bool) -> Result<RoomHandle, CreateError>;

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
    fn find_or_open(&self, name: &RoomName, may_open: &mut dyn FnMut() -> bool) -> Result<RoomHandle, CreateError> {
        self.rooms.get_or_create_if(name, may_open)
    }

    fn count(&self) -> usize {
        self.rooms.count()
    }
}
