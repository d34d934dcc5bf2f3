//! What a meeting must keep across a restart of the server: who is in it and with which role, whom it
//! banned (by participant, address and browser key), and whether it is locked and has its lobby on.
//!
//! The store is a map in memory, one [`MeetingRecord`] per room, written by each room task as its meeting
//! changes. With a data directory ([`MeetingStore::open`]) every change is also written, behind the room's
//! back, to an embedded database ([`disk`]) that the next server instance reads at start; without one the
//! records live only as long as the process.
//!
//! Sizes are bounded: a record holds at most the room's members and [`MAX_BANS`] entries of each kind, and
//! the store at most `capacity` records. A meeting that ended (everyone left) is forgotten `forget_after`
//! later, the resume grace period: nobody can resume into it after that.
//!
//! Rooms see the store only as [`MeetingRecords`], so records (and the bans in them, which a room checks
//! before letting anyone in) can later be kept where every node of a cluster finds them.

mod disk;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ruang_proto::RoomName;

pub use disk::StoreError;
pub use ruang_room::record::{BrowserKeyHash, MAX_BANS, MeetingRecord, Seat, ban_address};

/// Where rooms keep their meetings' records: what a room loads when it opens (its bans, roster, lock and
/// lobby) and saves as they change. [`MeetingStore`] keeps them in this process, optionally on disk.
///
/// A room's bans are its record's: the room checks a newcomer against the record it holds, so a ban holds
/// wherever the room runs next only if the record went with it. One implementation shared by several
/// nodes (say in Redis) must therefore guarantee:
///
/// - [`save`](Self::save) is visible to every later [`load`](Self::load) of the room on any node (a room
///   runs on one node at a time, so last-writer-wins per room is enough);
/// - a saved record is whole: a load never sees part of one save and part of another;
/// - an ended meeting's record is kept for the resume grace period (its bans hold meanwhile), then forgotten.
pub trait MeetingRecords: Send + Sync {
    /// The record of `room`, unless there is none or its meeting ended too long before `now_secs`.
    fn load(&self, room: &RoomName, now_secs: u64) -> Option<MeetingRecord>;

    /// Keeps `record` as the state of `room`'s meeting (a record with nothing to remember is forgotten).
    fn save(&self, room: &RoomName, record: MeetingRecord, now_secs: u64);

    /// Whether records outlive the process, so a room without a record after a restart is one that ended
    /// (or was forgotten) rather than one this process never knew.
    fn is_persistent(&self) -> bool;
}

impl MeetingRecords for MeetingStore {
    fn load(&self, room: &RoomName, now_secs: u64) -> Option<MeetingRecord> {
        MeetingStore::load(self, room, now_secs)
    }

    fn save(&self, room: &RoomName, record: MeetingRecord, now_secs: u64) {
        MeetingStore::save(self, room, record, now_secs);
    }

    fn is_persistent(&self) -> bool {
        MeetingStore::is_persistent(self)
    }
}

/// The meetings of one server, in memory, optionally mirrored to disk.
pub struct MeetingStore {
    records: Mutex<Records>,
    forget_after: Duration,
    capacity: usize,
    disk: Option<disk::Disk>,
}

#[derive(Default)]
struct Records {
    by_room: HashMap<RoomName, MeetingRecord>,
    /// When ended meetings were last looked for, in seconds since the Unix epoch.
    last_sweep: u64,
}

impl MeetingStore {
    /// A store that lives as long as the process, holding at most `capacity` meetings.
    pub fn in_memory(forget_after: Duration, capacity: usize) -> Self {
        MeetingStore { records: Mutex::default(), forget_after, capacity: capacity.max(1), disk: None }
    }

    /// A store kept in `dir` (created if missing), with what a previous instance left there that is not
    /// yet forgotten at `now_secs`.
    pub fn open(dir: &Path, forget_after: Duration, capacity: usize, now_secs: u64) -> Result<Self, StoreError> {
        let (disk, kept) = disk::Disk::open(dir, |record| !is_forgotten(record, forget_after, now_secs))?;
        let mut store = MeetingStore::in_memory(forget_after, capacity);
        store.records.get_mut().unwrap_or_else(PoisonError::into_inner).by_room = kept;
        store.disk = Some(disk);
        Ok(store)
    }

    /// Whether what is stored outlives the process, so a room without a record after a restart is one that
    /// ended (or was forgotten) rather than one this process never knew.
    pub fn is_persistent(&self) -> bool {
        self.disk.is_some()
    }

    /// The record of `room`, unless there is none or its meeting ended too long before `now_secs`.
    pub fn load(&self, room: &RoomName, now_secs: u64) -> Option<MeetingRecord> {
        let record = self.lock().by_room.get(room).cloned()?;
        (!is_forgotten(&record, self.forget_after, now_secs)).then_some(record)
    }

