//! One participant's WebSocket: connect (optionally from a chosen local address, to spread many
//! connections over several loopback addresses), join, and read the `you` id from `welcome`.

use std::net::{IpAddr, SocketAddr};

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

/// Connects to `server` (`host:port`) from `local` if given and joins `room`.
pub async fn join(server: SocketAddr, local: Option<IpAddr>, room: &str, name: &str) -> anyhow::Result<Participant> {
    let socket = if server.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if let Some(ip) = local {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let tcp = socket.connect(server).await.context("connect")?;
    tcp.set_nodelay(true)?;
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
