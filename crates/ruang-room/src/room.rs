//! [`Room`]: the membership, media state and chat of one room, and the effects of every event on it.

use std::sync::Arc;

use ruang_proto::{
    ChatEntry, ErrorCode, LeaveReason, MediaState, Moderation, PeerId, PeerInfo, Rejection, RemovedReason, Role,
    RoomName, ServerMessage, SignalData,
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
    /// A host or moderator took `id` out of the room: tell it (`removed`) and close its connection. The room
    /// no longer holds it.
    Remove {
        /// Who.
        id: PeerId,
        /// Why.
        reason: RemovedReason,
        /// Who did it.
        by: PeerId,
    },
}

/// What a newcomer needs for its `welcome`, besides server-wide settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Joined {
    /// Everyone already in the room, in join order.
    pub peers: Vec<PeerInfo>,
    /// The remembered chat, oldest first.
    pub chat_history: Vec<ChatEntry>,
    /// The newcomer's role.
    pub role: Role,
    /// Whether the room is locked.
    pub locked: bool,
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
    /// The room is locked.
    #[error("the room is locked")]
    Locked,
    /// The participant was banned from this meeting.
    #[error("banned from this meeting")]
    Banned,
}

/// One room: its members in join order, their media state, and its chat.
#[derive(Debug)]
pub struct Room {
    name: RoomName,
    config: RoomConfig,
    members: Vec<PeerInfo>,
    chat: Chat,
    locked: bool,
    banned: std::collections::HashSet<PeerId>,
    effects: Vec<Effect>,
}

impl Room {
    /// An empty room.
    pub fn new(name: RoomName, config: RoomConfig) -> Self {
        let chat = Chat::new(config.chat_history);
        Room { name, config, members: Vec::new(), chat, locked: false, banned: Default::default(), effects: Vec::new() }
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

    /// Adds a participant with the role it was given (an invitation), or else the host's if the room has no
    /// host (its creator) or a participant's. The others are told (`peer_joined`); the newcomer gets what its
    /// `welcome` needs. A locked room only takes hosts; a viewer sends no media.
    pub fn join(
        &mut self,
        id: PeerId,
        name: String,
        media: MediaState,
        role: Option<Role>,
    ) -> Result<Joined, JoinRefusal> {
        if self.contains(id) {
            return Err(JoinRefusal::DuplicateId);
        }
        if self.banned.contains(&id) {
            return Err(JoinRefusal::Banned);
        }
        if self.locked && role != Some(Role::Host) {
            return Err(JoinRefusal::Locked);
        }
        if self.members.len() >= self.config.max_participants {
            return Err(JoinRefusal::Full);
        }
        let has_host = self.members.iter().any(|m| m.role == Role::Host);
        let role = match role {
            Some(role) => role,
            None if !has_host => Role::Host,
            None => Role::Participant,
        };
        let media = if role == Role::Viewer { MediaState::default() } else { media };
        let peers = self.members.clone();
        let joined = Joined { peers, chat_history: self.chat.history(), role, locked: self.locked };
        let info = PeerInfo { id, name, media, role, hand: false, reconnecting: false };
        self.members.push(info.clone());
        self.broadcast(Some(id), ServerMessage::PeerJoined { peer: info });
        Ok(joined)
    }

    /// Removes a participant and tells the others why; if it was the last host, the meeting is handed to
    /// the earliest moderator, or else the earliest participant. Returns whether it was in the room.
    pub fn leave(&mut self, id: PeerId, reason: LeaveReason) -> bool {
        let Some(index) = self.members.iter().position(|m| m.id == id) else {
            return false;
        };
        let gone = self.members.remove(index);
        self.broadcast(None, ServerMessage::PeerLeft { id, reason });
        if gone.role == Role::Host {
            self.hand_over_if_hostless();
        }
        true
    }

    /// Raises or lowers a participant's hand, for everyone to see.
    pub fn hand(&mut self, id: PeerId, raised: bool) -> Result<(), Rejection> {
        let member = self.member_mut(id).ok_or_else(not_in_room)?;
        if member.hand != raised {
            member.hand = raised;
            self.broadcast(None, ServerMessage::Hand { id, raised });
        }
        Ok(())
    }

    /// Applies a host control asked for by `by`, if its role allows it on that target.
    pub fn moderate(&mut self, by: PeerId, action: Moderation) -> Result<(), Rejection> {
        let actor = self.member(by).ok_or_else(not_in_room)?.role;
        let needed = match action {
            Moderation::End | Moderation::SetRole(..) => Role::Host,
            _ => Role::Moderator,
        };
        if !(actor == Role::Host || (actor == needed && actor.moderates())) {
            return Err(forbidden(needed));
        }
        match action {
            Moderation::Remove(target) => self.take_out(by, actor, target, RemovedReason::Removed),
            Moderation::Ban(target) => self.take_out(by, actor, target, RemovedReason::Banned),
            Moderation::Mute(target) => {
                self.check_target(by, actor, target)?;
                self.mute(by, target);
                Ok(())
            }
            Moderation::MuteAll => {
                let others: Vec<PeerId> = self.members.iter().map(|m| m.id).filter(|&id| id != by).collect();
                others.into_iter().for_each(|id| self.mute(by, id));
                Ok(())
            }
            Moderation::Lock | Moderation::Unlock => {
                let locked = action == Moderation::Lock;
                if self.locked != locked {
                    self.locked = locked;
                    self.broadcast(None, ServerMessage::RoomState { locked });
                }
                Ok(())
            }
            Moderation::End => {
                let everyone: Vec<PeerId> = self.members.drain(..).map(|m| m.id).collect();
                for id in everyone {
                    self.effects.push(Effect::Remove { id, reason: RemovedReason::Ended, by });
                }
                Ok(())
            }
            Moderation::SetRole(target, role) => self.set_role(target, role),
        }
    }

    /// Whether the room is locked.
    pub fn is_locked(&self) -> bool {
        self.locked
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
        let role = self.member(id).map_or(Role::Participant, |m| m.role);
        let peers = self.members.iter().filter(|m| m.id != id).cloned().collect();
        Some(Joined { peers, chat_history: self.chat.history(), role, locked: self.locked })
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
            return Err(unknown_peer(to));
        }
        let viewer = self.member(from).is_some_and(|m| m.role == Role::Viewer);
        if viewer && matches!(&data, SignalData::Offer { sdp } | SignalData::Answer { sdp } if sdp_sends_media(sdp)) {
            return Err(Rejection::new(ErrorCode::Forbidden, "viewers do not send media: use recvonly"));
        }
        self.send(to, ServerMessage::Signal { from, data });
        Ok(())
    }

