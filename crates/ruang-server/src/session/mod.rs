//! One WebSocket connection from join to close: reads and validates frames, enforces the per-connection
//! limits (rate, violations, join and heartbeat timeouts), talks to its room, and decides how the
//! connection ends.
//!
//! Each connection is two tasks with a bounded queue between them: this reader, and the [`writer`] that
//! owns the socket's sending half. The room and this reader both queue to the writer through an
//! [`outbox::Outbox`] and never wait on it.
//!
//! A connection that ends without `leave` does not take its participant out of the room: the room keeps it
//! as reconnecting, and a later connection can take it over with `resume` ([`enter`]).

mod enter;
mod guard;
pub mod outbox;
pub(crate) mod relay;
mod writer;

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use ruang_proto::{
    ClientMessage, CloseCode, ErrorCode, LeaveReason, PeerId, Rejection, RoomName, ServerMessage, ShutdownReason,
    parse_client_message, read_req,
};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tungstenite::error::ProtocolError;

use crate::clock::wall_clock_secs;
use crate::rooms::{Busy, Disconnect, RoomCommand, RoomHandle};
use crate::state::AppState;
use guard::Guard;
use outbox::Outbox;
use ruang_room::{Input, SfuRequest};

/// How long the server waits for the client's answer to its close frame before dropping the socket.
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// How a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Left,
    Disconnected,
    JoinTimeout,
    HeartbeatTimeout,
    Violations,
    TooBig,
    /// The client broke the WebSocket protocol.
    ProtocolError,
    /// The client sent a text frame that is not UTF-8.
    InvalidUtf8,
    Dropped,
    Shutdown,
    Replaced,
    Removed,
}

impl Exit {
    /// What the room is told when a connection ends this way: `Leave` for good, `Detach` to keep the
    /// participant for a resume, or nothing.
    fn room_command(self, id: PeerId, conn: u64) -> Option<RoomCommand> {
        let leave = |reason| Some(RoomCommand::Input(Input::Leave { id, conn, reason }));
        let detach = |reason| Some(RoomCommand::Input(Input::Lost { id, conn, reason }));
        match self {
            Exit::Left => leave(LeaveReason::Left),
            Exit::Violations => leave(LeaveReason::Kicked),
            Exit::TooBig | Exit::ProtocolError | Exit::InvalidUtf8 | Exit::JoinTimeout => {
                leave(LeaveReason::Disconnected)
            }
            Exit::Disconnected => detach(LeaveReason::Disconnected),
            Exit::HeartbeatTimeout => detach(LeaveReason::Timeout),
            Exit::Dropped => detach(LeaveReason::Slow),
            // A stopping server keeps its participants for the next instance; a replaced connection's
            // participant lives on in the new one.
            Exit::Shutdown | Exit::Replaced | Exit::Removed => None,
        }
    }

    fn close_code(self) -> CloseCode {
        match self {
            Exit::Left | Exit::Disconnected => CloseCode::Normal,
            Exit::JoinTimeout => CloseCode::JoinTimeout,
            Exit::HeartbeatTimeout => CloseCode::HeartbeatTimeout,
            Exit::Violations => CloseCode::Violations,
            Exit::TooBig => CloseCode::TooBig,
            Exit::ProtocolError => CloseCode::ProtocolError,
            Exit::InvalidUtf8 => CloseCode::InvalidData,
            Exit::Dropped => CloseCode::TooSlow,
            Exit::Shutdown => CloseCode::GoingAway,
            Exit::Replaced => CloseCode::Replaced,
            Exit::Removed => CloseCode::Removed,
        }
    }
}

struct Membership {
    id: PeerId,
    room: RoomName,
    /// The display name, for resume tokens.
    name: String,
    /// The generation of the participant's valid resume token.
    generation: u32,
    handle: RoomHandle,
    /// When the participant's TURN credentials must be renewed, if they expire.
    ice_refresh: Option<Instant>,
    /// When the participant gets a fresh resume token, if resume is on.
    token_refresh: Option<Instant>,
    /// The highest message number the client has acknowledged on this connection.
    acked: u64,
    /// The client speaks SFU (its resume tokens say so).
    sfu: bool,
}

