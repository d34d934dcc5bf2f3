//! The per-connection limits that depend on time: message rate, violations, the join deadline and the
//! heartbeat deadline; and when the server pings a client that does not talk.

use tokio::time::{Duration, Instant};

use ruang_proto::TokenBucket;

use crate::config::ServerConfig;

/// Tracks one connection's budget of messages and violations, and when it must be heard from.
pub struct Guard {
    started: Instant,
    join_deadline: Instant,
    heartbeat_timeout: Duration,
    last_heard: Instant,
    messages: TokenBucket,
    violations: TokenBucket,
    ping_every: Duration,
    next_ping: Instant,
    /// The client sent a message since the last ping time.
    talked: bool,
}

impl Guard {
    /// A fresh connection at `now`.
    pub fn new(config: &ServerConfig, now: Instant) -> Self {
        let limits = &config.limits;
        Guard {
            started: now,
            join_deadline: now + Duration::from_millis(config.join_timeout_ms),
            heartbeat_timeout: limits.heartbeat_timeout(),
            last_heard: now,
            messages: TokenBucket::new(limits.messages_per_second, limits.message_burst, 0),
            violations: TokenBucket::new(config.violations_per_second, config.violation_burst, 0),
            ping_every: limits.heartbeat_interval(),
            next_ping: now + limits.heartbeat_interval(),
            talked: false,
        }
    }

    /// Something arrived at `now`.
    pub fn heard(&mut self, now: Instant) {
        self.last_heard = now;
    }

    /// When the connection times out if nothing arrives: the heartbeat deadline, and before joining also the
    /// join deadline.
    pub fn deadline(&self, joined: bool) -> Instant {
        let heartbeat = self.last_heard + self.heartbeat_timeout;
        if joined { heartbeat } else { heartbeat.min(self.join_deadline) }
    }

    /// Whether the join deadline has passed.
    pub fn join_overdue(&self, now: Instant) -> bool {
        now >= self.join_deadline
    }

    /// A message (not a ping or pong) arrived: the client is alive and needs no ping from the server.
    pub fn talked(&mut self) {
        self.talked = true;
    }

    /// When the next ping is due.
    pub fn next_ping(&self) -> Instant {
        self.next_ping
    }

    /// At a ping time (`now` at or past [`Guard::next_ping`]), whether to ping: only a client that sent no
    /// message during the last interval needs one (the web client pings every 2 s itself). Schedules the
    /// next ping time.
    pub fn ping_due(&mut self, now: Instant) -> bool {
        if now < self.next_ping {
            return false;
        }
        self.next_ping = now + self.ping_every;
        !std::mem::take(&mut self.talked)
    }

    /// Takes one message from the rate budget.
    pub fn allow_message(&mut self, now: Instant) -> bool {
        let ms = self.millis(now);
        self.messages.try_take(ms)
    }

    /// Takes one violation from the budget; `false` when the connection has used them all.
    pub fn allow_violation(&mut self, now: Instant) -> bool {
        let ms = self.millis(now);
        self.violations.try_take(ms)
    }

    fn millis(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.started).as_millis()).unwrap_or(u64::MAX)
    }
}
