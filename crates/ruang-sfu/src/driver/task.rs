//! The driver task's loop: drain the core's output (send packets, pass events on), then wait for the first
//! of a datagram (with those queued behind it, up to a batch), a TCP connection or frame, a command, or the
//! core's next timer, and feed it in. Time is read from the clock here and nowhere else.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

use super::Command;
use super::tcp::{Connections, INBOUND_QUEUE, TcpEvent, TcpLimits};
use crate::layer::Layer;
use crate::{DatagramError, Output, Sfu, SfuEvent, SfuStats, Transport};

/// Large enough for any datagram a WebRTC peer sends (they stay under the path MTU; 2 KB leaves margin).
const RECV_BUFFER: usize = 2048;
/// After a wake-up by a datagram, at most this many more that are already queued are read before the core's
/// output is drained: one drain (every participant with input polled once) and one wait per batch instead
/// of per packet. Bounded, so that commands and timers still come between batches.
const RECV_BATCH: usize = 64;
/// How often TCP connections are checked against their handshake and idle deadlines.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);
/// After a failed accept (out of file descriptors), accepting pauses this long instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The task's state: the core, its socket and listener, and its channels.
pub(super) struct Driver {
    sfu: Sfu,
    socket: UdpSocket,
    listener: Option<TcpListener>,
    connections: Connections,
    tcp_events: mpsc::Receiver<TcpEvent>,
    next_sweep: Instant,
    /// Accepting resumes then after a failed accept.
    accept_after: Option<Instant>,
    /// The address clients send to; given to the core as each packet's destination (the socket may be
    /// bound to a wildcard address, or sit behind NAT).
    public: SocketAddr,
    commands: mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<SfuEvent>,
    /// Packets and bytes on the wire, for [`SfuStats`].
    wire: Wire,
}

/// What the driver counts on the wire; the core never sees bytes it did not claim, or what it sends.
#[derive(Default)]
struct Wire {
    packets_received: u64,
    bytes_received: u64,
    /// Packets dropped because no participant claimed them or they were not WebRTC.
    packets_unclaimed: u64,
    packets_sent: u64,
    bytes_sent: u64,
}

/// What woke the task.
enum Wake {
    Datagram(io::Result<(usize, SocketAddr)>),
    Connection(io::Result<(TcpStream, SocketAddr)>),
    Tcp(Option<TcpEvent>),
    Command(Option<Command>),
    Timer,
}

impl Wire {
    fn sent(&mut self, len: usize) {
        self.packets_sent += 1;
        self.bytes_sent += len as u64;
    }
}

impl Driver {
    pub(super) fn new(
        sfu: Sfu,
        socket: UdpSocket,
        listener: Option<TcpListener>,
        tcp_limits: TcpLimits,
        public: SocketAddr,
        commands: mpsc::Receiver<Command>,
        events: mpsc::UnboundedSender<SfuEvent>,
    ) -> Driver {
        let (tcp_tx, tcp_events) = mpsc::channel(INBOUND_QUEUE);
        let connections = Connections::new(tcp_limits, tcp_tx);
        let next_sweep = Instant::now() + SWEEP_INTERVAL;
        Driver {
            sfu,
            socket,
            listener,
            connections,
            tcp_events,
            next_sweep,
            accept_after: None,
            public,
            commands,
            events,
            wire: Wire::default(),
        }
    }

    /// Sends and passes on everything the core has, up to its next timer.
    async fn drain(&mut self) -> Instant {
        loop {
            match self.sfu.poll_output() {
                Output::Transmit(transmit) if transmit.transport == Transport::Tcp => {
                    let len = transmit.bytes.len();
                    if self.connections.send(transmit.to, transmit.bytes) {
                        self.wire.sent(len);
                    } else {
                        tracing::trace!("sfu driver: a TCP frame was dropped (no connection, or it is full)");
                    }
                }
                Output::Transmit(transmit) => {
                    // A failed send is a lost datagram, which WebRTC recovers from (or ICE notices).
                    match self.socket.send_to(&transmit.bytes, transmit.to).await {
                        Ok(len) => self.wire.sent(len),
                        Err(e) => tracing::debug!(error = %e, "sfu driver: a datagram could not be sent"),
                    }
                }
                // Nobody listening (the events were dropped) is not the driver's concern.
                Output::Event(event) => drop(self.events.send(event)),
                Output::Timeout(at) => return at,
            }
        }
    }

    /// Runs one command; false when the driver must stop.
    fn command(&mut self, command: Command) -> bool {
        let now = Instant::now();
        // A caller that gave up waiting has dropped its receiver; the call still took effect.
        match command {
            Command::Add { room, id, publishing, offer, reply } => {
                drop(reply.send(self.sfu.add_participant(room, id, publishing, &offer, now)))
            }
            Command::Offer { id, offer, reply } => drop(reply.send(self.sfu.handle_offer(id, &offer))),
            Command::Answer { id, answer, reply } => drop(reply.send(self.sfu.handle_answer(id, &answer))),
            Command::SetPublishing { id, publishing, reply } => {
                drop(reply.send(self.sfu.set_publishing(id, publishing)))
            }
            Command::Remove { id, reply } => drop(reply.send(self.sfu.remove_participant(id))),
            Command::DescribeLayers { publisher, layers, reply } => {
                let layers: Vec<(&str, Layer)> = layers.iter().map(|(rid, layer)| (rid.as_str(), *layer)).collect();
                drop(reply.send(self.sfu.describe_layers_of(publisher, &layers)))
            }
            Command::SetTile { subscriber, publisher, height, reply } => {
                drop(reply.send(self.sfu.set_tile_of(subscriber, publisher, height)))
            }
            Command::SetTiles { subscriber, tiles, reply } => drop(reply.send(self.sfu.set_tiles(subscriber, &tiles))),
            Command::Pin { subscriber, pinned, reply } => drop(reply.send(self.sfu.pin(subscriber, pinned))),
            Command::Stats { reply } => drop(reply.send(self.stats())),
            Command::Shutdown => return false,
        }
        true
    }

