//! Who offers and how offers are answered (docs/protocol.md, negotiation): opening a connection, the
//! perfect-negotiation rules for incoming offers (glare, renegotiation on the same connection, a new
//! connection of the peer's), answers, trickled candidates and `reset`.

use std::time::Instant;

use ruang_proto::{PeerId, SignalData};

use super::{MAX_LINKS, Session};
use crate::link::Link;

impl Session {
    /// Opens a connection and offers.
    pub(super) fn open(&mut self, id: PeerId, polite: bool, now: Instant) {
        if self.links.len() >= MAX_LINKS {
            return;
        }
        match Link::offer(id, polite, self.policy(), self.candidates, now) {
            Ok((link, sdp)) => {
                self.links.insert(id, link);
                self.outbox.push((id, SignalData::Offer { sdp }));
            }
            Err(err) => tracing::warn!(peer = %id, "cannot offer: {err}"),
        }
    }

    pub(super) fn on_signal(&mut self, from: PeerId, data: SignalData, now: Instant) {
        if !self.names.contains_key(&from) {
            return; // the SFU, or someone we do not know
        }
        match data {
            SignalData::Offer { sdp } => {
                if let Some(link) = self.links.get_mut(&from) {
                    if link.offering() && !link.polite {
                        return; // glare: the impolite side ignores the offer
                    }
                    if !link.offering() && link.same_connection(&sdp) {
                        match link.renegotiate(&sdp) {
                            Ok(answer) => self.outbox.push((from, SignalData::Answer { sdp: answer })),
                            Err(err) => tracing::warn!(peer = %from, "cannot answer: {err}"),
                        }
                        return;
                    }
                }
                // a new connection (or glare on our side as the polite one: ours is dropped)
                let polite = self.polite.get(&from).copied().unwrap_or(true);
                self.retire(from, "the peer opened a new connection");
                if self.links.len() >= MAX_LINKS {
                    return;
                }
                match Link::answer(from, polite, self.policy(), self.candidates, now, &sdp) {
                    Ok((link, answer)) => {
                        self.links.insert(from, link);
                        self.outbox.push((from, SignalData::Answer { sdp: answer }));
                    }
                    Err(err) => tracing::warn!(peer = %from, "cannot answer: {err}"),
                }
            }
            SignalData::Answer { sdp } => {
                if let Some(link) = self.links.get_mut(&from)
                    && let Err(err) = link.accept_answer(&sdp)
                {
                    tracing::warn!(peer = %from, "cannot take the answer: {err}");
                }
            }
            SignalData::Candidate { candidate } => {
                if let Some(link) = self.links.get_mut(&from) {
                    link.add_candidate(&candidate);
                }
            }
            SignalData::Reset => {
                self.retire(from, "the peer rebuilt its connection");
            }
        }
    }

    /// Closes a connection; its unfinished transfers fail (reported on the next turn).
    pub(super) fn retire(&mut self, id: PeerId, why: &str) {
        if let Some(mut link) = self.links.remove(&id) {
            link.transfers.detach(why);
            self.retired.push(link);
        }
    }
}
