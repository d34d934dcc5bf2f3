//! The store's copy on disk: one `redb` table, room name to the record as JSON, in `meetings.redb` in the
//! data directory. Room tasks never wait for it: their changes are handed to one writer thread, which
//! writes whatever has piled up in one transaction (the latest record of each room wins).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use redb::{Database, ReadableTable, TableDefinition};
use ruang_proto::RoomName;

use super::MeetingRecord;

const MEETINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("meetings");

/// The file in the data directory.
const FILE: &str = "meetings.redb";

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be made.
    #[error("cannot create the data directory: {0}")]
    Directory(#[from] std::io::Error),
    /// The database could not be opened or read (another server may be using the directory).
    #[error("cannot open the meeting store: {0}")]
    Database(#[from] redb::Error),
}

pub(super) struct Disk {
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
}

#[derive(Default)]
struct Pending {
    /// Per room: the record to write (serialized by the writer thread, off the room's task), or `None` to
    /// delete it.
    writes: HashMap<String, Option<MeetingRecord>>,
    closing: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Kept = HashMap<RoomName, MeetingRecord>;

impl Disk {
    /// Opens (or creates) the database in `dir` and reads the records `keep` accepts; the others, and any
    /// that cannot be read, are deleted.
    pub(super) fn open(dir: &Path, keep: impl Fn(&MeetingRecord) -> bool) -> Result<(Disk, Kept), StoreError> {
        std::fs::create_dir_all(dir)?;
        let db = Database::create(dir.join(FILE)).map_err(redb::Error::from)?;
        let kept = read_all(&db, keep).map_err(StoreError::Database)?;
        let shared = Arc::new(Shared { pending: Mutex::default(), wake: Condvar::new() });
        let writer_shared = Arc::clone(&shared);
        let writer =
            std::thread::Builder::new().name("ruang-store".into()).spawn(move || write_behind(&db, &writer_shared))?;
        Ok((Disk { shared, writer: Mutex::new(Some(writer)) }, kept))
    }

    /// Queues changes: a record to write, or `None` to delete the room's.
    pub(super) fn write(&self, changes: impl IntoIterator<Item = (RoomName, Option<MeetingRecord>)>) {
        let mut pending = self.shared.lock();
        for (room, record) in changes {
            pending.writes.insert(room.as_str().to_owned(), record);
        }
        drop(pending);
        self.shared.wake.notify_one();
    }

    /// Writes what is pending, then stops the writer, which closes the database.
    pub(super) fn close(&self) {
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        self.close();
    }
}

fn read_all(db: &Database, keep: impl Fn(&MeetingRecord) -> bool) -> Result<Kept, redb::Error> {
    let txn = db.begin_write()?;
    let mut kept = HashMap::new();
    {
        let mut table = txn.open_table(MEETINGS)?;
        let mut gone = Vec::new();
        for entry in table.iter()? {
            let (name, json) = entry?;
            let name = name.value().to_owned();
            match (RoomName::parse(&name), serde_json::from_slice::<MeetingRecord>(json.value())) {
                (Some(room), Ok(record)) if keep(&record) => {
                    kept.insert(room, record);
                }
                _ => gone.push(name),
            }
        }
        for name in gone {
            table.remove(name.as_str())?;
        }
    }
    txn.commit()?;
    Ok(kept)
}

/// The writer thread: waits for changes and writes each batch in one transaction, until closed.
fn write_behind(db: &Database, shared: &Shared) {
    loop {
        let mut pending = shared.lock();
        while pending.writes.is_empty() && !pending.closing {
            pending = shared.wake.wait(pending).unwrap_or_else(PoisonError::into_inner);
        }
        let batch = std::mem::take(&mut pending.writes);
        let closing = pending.closing;
        drop(pending);
        if batch.is_empty() && closing {
            return;
        }
        if let Err(err) = commit(db, batch) {
            tracing::warn!(%err, "could not write the meeting store");
        }
    }
}

fn commit(db: &Database, batch: HashMap<String, Option<MeetingRecord>>) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    {
        let mut table = txn.open_table(MEETINGS)?;
        for (room, record) in batch {
            match record {
                Some(record) => {
                    // A record is plain data: serializing it cannot fail.
                    let json = serde_json::to_vec(&record).unwrap_or_default();
                    table.insert(room.as_str(), json.as_slice())?
                }
                None => table.remove(room.as_str())?,
            };
        }
    }
    txn.commit()?;
    Ok(())
}