    /// The core's snapshot with the wire counted here.
    fn stats(&self) -> SfuStats {
        let wire = &self.wire;
        SfuStats {
            packets_received: wire.packets_received,
            bytes_received: wire.bytes_received,
            packets_unclaimed: wire.packets_unclaimed,
            packets_sent: wire.packets_sent,
            bytes_sent: wire.bytes_sent,
            ..self.sfu.stats()
        }
    }

    /// A packet for the core; true when a participant claimed it.
    fn packet(&mut self, transport: Transport, from: SocketAddr, bytes: &[u8]) -> bool {
        self.wire.packets_received += 1;
        self.wire.bytes_received += bytes.len() as u64;
        match self.sfu.handle_datagram(transport, from, self.public, bytes, Instant::now()) {
            Ok(()) => true,
            Err(DatagramError::NotWebRtc | DatagramError::Unclaimed) => {
                self.wire.packets_unclaimed += 1;
                tracing::trace!(dropped = self.wire.packets_unclaimed, "sfu driver: packet dropped");
                false
            }
        }
    }

    fn tcp_event(&mut self, event: TcpEvent) {
        match event {
            TcpEvent::Frame { peer, conn, bytes } => {
                if self.connections.is_current(peer, conn) && self.packet(Transport::Tcp, peer, &bytes) {
                    self.connections.claimed(peer, Instant::now());
                }
            }
            TcpEvent::Closed { peer, conn } => self.connections.closed(peer, conn),
        }
    }

    /// Closes TCP connections past their deadlines, once per `SWEEP_INTERVAL`.
    fn sweep(&mut self) {
        let now = Instant::now();
        if now >= self.next_sweep {
            self.connections.sweep(now);
            self.next_sweep = now + SWEEP_INTERVAL;
        }
    }
}

/// The task: until shut down or every handle is dropped.
pub(super) async fn run(mut driver: Driver) {
    let mut buffer = vec![0u8; RECV_BUFFER];
    loop {
        let mut deadline = driver.drain().await;
        if driver.connections.len() > 0 {
            deadline = deadline.min(driver.next_sweep);
        }
        let accept_after = driver.accept_after;
        let accept = async {
            if let Some(at) = accept_after {
                tokio::time::sleep_until(at.into()).await;
            }
            match &driver.listener {
                Some(listener) => listener.accept().await,
                None => std::future::pending().await,
            }
        };
        let wake = tokio::select! {
            received = driver.socket.recv_from(&mut buffer) => Wake::Datagram(received),
            accepted = accept => Wake::Connection(accepted),
            event = driver.tcp_events.recv() => Wake::Tcp(event),
            command = driver.commands.recv() => Wake::Command(command),
            () = tokio::time::sleep_until(deadline.into()) => Wake::Timer,
        };
        match wake {
            Wake::Datagram(Ok((len, from))) => {
                driver.packet(Transport::Udp, from, &buffer[..len]);
                for _ in 1..RECV_BATCH {
                    match driver.socket.try_recv_from(&mut buffer) {
                        Ok((len, from)) => drop(driver.packet(Transport::Udp, from, &buffer[..len])),
                        // WouldBlock: nothing more queued; another error is seen by the next recv
                        Err(_) => break,
                    }
                }
            }
            // On Linux an unconnected UDP socket reports nothing per peer; anything else is logged and the
            // loop goes on (one bad read must not end every participant's media).
            Wake::Datagram(Err(e)) => tracing::debug!(error = %e, "sfu driver: receive failed"),
            Wake::Connection(Ok((stream, peer))) => {
                driver.accept_after = None;
                driver.connections.accept(stream, peer, Instant::now());
            }
            // Out of file descriptors, or a connection reset before it was accepted: pause, then go on.
            Wake::Connection(Err(e)) => {
                tracing::debug!(error = %e, "sfu driver: accept failed");
                driver.accept_after = Some(Instant::now() + ACCEPT_BACKOFF);
            }
            Wake::Tcp(Some(event)) => driver.tcp_event(event),
            // The driver holds a sender itself: the channel does not close while it runs.
            Wake::Tcp(None) => {}
            Wake::Command(Some(command)) => {
                if !driver.command(command) {
                    break;
                }
            }
            Wake::Command(None) => break,
            Wake::Timer => driver.sfu.handle_timeout(Instant::now()),
        }
        driver.sweep();
    }
    tracing::debug!(participants = driver.sfu.len(), dropped = driver.wire.packets_unclaimed, "sfu driver stopped");
}
