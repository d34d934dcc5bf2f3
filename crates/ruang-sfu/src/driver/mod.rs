//! The tokio driver of the SFU core (feature `tokio`): it owns the SFU's one UDP socket, the TCP listener on
//! the same port (ICE over TCP) and the clock, as quinn drives quinn-proto. One task holds the [`Sfu`]:
//! datagrams from the socket and frames from TCP connections go to `handle_datagram`, due timers to
//! `handle_timeout`, and everything `poll_output` hands back is sent (on the socket, or the connection it
//! names) or passed on as an [`SfuEvent`]. The rest of the server talks to it through a cloneable [`SfuHandle`] (participants
//! and their SDP, answered over a oneshot channel) and reads its events from [`SfuEvents`].
//!
//! - mod.rs: starting the driver, the handle, the event stream, the errors.
//! - task.rs: the task's loop.
//! - tcp.rs: ICE over TCP on the same port (RFC 4571 framing), its connections and their limits.
//!
//! The task ends when every handle is dropped (or [`SfuHandle::shutdown`] is called); the socket and the
//! listener close with it (each connection's task ends once its queue is dropped). It never waits for the reader of the events: they are queued without bound, which is safe because
//! they come at signaling rate (an offer per track change, a connection change, a new active speaker), not
//! per packet, and dropping one (an offer) would stall a participant's negotiation.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, oneshot};

use crate::layer::Layer;
use crate::{ParticipantId, Publishing, RoomKey, Sfu, SfuConfig, SfuError, SfuEvent, SfuStats};

mod task;
mod tcp;

pub use tcp::{MAX_FRAME, TcpLimits};

/// Commands a handle may have queued before its callers wait: each is a signaling-rate request.
const COMMAND_QUEUE: usize = 256;

/// Why a call through an [`SfuHandle`] failed.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The SFU core refused the call.
    #[error(transparent)]
    Sfu(#[from] SfuError),
    /// The driver task has ended (shut down, or every handle was dropped).
    #[error("the SFU driver has stopped")]
    Stopped,
}

/// Why the driver could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The UDP socket could not be bound (address in use, no permission).
    #[error("cannot bind the SFU's UDP socket on {listen}: {source}")]
    Bind { listen: SocketAddr, source: std::io::Error },
    /// The TCP listener could not be bound on the UDP socket's port.
    #[error("cannot listen on TCP for the SFU on {listen}: {source}")]
    BindTcp { listen: SocketAddr, source: std::io::Error },
    /// The SFU core refused the configuration (an unspecified public address).
    #[error(transparent)]
    Sfu(#[from] SfuError),
}

type Reply<T> = oneshot::Sender<Result<T, SfuError>>;

/// A request for the driver task, with the channel its answer goes back on.
#[derive(Debug)]
enum Command {
    Add { room: RoomKey, id: ParticipantId, publishing: Publishing, offer: String, reply: Reply<String> },
    Offer { id: ParticipantId, offer: String, reply: Reply<String> },
    Answer { id: ParticipantId, answer: String, reply: Reply<()> },
    SetPublishing { id: ParticipantId, publishing: Publishing, reply: Reply<()> },
    Remove { id: ParticipantId, reply: Reply<()> },
    DescribeLayers { publisher: ParticipantId, layers: Vec<(String, Layer)>, reply: Reply<()> },
    SetTile { subscriber: ParticipantId, publisher: ParticipantId, height: u32, reply: Reply<()> },
    SetTiles { subscriber: ParticipantId, tiles: Vec<(ParticipantId, u32)>, reply: Reply<()> },
    Pin { subscriber: ParticipantId, pinned: Option<ParticipantId>, reply: Reply<()> },
    Stats { reply: oneshot::Sender<SfuStats> },
    Shutdown,
}

/// A running SFU: where it listens and is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SfuAddresses {
    /// The socket's local address (for a `listen` with port 0, the port drawn).
    pub local: SocketAddr,
    /// The address clients are given as the SFU's ICE candidate: the public IP and the local port.
    pub public: SocketAddr,
}

/// Talks to the driver task. Cheap to clone; the task ends when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct SfuHandle {
    commands: mpsc::Sender<Command>,
    addresses: SfuAddresses,
}

