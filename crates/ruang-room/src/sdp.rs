//! The one thing a room reads in a session description: whether it sends media (a viewer's may not).

/// Whether a session description sends audio or video: an audio or video section whose direction is
/// `sendrecv` or `sendonly` (or left out, which means `sendrecv`).
pub(crate) fn sends_media(sdp: &str) -> bool {
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
