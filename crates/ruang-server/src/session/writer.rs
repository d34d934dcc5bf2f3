//! The writer half of a connection: drains the outbox into the socket and pings on a fixed interval.
//! It is the only code that writes to the socket.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use ruang_proto::CloseCode;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::outbox::Outbound;

/// How long a close frame may take to write before the socket is simply dropped.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

type Sink = SplitSink<WebSocket, Message>;

/// Writes until a close is queued, the queue ends, the socket fails, or `dropped` is cancelled.
pub async fn write(
    mut sink: Sink,
    mut queue: mpsc::Receiver<Outbound>,
    dropped: CancellationToken,
    ping_every: Duration,
) {
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let message = tokio::select! {
            biased;
            () = dropped.cancelled() => return close(sink, CloseCode::TooSlow).await,
            item = queue.recv() => match item {
                Some(Outbound::Frame(text)) => Message::Text(text),
                Some(Outbound::Close(code)) => return close(sink, code).await,
                None => return,
            },
            _ = ping.tick() => Message::Ping(bytes::Bytes::new()),
        };
        let sent = tokio::select! {
            biased;
            () = dropped.cancelled() => return close(sink, CloseCode::TooSlow).await,
            sent = sink.send(message) => sent,
        };
        if sent.is_err() {
            return;
        }
    }
}

async fn close(mut sink: Sink, code: CloseCode) {
    let frame = CloseFrame { code: code.code(), reason: code.reason().into() };
    let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
}
