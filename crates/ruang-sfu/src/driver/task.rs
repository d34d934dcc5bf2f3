//! The driver task's loop: drain the core's output (send datagrams, pass events on), then wait for the first
//! of a datagram, a command, or the core's next timer, and feed it in. Time is read from the clock here and
//! nowhere else.

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::Command;
use crate::layer::Layer;
use crate::{DatagramError, Output, Sfu, SfuEvent};

/// Large enough for any datagram a WebRTC peer sends (they stay under the path MTU; 2 KB leaves margin).
const RECV_BUFFER: usize = 2048;

/// The task's state: the core, its socket, and its channels.
pub(super) struct Driver {
    sfu: Sfu,
    socket: UdpSocket,
    /// The address clients send to; given to the core as each datagram's destination (the socket may be
    /// bound to a wildcard address, or sit behind NAT).
    public: SocketAddr,
    commands: mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<SfuEvent>,
    /// Datagrams dropped because no participant claimed them or they were not WebRTC, for the debug log.
    dropped: u64,
}

/// What woke the task.
enum Wake {
    Datagram(io::Result<(usize, SocketAddr)>),
    Command(Option<Command>),
    Timer,
}

impl Driver {
    pub(super) fn new(
        sfu: Sfu,
        socket: UdpSocket,
        public: SocketAddr,
        commands: mpsc::Receiver<Command>,
        events: mpsc::UnboundedSender<SfuEvent>,
    ) -> Driver {
        Driver { sfu, socket, public, commands, events, dropped: 0 }
    }

    /// Sends and passes on everything the core has, up to its next timer.
    async fn drain(&mut self) -> Instant {
        loop {
            match self.sfu.poll_output() {
                Output::Transmit(transmit) => {
                    // A failed send is a lost datagram, which WebRTC recovers from (or ICE notices).
                    if let Err(e) = self.socket.send_to(&transmit.bytes, transmit.to).await {
                        tracing::debug!(error = %e, "sfu driver: a datagram could not be sent");
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
            Command::Shutdown => return false,
        }
        true
    }

    fn datagram(&mut self, from: SocketAddr, bytes: &[u8]) {
        match self.sfu.handle_datagram(from, self.public, bytes, Instant::now()) {
            Ok(()) => {}
            Err(DatagramError::NotWebRtc | DatagramError::Unclaimed) => {
                self.dropped += 1;
                tracing::trace!(dropped = self.dropped, "sfu driver: datagram dropped");
            }
        }
    }
}

/// The task: until shut down or every handle is dropped.
pub(super) async fn run(mut driver: Driver) {
    let mut buffer = vec![0u8; RECV_BUFFER];
    loop {
        let deadline = driver.drain().await;
        let wake = tokio::select! {
            received = driver.socket.recv_from(&mut buffer) => Wake::Datagram(received),
            command = driver.commands.recv() => Wake::Command(command),
            () = tokio::time::sleep_until(deadline.into()) => Wake::Timer,
        };
        match wake {
            Wake::Datagram(Ok((len, from))) => driver.datagram(from, &buffer[..len]),
            // On Linux an unconnected UDP socket reports nothing per peer; anything else is logged and the
            // loop goes on (one bad read must not end every participant's media).
            Wake::Datagram(Err(e)) => tracing::debug!(error = %e, "sfu driver: receive failed"),
            Wake::Command(Some(command)) => {
                if !driver.command(command) {
                    break;
                }
            }
            Wake::Command(None) => break,
            Wake::Timer => driver.sfu.handle_timeout(Instant::now()),
        }
    }
    tracing::debug!(participants = driver.sfu.len(), dropped = driver.dropped, "sfu driver stopped");
}
