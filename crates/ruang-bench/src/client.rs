//! One participant's WebSocket: connect (optionally from a chosen local address, to spread many
//! connections over several loopback addresses) and join, in ruang's protocol (also spoken by the minimal
//! relay) or in PeerJS's, for the baseline.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{WebSocketStream, client_async};

/// A joined participant.
pub struct Participant {
    /// Its socket.
    pub ws: WebSocketStream<TcpStream>,
    /// Its id, as the server gave it.
    pub id: String,
}

/// The protocol a server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// ruang's (and the minimal relay's).
    Ruang,
    /// peerjs-server's: ids chosen by the client, no rooms.
    Peerjs,
}

/// Connects to `server` (`host:port`) from `local` if given and joins `room`.
pub async fn join(
    protocol: Protocol,
    server: SocketAddr,
    local: Option<IpAddr>,
    room: &str,
    name: &str,
) -> anyhow::Result<Participant> {
    let socket = if server.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if let Some(ip) = local {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let tcp = socket.connect(server).await.context("connect")?;
    tcp.set_nodelay(true)?;
    if protocol == Protocol::Peerjs {
        return join_peerjs(server, tcp).await;
    }
    let (mut ws, _) = client_async(format!("ws://{server}/ws"), tcp).await.context("WebSocket handshake")?;
    let join = serde_json::json!({"type": "join", "room": room, "name": name});
    ws.send(Message::text(join.to_string())).await?;
    while let Some(frame) = ws.next().await {
        if let Message::Text(text) = frame? {
            let message: serde_json::Value = serde_json::from_str(&text)?;
            if message["type"] == "welcome" {
                let id = message["you"].as_str().context("welcome without you")?.to_owned();
                return Ok(Participant { ws, id });
            }
            if message["type"] == "error" {
                bail!("join refused: {message}");
            }
        }
    }
    bail!("closed before welcome")
}

/// PeerJS: the client picks its id and token; the server answers `OPEN`.
async fn join_peerjs(server: SocketAddr, tcp: TcpStream) -> anyhow::Result<Participant> {
    let id = format!("{:016x}", random_u64());
    let url = format!("ws://{server}/peerjs?key=peerjs&id={id}&token={:x}", random_u64());
    let (mut ws, _) = client_async(url, tcp).await.context("WebSocket handshake")?;
    while let Some(frame) = ws.next().await {
        if let Message::Text(text) = frame? {
            if text.contains(r#""OPEN""#) {
                return Ok(Participant { ws, id });
            }
            bail!("peerjs refused: {text}");
        }
    }
    bail!("closed before OPEN")
}

/// Keeps an idle participant alive as a real client would: reads (answering the server's WebSocket pings)
/// and sends the protocol's own heartbeat, `ping` every 2 s like ruang's web client, or PeerJS's
/// `HEARTBEAT` every 5 s like its client library. Runs until the socket ends or the task is aborted.
pub async fn stay_idle(participant: Participant, protocol: Protocol) {
    let (text, every) = match protocol {
        Protocol::Ruang => (r#"{"type":"ping"}"#, Duration::from_secs(2)),
        Protocol::Peerjs => (r#"{"type":"HEARTBEAT"}"#, Duration::from_secs(5)),
    };
    let mut ws = participant.ws;
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(_)) => {}
                _ => return,
            },
            _ = beat.tick() => {
                if ws.send(Message::text(text)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A random number for ids, from the standard library's randomly keyed hasher.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64),
    );
    hasher.finish()
}
