//! A bot in a Janus VideoRoom: one Janus session over the WebSocket API with two handles, a publisher
//! (the bot offers audio and video, Janus answers) and one multistream subscriber to every other bot's
//! feed (Janus offers, the bot answers), each a media [`Endpoint`] like the ruang bots' own.

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use str0m::media::Direction;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::bot::Bot;
use crate::media::stamp::Clock;
use crate::media::{Endpoint, Publish};

/// One Janus session on its own WebSocket.
pub struct Session {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    id: u64,
    transactions: u64,
}

impl Session {
    /// Connects and creates a session.
    pub async fn connect(url: &str) -> anyhow::Result<Session> {
        let mut request = url.into_client_request()?;
        request.headers_mut().insert("Sec-WebSocket-Protocol", "janus-protocol".parse()?);
        let (ws, _) = tokio_tungstenite::connect_async(request).await.context("connect to janus")?;
        let mut session = Session { ws, id: 0, transactions: 0 };
        let created = session.request(json!({"janus": "create"})).await?;
        session.id = created["data"]["id"].as_u64().context("create without id")?;
        Ok(session)
    }

    /// Attaches a VideoRoom handle.
    pub async fn attach(&mut self) -> anyhow::Result<u64> {
        let attached = self.request(json!({"janus": "attach", "plugin": "janus.plugin.videoroom"})).await?;
        attached["data"]["id"].as_u64().context("attach without id")
    }

    /// Sends `body` (and `jsep`) to the plugin on `handle`; returns the plugin's reply, synchronous
    /// (`success`) or asynchronous (`event`), with its `jsep` if any.
    pub async fn message(&mut self, handle: u64, body: Value, jsep: Option<Value>) -> anyhow::Result<Value> {
        let mut request = json!({"janus": "message", "handle_id": handle, "body": body});
        if let Some(jsep) = jsep {
            request["jsep"] = jsep;
        }
        let reply = self.request(request).await?;
        let data = &reply["plugindata"]["data"];
        if data["error"].is_string() {
            bail!("videoroom: {}", data["error"]);
        }
        Ok(reply)
    }

    /// Tells Janus the bot's candidates are all in its SDP.
    pub async fn candidates_done(&mut self, handle: u64) -> anyhow::Result<()> {
        self.transactions += 1;
        let trickle = json!({"janus": "trickle", "session_id": self.id, "handle_id": handle,
            "transaction": self.transactions.to_string(), "candidate": {"completed": true}});
        self.ws.send(Message::text(trickle.to_string())).await?;
        Ok(())
    }

    /// Sends a request and reads until its reply (skipping `ack`s and other events).
    async fn request(&mut self, mut request: Value) -> anyhow::Result<Value> {
        self.transactions += 1;
        let transaction = self.transactions.to_string();
        request["transaction"] = json!(transaction);
        if self.id != 0 {
            request["session_id"] = json!(self.id);
        }
        self.ws.send(Message::text(request.to_string())).await?;
        while let Some(frame) = self.ws.next().await {
            let Message::Text(text) = frame? else { continue };
            let reply: Value = serde_json::from_str(&text)?;
            if reply["transaction"] != json!(transaction) || reply["janus"] == "ack" {
                continue;
            }
            if reply["janus"] == "error" {
                bail!("janus: {}", reply["error"]);
            }
            return Ok(reply);
        }
        bail!("janus closed the WebSocket")
    }

    /// Waits (at most 10 s) until Janus says the peer connection on `handle` is up.
    pub async fn webrtc_up(&mut self, handle: u64) -> anyhow::Result<()> {
        let wait = async {
            while let Some(frame) = self.ws.next().await {
                let Message::Text(text) = frame? else { continue };
                let event: Value = serde_json::from_str(&text)?;
                if event["janus"] == "webrtcup" && event["sender"] == json!(handle) {
                    return Ok(());
                }
            }
            bail!("janus closed the WebSocket")
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), wait).await.context("no webrtcup from janus")?
    }

    /// Reads (and drops) everything Janus sends until the socket ends.
    pub async fn drain(mut self) {
        while let Some(Ok(_)) = self.ws.next().await {}
    }
}

/// Creates room `room` for up to `publishers`.
pub async fn create_room(url: &str, room: u64, publishers: usize) -> anyhow::Result<()> {
    let mut session = Session::connect(url).await?;
    let handle = session.attach().await?;
    let body = json!({"request": "create", "room": room, "publishers": publishers, "bitrate": 0,
        "audiocodec": "opus", "videocodec": "vp8", "notify_joining": false});
    session.message(handle, body, None).await?;
    Ok(())
}

/// A bot that has published and waits to subscribe.
pub struct Publisher {
    session: Session,
    room: u64,
    /// Its feed id in the room.
    pub feed: u64,
    handle: u64,
    endpoint: Endpoint,
    index: u32,
    ip: IpAddr,
    clock: Arc<Clock>,
}

/// Joins `room` as a publisher and publishes audio and video.
pub async fn publish(
    url: &str,
    room: u64,
    index: u32,
    ip: IpAddr,
    publish: Publish,
    clock: Arc<Clock>,
) -> anyhow::Result<Publisher> {
    let mut session = Session::connect(url).await?;
    let handle = session.attach().await?;
    let join = json!({"request": "join", "ptype": "publisher", "room": room, "display": format!("bot-{index}")});
    let joined = session.message(handle, join, None).await?;
    let feed = joined["plugindata"]["data"]["id"].as_u64().context("joined without id")?;
    let endpoint = Endpoint::start(ip, index, Some(publish), Arc::clone(&clock)).await?;
    let offer = endpoint.offer(Direction::SendOnly).await?;
    let configured =
        session.message(handle, json!({"request": "publish"}), Some(json!({"type": "offer", "sdp": offer}))).await?;
    let answer = configured["jsep"]["sdp"].as_str().context("publish without an answer")?;
    endpoint.accept_answer(answer.to_owned()).await?;
    session.candidates_done(handle).await?;
    Ok(Publisher { session, room, feed, handle, endpoint, index, ip, clock })
}

impl Publisher {
    /// Waits until Janus has the publisher's peer connection up: before that, its feed cannot be subscribed.
    pub async fn ready(&mut self) -> anyhow::Result<()> {
        self.session.webrtc_up(self.handle).await
    }

    /// Subscribes to `feeds` in one multistream subscription and runs until the bot is stopped.
    pub async fn subscribe(mut self, feeds: &[u64]) -> anyhow::Result<Bot> {
        let handle = self.session.attach().await?;
        let streams: Vec<Value> = feeds.iter().map(|feed| json!({"feed": feed})).collect();
        let join = json!({"request": "join", "ptype": "subscriber", "room": self.room, "streams": streams});
        let attached = self.session.message(handle, join, None).await?;
        let offer = attached["jsep"]["sdp"].as_str().context("subscription without an offer")?;
        let receiver = Endpoint::start(self.ip, self.index, None, Arc::clone(&self.clock)).await?;
        let answer = receiver.answer(offer.to_owned()).await?;
        self.session
            .message(handle, json!({"request": "start"}), Some(json!({"type": "answer", "sdp": answer})))
            .await?;
        self.session.candidates_done(handle).await?;
        let session = self.session;
        Ok(Bot::spawn(vec![self.endpoint, receiver], session.drain()))
    }
}
