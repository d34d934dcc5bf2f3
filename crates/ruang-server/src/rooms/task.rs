//! The task that owns one room: it takes commands from its mailbox, applies them to the [`Room`], and
//! delivers the resulting effects to participants without ever waiting on one of them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ruang_proto::{LeaveReason, MediaState, PROTOCOL_VERSION, PeerId, Rejection, RoomName, ServerMessage, Welcome};
use ruang_room::{Effect, JoinRefusal, Room, RoomConfig};
use tokio::sync::mpsc;

use super::command::{JoinReply, RoomCommand};
use super::participant::{DeliveryError, Envelope, Participant};
use super::{RoomSettings, Rooms};
use crate::clock::wall_clock_ms;
use crate::ice::IceGrant;

/// How long a freshly created room waits for its first join before it gives up.
const FIRST_JOIN_WAIT: Duration = Duration::from_secs(10);

/// A join's details, besides how to reach the newcomer.
struct NewMember {
    id: PeerId,
    name: String,
    media: MediaState,
    req: Option<u32>,
    ice: IceGrant,
}

pub(super) struct RoomTask {
    room: Room,
    generation: u64,
    settings: Arc<RoomSettings>,
    rooms: Arc<Rooms>,
    participants: HashMap<PeerId, Box<dyn Participant>>,
}

impl RoomTask {
    pub(super) fn new(name: RoomName, generation: u64, settings: Arc<RoomSettings>, rooms: Arc<Rooms>) -> Self {
        let config =
            RoomConfig { max_participants: settings.limits.max_participants, chat_history: settings.chat_history };
        let room = Room::new(name, config);
        RoomTask { room, generation, settings, rooms, participants: HashMap::new() }
    }

    pub(super) async fn run(mut self, mut inbox: mpsc::Receiver<RoomCommand>) {
        tracing::debug!(room = %self.room.name(), "room opened");
        if let Ok(Some(first)) = tokio::time::timeout(FIRST_JOIN_WAIT, inbox.recv()).await {
            self.handle(first);
            while !self.room.is_empty() {
                let Some(command) = inbox.recv().await else { break };
                self.handle(command);
            }
        }
        self.close(inbox).await;
    }

    /// Leaves the registry, then refuses whatever is still in the mailbox so joiners retry elsewhere.
    async fn close(self, mut inbox: mpsc::Receiver<RoomCommand>) {
        self.rooms.remove(self.room.name(), self.generation);
        inbox.close();
        while let Some(command) = inbox.recv().await {
            if let RoomCommand::Join { reply, .. } = command {
                let _ = reply.send(JoinReply::Closed);
            }
        }
        tracing::debug!(room = %self.room.name(), "room closed");
    }

    fn handle(&mut self, command: RoomCommand) {
        match command {
            RoomCommand::Join { id, name, media, req, ice, participant, reply } => {
                let answer = self.join(NewMember { id, name, media, req, ice }, participant);
                let _ = reply.send(answer);
            }
            RoomCommand::Leave { id, reason } => self.remove(id, reason),
            RoomCommand::Signal { from, to, data, req } => {
                let result = self.room.signal(from, to, data);
                self.answer(from, result, req);
            }
            RoomCommand::Media { id, media } => {
                let result = self.room.set_media(id, media);
                self.answer(id, result, None);
            }
            RoomCommand::Chat { from, text, req } => {
                let result = self.room.chat(from, text, wall_clock_ms());
                self.answer(from, result, req);
            }
        }
        self.flush();
    }

    fn join(&mut self, member: NewMember, participant: Box<dyn Participant>) -> JoinReply {
        let NewMember { id, name, media, req, ice } = member;
        let joined = match self.room.join(id, name, media) {
            Ok(joined) => joined,
            Err(JoinRefusal::Full) => return JoinReply::Full,
            Err(JoinRefusal::DuplicateId) => return JoinReply::DuplicateId,
        };
        let welcome = Welcome {
            protocol: PROTOCOL_VERSION,
            req,
            you: id,
            room: self.room.name().clone(),
            peers: joined.peers,
            ice_servers: ice.servers,
            ice_transport_policy: ice.policy,
            chat_history: joined.chat_history,
            limits: self.settings.limits.clone(),
        };
        // The welcome goes out before any effect of the join, so it is the first thing the newcomer reads.
        let envelope = Envelope::new(Arc::new(ServerMessage::Welcome(welcome)));
        if participant.deliver(&envelope).is_err() {
            self.room.leave(id, LeaveReason::Disconnected);
            return JoinReply::Joined;
        }
        tracing::info!(room = %self.room.name(), peer = %id, size = self.room.len(), "joined");
        self.participants.insert(id, participant);
        JoinReply::Joined
    }

    fn remove(&mut self, id: PeerId, reason: LeaveReason) {
        if self.room.leave(id, reason) {
            tracing::info!(room = %self.room.name(), peer = %id, ?reason, size = self.room.len(), "left");
        }
        if let Some(participant) = self.participants.remove(&id) {
            participant.removed(reason);
        }
    }

    /// Sends an error to `to` if `result` is one.
    fn answer(&mut self, to: PeerId, result: Result<(), Rejection>, req: Option<u32>) {
        if let Err(rejection) = result {
            let message = Arc::new(ServerMessage::error(rejection.with_req(req)));
            if self.deliver_to(to, &Envelope::new(message)) == Err(DeliveryError::Full) {
                self.remove(to, LeaveReason::Slow);
            }
        }
    }

    /// Delivers every queued effect; participants that cannot keep up are removed, which may queue more.
    fn flush(&mut self) {
        loop {
            let effects: Vec<Effect> = self.room.take_effects().collect();
            if effects.is_empty() {
                return;
            }
            let mut too_slow = Vec::new();
            for effect in effects {
                self.deliver_effect(effect, &mut too_slow);
            }
            for id in too_slow {
                tracing::info!(room = %self.room.name(), peer = %id, "dropped: send queue full");
                self.remove(id, LeaveReason::Slow);
            }
        }
    }

    fn deliver_effect(&self, effect: Effect, too_slow: &mut Vec<PeerId>) {
        match effect {
            Effect::Send { to, message } => {
                if self.deliver_to(to, &Envelope::new(message)) == Err(DeliveryError::Full) {
                    too_slow.push(to);
                }
            }
            Effect::Broadcast { except, message } => {
                let envelope = Envelope::new(message);
                for (&id, participant) in &self.participants {
                    if Some(id) != except && participant.deliver(&envelope) == Err(DeliveryError::Full) {
                        too_slow.push(id);
                    }
                }
            }
        }
    }

    /// Delivers to one participant. `Full` means it cannot keep up and must be dropped; `Gone` means its
    /// connection is already ending, and its session's own `Leave` will follow, so nothing is done.
    fn deliver_to(&self, to: PeerId, envelope: &Envelope) -> Result<(), DeliveryError> {
        self.participants.get(&to).map_or(Ok(()), |participant| participant.deliver(envelope))
    }
}
