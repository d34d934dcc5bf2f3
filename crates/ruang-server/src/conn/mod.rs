//! The edge of the server: accepting TCP connections and deciding which may stay. It owns every limit that
//! applies before a request is read: the listener's socket budget (beyond it: 503 at once, never a wait in
//! the accept queue), connections per client address (beyond: 429), TLS handshakes (a deadline, and at most
//! a few in flight per address), the time a client gets to send a request, and back-off when accepting
//! fails (for example at the descriptor limit), so the loop neither spins nor gives up.

mod address;
mod backoff;
mod handshake;
mod http1;
mod refuse;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tokio_util::task::TaskTracker;

pub use address::{AddressCounts, AddressKey, AddressSlot};
pub use http1::Transport;

use crate::state::AppState;
use backoff::Backoff;
use handshake::Handshakes;
use refuse::{Refusal, Refusals};

/// The places an open connection holds: one of the listener's sockets and one of its client address's
/// connections. They are given back when the last holder lets go: the HTTP connection, or the WebSocket
/// session it became.
#[derive(Debug)]
pub struct Held {
    _socket: OwnedSemaphorePermit,
    _address: Option<AddressSlot>,
}

/// Accepts connections on `listener` and serves each with `router` (over TLS when `tls` is given) until the
/// server's shutdown token is cancelled. Connection tasks are spawned on `connections`, so the caller can
/// wait for them to finish; on shutdown each finishes its request in progress and closes.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    router: Router,
    tls: Option<TlsAcceptor>,
    connections: TaskTracker,
) {
    let edge = Arc::new(Edge::new(&state, router, tls));
    let mut backoff = Backoff::default();
    loop {
        let accepted = tokio::select! {
            biased;
            () = state.shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, peer)) => {
                backoff.reset();
                if let Some(task) = edge.admit(tcp, peer) {
                    connections.spawn(task);
                }
            }
            Err(err) if backoff::affects_one_connection(&err) => {
                tracing::debug!(%err, "a connection failed before accept")
            }
            Err(err) => {
                let delay = backoff.next(&err);
                tokio::select! {
                    () = state.shutdown.cancelled() => return,
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

/// What the accept loop shares with its connection tasks.
struct Edge {
    state: Arc<AppState>,
    router: Router,
    sockets: Arc<Semaphore>,
    handshakes: Option<Handshakes>,
    refusals: Refusals,
    request_timeout: Duration,
}

impl Edge {
    fn new(state: &Arc<AppState>, router: Router, tls: Option<TlsAcceptor>) -> Self {
        let config = &state.config;
        let request_timeout = Duration::from_millis(config.http_timeout_ms);
        Edge {
            state: Arc::clone(state),
            router,
            sockets: Arc::new(Semaphore::new(config.max_open_sockets())),
            handshakes: tls.map(|acceptor| Handshakes::new(acceptor, request_timeout)),
            refusals: Refusals::default(),
            request_timeout,
        }
    }

    /// Decides whether a new connection may stay; if so, returns the task that serves it.
    fn admit(self: &Arc<Self>, tcp: TcpStream, peer: SocketAddr) -> Option<impl Future<Output = ()> + use<>> {
        // Signaling is many small messages: without TCP_NODELAY, Nagle's algorithm holds them back.
        let _ = tcp.set_nodelay(true);
        let https = self.handshakes.is_some();
        let Ok(socket) = Arc::clone(&self.sockets).try_acquire_owned() else {
            tracing::debug!("refused a connection: the listener's socket budget is spent");
            self.refusals.refuse(tcp, Refusal::Busy, https);
            return None;
        };
        // On a dual-stack listener IPv4 clients arrive as IPv4-mapped IPv6 addresses.
        let proxy = self.state.config.trusted_proxies.contains(&peer.ip().to_canonical());
        // Connections from a trusted proxy carry many clients; those are counted at the WebSocket upgrade.
        let address = match proxy {
            true => None,
            false => match self.state.per_address.try_acquire(peer.ip()) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!("refused a connection: too many from one address");
                    self.refusals.refuse(tcp, Refusal::TooManyFromAddress, https);
                    return None;
                }
            },
        };
        let held = Arc::new(Held { _socket: socket, _address: address });
        let edge = Arc::clone(self);
        Some(async move { edge.serve_one(tcp, peer, proxy, held).await })
    }

    async fn serve_one(self: Arc<Self>, tcp: TcpStream, peer: SocketAddr, proxy: bool, held: Arc<Held>) {
        let shutdown = self.state.shutdown.clone();
        let router = self.router.clone();
        let timeout = self.request_timeout;
        match &self.handshakes {
            None => http1::serve(tcp, peer, Transport { https: false }, router, held, timeout, shutdown).await,
            Some(handshakes) => {
                let handshake = handshakes.complete(tcp, peer.ip(), proxy);
                let stream = tokio::select! {
                    () = shutdown.cancelled() => return,
                    stream = handshake => stream,
                };
                if let Some(stream) = stream {
                    http1::serve(stream, peer, Transport { https: true }, router, held, timeout, shutdown).await;
                }
            }
        }
    }
}
