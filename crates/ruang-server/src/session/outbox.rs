//! A connection's outgoing side as others see it: a bounded queue of frames for its writer, and a way to
//! end the connection at once (too slow, replaced, removed).
//!
//! The queue is a `VecDeque` behind a mutex rather than a channel: an idle connection's queue is empty and
//! allocates nothing (a channel allocates its slots 32 at a time, 1.5 KiB per connection), and the writer
//! takes everything queued at once, so a burst goes out in one write.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use ruang_proto::{CloseCode, Role, ServerMessage};
use tokio::sync::Notify;

use crate::rooms::{DeliveryError, Disconnect, Frame, Member};

/// What the writer task sends.
#[derive(Debug)]
pub enum Outbound {
    /// One text frame: UTF-8 JSON text, shared with whoever else holds it (a frame's serialized form).
    Frame(Bytes),
    /// A WebSocket ping.
    Ping,
    /// A close frame with this code; the writer stops after it.
    Close(CloseCode),
}

struct Queue {
    items: VecDeque<Outbound>,
    /// Outboxes alive; the writer ends when none is left and the queue is empty.
    senders: usize,
    /// The writer is gone: nothing can be delivered any more.
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the writer when something is queued or the last outbox goes.
    ready: Notify,
    capacity: usize,
    /// Why the connection must end at once (0 while it need not).
    why: AtomicU8,
    /// Violations the room found in the client's messages, not yet counted by the session.
    violations: AtomicU32,
    /// Wakes whoever waits for the connection to end at once. Not a `CancellationToken`: that allocates
    /// its own node per connection.
    ending: Notify,
    /// The participant's role once its room let it in (0 before: not joined, or waiting in the lobby).
    role: AtomicU8,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The sending end of one connection's queue. Cheap to clone; every clone reaches the same writer.
pub struct Outbox {
    shared: Arc<Shared>,
}

/// The writer's end of the queue.
pub struct Inbox {
    shared: Arc<Shared>,
}

impl Outbox {
    /// A queue of at most `capacity` frames, and its receiving end for the writer.
    pub fn new(capacity: usize) -> (Self, Inbox) {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue { items: VecDeque::new(), senders: 1, closed: false }),
            ready: Notify::new(),
            capacity: capacity.max(1),
            why: AtomicU8::new(0),
            violations: AtomicU32::new(0),
            ending: Notify::new(),
            role: AtomicU8::new(0),
        });
        (Outbox { shared: Arc::clone(&shared) }, Inbox { shared })
    }

    /// Queues a message without waiting. `Err` means the queue is full or the writer is gone.
    pub fn send(&self, message: &ServerMessage) -> Result<(), DeliveryError> {
        self.push(Outbound::Frame(Bytes::from(message.to_json())))
    }

    /// Queues a close frame after what is already queued; if the queue is full, drops the connection now.
    pub fn close(&self, code: CloseCode) {
        if self.push(Outbound::Close(code)).is_err() {
            self.end(Disconnect::Slow);
        }
    }

    /// Resolves when the connection must end at once; [`Outbox::ended_because`] says why.
    pub async fn ended(&self) {
        ended(&self.shared).await;
    }

    /// Why the connection must end, once [`Outbox::ended`] is cancelled.
    pub fn ended_because(&self) -> Option<Disconnect> {
        reason(&self.shared)
    }

    /// The participant's role as its room last said, or `None` while it is not let in (in the lobby).
    pub fn role(&self) -> Option<Role> {
        [Role::Host, Role::Moderator, Role::Participant, Role::Viewer]
            .into_iter()
            .find(|&role| role_code(role) == self.shared.role.load(Ordering::Acquire))
    }

    /// Queues a WebSocket ping without waiting. `Err` means the queue is full or the writer is gone.
    pub fn ping(&self) -> Result<(), DeliveryError> {
        self.push(Outbound::Ping)
    }

    /// Takes the violations the room reported since the last call.
    pub fn take_violations(&self) -> u32 {
        self.shared.violations.swap(0, Ordering::AcqRel)
    }

    fn end(&self, why: Disconnect) {
        let code = match why {
            Disconnect::Slow => 1,
            Disconnect::Replaced => 2,
            Disconnect::Removed => 3,
        };
        // The first reason wins.
        if self.shared.why.compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            self.shared.ending.notify_waiters();
        }
    }

    fn push(&self, item: Outbound) -> Result<(), DeliveryError> {
        let mut queue = self.shared.lock();
        if queue.closed {
            return Err(DeliveryError::Gone);
        }
        if queue.items.len() >= self.shared.capacity {
            return Err(DeliveryError::Full);
        }
        queue.items.push_back(item);
        drop(queue);
        self.shared.ready.notify_one();
        Ok(())
    }
}

