//! A running bot, whichever server it talks to: its peer connections, its signaling task, and a way to
//! stop it and collect what its connections counted.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::media::Endpoint;
use crate::media::stamp::Tally;

/// One bot.
pub struct Bot {
    streams_seen: Vec<Arc<AtomicUsize>>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<Tally>>,
}

impl Bot {
    /// A bot whose signaling (`signaling`, which may end early) needs nothing more from its endpoints.
    pub fn spawn(endpoints: Vec<Endpoint>, signaling: impl Future<Output = ()> + Send + 'static) -> Bot {
        let streams_seen = endpoints.iter().map(|e| Arc::clone(&e.streams_seen)).collect();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let signaling = tokio::spawn(signaling);
            let _ = stopped.await;
            signaling.abort();
            finish(endpoints).await
        });
        Bot { streams_seen, stop, task }
    }

    /// A bot whose own task runs its signaling and endpoints until `stop` fires and returns their tally.
    pub fn from_task(
        streams_seen: Vec<Arc<AtomicUsize>>,
        stop: oneshot::Sender<()>,
        task: JoinHandle<anyhow::Result<Tally>>,
    ) -> Bot {
        Bot { streams_seen, stop, task }
    }

    /// Distinct streams received so far.
    pub fn streams_seen(&self) -> usize {
        self.streams_seen.iter().map(|s| s.load(Ordering::Relaxed)).sum()
    }

    /// Stops the bot and returns what it counted.
    pub async fn stop(self) -> anyhow::Result<Tally> {
        let _ = self.stop.send(());
        self.task.await.context("bot task")?
    }
}

/// Stops `endpoints` and adds up their tallies.
pub async fn finish(endpoints: Vec<Endpoint>) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    for endpoint in endpoints {
        tally.merge(endpoint.finish().await?);
    }
    Ok(tally)
}
