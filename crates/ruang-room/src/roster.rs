//! [`Roster`]: the membership, media state and chat of one room, and the effects of every event on it.

use std::sync::Arc;

use ruang_proto::{
    ChatEntry, ErrorCode, LeaveReason, MediaState, PeerId, PeerInfo, Rejection, RemovedReason, Role, RoomName,
    ServerMessage, SignalPayload,
};

use crate::chat::Chat;
use crate::io::{Joined, Refusal};

/// The settings of a room.
#[derive(Clone, Debug)]
pub struct RoomConfig {
    /// Most participants at once.
    pub max_participants: usize,
    /// Chat messages remembered for newcomers.
    pub chat_history: usize,
    /// Whether newcomers start in the lobby.
    pub lobby: bool,
    /// Most newcomers waiting in the lobby at once.
    pub max_waiting: usize,
    /// Whether the room makes someone host by itself: the first one in when it has no host, and the
    /// earliest participant when the last host leaves without a moderator to take over. Open rooms do;
    /// a configured room with a password or invitations makes only host invitations and its host password
    /// hosts (and its moderators, when the last host leaves), unless its configuration says otherwise.
    pub first_is_host: bool,
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
    /// A host or moderator let `id` in from the lobby: greet it with `joined` (its `welcome`).
    Admitted {
        /// Who.
        id: PeerId,
        /// What its `welcome` needs.
        joined: Joined,
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

/// How a join that was not refused ends: in the room, or waiting in the lobby.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum Admission {
    /// In the room; what its `welcome` needs.
    In(Joined),
    /// Waiting in the lobby until a host or moderator decides.
    Waiting,
}

impl Admission {
    /// What the `welcome` needs, if the newcomer is in.
    pub fn joined(self) -> Option<Joined> {
        match self {
            Admission::In(joined) => Some(joined),
            Admission::Waiting => None,
        }
    }
}

/// One room: its members in join order, their media state, and its chat.
#[derive(Debug)]
pub struct Roster {
    name: RoomName,
    config: RoomConfig,
    pub(crate) members: Vec<PeerInfo>,
    chat: Chat,
    pub(crate) locked: bool,
    pub(crate) lobby: bool,
    /// Whom a host or moderator put on everyone's stage (a member; cleared when it leaves).
    pub(crate) spotlight: Option<PeerId>,
    pub(crate) waiting: Vec<PeerInfo>,
    pub(crate) banned: std::collections::HashSet<PeerId>,
    /// Participants of the meeting before a server restart who have not resumed yet, with their roles.
    pub(crate) expected: Vec<(PeerId, Role)>,
    /// The member recording the meeting, if any.
    pub(crate) recording: Option<PeerId>,
    pub(crate) effects: Vec<Effect>,
}

impl Roster {
    /// An empty room.
    pub fn new(name: RoomName, config: RoomConfig) -> Self {
        let chat = Chat::new(config.chat_history);
        let lobby = config.lobby;
        Roster {
            name,
            config,
            members: Vec::new(),
            chat,
            locked: false,
            lobby,
            spotlight: None,
            waiting: Vec::new(),
            banned: Default::default(),
            expected: Vec::new(),
            recording: None,
            effects: Vec::new(),
        }
    }

    /// The room's name.
    pub fn name(&self) -> &RoomName {
        &self.name
    }

    /// How many participants are in the room.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether nobody is in the room, nor waiting in its lobby, nor expected back after a restart.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.waiting.is_empty() && self.expected.is_empty()
    }

    /// Carries a meeting over from a previous server instance: its lock, lobby and bans, and who was in it
    /// (`roster`, with roles). Until they resume ([`Roster::restore`]) or [`Roster::stop_expecting`] is called,
    /// those participants count as present: a newcomer does not become host in their place, and the lobby
    /// holds newcomers back as in a meeting that goes on.
    pub fn carry_over(&mut self, locked: bool, lobby: bool, banned: &[PeerId], roster: Vec<(PeerId, Role)>) {
        self.locked = locked;
        self.lobby = lobby;
        self.banned.extend(banned.iter().copied());
        self.expected = roster;
    }

