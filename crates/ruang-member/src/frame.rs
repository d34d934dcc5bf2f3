//! A server message on its way to one or more members: the typed message beside its JSON text, serialized
//! at most once however many members receive it, and its numbered form (`{"n":7,...}`) per recipient.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use ruang_proto::ServerMessage;

/// A message on its way to members. Members that want the typed message read [`Frame::message`]; those
/// that send JSON text use [`Frame::json`] or [`Frame::numbered_json`]. Cloning shares the message and its
/// serialized form.
#[derive(Clone, Debug)]
pub struct Frame(Arc<Sealed>);

#[derive(Debug)]
struct Sealed {
    message: Arc<ServerMessage>,
    json: OnceLock<Bytes>,
    /// Sent to one member only: its numbered form is serialized straight, without an unnumbered copy first.
    single: bool,
}

impl Frame {
    /// A message for any number of members: serialized once, on first use, then shared.
    pub fn new(message: Arc<ServerMessage>) -> Self {
        Frame(Arc::new(Sealed { message, json: OnceLock::new(), single: false }))
    }

    /// A message for one member (a relayed signal, a reply): its numbered form is written straight into one
    /// buffer of its exact size, so relaying it costs one allocation of the outgoing text.
    pub fn single(message: ServerMessage) -> Self {
        Frame(Arc::new(Sealed { message: Arc::new(message), json: OnceLock::new(), single: true }))
    }

    /// The typed message.
    pub fn message(&self) -> &ServerMessage {
        &self.0.message
    }

    /// The message as UTF-8 JSON text, serialized on first use and shared after.
    pub fn json(&self) -> Bytes {
        self.0.json.get_or_init(|| Bytes::from(self.0.message.to_json())).clone()
    }

    /// The UTF-8 JSON text with the recipient's message number `n` as its first field (`{"n":7,"type":...}`):
    /// one copy of the shared text per recipient, or for a single-recipient frame the only serialization.
    pub fn numbered_json(&self, n: u64) -> Bytes {
        match self.0.json.get() {
            None if self.0.single => Bytes::from(self.0.message.to_numbered_json(n)),
            _ => Bytes::from(ruang_proto::numbered(&self.json(), n)),
        }
    }

    /// The length of the unnumbered JSON text, counted without serializing a single-recipient frame.
    pub fn json_len(&self) -> usize {
        match self.0.json.get() {
            Some(json) => json.len(),
            None if self.0.single => self.0.message.json_len(),
            None => self.json().len(),
        }
    }
}

impl From<ServerMessage> for Frame {
    fn from(message: ServerMessage) -> Self {
        Frame::new(Arc::new(message))
    }
}

#[cfg(test)]
mod tests {
    use ruang_proto::{PeerId, SignalData, SignalPayload};

    use super::*;

    fn signal() -> ServerMessage {
        let data = SignalPayload::from(SignalData::Answer { sdp: "v=0\r\n".into() });
        ServerMessage::Signal { from: PeerId::from_bits(3), data }
    }

    #[test]
    fn shared_and_single_frames_number_the_same_text() {
        let shared = Frame::from(signal());
        let single = Frame::single(signal());
        assert_eq!(shared.numbered_json(9), single.numbered_json(9));
        assert_eq!(shared.json_len(), single.json_len());
        assert_eq!(single.json(), shared.json());
        let text = std::str::from_utf8(&shared.numbered_json(9)).unwrap().to_owned();
        assert!(text.starts_with(r#"{"n":9,"type":"signal","from":"#), "{text}");
    }

    #[test]
    fn a_shared_frame_is_serialized_once() {
        let frame = Frame::from(signal());
        let first = frame.json();
        assert_eq!(first.as_ptr(), frame.clone().json().as_ptr(), "clones share one serialized text");
    }
}
