//! A room's chat: sequence numbers and the bounded history sent to newcomers.

use std::collections::VecDeque;

use ruang_proto::{ChatEntry, PeerId};

/// The chat of one room: numbers messages from 1 and keeps the last `capacity` of them.
#[derive(Debug)]
pub(crate) struct Chat {
    history: VecDeque<ChatEntry>,
    capacity: usize,
    last_seq: u64,
}

impl Chat {
    pub(crate) fn new(capacity: usize) -> Self {
        Chat { history: VecDeque::new(), capacity, last_seq: 0 }
    }

    /// Numbers a new message, remembers it, and returns it.
    pub(crate) fn post(&mut self, from: PeerId, name: String, text: String, ts: u64) -> ChatEntry {
        self.last_seq += 1;
        let entry = ChatEntry { seq: self.last_seq, from, name, text, ts };
        if self.capacity > 0 {
            if self.history.len() == self.capacity {
                self.history.pop_front();
            }
            self.history.push_back(entry.clone());
        }
        entry
    }

    /// Goes on from a previous room's chat: numbering after `last_seq`, remembering the last of `history`.
    pub(crate) fn carry_over(&mut self, last_seq: u64, history: Vec<ChatEntry>) {
        self.last_seq = last_seq;
        let skip = history.len().saturating_sub(self.capacity);
        self.history = history.into_iter().skip(skip).filter(|entry| entry.seq <= last_seq).collect();
    }

    /// The last message's number (0 before the first).
    pub(crate) fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// The remembered messages, oldest first.
    pub(crate) fn history(&self) -> Vec<ChatEntry> {
        self.history.iter().cloned().collect()
    }
}
