//! The one interface through which a room reaches its participants, whatever they are: a WebSocket client
//! today, a server-side media peer (SFU) or a participant on another node later.

use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use ruang_proto::{LeaveReason, ServerMessage};

/// A message on its way to one or more participants. It is serialized at most once, however many
/// WebSocket participants receive it; participants that want the typed message read [`Envelope::message`].
#[derive(Debug)]
pub struct Envelope {
    message: Arc<ServerMessage>,
    json: OnceLock<Utf8Bytes>,
}

impl Envelope {
    /// Wraps a message.
    pub fn new(message: Arc<ServerMessage>) -> Self {
        Envelope { message, json: OnceLock::new() }
    }

    /// The typed message.
    pub fn message(&self) -> &ServerMessage {
        &self.message
    }

    /// The message as a JSON text frame, serialized on first use and shared after.
    pub fn json(&self) -> Utf8Bytes {
        self.json.get_or_init(|| Utf8Bytes::from(self.message.to_json())).clone()
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

/// A member of a room, as the room task sees it. Implementations must never block or await: a room
/// delivers to everyone from one task, and one slow member must not stall the others.
pub trait Participant: Send + Sync + 'static {
    /// Queues a message for the participant.
    fn deliver(&self, envelope: &Envelope) -> Result<(), DeliveryError>;

    /// Tells the participant the room no longer holds it, and why. For most reasons the participant asked
    /// for it; [`LeaveReason::Slow`] means the room dropped it and it must disconnect.
    fn removed(&self, reason: LeaveReason);
}
