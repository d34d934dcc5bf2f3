//! TURN over TLS (`turns:`), for networks that let only TLS on TCP through: a listener that completes the
//! TLS handshake and forwards the decrypted stream to the server's own TURN-over-TCP port on loopback, so
//! the same allocation, authentication, peer and idle rules apply to it. At most 4096 connections are
//! served at once, 128 from one IP address.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::slots::{self, MAX_CONNECTIONS, MAX_PER_IP, Slots};

/// Longest time a client gets to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts TLS on `listener` and pipes each connection to `turn_tcp` until either side closes.
pub async fn serve(listener: TcpListener, acceptor: TlsAcceptor, turn_tcp: SocketAddr) {
    let slots = Slots::new(MAX_CONNECTIONS, MAX_PER_IP);
    loop {
        let (stream, _, slot) = slots::accept(&listener, &slots, "TLS").await;
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await else {
                tracing::debug!("TURN over TLS: handshake failed");
                return;
            };
            let Ok(plain) = TcpStream::connect(turn_tcp).await else { return };
            let _ = plain.set_nodelay(true);
            pipe(tls, plain).await;
        });
    }
}

/// Copies both ways until either side ends: the TURN-over-TCP side closes idle connections, and that
/// must close the client's TLS connection too, silent or not.
async fn pipe(tls: tokio_rustls::server::TlsStream<TcpStream>, mut plain: TcpStream) {
    let (mut tls_read, mut tls_write) = tokio::io::split(tls);
    let (mut plain_read, mut plain_write) = plain.split();
    tokio::select! {
        _ = tokio::io::copy(&mut tls_read, &mut plain_write) => {}
        _ = tokio::io::copy(&mut plain_read, &mut tls_write) => {}
    }
}
