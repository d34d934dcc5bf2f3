//! The payload of a `signal` message: an SDP offer or answer, or one trickled ICE candidate. Typed by kind so
//! the server can bound each part without understanding SDP.

use serde::{Deserialize, Serialize};

/// A negotiation message relayed between two participants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SignalData {
    /// An SDP offer.
    Offer {
        /// The session description.
        sdp: String,
    },
    /// An SDP answer.
    Answer {
        /// The session description.
        sdp: String,
    },
    /// One trickled ICE candidate; an empty `candidate` string means end of candidates.
    Candidate {
        /// The candidate as `RTCIceCandidate.toJSON()` gives it.
        candidate: IceCandidate,
    },
    /// The sender closed its peer connection with the receiver and starts a new one.
    Reset,
}

/// An `RTCIceCandidateInit`, with the browser's own field names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IceCandidate {
    /// The `candidate:` line, or `""` for end of candidates.
    pub candidate: String,
    /// The media stream identification tag.
    #[serde(default)]
    pub sdp_mid: Option<String>,
    /// The index of the media description.
    #[serde(default, rename = "sdpMLineIndex")]
    pub sdp_m_line_index: Option<u16>,
    /// The ICE username fragment.
    #[serde(default)]
    pub username_fragment: Option<String>,
}
