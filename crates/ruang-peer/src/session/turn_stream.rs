//! The TCP or TLS connection of a TURN route (RFC 8656 §3.1): one task connects (TLS trusted as the
//! signaling server is), writes the TURN client's messages as they are (a STUN message is its own frame)
//! and hands the session every whole frame [`Deframer`] cuts out of what it reads, until the connection
//! closes, goes out of step, or the session drops its end. Both queues are bounded.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::tls::{self, Trust};
use crate::turn_framing::Deframer;

/// How long a TCP connect (and TLS handshake) to the TURN server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Messages queued towards the stream (and frames from it) before more are dropped (or the reader waits).
const QUEUE: usize = 256;

/// The TCP or TLS connection of a stream route: a task reads and writes it; messages go out through
/// `out`, whole frames come in through `frames` (closed when the connection is).
pub(super) struct Stream {
    out: mpsc::Sender<Vec<u8>>,
    frames: mpsc::Receiver<Vec<u8>>,
    task: JoinHandle<()>,
}

impl Stream {
    /// Starts connecting to `server` (with TLS for the host name, if given): what is sent meanwhile waits.
    pub(super) fn connect(server: SocketAddr, tls: Option<(String, Trust)>) -> Stream {
        let (out, outgoing) = mpsc::channel(QUEUE);
        let (incoming, frames) = mpsc::channel(QUEUE);
        let task = tokio::spawn(carry(server, tls, outgoing, incoming));
        Stream { out, frames, task }
    }

    /// Queues a message for the server (dropped when the queue is full or the stream closed, as a datagram
    /// would be lost).
    pub(super) fn send(&self, message: Vec<u8>) {
        if self.out.try_send(message).is_err() {
            tracing::debug!("turn: the stream's queue is full or closed; a message dropped");
        }
    }

    /// The next frame from the server; `None` once the stream is closed.
    pub(super) async fn next_frame(&mut self) -> Option<Vec<u8>> {
        self.frames.recv().await
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects to `server` (with TLS for `host`, trusted as the signaling server is, if asked) and carries
/// the stream until it closes, goes out of step, or the session drops its end.
async fn carry(
    server: SocketAddr,
    tls: Option<(String, Trust)>,
    outgoing: mpsc::Receiver<Vec<u8>>,
    incoming: mpsc::Sender<Vec<u8>>,
) {
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, async {
        let tcp = TcpStream::connect(server).await.map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        match tls {
            None => Ok(Box::new(tcp) as Box<dyn Duplex>),
            Some((host, trust)) => tls::connect(tcp, &host, &trust)
                .await
                .map(|s| Box::new(s) as Box<dyn Duplex>)
                .map_err(|e| e.to_string()),
        }
    })
    .await;
    match connected {
        Ok(Ok(stream)) => pump(stream, outgoing, incoming).await,
        Ok(Err(err)) => tracing::warn!(%server, "turn: cannot connect: {err}"),
        Err(_) => tracing::warn!(%server, "turn: cannot connect: no answer"),
    }
}

trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

/// Writes what the session sends, and hands it every whole frame read, until either side ends.
async fn pump(stream: Box<dyn Duplex>, mut outgoing: mpsc::Receiver<Vec<u8>>, incoming: mpsc::Sender<Vec<u8>>) {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let writing = async {
        while let Some(message) = outgoing.recv().await {
            if writer.write_all(&message).await.is_err() {
                return;
            }
        }
    };
    let reading = async {
        let mut deframer = Deframer::default();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            deframer.push(buf.get(..n).unwrap_or_default());
            loop {
                match deframer.next_frame() {
                    Ok(Some(frame)) => {
                        if incoming.send(frame).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(err) => {
                        tracing::warn!("turn: the TURN server's stream is out of step: {err}");
                        return;
                    }
                }
            }
        }
    };
    tokio::select! {
        () = writing => {}
        () = reading => {}
    }
}