async fn ended(shared: &Shared) {
    loop {
        let notified = shared.ending.notified();
        let mut notified = std::pin::pin!(notified);
        // Registered before the check, so an end between the check and the wait still wakes it.
        notified.as_mut().enable();
        if shared.why.load(Ordering::Acquire) != 0 {
            return;
        }
        notified.await;
    }
}

fn reason(shared: &Shared) -> Option<Disconnect> {
    match shared.why.load(Ordering::Acquire) {
        1 => Some(Disconnect::Slow),
        2 => Some(Disconnect::Replaced),
        3 => Some(Disconnect::Removed),
        _ => None,
    }
}

impl Clone for Outbox {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Outbox { shared: Arc::clone(&self.shared) }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let last = {
            let mut queue = self.shared.lock();
            queue.senders -= 1;
            queue.senders == 0
        };
        if last {
            self.shared.ready.notify_one();
        }
    }
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").field("ended", &reason(&self.shared)).finish_non_exhaustive()
    }
}

impl Inbox {
    /// Takes everything queued, waiting until there is something; `None` when every outbox is gone and
    /// nothing is left. The queue is handed over with its allocation, so an idle connection's queue holds
    /// none (a swap with an empty batch would keep one in each).
    pub async fn take(&self) -> Option<VecDeque<Outbound>> {
        loop {
            {
                let mut queue = self.shared.lock();
                if !queue.items.is_empty() {
                    return Some(std::mem::take(&mut queue.items));
                }
                if queue.senders == 0 {
                    return None;
                }
            }
            // A notification sent between the check and here is kept as a permit (one waiter only).
            self.shared.ready.notified().await;
        }
    }

    /// Resolves when the connection must end at once.
    pub async fn ended(&self) {
        ended(&self.shared).await;
    }

    /// Why the connection must end, once [`Inbox::ended`] is cancelled.
    pub fn ended_because(&self) -> Option<Disconnect> {
        reason(&self.shared)
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.closed = true;
        queue.items.clear();
    }
}

impl Member for Outbox {
    fn deliver(&self, frame: &Frame, n: Option<u64>) -> Result<(), DeliveryError> {
        let text = match n {
            Some(n) => frame.numbered_json(n),
            None => frame.json(),
        };
        self.push(Outbound::Frame(text))
    }

    fn disconnect(&self, why: Disconnect) {
        self.end(why);
    }

    fn violated(&self) {
        // Saturating: the session takes them at its next frame, long before any overflow.
        let _ = self.shared.violations.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_add(1));
    }

    fn set_role(&self, role: Role) {
        self.shared.role.store(role_code(role), Ordering::Release);
    }
}

fn role_code(role: Role) -> u8 {
    match role {
        Role::Host => 1,
        Role::Moderator => 2,
        Role::Participant => 3,
        Role::Viewer => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Outbound {
        Outbound::Frame(Bytes::copy_from_slice(text.as_bytes()))
    }

    #[tokio::test]
    async fn bounded_batched_and_ended_when_every_outbox_is_gone() {
        let (outbox, inbox) = Outbox::new(2);
        let other = outbox.clone();
        assert_eq!(outbox.push(frame("a")), Ok(()));
        assert_eq!(other.push(frame("b")), Ok(()));
        assert_eq!(outbox.push(frame("c")), Err(DeliveryError::Full));
        let batch = inbox.take().await.expect("queued frames");
        assert_eq!(batch.len(), 2, "both queued frames in one batch");
        drop(outbox);
        other.close(CloseCode::Normal);
        drop(other);
        let mut batch = inbox.take().await.expect("what was queued before the last outbox went is still written");
        assert!(matches!(batch.pop_front(), Some(Outbound::Close(CloseCode::Normal))));
        assert!(inbox.take().await.is_none(), "no outbox left");
    }

    #[tokio::test]
    async fn a_gone_writer_refuses_and_the_first_reason_to_end_wins() {
        let (outbox, inbox) = Outbox::new(4);
        outbox.disconnect(Disconnect::Replaced);
        outbox.disconnect(Disconnect::Slow);
        inbox.ended().await;
        assert_eq!(inbox.ended_because(), Some(Disconnect::Replaced));
        drop(inbox);
        assert_eq!(outbox.push(frame("late")), Err(DeliveryError::Gone));
    }
}
