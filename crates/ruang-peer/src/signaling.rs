//! The signaling client: a room's address as people share it (`http(s)://host/r/ROOM`), the WebSocket to
//! the server's `/ws`, and the few client messages a terminal participant sends (`join`, `signal`, `ping`,
//! `leave`), written to docs/protocol.md. Server messages are read with ruang-proto's own types.

use std::net::IpAddr;

use futures_util::{SinkExt, StreamExt};
use ruang_proto::{Credentials, PeerId, ServerMessage, SignalData};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::PeerError;
use crate::tls::{self, Trust};

/// Where a room is: the signaling WebSocket's URL and the room's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomUrl {
    /// `ws://host[:port]/ws` or `wss://…`.
    pub ws: String,
    /// The room.
    pub room: String,
    /// The server's host (a name, an IPv4 address, or an IPv6 one in brackets).
    pub host: String,
    /// Its port (80 or 443 unless the link names one).
    pub port: u16,
    /// Over TLS.
    pub tls: bool,
}

impl RoomUrl {
    /// Reads a room link: `http://host[:port]/r/ROOM` (or https, ws, wss), as the web client shows it.
    pub fn parse(url: &str) -> Result<RoomUrl, PeerError> {
        let bad = |why: &str| PeerError::Url(format!("{url}: {why} (expected http(s)://host/r/ROOM)"));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let ws_scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" | "ws" => "ws",
            "https" | "wss" => "wss",
            _ => return Err(bad("unknown scheme")),
        };
        let (host, path) = rest.split_once('/').ok_or_else(|| bad("no room"))?;
        if host.is_empty() || host.contains('@') {
            return Err(bad("no host"));
        }
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let room = path.strip_prefix("r/").ok_or_else(|| bad("no /r/ in the path"))?.trim_end_matches('/');
        if ruang_proto::RoomName::parse(room).is_none() {
            return Err(bad("not a room name (1 to 64 of A-Z a-z 0-9 - _)"));
        }
        let tls = ws_scheme == "wss";
        let (name, port) = match host.rsplit_once(':') {
            // (an IPv6 address without a port ends with ']')
            Some((name, port)) if !port.ends_with(']') => (name, port.parse::<u16>().map_err(|_| bad("not a port"))?),
            _ => (host, if tls { 443 } else { 80 }),
        };
        Ok(RoomUrl { ws: format!("{ws_scheme}://{host}/ws"), room: room.to_owned(), host: name.to_owned(), port, tls })
    }
}

/// The byte stream under the WebSocket: TCP, or TLS over TCP.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Socket = WebSocketStream<Box<dyn Io>>;

/// A connected signaling WebSocket.
pub struct Signaling {
    socket: Socket,
    /// The address this machine reaches the server from: where peers in the same network reach us too.
    pub local_ip: IpAddr,
}

impl Signaling {
    /// Opens the WebSocket (over TLS for `wss://`, trusting what `trust` says).
    pub async fn connect(url: &RoomUrl, trust: &Trust) -> Result<Signaling, PeerError> {
        let host = url.host.trim_start_matches('[').trim_end_matches(']');
        let tcp = TcpStream::connect((host, url.port))
            .await
            .map_err(|e| PeerError::Signaling(format!("cannot connect to {}:{}: {e}", url.host, url.port)))?;
        let local_ip = tcp.local_addr().map_err(|e| PeerError::Signaling(e.to_string()))?.ip();
        let stream: Box<dyn Io> =
            if url.tls { Box::new(tls::connect(tcp, &url.host, trust).await?) } else { Box::new(tcp) };
        let (socket, _) = tokio_tungstenite::client_async(url.ws.as_str(), stream)
            .await
            .map_err(|e| PeerError::Signaling(format!("cannot open {}: {e}", url.ws)))?;
        Ok(Signaling { socket, local_ip })
    }

