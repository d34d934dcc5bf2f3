//! Node-to-node messages over Redis pub/sub: node `n` reads channel [`crate::keys::bus`]`(n)`.
//!
//! Pub/sub, not streams: a message here is either a room input on its way to the room's owner or a
//! room's output on its way to a member's connection, and both are only worth anything to a live
//! connection. Redis delivers a channel's messages in the order one connection published them, which is
//! the order this node's one [`Publisher`] task sends them in. What it does not give, delivery to a
//! subscriber that was briefly away, the protocol already has: each member's stream on the owner numbers and
//! keeps what it was sent, and a connection that finds a gap ([`crate::sequence`]) is ended so its client
//! resumes and gets the missed messages replayed. Streams would keep every message in Redis (memory and
//! trimming per node) to replay what the member's own stream replays anyway.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::keys::bus;
use crate::{ClusterError, NodeId};

/// The most messages sent to Redis in one pipelined round trip.
const BATCH: usize = 256;
/// How long a subscriber waits before reconnecting after its connection broke.
const RECONNECT: Duration = Duration::from_millis(500);

/// The bus's queue is full: Redis cannot keep up (or is unreachable), so the message was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the cluster bus is full")]
pub struct BusFull;

/// Sends messages to other nodes, in the order [`Publisher::send`] is called.
#[derive(Clone, Debug)]
pub struct Publisher {
    queue: mpsc::Sender<(NodeId, Bytes)>,
}

impl Publisher {
    /// A publisher queueing up to `capacity` messages, sent by a task spawned here until `shutdown`.
    pub fn start(redis: ConnectionManager, capacity: usize, shutdown: CancellationToken) -> Self {
        let (queue, inbox) = mpsc::channel(capacity.max(1));
        tokio::spawn(publish(redis, inbox, shutdown));
        Publisher { queue }
    }

    /// Queues `message` for node `to` without waiting.
    pub fn send(&self, to: NodeId, message: Bytes) -> Result<(), BusFull> {
        self.queue.try_send((to, message)).map_err(|_| BusFull)
    }
}

/// Sends what is queued, in order, a pipelined batch at a time. A batch that fails is dropped (logged): the
/// receivers notice the gap.
async fn publish(
    mut redis: ConnectionManager,
    mut inbox: mpsc::Receiver<(NodeId, Bytes)>,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let count = tokio::select! {
            () = shutdown.cancelled() => return,
            count = inbox.recv_many(&mut batch, BATCH) => count,
        };
        if count == 0 {
            return;
        }
        let mut pipe = redis::pipe();
        for (to, message) in batch.drain(..) {
            pipe.cmd("PUBLISH").arg(bus(to)).arg(message.as_ref()).ignore();
        }
        if let Err(err) = pipe.query_async::<()>(&mut redis).await {
            tracing::warn!(%err, dropped = count, "cluster bus: could not publish");
        }
    }
}

/// Subscribes to node `node`'s channel and returns once the subscription is in place: what arrives is
/// queued on the receiver (up to `capacity`; beyond that Redis holds it, up to its output buffer limit for
/// subscribers). A broken connection is made again every [`RECONNECT`] until `shutdown`.
pub async fn subscribe(
    client: redis::Client,
    node: NodeId,
    capacity: usize,
    shutdown: CancellationToken,
) -> Result<mpsc::Receiver<Bytes>, ClusterError> {
    let channel = bus(node);
    let mut first = client.get_async_pubsub().await?;
    first.subscribe(&channel).await?;
    let (queue, inbox) = mpsc::channel(capacity.max(1));
    tokio::spawn(async move {
        let mut pubsub = Some(first);
        loop {
            if let Some(connection) = pubsub.take() {
                let mut messages = connection.into_on_message();
                loop {
                    let message = tokio::select! {
                        () = shutdown.cancelled() => return,
                        message = messages.next() => message,
                    };
                    let Some(message) = message else { break };
                    let payload = Bytes::copy_from_slice(message.get_payload_bytes());
                    if queue.send(payload).await.is_err() {
                        return;
                    }
                }
                tracing::warn!("cluster bus: subscription lost; reconnecting");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RECONNECT) => {}
            }
            match client.get_async_pubsub().await {
                Ok(mut connection) => match connection.subscribe(&channel).await {
                    Ok(()) => pubsub = Some(connection),
                    Err(err) => tracing::warn!(%err, "cluster bus: cannot subscribe"),
                },
                Err(err) => tracing::warn!(%err, "cluster bus: cannot reconnect"),
            }
        }
    });
    Ok(inbox)
}
