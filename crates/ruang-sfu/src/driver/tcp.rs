//! ICE over TCP on the SFU's port (issue #15 item 3): clients whose UDP is blocked open a TCP connection to
//! the same address and port (the SFU's passive TCP candidate, RFC 6544) and send their STUN, DTLS, RTP and
//! RTCP packets on it, each framed by a two-byte length (RFC 4571).
//!
//! One small task per connection reads frames (cancel-safe: bytes are buffered here, never lost to a
//! `select!`) and passes them to the driver task, and writes the frames the driver gives it. The driver
//! task keeps the table of connections ([`Connections`]) and everything an outsider can spend is bounded
//! by [`TcpLimits`]: connections overall and per source IP, the time a connection may take to become a
//! participant's (`handshake_timeout`), the time it may stay silent (`idle_timeout`), the frame size
//! ([`MAX_FRAME`]), the frames queued toward a slow reader, and the time one write may take.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// The largest frame accepted or sent: a WebRTC packet fits a UDP datagram under the path MTU (1500), with
/// margin. A longer length prefix is not WebRTC: the connection is closed.
pub const MAX_FRAME: usize = 1600;
/// How long one frame may take to be written before the client counts as not reading: closed.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Frames read from all connections that may wait for the driver task (each connection waits beyond).
pub(super) const INBOUND_QUEUE: usize = 1024;

/// Bounds on the TCP port. The defaults suit a server whose clients may sit behind one office NAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpLimits {
    /// Open connections at most; more are closed at once.
    pub max_connections: usize,
    /// Open connections from one source IP at most.
    pub max_per_address: usize,
    /// A connection none of whose frames a participant has claimed by then is closed.
    pub handshake_timeout: Duration,
    /// A connection none of whose frames a participant has claimed for this long is closed (ICE consent
    /// checks come every few seconds while a client is there; a removed participant's do not count).
    pub idle_timeout: Duration,
    /// Frames queued toward one connection; more are dropped (as a congested UDP path drops them).
    pub queue: usize,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_connections: 1024,
            max_per_address: 64,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            queue: 256,
        }
    }
}

/// What a connection's task tells the driver task.
#[derive(Debug)]
pub(super) enum TcpEvent {
    Frame { peer: SocketAddr, conn: u64, bytes: Vec<u8> },
    Closed { peer: SocketAddr, conn: u64 },
}

struct Conn {
    id: u64,
    outbound: mpsc::Sender<Vec<u8>>,
    opened: Instant,
    /// When a participant last claimed one of its frames (`opened` until then): frames nobody claims do not
    /// keep a connection open.
    last_claimed: Instant,
    /// A participant has claimed one of its frames.
    claimed: bool,
}

/// The driver task's table of open TCP connections, by the client's address.
pub(super) struct Connections {
    limits: TcpLimits,
    open: HashMap<SocketAddr, Conn>,
    per_ip: HashMap<IpAddr, usize>,
    next_id: u64,
    events: mpsc::Sender<TcpEvent>,
}

impl Connections {
    pub(super) fn new(limits: TcpLimits, events: mpsc::Sender<TcpEvent>) -> Self {
        Connections { limits, open: HashMap::new(), per_ip: HashMap::new(), next_id: 0, events }
    }

    pub(super) fn len(&self) -> usize {
        self.open.len()
    }

    /// A new connection: served, or closed at once when over a limit.
    pub(super) fn accept(&mut self, stream: TcpStream, peer: SocketAddr, now: Instant) {
        let from_ip = self.per_ip.get(&peer.ip()).copied().unwrap_or(0);
        if self.open.len() >= self.limits.max_connections || from_ip >= self.limits.max_per_address {
            tracing::debug!(open = self.open.len(), from_ip, "sfu driver: TCP connection refused (limit)");
            return;
        }
        // Media wants each frame out at once.
        let _ = stream.set_nodelay(true);
        self.next_id += 1;
        let (outbound, outbound_rx) = mpsc::channel(self.limits.queue.max(1));
        let conn = Conn { id: self.next_id, outbound, opened: now, last_claimed: now, claimed: false };
        tokio::spawn(serve(stream, peer, self.next_id, outbound_rx, self.events.clone()));
        if let Some(old) = self.open.insert(peer, conn) {
            drop(old); // the address was reused; the old connection's task ends with its queue
        } else {
            *self.per_ip.entry(peer.ip()).or_default() += 1;
        }
    }

    /// Whether a frame from `peer` comes from its current connection (a closed one's late frames do not).
    pub(super) fn is_current(&self, peer: SocketAddr, conn: u64) -> bool {
        self.open.get(&peer).is_some_and(|c| c.id == conn)
    }

    /// A participant claimed a frame of `peer`'s connection: the handshake deadline no longer applies, and
    /// the idle one starts again.
    pub(super) fn claimed(&mut self, peer: SocketAddr, now: Instant) {
        if let Some(c) = self.open.get_mut(&peer) {
            c.claimed = true;
            c.last_claimed = now;
        }
    }

    /// The connection's task ended (the client closed it, or it broke a rule).
    pub(super) fn closed(&mut self, peer: SocketAddr, conn: u64) {
        if self.open.get(&peer).is_some_and(|c| c.id == conn) {
            self.remove(peer);
        }
    }

