//! TURN over TLS (`turns:`), for networks that let only TLS on TCP through: a listener that completes the
//! TLS handshake and forwards the decrypted stream to the server's own TURN-over-TCP port on loopback, so
//! the same allocation, authentication and peer rules apply to it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// Longest time a client gets to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts TLS on `listener` and pipes each connection to `turn_tcp` until either side closes.
pub async fn serve(listener: TcpListener, acceptor: TlsAcceptor, turn_tcp: SocketAddr) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(Ok(mut tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await else {
                tracing::debug!("TURN over TLS: handshake failed");
                return;
            };
            let Ok(mut plain) = TcpStream::connect(turn_tcp).await else { return };
            let _ = plain.set_nodelay(true);
            let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
        });
    }
}