/// How far [`Session::dispatch`] got with a message: done (`Some(exit)` ends the connection), or waiting,
/// boxed, for what it cannot do at once: joining, resuming, or a room whose mailbox is full.
enum Handled<'a> {
    Done(Option<Exit>),
    Wait(Pin<Box<dyn Future<Output = Result<Option<Exit>, Rejection>> + Send + 'a>>),
}

struct Session {
    state: Arc<AppState>,
    /// The client's address, if known: wrong passwords are throttled per address.
    address: Option<IpAddr>,
    /// This connection's number, so the room can tell it from the participant's other connections.
    conn: u64,
    outbox: Outbox,
    guard: Guard,
    membership: Option<Membership>,
}

/// Runs one connection, from a client at `address` if known, to its end; `permit` is its place under the
/// connection limit, given back at the end. Must be called within the runtime.
///
/// Not `async` itself: the socket is split, the writer spawned and the session set up first, and the future
/// returned uses what it captured in place, so the connection's task holds only what it needs across its
/// awaits, not also the space of what that was made from (the whole socket, its sending half) or copies of
/// it (an `async fn` moves its arguments into locals and keeps room for both).
pub fn run(
    socket: WebSocket,
    state: Arc<AppState>,
    address: Option<IpAddr>,
    permit: OwnedSemaphorePermit,
) -> impl Future<Output = ()> {
    let (sink, mut stream) = socket.split();
    let (outbox, inbox) = Outbox::new(state.config.send_queue);
    let mut writer = tokio::spawn(writer::write(sink, inbox));
    let guard = Guard::new(&state.config, Instant::now());
    let conn = state.connection_number();
    state.metrics.connections_opened.increment(1);
    let mut session = Session { state, address, conn, outbox, guard, membership: None };
    async move {
        let exit = session.read(&mut stream).await;
        // Boxed, as joining is: it runs once, and inline it would enlarge every connection's task.
        Box::pin(session.finish(exit)).await;
        drop(session);
        if exit != Exit::Disconnected {
            linger(&mut stream).await;
        }
        // The writer may be stuck on a dead socket whose buffers are full: give it the linger time, no more.
        if tokio::time::timeout(CLOSE_LINGER, &mut writer).await.is_err() {
            writer.abort();
        }
        drop(permit);
    }
}

