//! TLS handshakes, shared fairly: each has a deadline, one address has at most a few in flight, and all
//! addresses together at most a fixed number. A connection over either limit is closed at once, so
//! sockets that never send a hello cannot make anyone else wait.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::AddressCounts;

/// Most handshakes in flight at once.
pub const MAX_HANDSHAKES: usize = 512;
/// Most handshakes in flight from one address (a browser opens up to six connections at once).
pub const HANDSHAKES_PER_ADDRESS: usize = 8;

/// Completes TLS handshakes within their limits.
pub struct Handshakes {
    acceptor: TlsAcceptor,
    in_flight: Arc<Semaphore>,
    per_address: Arc<AddressCounts>,
    deadline: Duration,
}

impl Handshakes {
    /// Handshakes with `acceptor`, each within `deadline`.
    pub fn new(acceptor: TlsAcceptor, deadline: Duration) -> Self {
        Handshakes {
            acceptor,
            in_flight: Arc::new(Semaphore::new(MAX_HANDSHAKES)),
            per_address: AddressCounts::new(HANDSHAKES_PER_ADDRESS),
            deadline,
        }
    }

    /// The TLS stream once `peer` has completed its handshake on `tcp`, or `None` (closing it) when it is
    /// over a limit, too slow or fails. A trusted proxy (`exempt`) is not limited per address.
    pub async fn complete(&self, tcp: TcpStream, peer: IpAddr, exempt: bool) -> Option<TlsStream<TcpStream>> {
        let _address = match exempt {
            true => None,
            false => {
                let slot = self.per_address.try_acquire(peer);
                if slot.is_none() {
                    tracing::debug!("closed a connection: too many TLS handshakes from one address");
                }
                Some(slot?)
            }
        };
        let Ok(_slot) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            tracing::debug!("closed a connection: too many TLS handshakes at once");
            return None;
        };
        match tokio::time::timeout(self.deadline, self.acceptor.accept(tcp)).await {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(err)) => {
                tracing::debug!(%err, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out");
                None
            }
        }
    }
}