/// The SFU's events, in the order the core produced them. Ends (`recv` gives `None`) when the driver does.
#[derive(Debug)]
pub struct SfuEvents {
    events: mpsc::UnboundedReceiver<SfuEvent>,
}

impl SfuEvents {
    /// The next event; `None` once the driver has stopped.
    pub async fn recv(&mut self) -> Option<SfuEvent> {
        self.events.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<SfuEvent> {
        self.events.try_recv().ok()
    }
}

/// Binds the SFU's UDP socket on `listen` (and, unless the configuration turns `ice_tcp` off, a TCP
/// listener on the same address and port) and spawns its driver on the current tokio runtime. Clients
/// reach it at `public_ip` and the bound port; `configure` adjusts the core's defaults
/// ([`SfuConfig::new`]) for that address. The TCP port has [`TcpLimits::default`].
pub async fn start(
    listen: SocketAddr,
    public_ip: IpAddr,
    configure: impl FnOnce(SfuConfig) -> SfuConfig,
) -> Result<(SfuHandle, SfuEvents), StartError> {
    start_with(listen, public_ip, TcpLimits::default(), configure).await
}

/// As [`start`], with the TCP port's limits.
pub async fn start_with(
    listen: SocketAddr,
    public_ip: IpAddr,
    tcp_limits: TcpLimits,
    configure: impl FnOnce(SfuConfig) -> SfuConfig,
) -> Result<(SfuHandle, SfuEvents), StartError> {
    // The public address depends on the port drawn, and ice_tcp on the configuration: configure with the
    // listen port first (a port 0 is replaced below), then set the address once bound.
    let config = configure(SfuConfig::new(SocketAddr::new(public_ip, listen.port())));
    let (socket, listener) = bind(listen, config.ice_tcp).await?;
    let local = socket.local_addr().map_err(|source| StartError::Bind { listen, source })?;
    let public = SocketAddr::new(public_ip, local.port());
    let sfu = Sfu::new(SfuConfig { public_addr: public, ..config }, Instant::now())?;
    let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (event_tx, events) = mpsc::unbounded_channel();
    let tcp = listener.is_some();
    let driver = task::Driver::new(sfu, socket, listener, tcp_limits, public, command_rx, event_tx);
    tokio::spawn(task::run(driver));
    tracing::info!(port = local.port(), tcp, "SFU listening on UDP");
    let addresses = SfuAddresses { local, public };
    Ok((SfuHandle { commands, addresses }, SfuEvents { events }))
}

/// Binds the UDP socket and, with `tcp`, the TCP listener on the same port. With port 0 the UDP port drawn
/// may be taken on TCP (by another connection's ephemeral port): a few other draws are tried.
async fn bind(listen: SocketAddr, tcp: bool) -> Result<(UdpSocket, Option<TcpListener>), StartError> {
    const DRAWS: usize = 8;
    let mut draw = 0;
    loop {
        draw += 1;
        let bind_error = |source| StartError::Bind { listen, source };
        let socket = UdpSocket::bind(listen).await.map_err(bind_error)?;
        enlarge_buffers(&socket);
        if !tcp {
            return Ok((socket, None));
        }
        let local = socket.local_addr().map_err(bind_error)?;
        match TcpListener::bind(local).await {
            Ok(listener) => return Ok((socket, Some(listener))),
            Err(e) if listen.port() == 0 && draw < DRAWS && e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(source) => return Err(StartError::BindTcp { listen: local, source }),
        }
    }
}

/// Asks for large kernel buffers on the one socket every participant's media shares: with the default
/// (~208 KiB) a room of 25 overflowed its receive queue (the socket's drop counter in /proc/net/udp) whenever
/// the driver fell a little behind, each drop a lost frame and a key-frame request. The kernel caps the
/// size at `net.core.rmem_max` / `wmem_max`; failing to enlarge is not fatal.
fn enlarge_buffers(socket: &UdpSocket) {
    const SOCKET_BUFFER: usize = 4 << 20;
    let socket = socket2::SockRef::from(socket);
    if let Err(e) = socket.set_recv_buffer_size(SOCKET_BUFFER) {
        tracing::debug!(error = %e, "sfu driver: cannot enlarge the receive buffer");
    }
    if let Err(e) = socket.set_send_buffer_size(SOCKET_BUFFER) {
        tracing::debug!(error = %e, "sfu driver: cannot enlarge the send buffer");
    }
    let sizes = (socket.recv_buffer_size().ok(), socket.send_buffer_size().ok());
    tracing::debug!(receive = ?sizes.0, send = ?sizes.1, "sfu driver: socket buffers");
}

impl SfuHandle {
    /// Where the SFU listens and is reached.
    pub fn addresses(&self) -> SfuAddresses {
        self.addresses
    }

