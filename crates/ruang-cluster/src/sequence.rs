//! Sequence numbers per link, so a message lost on the bus is noticed. Redis pub/sub delivers in publish
//! order but at most once (a subscriber that reconnects misses what was published meanwhile); each sender
//! numbers what it sends on one link from 1, and the receiver checks that every number is the next.
//! A gap is not repaired here: the link is ended, and the participant resumes, which replays what it
//! missed from its stream on the room's owner.

/// Numbers one link's messages as they are sent.
#[derive(Debug, Default)]
pub struct Numbering {
    last: u64,
}

impl Numbering {
    /// The next message's number (the first is 1).
    pub fn take(&mut self) -> u64 {
        self.last += 1;
        self.last
    }
}

/// What the receiver of one link makes of a message's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// The next one: take it.
    InOrder,
    /// Something before it was lost: end the link.
    Gap,
    /// Already seen (or older): drop it.
    Stale,
}

/// Checks one link's numbers as they arrive.
#[derive(Debug, Default)]
pub struct Expecting {
    last: u64,
}

impl Expecting {
    /// Checks `seq` and, if it is the next, moves on.
    pub fn arrive(&mut self, seq: u64) -> Arrival {
        if seq <= self.last {
            return Arrival::Stale;
        }
        let next = self.last + 1;
        self.last = seq;
        if seq == next { Arrival::InOrder } else { Arrival::Gap }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_order_pass_a_gap_is_found_and_repeats_are_dropped() {
        let mut numbering = Numbering::default();
        let mut expecting = Expecting::default();
        assert_eq!(expecting.arrive(numbering.take()), Arrival::InOrder);
        assert_eq!(expecting.arrive(numbering.take()), Arrival::InOrder);
        let _lost = numbering.take();
        assert_eq!(expecting.arrive(numbering.take()), Arrival::Gap);
        assert_eq!(expecting.arrive(4), Arrival::Stale);
        assert_eq!(expecting.arrive(5), Arrival::InOrder);
    }
}
