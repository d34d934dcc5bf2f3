//! The payload of a `signal` message: an SDP offer or answer, or one trickled ICE candidate. Typed by kind so
//! the server can bound each part without understanding SDP, and kept as the JSON text it arrived as so that
//! relaying it writes that text instead of serializing (and escaping) an SDP again.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// A validated signal payload and its JSON text. The text is the client's own, but it was parsed strictly
/// into [`SignalData`] (known kind, known fields, no duplicates, bounded sizes), so it carries nothing the
/// typed value does not: relaying it unchanged is relaying the typed value.
#[derive(Clone, Debug)]
pub struct SignalPayload {
    /// Boxed: a signal waits in a room's mailbox, whose slots are as large as its largest command.
    data: Box<SignalData>,
    json: Box<RawValue>,
}

impl SignalPayload {
    /// A payload from its validated value and the JSON text it was parsed from.
    pub(crate) fn from_parts(data: SignalData, json: Box<RawValue>) -> Self {
        SignalPayload { data: Box::new(data), json }
    }

    /// The typed payload.
    pub fn data(&self) -> &SignalData {
        &self.data
    }

    /// The JSON text that is relayed.
    pub fn json(&self) -> &str {
        self.json.get()
    }
}

impl From<SignalData> for SignalPayload {
    /// A payload made on the server's side (tests, benchmarks): serialized once here.
    fn from(data: SignalData) -> Self {
        let text = serde_json::to_string(&data).unwrap_or_else(|_| unreachable!("SignalData always serializes"));
        let json = RawValue::from_string(text).unwrap_or_else(|_| unreachable!("serde_json wrote valid JSON"));
        SignalPayload { data: Box::new(data), json }
    }
}

impl PartialEq for SignalPayload {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data
    }
}

impl Eq for SignalPayload {}

impl Serialize for SignalPayload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

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
