//! One receiver's delivery task: takes events from its queue in order and POSTs each, retrying with
//! exponential backoff ([`RETRY_DELAYS`]) until the receiver answers 2xx or the retries run out. Each POST
//! is bounded by [`ATTEMPT_TIMEOUT`]; while this task waits, new events pile up in its bounded queue (and
//! are dropped when it is full), never in a room.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, Method, header};
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::signature;
use crate::client::{HttpUrl, Trust, request};
use crate::config::Secret;
use crate::metrics::Metrics;

/// How long one POST may take, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Waits before each retry after a failed first attempt (so at most 5 attempts, over about 31 s plus the
/// attempts' own time).
const RETRY_DELAYS: [Duration; 4] =
    [Duration::from_secs(1), Duration::from_secs(3), Duration::from_secs(9), Duration::from_secs(18)];

pub(super) struct Worker {
    pub url: HttpUrl,
    /// Whom to believe when `url` is `https://`.
    pub trust: Trust,
    pub secret: Secret,
    pub metrics: Arc<Metrics>,
    pub shutdown: CancellationToken,
}

impl Worker {
    pub async fn run(self, mut queue: mpsc::Receiver<Bytes>) {
        loop {
            let body = tokio::select! {
                () = self.shutdown.cancelled() => return,
                body = queue.recv() => match body {
                    Some(body) => body,
                    None => return,
                },
            };
            tokio::select! {
                () = self.shutdown.cancelled() => return,
                () = self.deliver(body) => {}
            }
        }
    }

    /// POSTs one event until it is taken or the retries run out.
    async fn deliver(&self, body: Bytes) {
        let mut delays = RETRY_DELAYS.iter();
        loop {
            match self.attempt(body.clone()).await {
                Ok(()) => {
                    self.metrics.webhooks_delivered.increment(1);
                    return;
                }
                Err(why) => match delays.next() {
                    Some(delay) => {
                        tracing::debug!(url = %self.url, %why, "webhook failed; retrying");
                        tokio::time::sleep(*delay).await;
                    }
                    None => {
                        tracing::warn!(url = %self.url, %why, "webhook given up after retries");
                        self.metrics.webhooks_failed.increment(1);
                        return;
                    }
                },
            }
        }
    }

    async fn attempt(&self, body: Bytes) -> Result<(), String> {
        let timestamp = crate::clock::wall_clock_secs();
        let signed = signature::sign(self.secret.expose(), timestamp, &body);
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(header::USER_AGENT, HeaderValue::from_static("ruang-webhooks"));
        if let Ok(value) = HeaderValue::from_str(&signed) {
            headers.insert(signature::HEADER, value);
        }
        let (status, _) = request(&self.trust, Method::POST, &self.url, headers, body, ATTEMPT_TIMEOUT)
            .await
            .map_err(|err| err.to_string())?;
        match status.is_success() {
            true => Ok(()),
            false => Err(format!("answered {status}")),
        }
    }
}
