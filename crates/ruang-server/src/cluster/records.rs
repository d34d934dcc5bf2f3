//! Meeting records shared through Redis, so a room outlives its owner node: [`ClusterRecords`] is the
//! `MeetingRecords` of a node in a cluster. Rooms keep using this node's store as always (loads are local
//! and never wait); every save is also queued for Redis, where one writer task per node writes the latest
//! record of each room (older ones that piled up are skipped), only while the room's lease is this node's
//! or free ([`ruang_cluster::records`]). The node that takes a room over reads its record from Redis into its
//! own store before it opens the room ([`super::Cluster::adopt_record`]), so the room is rebuilt with its
//! roster (ids, roles), bans, lock, lobby and chat, and the participants resume into it.
//!
//! A record's TTL is the resume grace period plus two lease TTLs, renewed with the room's lease while the
//! room is open here: an abandoned room's record vanishes by itself. What the owner accepted but had not
//! yet written when it died (the last chat messages, a role change) is lost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ruang_cluster::{ConnectionManager, NodeId, records};
use ruang_proto::RoomName;
use ruang_room::LogName;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::store::{MeetingRecord, MeetingRecords, MeetingStore};
use crate::warn_every::{REDIS_WARN_PERIOD, WarnEvery};

/// The largest record written to Redis; a larger one (a long chat of long messages) is written without its
/// chat, which the rebuilt room then starts empty (numbering on).
const MAX_RECORD_BYTES: usize = 512 * 1024;
/// How long the writer waits before trying again when Redis did not answer.
const RETRY: Duration = Duration::from_millis(500);

/// Per room: the record to write, or `None` to delete it (encoded by the writer, off the room's task).
type Pending = HashMap<RoomName, Option<MeetingRecord>>;

/// A node's meeting records: its own store, mirrored to Redis.
pub struct ClusterRecords {
    local: Arc<MeetingStore>,
    pending: Arc<Mutex<Pending>>,
    wake: Arc<Notify>,
}

impl ClusterRecords {
    /// Records kept in `local` and written to Redis as node `node` (records living `ttl` unless renewed) by a
    /// task spawned here, until `shutdown`.
    pub(super) fn start(
        local: Arc<MeetingStore>,
        redis: ConnectionManager,
        node: NodeId,
        ttl: Duration,
        shutdown: CancellationToken,
    ) -> Self {
        let (pending, wake) = (Arc::new(Mutex::new(Pending::new())), Arc::new(Notify::new()));
        tokio::spawn(write_behind(redis, node, ttl, Arc::clone(&pending), Arc::clone(&wake), shutdown));
        ClusterRecords { local, pending, wake }
    }

    /// This node's own store.
    pub(super) fn local(&self) -> &MeetingStore {
        &self.local
    }

    /// Writes `room`'s record to Redis again, as this node's store holds it (Redis may have lost it).
    pub(super) fn rewrite(&self, room: &RoomName, now_secs: u64) {
        if let Some(record) = self.local.load(room, now_secs) {
            self.queue(room, (!record.is_blank()).then_some(record));
        }
    }

    fn queue(&self, room: &RoomName, record: Option<MeetingRecord>) {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner).insert(room.clone(), record);
        self.wake.notify_one();
    }
}

impl MeetingRecords for ClusterRecords {
    fn load(&self, room: &RoomName, now_secs: u64) -> Option<MeetingRecord> {
        self.local.load(room, now_secs)
    }

    fn save(&self, room: &RoomName, record: MeetingRecord, now_secs: u64) {
        let mirrored = (!record.is_blank()).then(|| record.clone());
        self.local.save(room, record, now_secs);
        self.queue(room, mirrored);
    }

    fn is_persistent(&self) -> bool {
        self.local.is_persistent()
    }
}

/// The record as JSON, without its chat if it would be too large.
fn encode(record: &MeetingRecord) -> Vec<u8> {
    // A record is plain data: serializing it cannot fail.
    let json = serde_json::to_vec(record).unwrap_or_default();
    if json.len() <= MAX_RECORD_BYTES {
        return json;
    }
    let without_chat = MeetingRecord { chat: Vec::new(), ..record.clone() };
    serde_json::to_vec(&without_chat).unwrap_or_default()
}

/// Reads a record from Redis; `None` if it does not decode (it is then not used).
pub(super) fn decode(json: &[u8]) -> Option<MeetingRecord> {
    serde_json::from_slice(json).ok()
}

/// The writer task: writes what is pending, room by room; what Redis did not take is tried again (unless a
/// newer record replaced it meanwhile).
async fn write_behind(
    mut redis: ConnectionManager,
    node: NodeId,
    ttl: Duration,
    pending: Arc<Mutex<Pending>>,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    // While Redis is away every room's record fails again every RETRY: one line per period.
    let failing = WarnEvery::new(REDIS_WARN_PERIOD);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = wake.notified() => {}
        }
        loop {
            let batch = std::mem::take(&mut *pending.lock().unwrap_or_else(PoisonError::into_inner));
            if batch.is_empty() {
                break;
            }
            let mut failed = Pending::new();
            for (room, record) in batch {
                let json = record.as_ref().map(encode);
                match records::write(&mut redis, room.as_str(), node, json.as_deref(), ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(room = %LogName::of_str(room.as_str()), "cluster: another node owns the room; its record is theirs")
                    }
                    Err(err) => {
                        if let Some(folded) = failing.due(std::time::Instant::now()) {
                            tracing::warn!(%err, room = %LogName::of_str(room.as_str()), folded, "cluster: cannot write a meeting record; trying again");
                        }
                        failed.insert(room, record);
                    }
                }
            }
            if !failed.is_empty() {
                {
                    let mut pending = pending.lock().unwrap_or_else(PoisonError::into_inner);
                    for (room, record) in failed {
                        pending.entry(room).or_insert(record);
                    }
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(RETRY) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ruang_proto::{ChatEntry, PeerId};

    use super::*;

    #[test]
    fn a_record_too_large_for_redis_goes_without_its_chat_but_numbers_on() {
        let said = |seq| ChatEntry { seq, from: PeerId::from_bits(1), name: "p".into(), text: "x".repeat(4096), ts: 1 };
        let small = MeetingRecord { chat_seq: 2, chat: vec![said(1), said(2)], ..MeetingRecord::default() };
        assert_eq!(decode(&encode(&small)), Some(small));
        let chat: Vec<ChatEntry> = (1..=200).map(said).collect();
        let large = MeetingRecord { chat_seq: 200, chat, ..MeetingRecord::default() };
        let written = encode(&large);
        assert!(written.len() <= MAX_RECORD_BYTES);
        let read = decode(&written).unwrap_or_else(|| panic!("decodes"));
        assert_eq!((read.chat_seq, read.chat.len()), (200, 0));
    }

    #[test]
    fn what_is_not_a_record_is_not_used() {
        assert_eq!(decode(b"not json"), None);
        assert_eq!(decode(br#"{"roster": 7}"#), None);
    }
}