    /// The participants of a previous instance who did not resume in time are gone: if that leaves the room
    /// without a host (also when the server knew nobody to expect, and restored participants from their
    /// tokens alone), one is chosen, and if it leaves nobody, the lobby opens.
    pub fn stop_expecting(&mut self) {
        self.expected.clear();
        self.hand_over_if_hostless();
        if self.members.is_empty() {
            self.admit_everyone();
        }
    }

    /// Whether newcomers wait in the lobby.
    pub fn has_lobby(&self) -> bool {
        self.lobby
    }

    /// The participants banned from this meeting.
    pub fn banned(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.banned.iter().copied()
    }

    /// Whether the room has a host, counting one expected back after a restart.
    pub(crate) fn has_host(&self) -> bool {
        self.members.iter().any(|m| m.role == Role::Host) || self.expected.iter().any(|(_, role)| *role == Role::Host)
    }

    /// Whether the room makes someone host by itself ([`RoomConfig::first_is_host`]).
    pub(crate) fn first_is_host(&self) -> bool {
        self.config.first_is_host
    }

    /// The most participants at once.
    pub(crate) fn max_participants(&self) -> usize {
        self.config.max_participants
    }

    /// Sets the most participants at once, for the next join or restore (the room's media mode decides).
    pub(crate) fn set_max_participants(&mut self, max: usize) {
        self.config.max_participants = max;
    }

    /// Whether `id` is in the room.
    pub fn contains(&self, id: PeerId) -> bool {
        self.member(id).is_some()
    }

    /// Adds a participant with the role it was given (an invitation), or else the host's if the room has no
    /// host (its creator) or a participant's. The others are told (`peer_joined`); the newcomer gets what its
    /// `welcome` needs. A locked room only takes hosts; a viewer sends no media. While the lobby is on, a
    /// newcomer without a host or moderator invitation waits there ([`Admission::Waiting`]) unless the room
    /// is empty.
    pub fn join(
        &mut self,
        id: PeerId,
        name: String,
        media: MediaState,
        role: Option<Role>,
    ) -> Result<Admission, Refusal> {
        if self.contains(id) || self.is_waiting(id) {
            return Err(Refusal::DuplicateId);
        }
        if self.banned.contains(&id) {
            return Err(Refusal::Banned);
        }
        if self.locked && role != Some(Role::Host) {
            return Err(Refusal::Locked);
        }
        if self.members.len() >= self.config.max_participants {
            return Err(Refusal::Full);
        }
        let invited_to_moderate = role.is_some_and(Role::moderates);
        let newcomer = PeerInfo { id, name, media, role: role.unwrap_or_default(), hand: false, reconnecting: false };
        if self.lobby && !invited_to_moderate && !(self.members.is_empty() && self.expected.is_empty()) {
            if self.waiting.len() >= self.config.max_waiting {
                return Err(Refusal::LobbyFull);
            }
            self.wait(newcomer);
            return Ok(Admission::Waiting);
        }
        let becomes_host = !self.has_host() && self.config.first_is_host;
        let newcomer =
            PeerInfo { role: role.unwrap_or(if becomes_host { Role::Host } else { Role::Participant }), ..newcomer };
        Ok(Admission::In(self.add(newcomer)))
    }

    /// Takes back a participant of a previous server instance (it resumed after a restart) with the role it
    /// had: it was already in the meeting, so neither the lobby nor a lock holds it back.
    pub fn restore(&mut self, id: PeerId, name: String, media: MediaState, role: Role) -> Result<Joined, Refusal> {
        if self.contains(id) || self.is_waiting(id) {
            return Err(Refusal::DuplicateId);
        }
        if self.banned.contains(&id) {
            return Err(Refusal::Banned);
        }
        if self.members.len() >= self.config.max_participants {
            return Err(Refusal::Full);
        }
        self.expected.retain(|(expected, _)| *expected != id);
        Ok(self.add(PeerInfo { id, name, media, role, hand: false, reconnecting: false }))
    }

