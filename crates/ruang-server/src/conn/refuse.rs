//! Refusing a connection at accept: a short plain-HTTP answer (503 when the listener's socket budget is
//! spent, 429 when the client's address holds too many connections), then close. Answering takes a
//! descriptor for up to a second, so only a few refusals are answered at once; the rest, and every
//! refusal on a TLS listener (which cannot answer before a handshake), are closed at once.

use std::sync::Arc;
use std::time::Duration;

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
}

impl Default for Refusals {
    fn default() -> Self {
        Refusals { answering: Arc::new(Semaphore::new(ANSWERED_AT_ONCE)) }
    }
}

impl Refusals {
    /// Refuses `tcp`: answers with `why` on plain HTTP when few answers are under way, else just closes.
    pub fn refuse(&self, tcp: TcpStream, why: Refusal, tls: bool) {
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
    fn answers_declare_their_body_length() {
        for why in [Refusal::Busy, Refusal::TooManyFromAddress] {
            let text = std::str::from_utf8(why.answer()).unwrap_or_default();
            let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
            assert!(head.contains(&format!("content-length: {}\r\n", body.len())), "{text}");
            assert!(!head.contains("  "), "no stray indentation in {head:?}");
        }
    }
}
