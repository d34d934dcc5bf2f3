//! The relay path: a `signal` goes from the sender's reader straight into the target's post, through the
//! member table its room publishes, without a hop through the room's task. The sender is the session's own
//! member id (never the client's word), and only members of the same room are reachable.
//!
//! Ordering with the room's own messages holds by the table's lock: the room changes its membership and
//! pushes what announces it under the write lock, and the relay holds the read lock across the lookup and
//! the push. So the target has been told the sender joined before any signal from it arrives, and nothing
//! is relayed to a member after the others were told it left (docs/design/relay-path.md).

use ruang_member::{DeliveryError, Frame, MemberTable};
use ruang_proto::{Limits, PeerId, Rejection, ServerMessage, SignalPayload};

/// Relays `data` from `from` to `to` in the room whose members are `table`, stamped with the sender. The
/// rejection is the sender's answer (not in the room, itself, unknown target, viewer sending media). A
/// target that cannot keep up is told to go ([`ruang_member::Disconnect::Slow`]) and its session detaches
/// it; what it missed is kept for its resume. The frame was read with the SFU's SDP limit
/// ([`Limits::for_reading`]); an SDP to any other target is held here to `limits.max_sdp_bytes`. Returns
/// the bytes relayed (the frame's JSON), for the metrics.
pub(crate) fn signal(
    table: &MemberTable,
    limits: &Limits,
    from: PeerId,
    to: PeerId,
    data: SignalPayload,
) -> Result<u64, Rejection> {
    let members = table.read();
    let target = members.get(to);
    let sender = members.get(from).map(|entry| entry.role);
    ruang_room::check_signal(from, sender, to, target.is_some(), &data)?;
    let Some(target) = target else { return Ok(0) };
    if !target.sfu {
        ruang_proto::check_peer_sdp(&data, limits)?;
    }
    let frame = Frame::single(ServerMessage::Signal { from, data });
    if target.post.push(&frame, tokio::time::Instant::now().into_std()) == Err(DeliveryError::Full) {
        tracing::info!(peer = %to, "connection dropped: send queue full");
    }
    Ok(u64::try_from(frame.json_len()).unwrap_or(u64::MAX))
}
