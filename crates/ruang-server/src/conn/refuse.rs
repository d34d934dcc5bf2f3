//! Refusing a connection at accept: a short plain-HTTP answer (503 when the listener's socket budget is
//! spent, 429 when the client's address holds too many connections), then close. Answering takes a
//! descriptor for up to a second, so only a few refusals are answered at once; the rest, and every
//! refusal on a TLS listener (which cannot answer before a handshake), are closed at once. Refusals are
//! logged at `warn` at most every ten seconds, with the counts since the last such line (no addresses).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// Refusals answered at once; more are closed without an answer.
const ANSWERED_AT_ONCE: usize = 32;
/// Time an answered refusal may take, reading what the client sent included.
const ANSWER_TIME: Duration = Duration::from_secs(1);
/// Bytes of the client's request read (and dropped) before closing, so the kernel does not reset the
/// connection before the client reads the answer.
const DRAIN_BYTES: usize = 16 * 1024;
/// Shortest time between two log lines about refusals.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Why a connection is refused.
#[derive(Clone, Copy, Debug)]
pub enum Refusal {
    /// The listener holds as many sockets as it may.
    Busy,
    /// The client's address holds as many connections as it may.
    TooManyFromAddress,
}

impl Refusal {
    fn answer(self) -> &'static [u8] {
        match self {
            Refusal::Busy => {
                b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
                  content-length: 21\r\nretry-after: 10\r\nconnection: close\r\n\r\ntoo many connections\n"
            }
            Refusal::TooManyFromAddress => {
                b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain; charset=utf-8\r\n\
                  content-length: 39\r\nretry-after: 10\r\nconnection: close\r\n\r\ntoo many connections from your address\n"
            }
        }
    }
}

/// Answers refusals, a bounded number at once.
#[derive(Debug)]
pub struct Refusals {
    answering: Arc<Semaphore>,
    report: Mutex<Report>,
}

impl Default for Refusals {
    fn default() -> Self {
        Refusals { answering: Arc::new(Semaphore::new(ANSWERED_AT_ONCE)), report: Mutex::default() }
    }
}

impl Refusals {
    /// Refuses `tcp`: answers with `why` on plain HTTP when few answers are under way, else just closes.
    pub fn refuse(&self, tcp: TcpStream, why: Refusal, tls: bool) {
        let due = self.report.lock().unwrap_or_else(PoisonError::into_inner).note(why, Instant::now());
        if let Some(counts) = due {
            tracing::warn!(
                over_socket_budget = counts.busy,
                over_address_limit = counts.per_address,
                "refused connections since the last report (limits: max_connections, max_connections_per_address)"
            );
        }
        if tls {
            return;
        }
        let Ok(permit) = Arc::clone(&self.answering).try_acquire_owned() else { return };
        tokio::spawn(async move {
            let _ = tokio::time::timeout(ANSWER_TIME, answer(tcp, why)).await;
            drop(permit);
        });
    }
}

/// Refusals counted since the last log line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Report {
    last: Option<Instant>,
    busy: u64,
    per_address: u64,
}

impl Report {
    /// Counts a refusal at `now`; returns the counts to log (and starts over) when a line is due.
    fn note(&mut self, why: Refusal, now: Instant) -> Option<Report> {
        match why {
            Refusal::Busy => self.busy += 1,
            Refusal::TooManyFromAddress => self.per_address += 1,
        }
        let due = self.last.is_none_or(|last| now.duration_since(last) >= REPORT_EVERY);
        if !due {
            return None;
        }
        let counts = *self;
        *self = Report { last: Some(now), busy: 0, per_address: 0 };
        Some(counts)
    }
}

async fn answer(mut tcp: TcpStream, why: Refusal) -> std::io::Result<()> {
    tcp.write_all(why.answer()).await?;
    tcp.shutdown().await?;
    let mut buffer = [0u8; 1024];
    let mut drained = 0;
    while drained < DRAIN_BYTES {
        match tcp.read(&mut buffer).await? {
            0 => break,
            n => drained += n,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_reported_at_most_every_ten_seconds_with_the_counts_between() {
        let mut report = Report::default();
        let start = Instant::now();
        let first = report.note(Refusal::Busy, start).map(|r| (r.busy, r.per_address));
        assert_eq!(first, Some((1, 0)), "the first refusal is reported at once");
        for n in 1..100 {
            assert_eq!(report.note(Refusal::TooManyFromAddress, start + Duration::from_millis(n)), None);
        }
        let later = report.note(Refusal::Busy, start + REPORT_EVERY).map(|r| (r.busy, r.per_address));
        assert_eq!(later, Some((1, 99)));
    }

    #[test]
    fn answers_declare_their_body_length() {
        for why in [Refusal::Busy, Refusal::TooManyFromAddress] {
            let text = std::str::from_utf8(why.answer()).unwrap_or_default();
            let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
            assert!(head.contains(&format!("content-length: {}\r\n", body.len())), "{text}");
            assert!(!head.contains("  "), "no stray indentation in {head:?}");
        }
    }
}
