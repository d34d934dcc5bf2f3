//! The errors the SFU core reports to its driver. Nothing here is fatal to the SFU as a whole: each error
//! concerns one participant or one datagram.

use crate::{ParticipantId, TrackId};

/// Why the SFU refused a call from its driver.
#[derive(Debug, thiserror::Error)]
pub enum SfuError {
    /// The SFU's public address cannot be an ICE candidate.
    #[error("the SFU address cannot be an ICE candidate: {0}")]
    BadAddress(String),
    /// The id is already taken by a participant of this SFU.
    #[error("participant {0} is already in the SFU")]
    DuplicateParticipant(ParticipantId),
    /// No participant has this id (it left, or was never added).
    #[error("participant {0} is not in the SFU")]
    UnknownParticipant(ParticipantId),
    /// The participant receives no copy of this track.
    #[error("no copy of track {0} goes to that participant")]
    UnknownTrack(TrackId),
    /// The described or selected layers are not the track's simulcast layers.
    #[error("track {0} does not publish those layers")]
    LayersMismatch(TrackId),
    /// A layer description with too many layers or a repeated rid.
    #[error("participant {0} described invalid layers")]
    InvalidLayers(ParticipantId),
    /// A participant that may not publish offered to send audio or video.
    #[error("participant {0} may not publish, but its offer sends media")]
    PublishingRefused(ParticipantId),
    /// The client's SDP could not be parsed.
    #[error("the client's SDP does not parse: {0}")]
    BadSdp(String),
    /// str0m refused the offer or answer (no m-lines, no fingerprint, ...).
    #[error("the client's session description was refused: {0}")]
    Negotiation(#[from] str0m::RtcError),
    /// An answer arrived while the SFU had no offer outstanding for that participant.
    #[error("participant {0} answered, but no offer is outstanding")]
    NoOfferOutstanding(ParticipantId),
}

/// Why a datagram was not taken by any participant. Both are normal on an open port (late packets of a
/// participant that left, scanners); the driver counts or logs them at debug level and drops the datagram.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DatagramError {
    /// Not STUN, DTLS, RTP or RTCP.
    #[error("the datagram is not WebRTC traffic")]
    NotWebRtc,
    /// WebRTC traffic that no participant's ICE credentials or nominated address claim.
    #[error("no participant claims the datagram")]
    Unclaimed,
}
