//! One member's numbered message stream: every message sent to it gets the next number `n`, and the recent
//! ones are kept so they can be replayed after the member resumes on a new connection. Time is passed in.
//!
//! What is kept is bounded by count and bytes. While the member is connected, messages older than the
//! horizon (how late the server may notice a dead connection, plus a margin) are dropped too: a client that
//! resumes later than that was noticed as gone, and from then on everything is kept until it is back.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::Frame;

/// How much a stream keeps for replay.
#[derive(Clone, Copy, Debug)]
pub struct ReplayLimits {
    /// Most messages kept.
    pub messages: usize,
    /// Most bytes (of serialized messages) kept.
    pub bytes: usize,
    /// While connected, messages older than this are not kept.
    pub horizon: Duration,
}

struct Kept {
    n: u64,
    at: Instant,
    frame: Frame,
    /// What it counts against the byte limit (its JSON length when kept).
    size: usize,
}

/// The numbered stream of one member.
pub struct Stream {
    last_n: u64,
    kept: VecDeque<Kept>,
    kept_bytes: usize,
    /// The smallest `n` that may have been dropped from `kept`; replay after anything earlier has a gap.
    forgotten_up_to: u64,
}

impl Default for Stream {
    fn default() -> Self {
        Stream::new()
    }
}

impl Stream {
    /// A stream that has sent nothing.
    pub fn new() -> Self {
        Stream { last_n: 0, kept: VecDeque::new(), kept_bytes: 0, forgotten_up_to: 0 }
    }

    /// Numbers and keeps a message; returns its number. `connected` says whether the member has a live
    /// connection, so old messages may be forgotten.
    pub fn push(&mut self, frame: &Frame, now: Instant, connected: bool, limits: ReplayLimits) -> u64 {
        self.last_n += 1;
        let n = self.last_n;
        if connected {
            while self.kept.front().is_some_and(|k| now.duration_since(k.at) > limits.horizon) {
                self.forget_oldest();
            }
        }
        let size = frame.json_len();
        self.kept_bytes += size;
        self.kept.push_back(Kept { n, at: now, frame: frame.clone(), size });
        while self.kept.len() > limits.messages || self.kept_bytes > limits.bytes {
            self.forget_oldest();
        }
        n
    }

    /// The messages after `last_n`, in order, or `None` if some of them are no longer kept (or `last_n` was
    /// never sent).
    pub fn replay_after(&self, last_n: u64) -> Option<impl Iterator<Item = (u64, &Frame)>> {
        if last_n > self.last_n || last_n < self.forgotten_up_to {
            return None;
        }
        Some(self.kept.iter().filter(move |k| k.n > last_n).map(|k| (k.n, &k.frame)))
    }

    /// The member has received everything up to `n`: forget it. A number never sent is ignored (a
    /// confused or hostile client cannot make the stream forget what it has not received).
    pub fn acknowledge(&mut self, n: u64) {
        if n > self.last_n {
            return;
        }
        while self.kept.front().is_some_and(|k| k.n <= n) {
            self.forget_oldest();
        }
        self.forgotten_up_to = self.forgotten_up_to.max(n);
    }

    /// The number of the last message pushed (0 before the first).
    pub fn last_n(&self) -> u64 {
        self.last_n
    }

    /// How many messages are kept.
    pub fn kept(&self) -> usize {
        self.kept.len()
    }

    /// Forgets everything kept; numbering goes on.
    pub fn clear(&mut self) {
        self.forgotten_up_to = self.last_n;
        self.kept.clear();
        self.kept_bytes = 0;
    }

    fn forget_oldest(&mut self) {
        if let Some(oldest) = self.kept.pop_front() {
            self.kept_bytes -= oldest.size;
            self.forgotten_up_to = oldest.n;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ruang_proto::{PeerId, ServerMessage};

    use super::*;

    fn envelope(i: u64) -> Frame {
        Frame::new(Arc::new(ServerMessage::PeerReconnected { id: PeerId::from_bits(i) }))
    }

    fn limits(messages: usize) -> ReplayLimits {
        ReplayLimits { messages, bytes: 1 << 20, horizon: Duration::from_secs(10) }
    }

    fn numbers(stream: &Stream, after: u64) -> Option<Vec<u64>> {
        stream.replay_after(after).map(|it| it.map(|(n, _)| n).collect())
    }

    #[test]
    fn replays_what_follows_and_refuses_gaps() {
        let now = Instant::now();
        let mut stream = Stream::new();
        for i in 1..=5 {
            assert_eq!(stream.push(&envelope(i), now, false, limits(3)), i);
        }
        assert_eq!(numbers(&stream, 5), Some(vec![]));
        assert_eq!(numbers(&stream, 3), Some(vec![4, 5]));
        assert_eq!(numbers(&stream, 2), Some(vec![3, 4, 5]));
        assert_eq!(numbers(&stream, 1), None, "2 was forgotten");
        assert_eq!(numbers(&stream, 6), None, "never sent");
    }

    #[test]
    fn forgets_old_messages_only_while_connected() {
        let start = Instant::now();
        let later = start + Duration::from_secs(11);
        let mut away = Stream::new();
        away.push(&envelope(1), start, false, limits(100));
        away.push(&envelope(2), later, false, limits(100));
        assert_eq!(numbers(&away, 0), Some(vec![1, 2]));
        let mut connected = Stream::new();
        connected.push(&envelope(1), start, true, limits(100));
        connected.push(&envelope(2), later, true, limits(100));
        assert_eq!(numbers(&connected, 0), None);
        assert_eq!(numbers(&connected, 1), Some(vec![2]));
    }

    #[test]
    fn acknowledged_messages_are_forgotten_but_resume_still_works() {
        let now = Instant::now();
        let mut stream = Stream::new();
        for i in 1..=5 {
            stream.push(&envelope(i), now, true, limits(100));
        }
        stream.acknowledge(3);
        assert_eq!(stream.kept(), 2);
        assert_eq!(numbers(&stream, 3), Some(vec![4, 5]), "resuming from the acknowledged number replays the rest");
        assert_eq!(numbers(&stream, 2), None, "3 is gone");
        stream.acknowledge(2);
        assert_eq!(numbers(&stream, 3), Some(vec![4, 5]), "an older acknowledgement changes nothing");
        stream.acknowledge(9);
        assert_eq!(stream.kept(), 2, "a number never sent is ignored");
        stream.acknowledge(5);
        assert_eq!(stream.kept(), 0);
        assert_eq!(numbers(&stream, 5), Some(vec![]));
        assert_eq!(stream.push(&envelope(6), now, true, limits(100)), 6);
    }

    #[test]
    fn clear_keeps_numbering() {
        let now = Instant::now();
        let mut stream = Stream::new();
        stream.push(&envelope(1), now, true, limits(8));
        stream.clear();
        assert_eq!(numbers(&stream, 0), None);
        assert_eq!(numbers(&stream, 1), Some(vec![]));
        assert_eq!(stream.push(&envelope(2), now, true, limits(8)), 2);
    }
}
