//! The writer half of a connection: drains the outbox into the socket and pings on a fixed interval.
//! It is the only code that writes to the socket. Everything queued when it wakes goes out in one flush.

use std::collections::VecDeque;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use ruang_proto::CloseCode;

use super::outbox::{Inbox, Outbound};
use crate::rooms::Disconnect;

/// How long a close frame may take to write before the socket is simply dropped.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

type Sink = SplitSink<WebSocket, Message>;

/// What ended a batch.
enum Next {
    /// Go on.
    More,
    /// Stop, writing this close frame first if any.
    Stop(Option<CloseCode>),
}

/// Writes until a close is queued, every outbox is gone, the socket fails, or the connection is dropped as
/// too slow (then at once, with 4003, whatever is still queued).
pub async fn write(mut sink: Sink, inbox: Inbox, ping_every: Duration) {
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch = VecDeque::new();
    let too_slow = async {
        inbox.ended().cancelled().await;
        if inbox.ended_because() != Some(Disconnect::Slow) {
            // Replaced or removed: the session queues the close frame; keep writing until then.
            std::future::pending::<()>().await;
        }
    };
    tokio::pin!(too_slow);
    loop {
        let next = tokio::select! {
            biased;
            () = &mut too_slow => Next::Stop(Some(CloseCode::TooSlow)),
            more = inbox.take(&mut batch) => {
                if !more {
                    return;
                }
                tokio::select! {
                    biased;
                    () = &mut too_slow => Next::Stop(Some(CloseCode::TooSlow)),
                    next = write_batch(&mut sink, &mut batch) => next,
                }
            }
            // A client that spoke during the last interval is alive: a ping would only cost both sides a
            // frame (the web client pings every 2 s, so its connection needs none from the server).
            _ = ping.tick() => {
                if inbox.heard_since_last_asked() {
                    Next::More
                } else {
                    tokio::select! {
                        biased;
                        () = &mut too_slow => Next::Stop(Some(CloseCode::TooSlow)),
                        sent = sink.send(Message::Ping(bytes::Bytes::new())) => match sent {
                            Ok(()) => Next::More,
                            Err(_) => Next::Stop(None),
                        },
                    }
                }
            }
        };
        match next {
            Next::More => {}
            Next::Stop(Some(code)) => return close(sink, code).await,
            Next::Stop(None) => return,
        }
    }
}

/// Writes the frames of `batch` and flushes once; stops at a close.
async fn write_batch(sink: &mut Sink, batch: &mut VecDeque<Outbound>) -> Next {
    while let Some(item) = batch.pop_front() {
        match item {
            Outbound::Frame(text) => {
                if sink.feed(Message::Text(text)).await.is_err() {
                    return Next::Stop(None);
                }
            }
            Outbound::Close(code) => {
                batch.clear();
                return match sink.flush().await {
                    Ok(()) => Next::Stop(Some(code)),
                    Err(_) => Next::Stop(None),
                };
            }
        }
    }
    match sink.flush().await {
        Ok(()) => Next::More,
        Err(_) => Next::Stop(None),
    }
}

async fn close(mut sink: Sink, code: CloseCode) {
    let frame = CloseFrame { code: code.code(), reason: code.reason().into() };
    let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
}