    /// Keeps `record` as the state of `room`'s meeting (a record with nothing to remember is forgotten).
    pub fn save(&self, room: &RoomName, record: MeetingRecord, now_secs: u64) {
        let mut records = self.lock();
        let mut gone = Vec::new();
        if records.last_sweep < now_secs {
            records.last_sweep = now_secs;
            let forget_after = self.forget_after;
            records.by_room.retain(|name, kept| {
                let keep = !is_forgotten(kept, forget_after, now_secs);
                if !keep {
                    gone.push(name.clone());
                }
                keep
            });
        }
        let to_keep = (!record.is_blank()).then_some(record);
        match &to_keep {
            Some(record) => {
                if !records.by_room.contains_key(room) && records.by_room.len() >= self.capacity {
                    gone.extend(evict_oldest_ended(&mut records.by_room));
                }
                records.by_room.insert(room.clone(), record.clone());
            }
            None => {
                records.by_room.remove(room);
            }
        }
        drop(records);
        if let Some(disk) = &self.disk {
            disk.write(gone.into_iter().map(|name| (name, None)).chain([(room.clone(), to_keep)]));
        }
    }

    /// Writes out what is still pending and closes the database, so another instance can open it.
    pub fn close(&self) {
        if let Some(disk) = &self.disk {
            disk.close();
        }
    }

    /// How many meetings are kept.
    pub fn len(&self) -> usize {
        self.lock().by_room.len()
    }

    /// Whether no meeting is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // Every change is one map operation, so a holder that panicked left the map whole.
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn is_forgotten(record: &MeetingRecord, forget_after: Duration, now_secs: u64) -> bool {
    record.ended_at.is_some_and(|ended| ended.saturating_add(forget_after.as_secs().max(1)) < now_secs)
}

/// Drops the meeting that ended first, if any ended; returns its room.
fn evict_oldest_ended(by_room: &mut HashMap<RoomName, MeetingRecord>) -> Option<RoomName> {
    let oldest = by_room.iter().filter_map(|(name, r)| r.ended_at.map(|at| (at, name))).min()?.1.clone();
    by_room.remove(&oldest);
    Some(oldest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruang_proto::{PeerId, Role};

    fn room(name: &str) -> RoomName {
        RoomName::parse(name).unwrap_or_else(|| unreachable!())
    }

    fn meeting(ended_at: Option<u64>) -> MeetingRecord {
        let seat = Seat { id: PeerId::from_bits(1), role: Role::Host, key: None, generation: 0 };
        MeetingRecord { roster: vec![seat], banned_ids: vec![PeerId::from_bits(2)], ended_at, ..Default::default() }
    }

    #[test]
    fn an_ended_meeting_is_forgotten_after_the_grace_period() {
        let store = MeetingStore::in_memory(Duration::from_secs(30), 10);
        store.save(&room("a"), meeting(Some(100)), 100);
        assert!(store.load(&room("a"), 130).is_some());
        assert!(store.load(&room("a"), 131).is_none());
        store.save(&room("b"), meeting(None), 200);
        assert_eq!(store.len(), 1, "the forgotten one was swept");
        assert!(store.load(&room("b"), 10_000).is_some(), "a meeting going on is kept");
    }

    #[test]
    fn a_full_store_drops_the_meeting_that_ended_first() {
        let store = MeetingStore::in_memory(Duration::from_secs(30), 2);
        store.save(&room("a"), meeting(Some(12)), 12);
        store.save(&room("b"), meeting(Some(10)), 12);
        store.save(&room("c"), meeting(None), 12);
        assert_eq!(store.len(), 2);
        assert!(store.load(&room("b"), 12).is_none());
        assert!(store.load(&room("a"), 12).is_some());
    }

    #[test]
    fn a_record_with_nothing_to_remember_is_dropped() {
        let store = MeetingStore::in_memory(Duration::from_secs(30), 2);
        store.save(&room("a"), meeting(None), 1);
        store.save(&room("a"), MeetingRecord { ended_at: Some(1), ..Default::default() }, 1);
        assert!(store.is_empty());
    }

    #[test]
    fn a_data_directory_serves_one_server_at_a_time() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let first = MeetingStore::open(dir.path(), Duration::from_secs(30), 10, 0);
        assert!(first.is_ok());
        assert!(matches!(MeetingStore::open(dir.path(), Duration::from_secs(30), 10, 0), Err(StoreError::Database(_))));
    }

    #[test]
    fn a_stored_meeting_survives_reopening_the_directory_until_it_is_forgotten() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let store =
            MeetingStore::open(dir.path(), Duration::from_secs(30), 10, 100).unwrap_or_else(|err| panic!("{err}"));
        assert!(store.is_persistent());
        store.save(&room("live"), meeting(None), 100);
        store.save(&room("ended"), meeting(Some(100)), 100);
        store.close();
        let again =
            MeetingStore::open(dir.path(), Duration::from_secs(30), 10, 120).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(again.load(&room("live"), 120), Some(meeting(None)));
        assert_eq!(again.load(&room("ended"), 120), Some(meeting(Some(100))));
        again.close();
        let later =
            MeetingStore::open(dir.path(), Duration::from_secs(30), 10, 500).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(later.len(), 1, "the ended meeting is forgotten");
        later.close();
    }
}