    /// Records a participant's media state and tells the others. A viewer may not send media.
    pub fn set_media(&mut self, id: PeerId, media: MediaState) -> Result<(), Rejection> {
        let member = self.member_mut(id).ok_or_else(not_in_room)?;
        if member.role == Role::Viewer && media != MediaState::default() {
            return Err(Rejection::new(ErrorCode::Forbidden, "viewers do not send media"));
        }
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

    /// Removes or bans `target` on behalf of `by`.
    fn take_out(&mut self, by: PeerId, actor: Role, target: PeerId, reason: RemovedReason) -> Result<(), Rejection> {
        self.check_target(by, actor, target)?;
        if reason == RemovedReason::Banned {
            self.banned.insert(target);
        }
        let leave = if reason == RemovedReason::Banned { LeaveReason::Banned } else { LeaveReason::Removed };
        self.effects.push(Effect::Remove { id: target, reason, by });
        self.leave(target, leave);
        Ok(())
    }

    /// A target must be someone else in the room; a moderator may only act on participants and viewers.
    fn check_target(&self, by: PeerId, actor: Role, target: PeerId) -> Result<(), Rejection> {
        if target == by {
            return Err(Rejection::new(ErrorCode::InvalidMessage, "a host control cannot target yourself"));
        }
        let target_role = self.member(target).ok_or_else(|| unknown_peer(target))?.role;
        if actor == Role::Moderator && target_role.moderates() {
            return Err(Rejection::new(ErrorCode::Forbidden, "moderators cannot act on hosts or moderators"));
        }
        Ok(())
    }

    /// Marks `target` muted and tells it and the others; only it can unmute itself.
    fn mute(&mut self, by: PeerId, target: PeerId) {
        let Some(member) = self.member_mut(target) else { return };
        if !member.media.audio {
            return;
        }
        member.media.audio = false;
        let media = member.media;
        self.broadcast(Some(target), ServerMessage::media(target, media));
        self.send(target, ServerMessage::Muted { by });
    }

    fn set_role(&mut self, target: PeerId, role: Role) -> Result<(), Rejection> {
        let hosts = self.members.iter().filter(|m| m.role == Role::Host).count();
        let member = self.member_mut(target).ok_or_else(|| unknown_peer(target))?;
        if member.role == role {
            return Ok(());
        }
        if member.role == Role::Host && hosts == 1 {
            return Err(Rejection::new(ErrorCode::Forbidden, "give the host role to someone else first"));
        }
        member.role = role;
        if role == Role::Viewer && member.media != MediaState::default() {
            member.media = MediaState::default();
            self.broadcast(None, ServerMessage::media(target, MediaState::default()));
        }
        self.broadcast(None, ServerMessage::Role { id: target, role });
        Ok(())
    }

    /// If nobody is host any more, the earliest moderator becomes host, or else the earliest participant.
    fn hand_over_if_hostless(&mut self) {
        if self.members.iter().any(|m| m.role == Role::Host) {
            return;
        }
        let heir = [Role::Moderator, Role::Participant]
            .into_iter()
            .find_map(|role| self.members.iter().position(|m| m.role == role));
        if let Some(index) = heir {
            let heir = &mut self.members[index];
            heir.role = Role::Host;
            let id = heir.id;
            self.broadcast(None, ServerMessage::Role { id, role: Role::Host });
        }
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

/// Whether a session description sends audio or video: an audio or video section whose direction is
/// `sendrecv` or `sendonly` (or left out, which means `sendrecv`).
fn sdp_sends_media(sdp: &str) -> bool {
    let mut sends = false;
    let mut in_media = false;
    let mut direction_seen = false;
    for line in sdp.lines().map(str::trim_end) {
        if let Some(section) = line.strip_prefix("m=") {
            sends |= in_media && !direction_seen;
            in_media = section.starts_with("audio") || section.starts_with("video");
            direction_seen = false;
        } else if in_media && matches!(line, "a=sendrecv" | "a=sendonly" | "a=recvonly" | "a=inactive") {
            direction_seen = true;
            sends |= matches!(line, "a=sendrecv" | "a=sendonly");
        }
    }
    sends || (in_media && !direction_seen)
}

fn unknown_peer(id: PeerId) -> Rejection {
    Rejection::new(ErrorCode::UnknownPeer, format!("no participant {id} in this room"))
}

fn forbidden(needed: Role) -> Rejection {
    let who = if needed == Role::Host { "hosts" } else { "hosts and moderators" };
    Rejection::new(ErrorCode::Forbidden, format!("only {who} may do that"))
}

fn not_in_room() -> Rejection {
    Rejection::new(ErrorCode::NotJoined, "you are not in this room")
}
