//! [`Room`]: the membership, media state and chat of one room, and the effects of every event on it.

use std::sync::Arc;

use ruang_proto::{
    ChatEntry, ErrorCode, LeaveReason, MediaState, PeerId, PeerInfo, Rejection, RoomName, ServerMessage, SignalData,
};

use crate::chat::Chat;

/// The settings of a room.
#[derive(Clone, Debug)]
pub struct RoomConfig {
    /// Most participants at once.
    pub max_participants: usize,
    /// Chat messages remembered for newcomers.
    pub chat_history: usize,
}

/// Something the room's owner must deliver.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send `message` to one participant.
    Send {
        /// The recipient.
        to: PeerId,
        /// The message.
        message: Arc<ServerMessage>,
    },
    /// Send `message` to every participant except `except`.
    Broadcast {
        /// A participant left out (usually the one who caused the message).
        except: Option<PeerId>,
        /// The message, shared so it is serialized once.
        message: Arc<ServerMessage>,
    },
}

/// What a newcomer needs for its `welcome`, besides server-wide settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Joined {
    /// Everyone already in the room, in join order.
    pub peers: Vec<PeerInfo>,
    /// The remembered chat, oldest first.
    pub chat_history: Vec<ChatEntry>,
}

/// Why a join was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JoinRefusal {
    /// The room has `max_participants` participants.
    #[error("the room is full")]
    Full,
    /// The id is already in the room (the caller drew a duplicate id).
    #[error("the participant id is already in the room")]
    DuplicateId,
}

/// One room: its members in join order, their media state, and its chat.
#[derive(Debug)]
pub struct Room {
    name: RoomName,
    config: RoomConfig,
    members: Vec<PeerInfo>,
    chat: Chat,
    effects: Vec<Effect>,
}

impl Room {
    /// An empty room.
    pub fn new(name: RoomName, config: RoomConfig) -> Self {
        let chat = Chat::new(config.chat_history);
        Room { name, config, members: Vec::new(), chat, effects: Vec::new() }
    }

    /// The room's name.
    pub fn name(&self) -> &RoomName {
        &self.name
    }

    /// How many participants are in the room.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether nobody is in the room.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether `id` is in the room.
    pub fn contains(&self, id: PeerId) -> bool {
        self.member(id).is_some()
    }

    /// Adds a participant. The others are told (`peer_joined`); the newcomer gets what its `welcome` needs.
    pub fn join(&mut self, id: PeerId, name: String, media: MediaState) -> Result<Joined, JoinRefusal> {
        if self.contains(id) {
            return Err(JoinRefusal::DuplicateId);
        }
        if self.members.len() >= self.config.max_participants {
            return Err(JoinRefusal::Full);
        }
        let joined = Joined { peers: self.members.clone(), chat_history: self.chat.history() };
        let info = PeerInfo { id, name, media, reconnecting: false };
        self.members.push(info.clone());
        self.broadcast(Some(id), ServerMessage::PeerJoined { peer: info });
        Ok(joined)
    }

    /// Removes a participant and tells the others why. Returns whether it was in the room.
    pub fn leave(&mut self, id: PeerId, reason: LeaveReason) -> bool {
        let Some(index) = self.members.iter().position(|m| m.id == id) else {
            return false;
        };
        self.members.remove(index);
        self.broadcast(None, ServerMessage::PeerLeft { id, reason });
        true
    }

    /// Marks a participant whose connection was lost as reconnecting and tells the others. Returns whether it
    /// was in the room and connected.
    pub fn detach(&mut self, id: PeerId) -> bool {
        let Some(member) = self.member_mut(id).filter(|m| !m.reconnecting) else {
            return false;
        };
        member.reconnecting = true;
        self.broadcast(Some(id), ServerMessage::PeerReconnecting { id });
        true
    }

    /// Takes back a participant that resumed, with the media it sends now. The others are told
    /// (`peer_reconnected` if it was reconnecting, then `media` if that changed); the participant gets what its
    /// `resumed` needs. `None` if it is not in the room.
    pub fn reattach(&mut self, id: PeerId, media: MediaState) -> Option<Joined> {
        let member = self.member_mut(id)?;
        let was_away = std::mem::replace(&mut member.reconnecting, false);
        if was_away {
            self.broadcast(Some(id), ServerMessage::PeerReconnected { id });
        }
        // The member exists, so setting its media cannot fail.
        let _ = self.set_media(id, media);
        let peers = self.members.iter().filter(|m| m.id != id).cloned().collect();
        Some(Joined { peers, chat_history: self.chat.history() })
    }

    /// Relays negotiation data from `from` to `to`, stamping the sender. Only between members of this room.
    pub fn signal(&mut self, from: PeerId, to: PeerId, data: SignalData) -> Result<(), Rejection> {
        if !self.contains(from) {
            return Err(Rejection::new(ErrorCode::NotJoined, "you are not in this room"));
        }
        if from == to {
            return Err(Rejection::new(ErrorCode::InvalidMessage, "a participant cannot signal itself"));
        }
        if !self.contains(to) {
            return Err(Rejection::new(ErrorCode::UnknownPeer, format!("no participant {to} in this room")));
        }
        self.send(to, ServerMessage::Signal { from, data });
        Ok(())
    }

    /// Records a participant's media state and tells the others.
    pub fn set_media(&mut self, id: PeerId, media: MediaState) -> Result<(), Rejection> {
        let member = self.member_mut(id).ok_or_else(not_in_room)?;
        if member.media == media {
            return Ok(());
        }
        member.media = media;
        self.broadcast(Some(id), ServerMessage::media(id, media));
        Ok(())
    }

    /// Posts a chat message, at wall-clock time `now_ms`, to everyone including the sender.
    pub fn chat(&mut self, from: PeerId, text: String, now_ms: u64) -> Result<(), Rejection> {
        let name = self.member(from).ok_or_else(not_in_room)?.name.clone();
        let entry = self.chat.post(from, name, text, now_ms);
        self.broadcast(None, ServerMessage::Chat(entry));
        Ok(())
    }

    /// Everyone in the room, in join order.
    pub fn members(&self) -> &[PeerInfo] {
        &self.members
    }

    /// The effects queued since the last call, in order.
    pub fn take_effects(&mut self) -> std::vec::Drain<'_, Effect> {
        self.effects.drain(..)
    }

    fn member(&self, id: PeerId) -> Option<&PeerInfo> {
        self.members.iter().find(|m| m.id == id)
    }

    fn member_mut(&mut self, id: PeerId) -> Option<&mut PeerInfo> {
        self.members.iter_mut().find(|m| m.id == id)
    }

    fn send(&mut self, to: PeerId, message: ServerMessage) {
        self.effects.push(Effect::Send { to, message: Arc::new(message) });
    }

    fn broadcast(&mut self, except: Option<PeerId>, message: ServerMessage) {
        let has_recipients = self.members.iter().any(|m| Some(m.id) != except);
        if has_recipients {
            self.effects.push(Effect::Broadcast { except, message: Arc::new(message) });
        }
    }
}

fn not_in_room() -> Rejection {
    Rejection::new(ErrorCode::NotJoined, "you are not in this room")
}
