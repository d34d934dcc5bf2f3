//! The one interface through which a room reaches its participants, whatever they are: a WebSocket client
//! today, a server-side media peer (SFU) or a participant on another node later.

use std::fmt::Write;
use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use ruang_proto::{Role, ServerMessage};

/// A message on its way to one or more participants. It is serialized at most once, however many
/// WebSocket participants receive it; participants that want the typed message read [`Envelope::message`].
/// Cloning shares the message and its serialized form.
#[derive(Clone, Debug)]
pub struct Envelope(Arc<Sealed>);

#[derive(Debug)]
struct Sealed {
    message: Arc<ServerMessage>,
    json: OnceLock<Utf8Bytes>,
}

impl Envelope {
    /// Wraps a message.
    pub fn new(message: Arc<ServerMessage>) -> Self {
        Envelope(Arc::new(Sealed { message, json: OnceLock::new() }))
    }

    /// The typed message.
    pub fn message(&self) -> &ServerMessage {
        &self.0.message
    }

    /// The message as a JSON text frame, serialized on first use and shared after.
    pub fn json(&self) -> Utf8Bytes {
        self.0.json.get_or_init(|| Utf8Bytes::from(self.0.message.to_json())).clone()
    }

    /// The JSON frame with the recipient's message number `n` as its first field (`{"n":7,"type":...}`).
    /// One copy of the shared frame per recipient, instead of serializing it again.
    pub fn numbered_json(&self, n: u64) -> Utf8Bytes {
        let json = self.json();
        let body = json.as_str().strip_prefix('{').unwrap_or(json.as_str());
        let mut numbered = String::with_capacity(json.len() + 24);
        // Writing to a String cannot fail.
        let _ = write!(numbered, "{{\"n\":{n},");
        numbered.push_str(body);
        Utf8Bytes::from(numbered)
    }
}

/// Why a delivery failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The participant's queue is full: it cannot keep up and must be dropped.
    #[error("the participant's queue is full")]
    Full,
    /// The participant is gone.
    #[error("the participant is gone")]
    Gone,
}

/// Why a room lets go of a participant's connection while the participant itself may stay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disconnect {
    /// Its queue was full; the connection must end at once (4003). The participant may resume.
    Slow,
    /// The participant resumed on another connection; this one must end (4004).
    Replaced,
    /// A host took the participant out of the room (or ended the meeting); the connection ends (4005) after
    /// the `removed` message already queued.
    Removed,
}

/// A member of a room, as the room task sees it. Implementations must never block or await: a room
/// delivers to everyone from one task, and one slow member must not stall the others.
pub trait Participant: Send + Sync + 'static {
    /// Queues a message for the participant; `n` is its number in the participant's stream, if numbered.
    fn deliver(&self, envelope: &Envelope, n: Option<u64>) -> Result<(), DeliveryError>;

    /// Tells the connection the room no longer sends through it, and why.
    fn disconnect(&self, why: Disconnect);

    /// The room refused one of the participant's messages for a reason that is the client's fault
    /// ([`ruang_proto::ErrorCode::is_violation`]): the connection counts it against its violation budget.
    fn violated(&self);

    /// Tells the connection the participant is in the room (no longer in the lobby) with `role`, so what it
    /// renews (resume tokens, TURN credentials) starts now and says the right role.
    fn set_role(&self, role: Role) {
        let _ = role;
    }
}
