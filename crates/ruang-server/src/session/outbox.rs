//! A connection's outgoing side as others see it: a bounded queue of frames for its writer, and a way to
//! drop the connection at once when it cannot keep up.

use axum::extract::ws::Utf8Bytes;
use ruang_proto::{CloseCode, ServerMessage};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::rooms::{DeliveryError, Disconnect, Envelope, Participant};

/// What the writer task sends.
#[derive(Debug)]
pub enum Outbound {
    /// One text frame.
    Frame(Utf8Bytes),
    /// A close frame with this code; the writer stops after it.
    Close(CloseCode),
}

/// The sending end of one connection's queue. Cheap to clone; every clone reaches the same writer.
#[derive(Clone, Debug)]
pub struct Outbox {
    queue: mpsc::Sender<Outbound>,
    dropped: CancellationToken,
    replaced: CancellationToken,
    removed: CancellationToken,
}

impl Outbox {
    /// A queue of `capacity` frames, and its receiving end for the writer.
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<Outbound>) {
        let (queue, receiver) = mpsc::channel(capacity.max(1));
        let outbox = Outbox {
            queue,
            dropped: CancellationToken::new(),
            replaced: CancellationToken::new(),
            removed: CancellationToken::new(),
        };
        (outbox, receiver)
    }

    /// Queues a message without waiting. `Err` means the queue is full or the writer is gone.
    pub fn send(&self, message: &ServerMessage) -> Result<(), DeliveryError> {
        self.push(Outbound::Frame(Utf8Bytes::from(message.to_json())))
    }

    /// Queues a close frame after what is already queued; if the queue is full, drops the connection now.
    pub fn close(&self, code: CloseCode) {
        if self.push(Outbound::Close(code)).is_err() {
            self.dropped.cancel();
        }
    }

    /// Cancelled when the connection must end at once, without flushing its queue (code 4003).
    pub fn dropped(&self) -> &CancellationToken {
        &self.dropped
    }

    /// Cancelled when the participant resumed on another connection, so this one must end (code 4004).
    pub fn replaced(&self) -> &CancellationToken {
        &self.replaced
    }

    /// Cancelled when a host removed the participant (or ended the meeting): the connection ends with 4005.
    pub fn removed(&self) -> &CancellationToken {
        &self.removed
    }

    fn push(&self, item: Outbound) -> Result<(), DeliveryError> {
        self.queue.try_send(item).map_err(|err| match err {
            mpsc::error::TrySendError::Full(_) => DeliveryError::Full,
            mpsc::error::TrySendError::Closed(_) => DeliveryError::Gone,
        })
    }
}

impl Participant for Outbox {
    fn deliver(&self, envelope: &Envelope, n: Option<u64>) -> Result<(), DeliveryError> {
        let frame = match n {
            Some(n) => envelope.numbered_json(n),
            None => envelope.json(),
        };
        self.push(Outbound::Frame(frame))
    }

    fn disconnect(&self, why: Disconnect) {
        match why {
            Disconnect::Slow => self.dropped.cancel(),
            Disconnect::Replaced => self.replaced.cancel(),
            Disconnect::Removed => self.removed.cancel(),
        }
    }
}