    /// Adds a participant to `room` from its first SDP offer; returns the SDP answer
    /// ([`Sfu::add_participant`]).
    pub async fn add_participant(
        &self,
        room: RoomKey,
        id: ParticipantId,
        publishing: Publishing,
        offer: String,
    ) -> Result<String, DriverError> {
        self.call(|reply| Command::Add { room, id, publishing, offer, reply }).await
    }

    /// A participant's later offer; returns the SDP answer ([`Sfu::handle_offer`]).
    pub async fn handle_offer(&self, id: ParticipantId, offer: String) -> Result<String, DriverError> {
        self.call(|reply| Command::Offer { id, offer, reply }).await
    }

    /// A participant's answer to an [`SfuEvent::Offer`] ([`Sfu::handle_answer`]).
    pub async fn handle_answer(&self, id: ParticipantId, answer: String) -> Result<(), DriverError> {
        self.call(|reply| Command::Answer { id, answer, reply }).await
    }

    /// Whether a participant may publish, from now on ([`Sfu::set_publishing`]).
    pub async fn set_publishing(&self, id: ParticipantId, publishing: Publishing) -> Result<(), DriverError> {
        self.call(|reply| Command::SetPublishing { id, publishing, reply }).await
    }

    /// Removes a participant, closing its media session ([`Sfu::remove_participant`]).
    pub async fn remove_participant(&self, id: ParticipantId) -> Result<(), DriverError> {
        self.call(|reply| Command::Remove { id, reply }).await
    }

    /// The publisher's simulcast layers: rid, height, bitrate ([`Sfu::describe_layers_of`]).
    pub async fn describe_layers_of(
        &self,
        publisher: ParticipantId,
        layers: Vec<(String, Layer)>,
    ) -> Result<(), DriverError> {
        self.call(|reply| Command::DescribeLayers { publisher, layers, reply }).await
    }

    /// How tall `subscriber` shows `publisher`'s video, 0 for not at all ([`Sfu::set_tile_of`]).
    pub async fn set_tile_of(
        &self,
        subscriber: ParticipantId,
        publisher: ParticipantId,
        height: u32,
    ) -> Result<(), DriverError> {
        self.call(|reply| Command::SetTile { subscriber, publisher, height, reply }).await
    }

    /// Every tile `subscriber` shows, replacing what it said before ([`Sfu::set_tiles`]).
    pub async fn set_tiles(
        &self,
        subscriber: ParticipantId,
        tiles: Vec<(ParticipantId, u32)>,
    ) -> Result<(), DriverError> {
        self.call(|reply| Command::SetTiles { subscriber, tiles, reply }).await
    }

    /// `subscriber` pins `pinned`'s video, or unpins with `None` ([`Sfu::pin`]).
    pub async fn pin(&self, subscriber: ParticipantId, pinned: Option<ParticipantId>) -> Result<(), DriverError> {
        self.call(|reply| Command::Pin { subscriber, pinned, reply }).await
    }

    /// What the SFU holds and has done ([`Sfu::stats`], with the driver's counts of packets and bytes on
    /// the wire). Waits behind the commands already queued.
    pub async fn stats(&self) -> Result<SfuStats, DriverError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Stats { reply }).await.map_err(|_| DriverError::Stopped)?;
        answer.await.map_err(|_| DriverError::Stopped)
    }

    /// Stops the driver task even while other handles remain; later calls fail with `Stopped`.
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown).await;
    }

    async fn call<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, SfuError>>) -> Command,
    ) -> Result<T, DriverError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).await.map_err(|_| DriverError::Stopped)?;
        Ok(answer.await.map_err(|_| DriverError::Stopped)??)
    }
}
