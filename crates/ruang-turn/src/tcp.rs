//! TURN over TCP (and, behind the TLS listener, over TLS): accepts connections, splits each stream into
//! STUN messages and ChannelData frames, passes every frame in and out through the [`Gate`], and closes
//! connections that stay idle (nothing received or sent) for the configured time, or that send something
//! that is neither. At most 4096 connections are served at once, 128 from one IP address.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use medea_turn::transport::{self, Request, Transport};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::{Instant, sleep_until, timeout};

use crate::gate::{Gate, Inbound, Outbound};
use crate::slots::{self, MAX_CONNECTIONS, MAX_PER_IP, Slots};
use crate::udp::{renumbered, unix_now};

/// IANA's protocol number for TCP, as the TURN library names its transports.
pub const PROTO_TCP: u8 = 6;

/// Frames queued towards one connection before more are dropped (a client that does not read).
const OUTBOX: usize = 256;

/// Frames from all connections queued for the TURN library before more are dropped.
const INBOX: usize = 1024;

type Writers = Arc<Mutex<HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>>>;

/// The server's TCP transport.
pub struct GatedTcp {
    inbox: tokio::sync::Mutex<mpsc::Receiver<(Request, SocketAddr)>>,
    writers: Writers,
    local_addr: SocketAddr,
    gate: Arc<Gate>,
    accept_task: tokio::task::JoinHandle<()>,
}

impl Drop for GatedTcp {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// What every connection handler shares.
#[derive(Clone)]
struct Shared {
    inbox: mpsc::Sender<(Request, SocketAddr)>,
    writers: Writers,
    gate: Arc<Gate>,
    idle_timeout: Duration,
}

impl GatedTcp {
    /// Serves `listener` through `gate`, closing connections idle for `idle_timeout`.
    pub fn new(listener: TcpListener, gate: Arc<Gate>, idle_timeout: Duration) -> std::io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (inbox_tx, inbox) = mpsc::channel(INBOX);
        let writers = Writers::default();
        let shared = Shared { inbox: inbox_tx, writers: Arc::clone(&writers), gate: Arc::clone(&gate), idle_timeout };
        let accept_task = tokio::spawn(accept(listener, shared));
        Ok(GatedTcp { inbox: tokio::sync::Mutex::new(inbox), writers, local_addr, gate, accept_task })
    }
}

async fn accept(listener: TcpListener, shared: Shared) {
    let slots = Slots::new(MAX_CONNECTIONS, MAX_PER_IP);
    loop {
        let (stream, remote, slot) = slots::accept(&listener, &slots, "TCP").await;
        let shared = shared.clone();
        tokio::spawn(async move {
            serve(stream, remote, &shared).await;
            shared.writers.lock().unwrap_or_else(PoisonError::into_inner).remove(&remote);
            shared.gate.disconnected((PROTO_TCP, remote));
            drop(slot);
        });
    }
}

/// Serves one connection until it closes, breaks the framing or stays idle.
async fn serve(mut stream: TcpStream, remote: SocketAddr, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let (outbox_tx, mut outbox) = mpsc::channel::<Vec<u8>>(OUTBOX);
    shared.writers.lock().unwrap_or_else(PoisonError::into_inner).insert(remote, outbox_tx);
    let mut received = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut deadline = Instant::now() + shared.idle_timeout;
    loop {
        tokio::select! {
            read = stream.read(&mut chunk) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                received.extend_from_slice(chunk.get(..n).unwrap_or_default());
                deadline = Instant::now() + shared.idle_timeout;
                loop {
                    match frame_length(&received) {
                        Framing::Incomplete => break,
                        Framing::Invalid => return,
                        Framing::Frame(length) if received.len() < length => break,
                        Framing::Frame(length) => {
                            let frame: Vec<u8> = received.drain(..length).collect();
                            if !deliver(&frame, remote, shared, &mut stream).await {
                                return;
                            }
                        }
                    }
                }
            }
            out = outbox.recv() => {
                let Some(bytes) = out else { return };
                if !matches!(timeout(shared.idle_timeout, stream.write_all(&bytes)).await, Ok(Ok(()))) {
                    return;
                }
                deadline = Instant::now() + shared.idle_timeout;
            }
            () = sleep_until(deadline) => {
                tracing::debug!("TURN over TCP: closed an idle connection");
                return;
            }
        }
    }
}

/// Passes one frame through the gate; `false` if the connection should close.
async fn deliver(frame: &[u8], remote: SocketAddr, shared: &Shared, stream: &mut TcpStream) -> bool {
    match shared.gate.inbound((PROTO_TCP, remote), frame, Instant::now().into_std(), unix_now()) {
        // A full inbox means the server is overloaded: drop, as a congested link would. A closed one
        // means the server stopped.
        Inbound::Pass(request) => !matches!(shared.inbox.try_send((request, remote)), Err(TrySendError::Closed(_))),
        Inbound::Answer(bytes) => matches!(timeout(shared.idle_timeout, stream.write_all(&bytes)).await, Ok(Ok(()))),
        Inbound::Drop => true,
    }
}

/// How the next frame in a stream is delimited.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    /// Not even its header has arrived.
    Incomplete,
    /// Neither a STUN message nor ChannelData: the stream cannot be followed.
    Invalid,
    /// It is this many bytes long (ChannelData padded to four bytes, RFC 8656 section 12.5).
    Frame(usize),
}

fn frame_length(stream: &[u8]) -> Framing {
    let Some(header) = stream.get(..4) else { return Framing::Incomplete };
    let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
    match header[0] & 0xc0 {
        0x00 => Framing::Frame(20 + length.div_ceil(4) * 4),
        0x40 => Framing::Frame((4 + length).div_ceil(4) * 4),
        _ => Framing::Invalid,
    }
}

#[async_trait::async_trait]
impl Transport for GatedTcp {
    async fn recv_from(&self) -> Result<(Request, SocketAddr), transport::Error> {
        self.inbox.lock().await.recv().await.ok_or(transport::Error::TransportIsDead)
    }

    async fn send_to(&self, data: Cow<'_, [u8]>, target: SocketAddr) -> Result<(), transport::Error> {
        let writer = self.writers.lock().unwrap_or_else(PoisonError::into_inner).get(&target).cloned();
        let Some(writer) = writer else { return Err(transport::Error::TransportIsDead) };
        // A client that does not read loses frames rather than holding up the server.
        let _ = match self.gate.outbound((PROTO_TCP, target), &data, Instant::now().into_std()) {
            Outbound::Send => writer.try_send(data.into_owned()),
            Outbound::Renumber(number) => writer.try_send(renumbered(data, number)),
            Outbound::Drop => Ok(()),
        };
        Ok(())
    }

    fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    fn proto(&self) -> u8 {
        PROTO_TCP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_delimited_by_their_headers() {
        assert_eq!(frame_length(&[0, 1, 0]), Framing::Incomplete);
        assert_eq!(frame_length(&[0x00, 0x01, 0x00, 0x08]), Framing::Frame(28));
        assert_eq!(frame_length(&[0x40, 0x00, 0x00, 0x05]), Framing::Frame(12), "ChannelData is padded");
        assert_eq!(frame_length(&[0x40, 0x00, 0x00, 0x04]), Framing::Frame(8));
        assert_eq!(frame_length(&[0x80, 0x00, 0x00, 0x04]), Framing::Invalid);
    }
}
