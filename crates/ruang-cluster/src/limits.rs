//! Limits every node of a cluster counts together: password attempts (per address group and per room),
//! events per address group (rooms opened, wrong API keys), and the claims on participants of a previous
//! instance. Each is one
//! atomic Redis step (a Lua script, or `SET NX`), so concurrent requests on any nodes never together
//! exceed a limit; every count lives in a key whose expiry is its window.
//!
//! What is counted, and what a node does when Redis does not answer, is the server's business; keys and
//! scripts are here ([`crate::keys`] names them). Address groups and room names come as text.

use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::ClusterError;
use crate::keys::{password_address, password_room, per_address, restored_claim};

/// How many password attempts are allowed per window, cluster-wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptLimits {
    /// Failed or pending attempts per address group.
    pub per_address: u32,
    /// Failed or pending attempts per room from fresh addresses.
    pub per_room_fresh: u32,
    /// Failed or pending attempts per room from all other addresses.
    pub per_room_others: u32,
    /// The window: a count's key expires this long after its first attempt.
    pub window: Duration,
    /// The least time a reservation keeps its keys alive, however late in the window it was taken: longer
    /// than any password check takes, so a reservation counts until it is settled.
    pub pending: Duration,
}

/// Reserves a password attempt: `KEYS` are the address group's count, the room's fresh count and the
/// room's others count; `ARGV` the three limits, the window and the pending time (ms). The address is fresh
/// if its count is zero (no failure in its window, nothing under way). Returns -1 if a limit is reached
/// (nothing counted), else 1 (fresh) or 0 (not fresh), both counted.
const RESERVE: &str = r"
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local fresh = used == 0
local budget, limit = KEYS[3], tonumber(ARGV[3])
if fresh then budget, limit = KEYS[2], tonumber(ARGV[2]) end
if used >= tonumber(ARGV[1]) or tonumber(redis.call('GET', budget) or '0') >= limit then
  return -1
end
for _, key in ipairs({KEYS[1], budget}) do
  redis.call('INCR', key)
  local left = redis.call('PTTL', key)
  local want = left
  if left < 0 then want = tonumber(ARGV[4]) end
  if want < tonumber(ARGV[5]) then want = tonumber(ARGV[5]) end
  if want ~= left then redis.call('PEXPIRE', key, want) end
end
if fresh then return 1 end
return 0
";

/// Gives a reservation back (a right password, or one never checked): decrements `KEYS` that still count
/// something (a key that expired meanwhile is left alone).
const GIVE_BACK: &str = r"
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
return 1
";

/// Counts one event against `KEYS[1]` if it is under `ARGV[1]`, with the key expiring `ARGV[2]` ms after
/// its first event: 1 if counted, 0 if the limit is reached (nothing counted).
const TAKE: &str = r"
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then
  return 0
end
redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
";

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Which of a room's budgets an attempt draws on.
fn room_budget(room: &str, fresh: bool) -> String {
    password_room(room, if fresh { "fresh" } else { "others" })
}

/// Reserves a password attempt from address group `address` at `room`: `Some(fresh)` if counted (whether
/// the address was fresh, and so drew on the room's fresh budget), `None` if a limit is reached.
pub async fn reserve_attempt(
    redis: &mut ConnectionManager,
    address: &str,
    room: &str,
    limits: &AttemptLimits,
) -> Result<Option<bool>, ClusterError> {
    let answer: i64 = redis::Script::new(RESERVE)
        .key(password_address(address))
        .key(room_budget(room, true))
        .key(room_budget(room, false))
        .arg(limits.per_address)
        .arg(limits.per_room_fresh)
        .arg(limits.per_room_others)
        .arg(millis(limits.window))
        .arg(millis(limits.pending))
        .invoke_async(redis)
        .await?;
    Ok(match answer {
        1 => Some(true),
        0 => Some(false),
        _ => None,
    })
}

/// Settles a reservation [`reserve_attempt`] counted: a failure stays counted for the window (nothing to
/// do); anything else is given back.
pub async fn settle_attempt(
    redis: &mut ConnectionManager,
    address: &str,
    room: &str,
    fresh: bool,
    failed: bool,
) -> Result<(), ClusterError> {
    if failed {
        return Ok(());
    }
    let _: i64 = redis::Script::new(GIVE_BACK)
        .key(password_address(address))
        .key(room_budget(room, fresh))
        .invoke_async(redis)
        .await?;
    Ok(())
}

/// Counts an event of kind `kind` (`rooms`, `api-keys`) from address group `address` if it had fewer than
/// `limit` in its `window` (the key expires `window` after its first event): `false` if the limit is
/// reached, nothing counted.
pub async fn take(
    redis: &mut ConnectionManager,
    kind: &str,
    address: &str,
    limit: u32,
    window: Duration,
) -> Result<bool, ClusterError> {
    let key = per_address(kind, address);
    let taken: i64 = redis::Script::new(TAKE).key(key).arg(limit).arg(millis(window)).invoke_async(redis).await?;
    Ok(taken == 1)
}

/// Gives back an event [`take`] counted (it turned out not to count: a right API key), if its window is
/// still running.
pub async fn give_back(redis: &mut ConnectionManager, kind: &str, address: &str) -> Result<(), ClusterError> {
    let _: i64 = redis::Script::new(GIVE_BACK).key(per_address(kind, address)).invoke_async(redis).await?;
    Ok(())
}

/// Claims participant `id` (its 16 hex digits) of a previous instance, remembered for `ttl`: `true` for the
/// first claim, on any node, `false` for every later one (`SET NX`).
pub async fn claim_restored(redis: &mut ConnectionManager, id: &str, ttl: Duration) -> Result<bool, ClusterError> {
    let set: Option<String> = redis::cmd("SET")
        .arg(restored_claim(id))
        .arg(1)
        .arg("NX")
        .arg("PX")
        .arg(millis(ttl))
        .query_async(redis)
        .await?;
    Ok(set.is_some())
}