    /// Sends `join` (no camera, no microphone; speaks mesh and SFU rooms).
    pub async fn join(&mut self, room: &str, name: &str, credentials: &Credentials) -> Result<(), PeerError> {
        let mut join = json!({
            "type": "join", "v": 1, "room": room, "name": name, "req": 1,
            "media": { "audio": false, "video": false, "screen": false },
            "modes": ["mesh", "sfu"],
        });
        if let Some(p) = &credentials.password {
            join["password"] = json!(p);
        }
        if let Some(i) = &credentials.invite {
            join["invite"] = json!(i);
        }
        self.send(join).await
    }

    /// Relays a negotiation message to a participant.
    pub async fn signal(&mut self, to: PeerId, data: &SignalData) -> Result<(), PeerError> {
        self.send(json!({ "type": "signal", "to": to, "data": data })).await
    }

    /// Takes our place in the room back after a lost connection (instead of `join`).
    pub async fn resume(&mut self, token: &str, last_n: u64) -> Result<(), PeerError> {
        let media = json!({ "audio": false, "video": false, "screen": false });
        self.send(json!({ "type": "resume", "v": 1, "token": token, "last_n": last_n, "media": media, "req": 1 })).await
    }

    /// Keeps the connection known to be alive, and acknowledges the numbered messages up to `ack`.
    pub async fn ping(&mut self, ack: u64) -> Result<(), PeerError> {
        self.send(json!({ "type": "ping", "ack": ack })).await
    }

    /// Leaves the room for good.
    pub async fn leave(&mut self) {
        let _ = self.send(json!({ "type": "leave" })).await;
        let _ = self.socket.close(None).await;
    }

    async fn send(&mut self, message: Value) -> Result<(), PeerError> {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .map_err(|e| PeerError::Signaling(format!("the signaling connection broke: {e}")))
    }

    /// The next server message and its number `n` if it has one; `None` when the server closed the
    /// connection. Frames that are not server messages are skipped.
    pub async fn next(&mut self) -> Result<Option<(ServerMessage, Option<u64>)>, PeerError> {
        loop {
            let frame = match self.socket.next().await {
                None => return Ok(None),
                Some(Err(e)) => return Err(PeerError::Signaling(format!("the signaling connection broke: {e}"))),
                Some(Ok(frame)) => frame,
            };
            match frame {
                Message::Text(text) => {
                    let value: Value = match serde_json::from_str(&text) {
                        Ok(value) => value,
                        Err(err) => {
                            tracing::debug!("signaling: skipped a frame: {err}");
                            continue;
                        }
                    };
                    let n = value.get("n").and_then(Value::as_u64);
                    match serde_json::from_value::<ServerMessage>(value) {
                        Ok(message) => return Ok(Some((message, n))),
                        Err(err) => tracing::debug!("signaling: skipped a message: {err}"),
                    }
                }
                Message::Close(_) => return Ok(None),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_links() {
        let want = |ws: &str, room: &str, host: &str, port, tls| RoomUrl {
            ws: ws.into(),
            room: room.into(),
            host: host.into(),
            port,
            tls,
        };
        let u = RoomUrl::parse("http://127.0.0.1:8080/r/standup").unwrap();
        assert_eq!(u, want("ws://127.0.0.1:8080/ws", "standup", "127.0.0.1", 8080, false));
        let u = RoomUrl::parse("https://meet.example.org/r/a-b_c/?x=1").unwrap();
        assert_eq!(u, want("wss://meet.example.org/ws", "a-b_c", "meet.example.org", 443, true));
        let u = RoomUrl::parse("http://[::1]:9000/r/x").unwrap();
        assert_eq!(u, want("ws://[::1]:9000/ws", "x", "[::1]", 9000, false));
        let u = RoomUrl::parse("https://[::1]/r/x").unwrap();
        assert_eq!(u, want("wss://[::1]/ws", "x", "[::1]", 443, true));
        for bad in [
            "meet.example.org/r/x",
            "ftp://h/r/x",
            "http://h/x",
            "http://h/r/",
            "http://h/r/a b",
            "http:///r/x",
            "http://h:99999/r/x",
        ] {
            assert!(RoomUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