/// Reads (and discards) until the client answers the close frame, so the closing handshake completes and
/// the client reads its close code instead of a reset connection. Bounded by [`CLOSE_LINGER`].
async fn linger(stream: &mut SplitStream<WebSocket>) {
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        while let Some(Ok(frame)) = stream.next().await {
            if matches!(frame, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

impl Session {
    async fn read(&mut self, stream: &mut SplitStream<WebSocket>) -> Exit {
        let shutdown = self.state.shutdown.clone();
        // One timer for every deadline (heartbeat, join, credential and token renewal). It is moved
        // lazily: a frame pushes the heartbeat deadline back without touching the timer; when the timer
        // fires, what is actually due is worked out and the timer set to the next deadline.
        let timer = tokio::time::sleep_until(self.next_wake());
        tokio::pin!(timer);
        loop {
            let next = tokio::select! {
                biased;
                () = shutdown.cancelled() => return Exit::Shutdown,
                () = self.outbox.ended() => return match self.outbox.ended_because() {
                    Some(Disconnect::Replaced) => Exit::Replaced,
                    Some(Disconnect::Removed) => Exit::Removed,
                    Some(Disconnect::Slow) => {
                        self.state.metrics.slow_consumer_drops.increment(1);
                        Exit::Dropped
                    }
                    None => Exit::Dropped,
                },
                () = &mut timer => {
                    if let Some(exit) = self.on_timer(Instant::now()) {
                        return exit;
                    }
                    timer.as_mut().reset(self.next_wake());
                    continue;
                }
                next = stream.next() => next,
            };
            let frame = match next {
                None => return Exit::Disconnected,
                Some(Err(err)) => return read_error_exit(&err),
                Some(Ok(frame)) => frame,
            };
            let now = Instant::now();
            self.guard.heard(now);
            if !self.count_room_violations(now) {
                return Exit::Violations;
            }
            let outcome = match frame {
                Message::Text(text) => {
                    // A client that talks needs no pings; one that only answers them keeps getting them.
                    self.guard.talked();
                    self.on_text(text.as_str(), now).await
                }
                Message::Binary(_) => {
                    Err(Rejection::new(ErrorCode::UnsupportedFrame, "binary frames are not part of the protocol"))
                }
                Message::Close(_) => return Exit::Disconnected,
                Message::Ping(_) | Message::Pong(_) => Ok(None),
            };
            // Joining sets renewal times, which may be earlier than the timer.
            let wake = self.next_wake();
            if wake < timer.deadline() {
                timer.as_mut().reset(wake);
            }
            match outcome {
                Ok(Some(exit)) => return exit,
                Ok(None) => {}
                Err(rejection) => {
                    if let Some(exit) = self.reject(rejection, now) {
                        return exit;
                    }
                }
            }
        }
    }

    /// Handles one text frame; `Ok(Some(exit))` ends the connection.
    async fn on_text(&mut self, text: &str, now: Instant) -> Result<Option<Exit>, Rejection> {
        if !self.guard.allow_message(now) {
            let rejection = Rejection::new(ErrorCode::RateLimited, "too many messages; this one was dropped");
            return Err(rejection.with_req(read_req(text)));
        }
        match self.dispatch(parse_client_message(text, &self.state.read_limits)?)? {
            Handled::Done(exit) => Ok(exit),
            Handled::Wait(waiting) => waiting.await,
        }
    }

    /// Acts on a message as far as it can without waiting, which is all of it for the frequent messages.
    /// Not `async`: an async function would keep room for the message and the room command across its
    /// await in every connection's task.
    fn dispatch(&mut self, message: ClientMessage) -> Result<Handled<'_>, Rejection> {
        let req = message.req();
        let Some(membership) = self.membership.as_ref() else {
            return match message {
                ClientMessage::Ping { req, .. } => self.reply(&ServerMessage::Pong { req }).map(Handled::Done),
                // Joining and resuming (password checks, invitations, the room's answer) are boxed: they run
                // once, and inline they would make every connection's task as large as their state.
                ClientMessage::Join { room, name, media, credentials, sfu, req } => {
                    Ok(Handled::Wait(Box::pin(async move {
                        let joined = self.join(room, name, media, credentials, sfu, req).await;
                        joined.map_err(|r| r.with_req(req)).map(|()| None)
                    })))
                }
                ClientMessage::Resume { token, last_n, media, req } => Ok(Handled::Wait(Box::pin(async move {
                    let resumed = self.resume(&token, last_n, media, req).await;
                    resumed.map_err(|r| r.with_req(req)).map(|()| None)
                }))),
                _ => Err(Rejection::new(ErrorCode::NotJoined, "join a room first").with_req(req)),
            };
        };
        let id = membership.id;
        let command = match message {
            ClientMessage::Ping { req, ack } => {
                self.acknowledge(ack);
                return self.reply(&ServerMessage::Pong { req }).map(Handled::Done);
            }
            ClientMessage::Join { .. } | ClientMessage::Resume { .. } => {
                return Err(Rejection::new(ErrorCode::AlreadyJoined, "this connection is already in a room"));
            }
            ClientMessage::Leave => return Ok(Handled::Done(Some(Exit::Left))),
            ClientMessage::Signal { to, data, req } => {
                let limits = &self.state.config.limits;
                let bytes = match membership.handle.as_remote() {
                    // The room's members are known on its owner node, which relays it.
                    Some(remote) => {
                        let bytes = data.json().len() as u64;
                        remote.signal(id, self.conn, to, &data).map_err(|r| r.with_req(req))?;
                        bytes
                    }
                    None => {
                        relay::signal(membership.handle.members(), limits, id, to, data).map_err(|r| r.with_req(req))?
                    }
                };
                self.state.metrics.signals_relayed.increment(1);
                self.state.metrics.signal_bytes_relayed.increment(bytes);
                return Ok(Handled::Done(None));
            }
            ClientMessage::Media { media, .. } => Input::Media { id, media },
            ClientMessage::Chat { text, req } => Input::Chat { from: id, text, req },
            ClientMessage::Hand { raised, req } => Input::Hand { id, raised, req },
            ClientMessage::React { emoji, req } => Input::React { id, emoji, req },
            ClientMessage::Recording { on, req } => Input::Recording { id, on, req },
            ClientMessage::Moderate { action, req } => Input::Moderate { by: id, action, req },
            ClientMessage::Layers { layers, req } => sfu_request(id, SfuRequest::Layers(layers), req),
            ClientMessage::Tiles { tiles, req } => sfu_request(id, SfuRequest::Tiles(tiles), req),
            ClientMessage::Pin { id: pinned, req } => sfu_request(id, SfuRequest::Pin(pinned), req),
        };
        let command = RoomCommand::Input(command);
        // A room outlives its members' sessions, so a closed mailbox means the server is stopping.
        Ok(match membership.handle.try_send(command) {
            Ok(()) => Handled::Done(None),
            Err(Busy::Closed) => Handled::Done(Some(Exit::Shutdown)),
            Err(Busy::Full(command)) => {
                let handle = membership.handle.clone();
                Handled::Wait(Box::pin(async move { Ok(handle.send(command).await.err().map(|_| Exit::Shutdown)) }))
            }
        })
    }

    /// Passes the client's acknowledgement to its room when it moves forward, so the room forgets what the
    /// client has. Idle participants acknowledge nothing new and cost the room nothing.
    fn acknowledge(&mut self, ack: Option<u64>) {
        let (Some(n), Some(membership)) = (ack, self.membership.as_mut()) else { return };
        if n > membership.acked {
            membership.acked = n;
            membership.handle.offer(RoomCommand::Input(Input::Ack { id: membership.id, conn: self.conn, n }));
        }
    }

    /// The earliest of the connection's deadlines.
    fn next_wake(&self) -> Instant {
        let joined = self.membership.as_ref();
        let renewals = joined.into_iter().flat_map(|m| [m.ice_refresh, m.token_refresh]).flatten();
        renewals.fold(self.guard.deadline(joined.is_some()).min(self.guard.next_ping()), Instant::min)
    }

    /// Does what is due at `now`: a ping, renewals, or the end of a connection that timed out.
    fn on_timer(&mut self, now: Instant) -> Option<Exit> {
        // A participant let in from the lobby since the last wake starts renewing from now.
        self.renewals_start();
        let joined = self.membership.is_some();
        if now >= self.guard.deadline(joined) {
            return Some(if !joined && self.guard.join_overdue(now) {
                Exit::JoinTimeout
            } else {
                Exit::HeartbeatTimeout
            });
        }
        // A full queue means the client is not reading: the ping would not help, and the room drops it.
        if self.guard.ping_due(now) {
            let _ = self.outbox.ping();
        }
        if self.membership.as_ref().and_then(|m| m.ice_refresh).is_some_and(|at| now >= at)
            && let Some(exit) = self.refresh_ice()
        {
            return Some(exit);
        }
        if self.membership.as_ref().and_then(|m| m.token_refresh).is_some_and(|at| now >= at) {
            return self.refresh_token();
        }
        None
    }

    /// Sends fresh TURN credentials before the current ones expire, and schedules the next renewal.
    fn refresh_ice(&mut self) -> Option<Exit> {
        let membership = self.membership.as_mut()?;
        let grant = self.state.ice.grant(membership.id, &membership.room, wall_clock_secs());
        membership.ice_refresh = grant.refresh_after.map(|after| Instant::now() + after);
        let message = ServerMessage::IceServers { ice_servers: grant.servers, ice_transport_policy: grant.policy };
        self.reply(&message).ok().flatten()
    }

    /// Sends a fresh resume token (same generation and role, later expiry), and schedules the next one.
    fn refresh_token(&mut self) -> Option<Exit> {
        let role = self.outbox.role()?;
        let membership = self.membership.as_mut()?;
        let resume = &self.state.resume;
        let (room, id, name) = (&membership.room, membership.id, &membership.name);
        let bearer = crate::resume::Bearer { room, id, name, role, sfu: membership.sfu };
        let token = resume.mint(bearer, membership.generation, wall_clock_secs());
        membership.token_refresh = resume.refresh_every().map(|every| Instant::now() + every);
        self.reply(&ServerMessage::ResumeToken { token }).ok().flatten()
    }

    /// Queues a reply from the session itself; a full queue means the client is not reading.
    fn reply(&self, message: &ServerMessage) -> Result<Option<Exit>, Rejection> {
        Ok(self.outbox.send(message).err().map(|_| Exit::Dropped))
    }

    /// Answers a bad message with an error; `Some(exit)` when the connection has used up its violations.
    /// Only errors that are the client's fault count ([`ErrorCode::is_violation`]).
    fn reject(&mut self, rejection: Rejection, now: Instant) -> Option<Exit> {
        tracing::debug!(code = rejection.code.as_str(), "rejected a message");
        self.state.metrics.error(rejection.code);
        let violation = rejection.code.is_violation();
        if self.reply(&ServerMessage::error(rejection)) != Ok(None) {
            return Some(Exit::Dropped);
        }
        (violation && !self.guard.allow_violation(now)).then_some(Exit::Violations)
    }

    /// Counts the violations the room found in earlier messages (it answers them itself, later); `false`
    /// when the connection has used up its budget.
    fn count_room_violations(&mut self, now: Instant) -> bool {
        let found = self.outbox.take_violations();
        (0..found).all(|_| self.guard.allow_violation(now))
    }

    async fn finish(&mut self, exit: Exit) {
        if let Some(Membership { id, room, handle, .. }) = self.membership.take() {
            tracing::debug!(room = %ruang_room::LogName::of(&room), peer = %id, ?exit, "connection ended");
            if let Some(command) = exit.room_command(id, self.conn) {
                let _ = handle.send(command).await;
            }
        }
        if exit == Exit::Shutdown {
            let _ = self.outbox.send(&ServerMessage::Shutdown { reason: ShutdownReason::Stopping });
        }
        self.outbox.close(exit.close_code());
    }
}

/// What a member asks of its room's SFU, for the room (which answers `sfu_unavailable` in mesh mode).
fn sfu_request(from: PeerId, request: SfuRequest, req: Option<u32>) -> Input {
    Input::Sfu { from, request: Box::new(request), req }
}

/// A frame beyond the transport's hard limit ends the connection with 1009, a broken WebSocket protocol with
/// 1002, a text frame that is not UTF-8 with 1007; any other error means the connection broke.
fn read_error_exit(err: &axum::Error) -> Exit {
    let source = std::error::Error::source(err).and_then(|source| source.downcast_ref::<tungstenite::Error>());
    match source {
        Some(tungstenite::Error::Capacity(_)) => Exit::TooBig,
        // A connection lost without a closing handshake is a lost network, not a broken client.
        Some(tungstenite::Error::Protocol(
            ProtocolError::ResetWithoutClosingHandshake
            | ProtocolError::ReceivedAfterClosing
            | ProtocolError::SendAfterClosing,
        )) => Exit::Disconnected,
        Some(tungstenite::Error::Protocol(_)) => Exit::ProtocolError,
        Some(tungstenite::Error::Utf8(_)) => Exit::InvalidUtf8,
        _ => Exit::Disconnected,
    }
}
