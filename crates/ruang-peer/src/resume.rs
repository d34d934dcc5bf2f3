//! The signaling connection as the web client keeps it (docs/protocol.md, "Resume"): numbered messages
//! counted and acknowledged in our `ping` every 2 s, the latest resume token kept, a socket from which nothing
//! arrived for 6 s treated as dead, and a lost connection replaced by a new one that sends `resume` (retried
//! with backoff within the grace period). Peer connections do not depend on it: transfers go on meanwhile,
//! and the signals we want to send wait for the new connection.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use ruang_proto::{ErrorCode, PeerId, Replay, ServerMessage, SignalData, Welcome};

use crate::PeerError;
use crate::signaling::{RoomUrl, Signaling};
use crate::tls::Trust;

/// A socket from which nothing arrived for this long is dead.
const SILENCE: Duration = Duration::from_secs(6);
/// One attempt to resume may take this long.
const ATTEMPT: Duration = Duration::from_secs(5);
/// First wait between attempts (doubling up to [`MAX_BACKOFF`]).
const BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// At most this many signals wait for a new connection.
const MAX_QUEUED: usize = 512;

type Reconnecting = Pin<Box<dyn Future<Output = Result<(Signaling, Welcome, Replay), PeerError>> + Send>>;

/// What came from the server.
pub enum Incoming {
    /// A message.
    Message(ServerMessage),
    /// We are back after a lost connection.
    Resumed(Welcome, Replay),
}

/// The signaling connection, replaced when it is lost.
pub struct Connection {
    url: RoomUrl,
    trust: Trust,
    live: Option<Signaling>,
    reconnecting: Option<Reconnecting>,
    token: String,
    last_n: u64,
    grace: Duration,
    heard: Instant,
    queued: Vec<(PeerId, SignalData)>,
}

impl Connection {
    /// A joined connection, with what `welcome` said.
    pub fn new(url: RoomUrl, trust: Trust, signaling: Signaling, welcome: &Welcome) -> Self {
        Connection {
            url,
            trust,
            live: Some(signaling),
            reconnecting: None,
            token: welcome.resume_token.clone(),
            last_n: 0,
            grace: Duration::from_millis(welcome.resume_grace_ms),
            heard: Instant::now(),
            queued: Vec::new(),
        }
    }

    /// The next message; an error when the connection is lost for good (resume refused, grace over).
    pub async fn next(&mut self) -> Result<Incoming, PeerError> {
        loop {
            if let Some(live) = self.live.as_mut() {
                match live.next().await {
                    Ok(Some((message, n))) => {
                        self.heard = Instant::now();
                        if let Some(n) = n {
                            self.last_n = self.last_n.max(n);
                        }
                        match &message {
                            ServerMessage::ResumeToken { token } => self.token.clone_from(token),
                            // the server stops: the web client resumes once it is back, so do we
                            ServerMessage::Shutdown { .. } => self.lose("the server is restarting"),
                            _ => {}
                        }
                        return Ok(Incoming::Message(message));
                    }
                    Ok(None) => self.lose("the server closed the connection"),
                    Err(err) => self.lose(&err.to_string()),
                }
            }
            let Some(reconnecting) = self.reconnecting.as_mut() else {
                return Err(PeerError::Signaling("not connected".into()));
            };
            let resumed = reconnecting.await;
            self.reconnecting = None;
            {
                let (mut signaling, welcome, replay) = resumed?;
                self.token.clone_from(&welcome.resume_token);
                self.heard = Instant::now();
                let mut failed = None;
                for (to, data) in std::mem::take(&mut self.queued) {
                    if let Err(err) = signaling.signal(to, &data).await {
                        failed = Some(err);
                        break;
                    }
                }
                self.live = Some(signaling);
                if let Some(err) = failed {
                    self.lose(&err.to_string());
                    continue;
                }
                tracing::info!("signaling: resumed");
                return Ok(Incoming::Resumed(welcome, replay));
            }
        }
    }

    /// Sends a signal now, or once we are back.
    pub async fn signal(&mut self, to: PeerId, data: SignalData) {
        if let Some(live) = self.live.as_mut() {
            match live.signal(to, &data).await {
                Ok(()) => return,
                Err(err) => self.lose(&err.to_string()),
            }
        }
        if self.queued.len() < MAX_QUEUED {
            self.queued.push((to, data));
        }
    }

    /// Every 2 s: a ping with our acknowledgement; a silent socket is replaced.
    pub async fn ping(&mut self) {
        if self.heard.elapsed() > SILENCE {
            self.lose("nothing from the server for 6 s");
        }
        if let Some(live) = self.live.as_mut()
            && let Err(err) = live.ping(self.last_n).await
        {
            self.lose(&err.to_string());
        }
    }

    /// Leaves the room for good.
    pub async fn leave(&mut self) {
        if let Some(live) = self.live.as_mut() {
            live.leave().await;
        }
    }

    /// The connection is lost: start resuming on a new one.
    fn lose(&mut self, why: &str) {
        if self.live.take().is_none() || self.reconnecting.is_some() {
            return;
        }
        tracing::warn!("signaling: connection lost ({why}); resuming");
        let until = Instant::now() + self.grace;
        self.reconnecting =
            Some(Box::pin(reconnect(self.url.clone(), self.trust.clone(), self.token.clone(), self.last_n, until)));
    }
}

/// Tries to resume until it works, is refused, or the grace period is over.
async fn reconnect(
    url: RoomUrl,
    trust: Trust,
    token: String,
    last_n: u64,
    until: Instant,
) -> Result<(Signaling, Welcome, Replay), PeerError> {
    let mut backoff = BACKOFF;
    loop {
        match tokio::time::timeout(ATTEMPT, attempt(&url, &trust, &token, last_n)).await {
            Ok(Ok(resumed)) => return Ok(resumed),
            Ok(Err(refused @ PeerError::Refused(_))) => return Err(refused),
            Ok(Err(err)) if Instant::now() + backoff >= until => return Err(err),
            Err(_) if Instant::now() + backoff >= until => {
                return Err(PeerError::Signaling("the server did not take us back in time".into()));
            }
            _ => {}
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn attempt(
    url: &RoomUrl,
    trust: &Trust,
    token: &str,
    last_n: u64,
) -> Result<(Signaling, Welcome, Replay), PeerError> {
    let mut signaling = Signaling::connect(url, trust).await?;
    signaling.resume(token, last_n).await?;
    loop {
        match signaling.next().await? {
            Some((ServerMessage::Resumed { welcome, replay }, _)) => return Ok((signaling, welcome, replay)),
            Some((ServerMessage::Error { code: ErrorCode::ResumeRefused, message, .. }, _)) => {
                return Err(PeerError::Refused(format!("resume_refused: {message}")));
            }
            Some((ServerMessage::Error { message, .. }, _)) => return Err(PeerError::Signaling(message)),
            Some(_) => {}
            None => return Err(PeerError::Signaling("the server closed the connection".into())),
        }
    }
}
