//! The bounded pool that checks passwords: a few worker threads of its own, each with the argon2 memory it
//! lends to one check at a time, fed by two short queues. However many attempts arrive, at most `workers`
//! checks run at once, so the memory they take is at most `workers` times the hash's memory cost (19 MiB
//! with the default parameters), and a worker frees it as soon as nothing is waiting.
//!
//! Attempts from fresh addresses (see [`super::throttle`]) wait in their own queue and are taken first, so
//! the rightful user is not stuck behind a flood. A queue that is full refuses at once ([`CheckError::Busy`]);
//! a check still waiting at its deadline is dropped ([`CheckError::TimedOut`]), as is one whose session has
//! gone away meanwhile.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::password;

/// How much longer than its wait a caller waits for an answer: a check begun just before its deadline.
const CHECK_MARGIN: Duration = Duration::from_secs(10);

/// Why a password was not checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Too many checks are waiting.
    #[error("too many password checks are waiting")]
    Busy,
    /// The check waited past its deadline.
    #[error("the password check waited too long")]
    TimedOut,
}

/// How the pool is sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSize {
    /// Checks running at once (one thread each).
    pub workers: usize,
    /// Checks waiting, per queue (fresh addresses, others).
    pub queue: usize,
    /// How long a check may wait for a worker.
    pub wait: Duration,
}

struct Job {
    hash: Arc<str>,
    password: String,
    deadline: Instant,
    reply: oneshot::Sender<bool>,
}

#[derive(Default)]
struct Queues {
    fresh: VecDeque<Job>,
    others: VecDeque<Job>,
    closed: bool,
}

struct Shared {
    queues: Mutex<Queues>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Checks passwords on a bounded pool; its workers stop when it is dropped.
pub struct PasswordChecker {
    shared: Arc<Shared>,
    size: PoolSize,
}

impl std::fmt::Debug for PasswordChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChecker").field("size", &self.size).finish_non_exhaustive()
    }
}

impl PasswordChecker {
    /// A pool of `size.workers` threads (at least one). Threads that cannot be started are done without;
    /// with none at all, every check times out.
    pub fn new(size: PoolSize) -> Self {
        let shared = Arc::new(Shared { queues: Mutex::default(), ready: Condvar::new() });
        for n in 0..size.workers.max(1) {
            let shared = Arc::clone(&shared);
            let spawned = std::thread::Builder::new().name(format!("ruang-password-{n}")).spawn(move || work(&shared));
            if let Err(err) = spawned {
                tracing::error!(%err, "could not start a password-checking thread");
            }
        }
        PasswordChecker { shared, size }
    }

    /// Whether `password` matches `hash`, checked when a worker is free; `fresh` attempts go first.
    pub async fn check(&self, hash: Arc<str>, password: String, fresh: bool) -> Result<bool, CheckError> {
        let (reply, answer) = oneshot::channel();
        let deadline = Instant::now() + self.size.wait;
        {
            let mut queues = self.shared.lock();
            let queue = if fresh { &mut queues.fresh } else { &mut queues.others };
            if queue.len() >= self.size.queue {
                return Err(CheckError::Busy);
            }
            queue.push_back(Job { hash, password, deadline, reply });
        }
        self.shared.ready.notify_one();
        // A worker answers, or drops the job at its deadline; the margin covers a check begun just before it.
        match tokio::time::timeout(self.size.wait + CHECK_MARGIN, answer).await {
            Ok(Ok(matches)) => Ok(matches),
            Ok(Err(_)) | Err(_) => Err(CheckError::TimedOut),
        }
    }
}

impl Drop for PasswordChecker {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_all();
    }
}

/// The job a worker takes next: the oldest fresh one, else the oldest other one.
fn next_job(queues: &mut Queues) -> Option<Job> {
    queues.fresh.pop_front().or_else(|| queues.others.pop_front())
}

/// A worker: takes jobs, fresh ones first, until the pool is dropped; keeps its argon2 memory only while
/// there is more to do.
fn work(shared: &Shared) {
    let mut memory = Vec::new();
    loop {
        let job = {
            let mut queues = shared.lock();
            loop {
                if queues.closed {
                    return;
                }
                if let Some(job) = next_job(&mut queues) {
                    break job;
                }
                memory = Vec::new();
                queues = shared.ready.wait(queues).unwrap_or_else(PoisonError::into_inner);
            }
        };
        if job.reply.is_closed() || Instant::now() >= job.deadline {
            continue;
        }
        let matches = password::verify_in(&job.hash, &job.password, &mut memory);
        let _ = job.reply.send(matches);
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    fn size(queue: usize) -> PoolSize {
        PoolSize { workers: 1, queue, wait: Duration::from_secs(5) }
    }

    /// A pool whose jobs nobody takes.
    fn stalled(queue: usize) -> PasswordChecker {
        PasswordChecker {
            shared: Arc::new(Shared { queues: Mutex::default(), ready: Condvar::new() }),
            size: size(queue),
        }
    }

    #[tokio::test]
    async fn checks_right_and_wrong_passwords() {
        let hash: Arc<str> = password::hash("right").unwrap_or_default().into();
        let checker = PasswordChecker::new(size(2));
        assert_eq!(checker.check(hash.clone(), "right".into(), true).await, Ok(true));
        assert_eq!(checker.check(hash, "wrong".into(), false).await, Ok(false));
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_each_queue_has_its_own_room() {
        let checker = stalled(2);
        let hash: Arc<str> = "h".into();
        for _ in 0..2 {
            // Queued at the first poll (and left there: nobody takes it).
            assert!(checker.check(hash.clone(), "x".into(), false).now_or_never().is_none());
        }
        let refused = checker.check(hash.clone(), "x".into(), false).now_or_never();
        assert_eq!(refused, Some(Err(CheckError::Busy)));
        assert!(checker.check(hash, "x".into(), true).now_or_never().is_none(), "fresh attempts queue apart");
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_nobody_takes_times_out() {
        let checker = stalled(2);
        assert_eq!(checker.check("h".into(), "x".into(), true).await, Err(CheckError::TimedOut));
    }

    #[test]
    fn workers_take_fresh_attempts_first() {
        let job = |password: &str| Job {
            hash: "h".into(),
            password: password.into(),
            deadline: Instant::now(),
            reply: oneshot::channel().0,
        };
        let mut queues = Queues::default();
        queues.others.push_back(job("other"));
        queues.fresh.push_back(job("fresh"));
        assert_eq!(next_job(&mut queues).map(|j| j.password), Some("fresh".into()));
        assert_eq!(next_job(&mut queues).map(|j| j.password), Some("other".into()));
        assert!(next_job(&mut queues).is_none());
    }
}
