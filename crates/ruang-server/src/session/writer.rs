//! The writer half of a connection: drains the outbox (frames, and pings the session queues) into the
//! socket. It is the only code that writes to the socket. What is queued when it wakes goes out in one flush, as
//! long as that does not make the socket's write buffer grow (see [`WriteBuffer`]).

use std::collections::VecDeque;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use ruang_proto::CloseCode;

use super::outbox::{Inbox, Outbound};
use crate::rooms::Disconnect;

/// How long a close frame may take to write before the socket is simply dropped.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Up to this many bytes, a batch may make the socket's write buffer grow; past it, the batch is split
/// (during a connection's first [`SETTLING_FRAMES`] frames only).
const BATCH_BYTES: usize = 1024;

/// For this many frames from the start of a connection (the `welcome` and what follows it), batches do not
/// grow the write buffer past [`BATCH_BYTES`]. A busy connection passes them in a moment and then batches
/// as many frames as are queued: splitting its batches cost 10–15% more CPU per relayed message at full
/// window (`ruang-bench relay --rate 0 --window 16`).
const SETTLING_FRAMES: u32 = 32;

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
pub async fn write(mut sink: Sink, inbox: Inbox) {
    let mut buffer = WriteBuffer::default();
    let too_slow = async {
        inbox.ended().await;
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
            batch = inbox.take() => {
                let Some(mut batch) = batch else { return };
                tokio::select! {
                    biased;
                    () = &mut too_slow => Next::Stop(Some(CloseCode::TooSlow)),
                    next = write_batch(&mut sink, &mut batch, &mut buffer) => next,
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

/// Writes the frames of `batch` and flushes, once unless that would grow the write buffer; stops at a close.
async fn write_batch(sink: &mut Sink, batch: &mut VecDeque<Outbound>, buffer: &mut WriteBuffer) -> Next {
    while let Some(item) = batch.pop_front() {
        match item {
            Outbound::Frame(text) => {
                // Every frame queued is JSON text from serde_json or a frame's serialized form: the check
                // cannot fail, and it reads the text once instead of copying it.
                let Ok(text) = Utf8Bytes::try_from(text) else {
                    tracing::error!("a queued frame is not UTF-8; not sent");
                    continue;
                };
                if buffer.flush_first(text.len()) {
                    if sink.flush().await.is_err() {
                        return Next::Stop(None);
                    }
                    buffer.flushed();
                }
                buffer.fed(text.len());
                if sink.feed(Message::Text(text)).await.is_err() {
                    return Next::Stop(None);
                }
            }
            Outbound::Ping => {
                buffer.fed(0);
                if sink.feed(Message::Ping(bytes::Bytes::new())).await.is_err() {
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
    buffer.flushed();
    match sink.flush().await {
        Ok(()) => Next::More,
        Err(_) => Next::Stop(None),
    }
}

/// What the writer knows of the socket's write buffer (tungstenite's): a `Vec` that frames are copied into
/// until a flush, which keeps its largest capacity for the life of the connection and grows by doubling.
/// Feeding a whole batch at once would leave every connection with a buffer as large as its largest burst:
/// the `welcome` and the `peer_joined`s queued behind it doubled it to about 2 KiB per idle participant.
/// So while a connection settles, a batch is flushed early where it would grow the buffer past
/// [`BATCH_BYTES`]; a single large frame (a `welcome`, an SDP) still grows it to its own size, small frames
/// still go out several to a write. After that, batches are whole again.
#[derive(Debug, Default)]
struct WriteBuffer {
    /// The buffer's capacity as tungstenite's `Vec` would have grown it (an estimate: pongs and pings
    /// written on the side are not counted).
    capacity: usize,
    /// Bytes fed since the last flush.
    pending: usize,
    /// Frames fed so far, up to [`SETTLING_FRAMES`].
    frames: u32,
}

impl WriteBuffer {
    /// Whether to flush before feeding a text frame of `payload` bytes.
    fn flush_first(&self, payload: usize) -> bool {
        let needed = self.pending + frame_len(payload);
        let settling = self.frames < SETTLING_FRAMES;
        settling && self.pending > 0 && needed > self.capacity && needed.max(self.capacity * 2) > BATCH_BYTES
    }

    /// A text frame of `payload` bytes was fed.
    fn fed(&mut self, payload: usize) {
        self.frames = self.frames.saturating_add(1).min(SETTLING_FRAMES);
        self.pending += frame_len(payload);
        if self.pending > self.capacity {
            self.capacity = self.pending.max(self.capacity * 2);
        }
    }

    fn flushed(&mut self) {
        self.pending = 0;
    }
}

/// The size of an unmasked frame with `payload` bytes: the header is 2, 4 or 10 bytes.
fn frame_len(payload: usize) -> usize {
    let header = match payload {
        0..126 => 2,
        126..65536 => 4,
        _ => 10,
    };
    payload + header
}

async fn close(mut sink: Sink, code: CloseCode) {
    let frame = CloseFrame { code: code.code(), reason: code.reason().into() };
    let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_behind_a_large_frame_does_not_double_the_buffer() {
        let mut buffer = WriteBuffer::default();
        assert!(!buffer.flush_first(1200), "the first frame goes in whatever its size");
        buffer.fed(1200);
        assert_eq!(buffer.capacity, 1204);
        assert!(buffer.flush_first(150), "growing to 2408 bytes is past the batch size");
        buffer.flushed();
        for _ in 0..7 {
            assert!(!buffer.flush_first(150), "small frames batch within the capacity");
            buffer.fed(150);
        }
        assert!(buffer.flush_first(150));
        assert_eq!(buffer.capacity, 1204);
    }

    #[test]
    fn small_frames_batch_up_to_the_batch_size() {
        let mut buffer = WriteBuffer::default();
        let mut fed = 0;
        while !buffer.flush_first(250) {
            buffer.fed(250);
            fed += 1;
        }
        assert_eq!(fed, 4, "254 → 508 → 1016 bytes of buffer");
        assert_eq!(buffer.capacity, 1016);
    }

    #[test]
    fn a_settled_connection_batches_whatever_is_queued() {
        let mut buffer = WriteBuffer::default();
        for _ in 0..SETTLING_FRAMES {
            buffer.fed(250);
            buffer.flushed();
        }
        for _ in 0..16 {
            assert!(!buffer.flush_first(250));
            buffer.fed(250);
        }
    }
}
