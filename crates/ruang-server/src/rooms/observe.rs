//! What a room tells the outside about itself as its members come and go: the participants gauge of
//! `/metrics` and the webhook events (room started and ended, participant joined and left). Driven by the
//! room's own outputs (a member published, unpublished), so it sees exactly what the room decided.

use std::collections::HashMap;
use std::sync::Arc;

use ruang_proto::{PeerId, Role, RoomName};
use ruang_room::Room;

use crate::metrics::Metrics;
use crate::webhooks::{Event, EventKind, Participant, Webhooks};

/// One room's observer.
pub(super) struct Observer {
    metrics: Arc<Metrics>,
    webhooks: Webhooks,
    /// The members published now, with what their `participant_left` will say.
    members: HashMap<PeerId, Participant>,
    /// Whether `room_started` went out (so `room_ended` goes out once, and only after it).
    started: bool,
}

impl Observer {
    pub(super) fn new(metrics: Arc<Metrics>, webhooks: Webhooks) -> Self {
        Observer { metrics, webhooks, members: HashMap::new(), started: false }
    }

    /// The room published member `id` (joined, or back after a restart).
    pub(super) fn published(&mut self, room: &Room, id: PeerId, role: Role) {
        if self.members.contains_key(&id) {
            return;
        }
        self.metrics.participants.increment(1.0);
        let name = room.roster().members().iter().find(|m| m.id == id).map(|m| m.name.clone()).unwrap_or_default();
        let participant = Participant { id, name, role };
        self.members.insert(id, participant.clone());
        if !self.webhooks.enabled() {
            return;
        }
        if !self.started {
            self.started = true;
            self.webhooks.send(&Event::new(EventKind::RoomStarted, room.name().clone(), None));
        }
        self.webhooks.send(&Event::new(EventKind::ParticipantJoined, room.name().clone(), Some(participant)));
    }

    /// The room took member `id` out for good.
    pub(super) fn unpublished(&mut self, room: &RoomName, id: PeerId) {
        let Some(participant) = self.members.remove(&id) else { return };
        self.metrics.participants.decrement(1.0);
        self.webhooks.send(&Event::new(EventKind::ParticipantLeft, room.clone(), Some(participant)));
    }

    /// The room's task ends: `ended` when the meeting is over (not when the server stops and its
    /// participants will resume on the next instance).
    pub(super) fn closed(&mut self, room: &RoomName, ended: bool) {
        self.metrics.participants.decrement(self.members.len() as f64);
        self.members.clear();
        if ended && self.started {
            self.webhooks.send(&Event::new(EventKind::RoomEnded, room.clone(), None));
        }
    }
}
