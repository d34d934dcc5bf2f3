//! Reading a [`SignalPayload`] back from the JSON it serializes to, for server-to-server use only (a room's
//! inputs and outputs crossing nodes). A client's `signal` is never read here: [`parse_client_message`]
//! alone reads client frames, with the protocol's limits.
//!
//! The payload is read as the [`SignalData`] it serializes as and rebuilt through `From<SignalData>`, so its
//! relayed text is serde_json's own writing of that value: equal to the original as a value (which is what
//! [`SignalPayload`]'s equality compares), though not necessarily byte for byte (a client's spacing or key
//! order is not kept).
//!
//! [`parse_client_message`]: crate::parse_client_message

use serde::{Deserialize, Deserializer};

use crate::{SignalData, SignalPayload};

impl<'de> Deserialize<'de> for SignalPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SignalData::deserialize(deserializer).map(SignalPayload::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IceCandidate;

    fn round_trip(data: SignalData) {
        let payload = SignalPayload::from(data);
        let text = serde_json::to_string(&payload).unwrap();
        let back: SignalPayload = serde_json::from_str(&text).unwrap();
        assert_eq!(back, payload);
        assert_eq!(back.json(), payload.json(), "a server-made payload is rewritten byte for byte");
    }

    #[test]
    fn every_kind_of_signal_payload_reads_back_as_itself() {
        round_trip(SignalData::Offer { sdp: "v=0\r\no=- 1 2 IN IP4 \"x\"\r\n".to_owned() });
        round_trip(SignalData::Answer { sdp: "v=0\r\n".to_owned() });
        round_trip(SignalData::Candidate {
            candidate: IceCandidate {
                candidate: "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host".to_owned(),
                sdp_mid: Some("0".to_owned()),
                sdp_m_line_index: Some(0),
                username_fragment: Some("abcd".to_owned()),
            },
        });
        round_trip(SignalData::Candidate {
            candidate: IceCandidate {
                candidate: String::new(),
                sdp_mid: None,
                sdp_m_line_index: None,
                username_fragment: None,
            },
        });
        round_trip(SignalData::Reset);
    }

    #[test]
    fn a_signal_payload_that_is_not_a_signal_is_refused() {
        let extra_candidate_field = r#"{"kind":"candidate","candidate":{"candidate":"","port":1}}"#;
        for bad in [r#"{"kind":"offer"}"#, r#"{"kind":"bye"}"#, r#"{"kind":"answer","sdp":1}"#, extra_candidate_field] {
            assert!(serde_json::from_str::<SignalPayload>(bad).is_err(), "{bad}");
        }
    }
}
