//! The payload of a `signal` message: an SDP offer or answer, or one trickled ICE candidate. Typed by kind so
//! the server can bound each part without understanding SDP, and kept as the JSON text it arrived as so that
//! relaying it writes that text instead of serializing (and escaping) an SDP again. An SDP is validated and
//! measured on that text and unescaped only if someone asks for its value ([`SignalPayload::data`]).

use std::ops::Range;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::escaped;

/// A validated signal payload and its JSON text. The text is the client's own, but it was read strictly as
/// a [`SignalData`] (known kind, known fields, no duplicates, valid escapes, bounded sizes), so it carries
/// nothing the typed value does not: relaying it unchanged is relaying the typed value.
#[derive(Clone, Debug)]
pub struct SignalPayload {
    json: Box<RawValue>,
    typed: Typed,
}

/// The typed value of a payload: at hand, or, for an SDP, made from the kept text on first use.
#[derive(Clone, Debug)]
enum Typed {
    /// Boxed: a signal may wait in a room's mailbox, whose slots are as large as its largest command.
    Ready(Box<SignalData>),
    /// An offer or answer whose `sdp` is `json[escaped]`, the text between its quotes, escapes unread.
    Sdp { kind: SdpKind, escaped: Range<usize>, data: OnceLock<Box<SignalData>> },
}

/// The kinds of signal that carry an SDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SdpKind {
    Offer,
    Answer,
}

impl SignalPayload {
    /// A payload from its validated value and the JSON text it was parsed from.
    pub(crate) fn from_parts(data: SignalData, json: Box<RawValue>) -> Self {
        SignalPayload { json, typed: Typed::Ready(Box::new(data)) }
    }

    /// An offer or answer whose JSON text `json` was validated without unescaping it: its `sdp` is the
    /// string literal whose text (between the quotes) is `json[escaped]`, read by [`escaped::unescaped_len`].
    pub(crate) fn from_sdp(kind: SdpKind, json: Box<RawValue>, escaped: Range<usize>) -> Self {
        SignalPayload { json, typed: Typed::Sdp { kind, escaped, data: OnceLock::new() } }
    }

    /// The typed payload. For an offer or answer this unescapes the SDP on the first call, so the relay asks
    /// for it only when a rule needs the SDP itself (a viewer's offer or answer).
    pub fn data(&self) -> &SignalData {
        match &self.typed {
            Typed::Ready(data) => data,
            Typed::Sdp { kind, escaped, data } => data.get_or_init(|| {
                let sdp = escaped::unescape(self.json.get().get(escaped.clone()).unwrap_or_default());
                Box::new(match kind {
                    SdpKind::Offer => SignalData::Offer { sdp },
                    SdpKind::Answer => SignalData::Answer { sdp },
                })
            }),
        }
    }

    /// The length in bytes of an offer's or answer's SDP (unescaped), measured without unescaping it;
    /// `None` for a candidate or reset.
    pub fn sdp_len(&self) -> Option<usize> {
        let sdp_len = |data: &SignalData| match data {
            SignalData::Offer { sdp } | SignalData::Answer { sdp } => Some(sdp.len()),
            SignalData::Candidate { .. } | SignalData::Reset => None,
        };
        match &self.typed {
            Typed::Ready(data) => sdp_len(data),
            Typed::Sdp { escaped, data, .. } => match data.get() {
                Some(data) => sdp_len(data),
                // Read by the same rules when the payload was parsed, so it measures again.
                None => self.json.get().get(escaped.clone()).and_then(escaped::unescaped_len),
            },
        }
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
        SignalPayload::from_parts(data, json)
    }
}

impl PartialEq for SignalPayload {
    fn eq(&self, other: &Self) -> bool {
        self.data() == other.data()
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
