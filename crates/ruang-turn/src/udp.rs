//! TURN over UDP: a UDP socket whose every datagram, in and out, passes the [`Gate`] before the TURN
//! library sees it or after it sends it.

use std::borrow::Cow;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;

use medea_turn::transport::{self, Request, Transport};
use tokio::net::UdpSocket;

use crate::gate::{Gate, Inbound, Outbound};

/// IANA's protocol number for UDP, as the TURN library names its transports.
pub const PROTO_UDP: u8 = 17;

/// Largest datagram read; longer ones are cut and then fail to parse.
const MAX_DATAGRAM: usize = 4096;

/// The server's UDP transport.
pub struct GatedUdp {
    socket: UdpSocket,
    local_addr: SocketAddr,
    gate: Arc<Gate>,
}

impl GatedUdp {
    /// Serves `socket` through `gate`.
    pub fn new(socket: UdpSocket, gate: Arc<Gate>) -> std::io::Result<Self> {
        let local_addr = socket.local_addr()?;
        Ok(GatedUdp { socket, local_addr, gate })
    }
}

#[async_trait::async_trait]
impl Transport for GatedUdp {
    async fn recv_from(&self) -> Result<(Request, SocketAddr), transport::Error> {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            let (n, source) = match self.socket.recv_from(&mut buf).await {
                Ok(received) => received,
                // An ICMP error for an earlier datagram, or a datagram too long: not the socket's end.
                Err(e) if matches!(e.kind(), ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset) => continue,
                Err(e) => return Err(e.into()),
            };
            let frame = buf.get(..n).unwrap_or_default();
            match self.gate.inbound((PROTO_UDP, source), frame, tokio::time::Instant::now().into_std(), unix_now()) {
                Inbound::Pass(request) => return Ok((request, source)),
                Inbound::Answer(bytes) => {
                    let _ = self.socket.send_to(&bytes, source).await;
                }
                Inbound::Drop => {}
            }
        }
    }

    async fn send_to(&self, data: Cow<'_, [u8]>, target: SocketAddr) -> Result<(), transport::Error> {
        match self.gate.outbound((PROTO_UDP, target), &data, tokio::time::Instant::now().into_std()) {
            Outbound::Send => self.socket.send_to(&data, target).await.map(drop)?,
            Outbound::Renumber(number) => self.socket.send_to(&renumbered(data, number), target).await.map(drop)?,
            Outbound::Drop => {}
        }
        Ok(())
    }

    fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    fn proto(&self) -> u8 {
        PROTO_UDP
    }
}

/// ChannelData `data` with its channel number replaced by `number`.
pub fn renumbered(data: Cow<'_, [u8]>, number: u16) -> Vec<u8> {
    let mut data = data.into_owned();
    if let Some(header) = data.get_mut(..2) {
        header.copy_from_slice(&number.to_be_bytes());
    }
    data
}

/// Seconds since the Unix epoch, for credential expiry.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
