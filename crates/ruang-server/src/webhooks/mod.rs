//! Webhooks: what happens to rooms (started, ended) and participants (joined, left), POSTed as signed JSON
//! to the operator's URLs (`webhook_urls`).
//!
//! A room hands an [`Event`] to [`Webhooks::send`], which never waits: each URL has its own bounded queue
//! and delivery task ([`deliver`]), and an event that finds a queue full is dropped and counted
//! (`ruang_webhooks_dropped_total`), so a slow or dead receiver costs memory up to the queue's size and
//! nothing else; rooms never wait for it. Each POST is signed ([`signature`]) with HMAC-SHA256 over the
//! timestamp and body, as Stripe and LiveKit do; the scheme is in `docs/admin-api.md`.

mod deliver;
pub mod signature;

use std::sync::Arc;

use bytes::Bytes;
use ruang_proto::{PeerId, Role, RoomName};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::client::{HttpUrl, Trust};
use crate::config::Secret;
use crate::metrics::Metrics;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A room got its first participant.
    RoomStarted,
    /// A room closed (its last participant left, or the meeting was ended).
    RoomEnded,
    /// A participant entered a room.
    ParticipantJoined,
    /// A participant left a room for good (not a lost connection still within its resume grace).
    ParticipantLeft,
}

/// The participant an event is about.
#[derive(Clone, Debug, Serialize)]
pub struct Participant {
    /// Its id.
    pub id: PeerId,
    /// Its display name.
    pub name: String,
    /// Its role when it joined.
    pub role: Role,
}

/// One webhook event, as its JSON body says.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// What happened.
    pub event: EventKind,
    /// A random id, the same in every retry, so the receiver can tell a retry from a new event.
    pub id: String,
    /// When, in seconds since the Unix epoch.
    pub created_at: u64,
    /// Which room.
    pub room: RoomName,
    /// Which participant, for participant events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant: Option<Participant>,
}

impl Event {
    /// An event about `room` (and `participant`) now.
    pub fn new(event: EventKind, room: RoomName, participant: Option<Participant>) -> Self {
        let id = format!("{:016x}{:016x}", getrandom::u64().unwrap_or(0), getrandom::u64().unwrap_or(0));
        Event { event, id, created_at: crate::clock::wall_clock_secs(), room, participant }
    }
}

/// The `[webhooks]` settings.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// `http://` or `https://` URLs that receive webhook events (room started/ended, participant
    /// joined/left).
    pub urls: Vec<String>,
    /// A PEM file of certificate authorities trusted for `https://` receivers beside the system's.
    pub ca: Option<std::path::PathBuf>,
    /// The secret webhook POSTs are signed with (HMAC-SHA256, at least 16 bytes); needed with `urls`.
    pub secret: Option<Secret>,
    /// Events queued per receiver before new ones are dropped (and counted).
    pub queue: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig { urls: Vec::new(), ca: None, secret: None, queue: 1024 }
    }
}

impl WebhookConfig {
    /// Whether the settings are usable: URLs that parse, and a secret to sign with.
    pub fn check(&self) -> Result<(), String> {
        if let Some(bad) = self.urls.iter().find(|url| HttpUrl::parse(url).is_err()) {
            return Err(format!("webhooks.urls: {bad:?} is not an http:// or https:// URL"));
        }
        if let Some(path) = &self.ca {
            crate::client::read_pem(path).map_err(|e| format!("webhooks.ca: {e}"))?;
        }
        let secret_len = self.secret.as_ref().map_or(0, |secret| secret.expose().len());
        if !self.urls.is_empty() && secret_len < 16 {
            return Err("webhooks.urls need a webhooks.secret of at least 16 bytes".into());
        }
        if self.queue == 0 {
            return Err("webhooks.queue must be at least 1".into());
        }
        Ok(())
    }

    /// What the delivery tasks need, if any URL is set. The system's certificate authorities are read only
    /// if a receiver is `https://`; a CA file that cannot be read (after `check` passed) is logged and left
    /// out, so those receivers fail visibly (`ruang_webhooks_failed_total`) rather than the server.
    pub fn settings(&self) -> Option<WebhookSettings> {
        let urls: Vec<HttpUrl> = self.urls.iter().filter_map(|url| HttpUrl::parse(url).ok()).collect();
        let secret = self.secret.clone()?;
        let trust = match urls.iter().any(HttpUrl::is_https) {
            false => Trust::default(),
            true => Trust::system(self.ca.as_deref()).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "webhooks: TLS trust incomplete; https receivers will fail");
                Trust::system(None).unwrap_or_default()
            }),
        };
        (!urls.is_empty()).then_some(WebhookSettings { urls, trust, secret, queue: self.queue })
    }
}

/// Where events go and how they are signed.
#[derive(Clone)]
pub struct WebhookSettings {
    /// The receivers.
    pub urls: Vec<HttpUrl>,
    /// Whom to believe on `https://` receivers.
    pub trust: Trust,
    /// The signing secret.
    pub secret: Secret,
    /// Events queued per receiver before new ones are dropped.
    pub queue: usize,
}

/// The server's way to send webhook events; cheap to clone. Without receivers, sending does nothing.
#[derive(Clone)]
pub struct Webhooks {
    queues: Arc<[mpsc::Sender<Bytes>]>,
    metrics: Arc<Metrics>,
}

impl Webhooks {
    /// Webhooks that go nowhere.
    pub fn disabled(metrics: Arc<Metrics>) -> Self {
        Webhooks { queues: Arc::from(Vec::new()), metrics }
    }

    /// Starts one delivery task per receiver on `tasks`; they stop when `shutdown` is cancelled.
    pub fn start(
        settings: WebhookSettings,
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) -> Self {
        let mut queues = Vec::new();
        for url in settings.urls {
            let (sender, receiver) = mpsc::channel(settings.queue.max(1));
            let worker = deliver::Worker {
                url,
                trust: settings.trust.clone(),
                secret: settings.secret.clone(),
                metrics: Arc::clone(&metrics),
                shutdown: shutdown.clone(),
            };
            tasks.spawn(worker.run(receiver));
            queues.push(sender);
        }
        Webhooks { queues: Arc::from(queues), metrics }
    }

    /// Whether events go anywhere (so callers can skip building them).
    pub fn enabled(&self) -> bool {
        !self.queues.is_empty()
    }

    /// Queues `event` for every receiver, without waiting; a full queue drops it (counted).
    pub fn send(&self, event: &Event) {
        if self.queues.is_empty() {
            return;
        }
        let Ok(body) = serde_json::to_vec(event) else { return };
        let body = Bytes::from(body);
        for queue in self.queues.iter() {
            if queue.try_send(body.clone()).is_err() {
                self.metrics.webhooks_dropped.increment(1);
            }
        }
    }
}
