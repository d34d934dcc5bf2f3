//! Meeting records in Redis ([`crate::keys::room_record`]): what a node needs to rebuild a room whose owner
//! was lost. The owner writes a room's record whenever its meeting changes, and only while the room's
//! lease is its own or free (a node that lost the lease to another can no longer overwrite what the new
//! owner writes); the node that takes the lease over reads it before it opens the room. The value is
//! opaque here (the server's JSON); its size is the writer's to bound.
//!
//! Every record has a TTL: the owner renews it with its leases ([`touch`]), so the record of a room whose
//! owner died, and that nobody took over, vanishes by itself.

use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::keys::{room_owner, room_record};
use crate::{ClusterError, NodeId};

/// Writes `ARGV[2]` (or deletes the record when it is empty) with a TTL of `ARGV[3]` ms, unless another node
/// than `ARGV[1]` holds the lease: 1 if written, 0 if not.
const WRITE: &str = r"
local owner = redis.call('GET', KEYS[2])
if owner and owner ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
";

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Writes `room`'s record as node `node` (`None` deletes it), to live `ttl` unless renewed: `false` if another
/// node holds the room's lease, which then writes the record itself.
pub async fn write(
    redis: &mut ConnectionManager,
    room: &str,
    node: NodeId,
    record: Option<&[u8]>,
    ttl: Duration,
) -> Result<bool, ClusterError> {
    let written: i64 = redis::Script::new(WRITE)
        .key(room_record(room))
        .key(room_owner(room))
        .arg(node.to_string())
        .arg(record.unwrap_or_default())
        .arg(millis(ttl))
        .invoke_async(redis)
        .await?;
    Ok(written == 1)
}

/// `room`'s record, if there is one.
pub async fn read(redis: &mut ConnectionManager, room: &str) -> Result<Option<Vec<u8>>, ClusterError> {
    Ok(redis::cmd("GET").arg(room_record(room)).query_async(redis).await?)
}

/// Whether each of `rooms` has a record now, in the order given; one round trip. A free lease with a
/// record means the owner stopped renewing while Redis kept its data (the owner is lost); a free lease
/// without one may be Redis having lost everything (a restart), which the live owner repairs itself.
pub async fn present(redis: &mut ConnectionManager, rooms: &[String]) -> Result<Vec<bool>, ClusterError> {
    if rooms.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for room in rooms {
        pipe.cmd("EXISTS").arg(room_record(room));
    }
    let found: Vec<i64> = pipe.query_async(redis).await?;
    Ok(found.into_iter().map(|count| count > 0).collect())
}

/// Gives the records of `rooms` (those that exist) `ttl` more to live; one round trip.
pub async fn touch(redis: &mut ConnectionManager, rooms: &[String], ttl: Duration) -> Result<(), ClusterError> {
    if rooms.is_empty() {
        return Ok(());
    }
    let mut pipe = redis::pipe();
    for room in rooms {
        pipe.cmd("PEXPIRE").arg(room_record(room)).arg(millis(ttl)).ignore();
    }
    pipe.query_async::<()>(redis).await?;
    Ok(())
}
