//! The rules for relaying a `signal`, apart from the room's state, so that whoever relays (the room, or a
//! member's connection pushing straight into the target's post) applies the same ones: the sender must be
//! a member, may not signal itself, the target must be a member of the same room, and a viewer may not
//! offer or answer to send media.

use ruang_proto::{ErrorCode, PeerId, Rejection, Role, SignalData, SignalPayload};

use crate::roster::{not_in_room, unknown_peer};

/// Whether `from` may relay `data` to `to`: `sender` is its role if it is a member of the room (not one
/// waiting in the lobby), and `target_present` whether `to` is a member. The rejection is what the sender
/// is answered, in this order of checks.
pub fn check_signal(
    from: PeerId,
    sender: Option<Role>,
    to: PeerId,
    target_present: bool,
    data: &SignalPayload,
) -> Result<(), Rejection> {
    let Some(role) = sender else { return Err(not_in_room()) };
    if from == to {
        return Err(Rejection::new(ErrorCode::InvalidMessage, "a participant cannot signal itself"));
    }
    if !target_present {
        return Err(unknown_peer(to));
    }
    // The role first: `data()` unescapes an SDP, which only a viewer's offer or answer needs.
    if role == Role::Viewer
        && matches!(data.data(), SignalData::Offer { sdp } | SignalData::Answer { sdp } if sdp_sends_media(sdp))
    {
        return Err(Rejection::new(ErrorCode::Forbidden, "viewers do not send media: use recvonly"));
    }
    Ok(())
}

/// Whether a session description sends audio or video: an audio or video section whose direction is
/// `sendrecv` or `sendonly` (or left out, which means `sendrecv`).
fn sdp_sends_media(sdp: &str) -> bool {
    let mut sends = false;
    let mut in_media = false;
    let mut direction_seen = false;
    for line in sdp.lines().map(str::trim_end) {
        if let Some(section) = line.strip_prefix("m=") {
            sends |= in_media && !direction_seen;
            in_media = section.starts_with("audio") || section.starts_with("video");
            direction_seen = false;
        } else if in_media && matches!(line, "a=sendrecv" | "a=sendonly" | "a=recvonly" | "a=inactive") {
            direction_seen = true;
            sends |= matches!(line, "a=sendrecv" | "a=sendonly");
        }
    }
    sends || (in_media && !direction_seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(sdp: &str) -> SignalPayload {
        SignalPayload::from(SignalData::Offer { sdp: sdp.into() })
    }

    #[test]
    fn checks_membership_then_self_then_target_then_viewer_media() {
        let (a, b) = (PeerId::from_bits(1), PeerId::from_bits(2));
        let sends = offer("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n");
        let receives = offer("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n");
        let code = |result: Result<(), Rejection>| result.err().map(|r| r.code);
        assert_eq!(code(check_signal(a, None, a, false, &sends)), Some(ErrorCode::NotJoined));
        assert_eq!(code(check_signal(a, Some(Role::Host), a, true, &sends)), Some(ErrorCode::InvalidMessage));
        assert_eq!(code(check_signal(a, Some(Role::Host), b, false, &sends)), Some(ErrorCode::UnknownPeer));
        assert_eq!(code(check_signal(a, Some(Role::Viewer), b, true, &sends)), Some(ErrorCode::Forbidden));
        assert_eq!(code(check_signal(a, Some(Role::Viewer), b, true, &receives)), None);
        assert_eq!(code(check_signal(a, Some(Role::Participant), b, true, &sends)), None);
    }
}
