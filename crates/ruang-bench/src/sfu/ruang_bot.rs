//! A bot in a ruang room in SFU mode, over the real protocol (docs/protocol.md, "Media modes"): it joins
//! listing `["mesh", "sfu"]`, offers audio and video to the SFU's id with `signal`, takes its answer, and
//! answers every offer the SFU makes as others' tracks come and go. Mesh signals from other participants
//! are ignored: the bots only do SFU.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use str0m::media::Direction;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{WebSocketStream, client_async};

use super::bot::Bot;
use crate::media::stamp::Clock;
use crate::media::{Endpoint, Publish};

/// Joins `room` on `server` and starts publishing and subscribing through the SFU.
pub async fn join(
    server: SocketAddr,
    room: &str,
    index: u32,
    ip: IpAddr,
    publish: Publish,
    clock: Arc<Clock>,
) -> anyhow::Result<Bot> {
    let tcp = TcpStream::connect(server).await.context("connect")?;
    tcp.set_nodelay(true)?;
    let (mut ws, _) = client_async(format!("ws://{server}/ws"), tcp).await.context("WebSocket handshake")?;
    let join = json!({"type": "join", "room": room, "name": format!("bot-{index}"), "modes": ["mesh", "sfu"]});
    ws.send(Message::text(join.to_string())).await?;
    let welcome = loop {
        let Some(frame) = ws.next().await else { bail!("closed before welcome") };
        let Message::Text(text) = frame? else { continue };
        let message: Value = serde_json::from_str(&text)?;
        match message["type"].as_str() {
            Some("welcome") => break message,
            Some("error") => bail!("join refused: {message}"),
            _ => {}
        }
    };
    let endpoint = Endpoint::start(ip, index, Some(publish), clock).await?;
    let streams_seen = vec![Arc::clone(&endpoint.streams_seen)];
    let sfu = sfu_of(&welcome);
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(async move {
        let signaling = Signaling { ws, endpoint, sfu: None, offering: false, held_offer: None, last_n: 0 };
        let result = signaling.run(sfu, stopped).await;
        if let Err(e) = &result {
            eprintln!("ruang bot {index}: {e:#}");
        }
        result
    });
    Ok(Bot::from_task(streams_seen, stop, task))
}

/// The SFU's id if a `welcome` or `media_mode` says the room is in SFU mode.
fn sfu_of(message: &Value) -> Option<String> {
    let mode = message.get("media_mode").or_else(|| message.get("mode"));
    (mode.and_then(Value::as_str) == Some("sfu")).then(|| message["sfu"].as_str().map(str::to_owned)).flatten()
}

struct Signaling {
    ws: WebSocketStream<TcpStream>,
    endpoint: Endpoint,
    /// The SFU this bot has offered to.
    sfu: Option<String>,
    /// Whether this bot's offer awaits the SFU's answer.
    offering: bool,
    /// An SFU offer that arrived before the SFU's answer to the bot's offer. The bot offers only once, at
    /// join, before the SFU knows it, so this is no glare but an offer the SFU made after answering that
    /// overtook the answer on its way: it is answered once the answer is in.
    held_offer: Option<String>,
    /// The highest numbered message seen, acknowledged with each ping.
    last_n: u64,
}

impl Signaling {
    async fn run(
        mut self,
        sfu: Option<String>,
        mut stopped: oneshot::Receiver<()>,
    ) -> anyhow::Result<crate::media::stamp::Tally> {
        if let Some(sfu) = sfu {
            self.offer_to(sfu).await?;
        }
        let mut ping = tokio::time::interval(Duration::from_secs(2));
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                _ = ping.tick() => {
                    let ping = json!({"type": "ping", "ack": self.last_n});
                    self.ws.send(Message::text(ping.to_string())).await?;
                }
                frame = self.ws.next() => {
                    let Some(frame) = frame else { bail!("the server closed the WebSocket") };
                    if let Message::Text(text) = frame? {
                        self.handle(serde_json::from_str(&text)?).await?;
                    }
                }
            }
        }
        let _ = self.ws.close(None).await;
        self.endpoint.finish().await
    }

    async fn offer_to(&mut self, sfu: String) -> anyhow::Result<()> {
        let offer = self.endpoint.offer(Direction::SendRecv).await?;
        self.signal(&sfu, "offer", offer).await?;
        self.sfu = Some(sfu);
        self.offering = true;
        Ok(())
    }

    async fn signal(&mut self, to: &str, kind: &str, sdp: String) -> anyhow::Result<()> {
        let signal = json!({"type": "signal", "to": to, "data": {"kind": kind, "sdp": sdp}});
        self.ws.send(Message::text(signal.to_string())).await?;
        Ok(())
    }

    async fn answer(&mut self, offer: String) -> anyhow::Result<()> {
        let answer = self.endpoint.answer(offer).await?;
        let sfu = self.sfu.clone().unwrap_or_default();
        self.signal(&sfu, "answer", answer).await
    }

    async fn handle(&mut self, message: Value) -> anyhow::Result<()> {
        if let Some(n) = message["n"].as_u64() {
            self.last_n = self.last_n.max(n);
        }
        match message["type"].as_str() {
            Some("media_mode") => {
                if let Some(sfu) = sfu_of(&message)
                    && self.sfu.is_none()
                {
                    self.offer_to(sfu).await?;
                }
            }
            Some("signal") if message["from"].as_str() == self.sfu.as_deref() => {
                let data = &message["data"];
                let sdp = data["sdp"].as_str().map(str::to_owned);
                match (data["kind"].as_str(), sdp) {
                    (Some("answer"), Some(sdp)) => {
                        self.offering = false;
                        self.endpoint.accept_answer(sdp).await?;
                        if let Some(offer) = self.held_offer.take() {
                            self.answer(offer).await?;
                        }
                    }
                    (Some("offer"), Some(sdp)) if self.offering => {
                        eprintln!("ruang bot: the SFU's offer came before its answer (held until the answer)");
                        self.held_offer = Some(sdp);
                    }
                    (Some("offer"), Some(sdp)) => self.answer(sdp).await?,
                    _ => {}
                }
            }
            Some("error") => eprintln!("ruang bot: server error {message}"),
            _ => {}
        }
        Ok(())
    }
}