    /// Adds a newcomer whose role is settled, tells the others, and returns what its `welcome` needs.
    pub(crate) fn add(&mut self, mut newcomer: PeerInfo) -> Joined {
        if newcomer.role == Role::Viewer {
            newcomer.media = MediaState::default();
        }
        let (id, role, name) = (newcomer.id, newcomer.role, newcomer.name.clone());
        let joined = self.joined(self.members.clone(), name, role);
        self.members.push(newcomer.clone());
        self.broadcast(Some(id), ServerMessage::PeerJoined { peer: newcomer });
        self.tell_lobby_if_waiting(id, role);
        joined
    }

    /// Removes a participant and tells the others why; if it was the last host, the meeting is handed to
    /// the earliest moderator, or else the earliest participant. Returns whether it was in the room.
    pub fn leave(&mut self, id: PeerId, reason: LeaveReason) -> bool {
        let Some(index) = self.members.iter().position(|m| m.id == id) else {
            return false;
        };
        let gone = self.members.remove(index);
        self.broadcast(None, ServerMessage::PeerLeft { id, reason });
        if self.spotlight == Some(id) {
            self.spotlight = None;
            self.broadcast_state();
        }
        self.stop_recording_of(id);
        if gone.role == Role::Host {
            self.hand_over_if_hostless();
        }
        if self.members.is_empty() && self.expected.is_empty() {
            // Nobody is left to let them in: the lobby opens, and the first one in becomes host.
            self.admit_everyone();
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
        let (role, name) = self.member(id).map(|m| (m.role, m.name.clone()))?;
        let peers = self.members.iter().filter(|m| m.id != id).cloned().collect();
        // A host or moderator coming back learns who is waiting, whatever it missed.
        self.tell_lobby_if_waiting(id, role);
        Some(self.joined(peers, name, role))
    }

    /// What a `welcome` (or a resume's) needs: the others, and the room's state as it stands.
    fn joined(&self, peers: Vec<PeerInfo>, name: String, role: Role) -> Joined {
        Joined {
            peers,
            chat_history: self.chat.history(),
            name,
            role,
            locked: self.locked,
            lobby: self.lobby,
            spotlight: self.spotlight,
            media: None,
            recording: self.recording,
        }
    }

    /// Relays negotiation data from `from` to `to`, stamping the sender. Only between members of this room.
    pub fn signal(&mut self, from: PeerId, to: PeerId, data: SignalPayload) -> Result<(), Rejection> {
        let sender = self.member(from).map(|m| m.role);
        crate::relay::check_signal(from, sender, to, self.contains(to), &data)?;
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

    /// Goes on from a previous room's chat (its last number and what it remembered).
    pub fn carry_over_chat(&mut self, last_seq: u64, history: Vec<ChatEntry>) {
        self.chat.carry_over(last_seq, history);
    }

    /// The chat's last sequence number and what it remembers, oldest first.
    pub fn chat_log(&self) -> (u64, Vec<ChatEntry>) {
        (self.chat.last_seq(), self.chat.history())
    }

    /// Everyone in the room, in join order.
    pub fn members(&self) -> &[PeerInfo] {
        &self.members
    }

    /// The effects queued since the last call, in order.
    pub fn take_effects(&mut self) -> std::vec::Drain<'_, Effect> {
        self.effects.drain(..)
    }

    pub(crate) fn member(&self, id: PeerId) -> Option<&PeerInfo> {
        self.members.iter().find(|m| m.id == id)
    }

    pub(crate) fn member_mut(&mut self, id: PeerId) -> Option<&mut PeerInfo> {
        self.members.iter_mut().find(|m| m.id == id)
    }

    pub(crate) fn send(&mut self, to: PeerId, message: ServerMessage) {
        self.effects.push(Effect::Send { to, message: Arc::new(message) });
    }

    pub(crate) fn broadcast(&mut self, except: Option<PeerId>, message: ServerMessage) {
        let has_recipients = self.members.iter().any(|m| Some(m.id) != except);
        if has_recipients {
            self.effects.push(Effect::Broadcast { except, message: Arc::new(message) });
        }
    }
}

pub(crate) fn unknown_peer(id: PeerId) -> Rejection {
    Rejection::new(ErrorCode::UnknownPeer, format!("no participant {id} in this room"))
}

pub(crate) fn not_in_room() -> Rejection {
    Rejection::new(ErrorCode::NotJoined, "you are not in this room")
}