    /// Queues a frame toward `to`; dropped when there is no such connection or its queue is full.
    pub(super) fn send(&mut self, to: SocketAddr, bytes: Vec<u8>) -> bool {
        bytes.len() <= MAX_FRAME && self.open.get(&to).is_some_and(|c| c.outbound.try_send(bytes).is_ok())
    }

    /// Closes the connections past their handshake or idle deadline.
    pub(super) fn sweep(&mut self, now: Instant) {
        let limits = self.limits;
        let expired: Vec<SocketAddr> = self
            .open
            .iter()
            .filter(|(_, c)| {
                let idle = now.saturating_duration_since(c.last_claimed) >= limits.idle_timeout;
                let unclaimed = !c.claimed && now.saturating_duration_since(c.opened) >= limits.handshake_timeout;
                idle || unclaimed
            })
            .map(|(peer, _)| *peer)
            .collect();
        for peer in expired {
            tracing::debug!("sfu driver: TCP connection closed (handshake or idle timeout)");
            self.remove(peer);
        }
    }

    /// Forgets a connection; dropping its queue ends its task, which closes the socket.
    fn remove(&mut self, peer: SocketAddr) {
        if self.open.remove(&peer).is_some()
            && let Some(count) = self.per_ip.get_mut(&peer.ip())
        {
            *count -= 1;
            if *count == 0 {
                self.per_ip.remove(&peer.ip());
            }
        }
    }
}

/// Why a connection's bytes cannot be read as frames.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct FrameTooLarge;

/// Takes the first complete RFC 4571 frame out of `buffer` (`None`: not complete yet).
pub(super) fn take_frame(buffer: &mut Vec<u8>) -> Result<Option<Vec<u8>>, FrameTooLarge> {
    let Some(header) = buffer.first_chunk::<2>() else { return Ok(None) };
    let len = usize::from(u16::from_be_bytes(*header));
    if len > MAX_FRAME {
        return Err(FrameTooLarge);
    }
    if buffer.len() < 2 + len {
        return Ok(None);
    }
    let frame = buffer[2..2 + len].to_vec();
    buffer.drain(..2 + len);
    Ok(Some(frame))
}

/// One connection: frames in to the driver, frames out from its queue, until either side ends.
async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    conn: u64,
    mut outbound: mpsc::Receiver<Vec<u8>>,
    events: mpsc::Sender<TcpEvent>,
) {
    // Unparsed bytes: at most one incomplete frame plus one read.
    let mut buffer: Vec<u8> = Vec::with_capacity(2 + MAX_FRAME);
    let mut chunk = [0u8; 4096];
    let mut framed = Vec::with_capacity(2 + MAX_FRAME);
    'serving: loop {
        tokio::select! {
            // Reading is cancel-safe: what was read is in `buffer`, whichever branch wins.
            read = stream.read(&mut chunk) => {
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                buffer.extend_from_slice(&chunk[..n]);
                loop {
                    match take_frame(&mut buffer) {
                        Ok(Some(bytes)) if bytes.is_empty() => {}
                        Ok(Some(bytes)) => {
                            if events.send(TcpEvent::Frame { peer, conn, bytes }).await.is_err() {
                                return; // the driver stopped
                            }
                        }
                        Ok(None) => break,
                        Err(FrameTooLarge) => {
                            tracing::debug!("sfu driver: TCP frame too large; closing the connection");
                            break 'serving;
                        }
                    }
                }
            }
            next = outbound.recv() => {
                let Some(bytes) = next else { break };
                let Ok(len) = u16::try_from(bytes.len()) else { continue };
                framed.clear();
                framed.extend_from_slice(&len.to_be_bytes());
                framed.extend_from_slice(&bytes);
                match tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(&framed)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) | Err(_) => break,
                }
            }
        }
    }
    let _ = events.send(TcpEvent::Closed { peer, conn }).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_taken_whole_and_in_order() {
        let mut buffer = vec![0, 3, b'a', b'b', b'c', 0, 1, b'd', 0];
        assert_eq!(take_frame(&mut buffer), Ok(Some(b"abc".to_vec())));
        assert_eq!(take_frame(&mut buffer), Ok(Some(b"d".to_vec())));
        assert_eq!(take_frame(&mut buffer), Ok(None), "half a header waits");
        buffer.extend_from_slice(&[2, b'e']);
        assert_eq!(take_frame(&mut buffer), Ok(None), "half a frame waits");
        buffer.push(b'f');
        assert_eq!(take_frame(&mut buffer), Ok(Some(b"ef".to_vec())));
        assert!(buffer.is_empty());
    }

    #[test]
    fn a_frame_longer_than_any_webrtc_packet_is_refused() {
        let len = u16::try_from(MAX_FRAME + 1).expect("fits two bytes");
        let mut buffer = len.to_be_bytes().to_vec();
        assert_eq!(take_frame(&mut buffer), Err(FrameTooLarge));
        let mut fits = u16::try_from(MAX_FRAME).expect("fits").to_be_bytes().to_vec();
        assert_eq!(take_frame(&mut fits), Ok(None), "the largest allowed length waits for its bytes");
    }
}
