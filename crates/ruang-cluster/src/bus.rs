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
/// While Redis is away, one warning per this many failed attempts to subscribe again (ten seconds).
const FAILURES_PER_WARNING: u32 = 20;
/// While publishing fails, at most one warning per this long (with the messages dropped meanwhile).
const PUBLISH_WARN_EVERY: Duration = Duration::from_secs(10);

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
    let mut last_warning: Option<tokio::time::Instant> = None;
    let mut dropped_since: usize = 0;
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
            dropped_since = dropped_since.saturating_add(count);
            let now = tokio::time::Instant::now();
            if last_warning.is_none_or(|at| now.duration_since(at) >= PUBLISH_WARN_EVERY) {
                tracing::warn!(%err, dropped = dropped_since, "cluster bus: could not publish");
                last_warning = Some(now);
                dropped_since = 0;
            }
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
        // Failed attempts since the subscription was lost: the first and then one in
        // FAILURES_PER_WARNING are logged at warn (Redis away for minutes is one line per ten seconds).
        let mut failures: u32 = 0;
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
                failures = 0;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RECONNECT) => {}
            }
            let failed = match client.get_async_pubsub().await {
                Ok(mut connection) => match connection.subscribe(&channel).await {
                    Ok(()) => {
                        if failures > 0 {
                            tracing::warn!(failures, "cluster bus: subscribed again");
                        }
                        pubsub = Some(connection);
                        None
                    }
                    Err(err) => Some(err),
                },
                Err(err) => Some(err),
            };
            if let Some(err) = failed {
                if failures.is_multiple_of(FAILURES_PER_WARNING) {
                    tracing::warn!(%err, failures, "cluster bus: cannot subscribe again; trying every {RECONNECT:?}");
                } else {
                    tracing::debug!(%err, "cluster bus: cannot subscribe again");
                }
                failures = failures.saturating_add(1);
            }
        }
    });
    Ok(inbox)
}
