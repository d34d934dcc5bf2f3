//! The lobby: newcomers wait there while it is on (at most `max_waiting` at once), until a host or moderator
//! admits or denies them. A host or moderator gets the list once when it arrives or takes the role while
//! someone waits, then each change: `lobby_joined`, `lobby_left`.

use ruang_proto::{ErrorCode, Knock, PeerId, PeerInfo, Rejection, RemovedReason, Role, ServerMessage};

use crate::roster::{Effect, Roster, unknown_peer};

impl Roster {
    /// Puts a newcomer in the lobby and tells hosts and moderators.
    pub(crate) fn wait(&mut self, newcomer: PeerInfo) {
        let arrived = ServerMessage::LobbyJoined { id: newcomer.id, name: newcomer.name.clone() };
        self.waiting.push(newcomer);
        self.tell_moderators(&arrived);
    }

    /// Someone waiting gave up (its connection ended). Returns whether it was waiting.
    pub fn withdraw(&mut self, id: PeerId) -> bool {
        let Some(index) = self.waiting.iter().position(|w| w.id == id) else {
            return false;
        };
        self.waiting.remove(index);
        self.tell_moderators(&ServerMessage::LobbyLeft { id });
        true
    }

    /// Whether `id` is waiting in the lobby.
    pub fn is_waiting(&self, id: PeerId) -> bool {
        self.waiting.iter().any(|w| w.id == id)
    }

    /// Lets someone waiting in: it joins as if the lobby were off (a locked room still takes it), and its
    /// owner is told to greet it ([`Effect::Admitted`]).
    pub(crate) fn admit(&mut self, id: PeerId) -> Result<(), Rejection> {
        let index = self.waiting.iter().position(|w| w.id == id).ok_or_else(|| unknown_peer(id))?;
        if self.members.len() >= self.max_participants() {
            return Err(Rejection::new(ErrorCode::RoomFull, "the room is full"));
        }
        let mut newcomer = self.waiting.remove(index);
        if newcomer.role != Role::Viewer && !self.has_host() {
            newcomer.role = Role::Host;
        }
        // `Admitted` goes before what `add` queues (the others' `peer_joined`, the newcomer's lobby list), so
        // the newcomer is greeted, and reachable, before anyone learns of it.
        let at = self.effects.len();
        let joined = self.add(newcomer);
        self.effects.insert(at, Effect::Admitted { id, joined });
        self.tell_moderators(&ServerMessage::LobbyLeft { id });
        Ok(())
    }

    /// Turns someone waiting away.
    pub(crate) fn deny(&mut self, by: PeerId, id: PeerId) -> Result<(), Rejection> {
        let index = self.waiting.iter().position(|w| w.id == id).ok_or_else(|| unknown_peer(id))?;
        self.waiting.remove(index);
        self.effects.push(Effect::Remove { id, reason: RemovedReason::Denied, by });
        self.tell_moderators(&ServerMessage::LobbyLeft { id });
        Ok(())
    }

    /// Lets everyone waiting in, in arrival order, as long as there is room.
    pub(crate) fn admit_everyone(&mut self) {
        let waiting: Vec<PeerId> = self.waiting.iter().map(|w| w.id).collect();
        for id in waiting {
            if self.admit(id).is_err() {
                break;
            }
        }
    }

    /// Sends a change of the lobby to every host and moderator.
    fn tell_moderators(&mut self, change: &ServerMessage) {
        let moderators: Vec<PeerId> = self.members.iter().filter(|m| m.role.moderates()).map(|m| m.id).collect();
        for id in moderators {
            self.send(id, change.clone());
        }
    }

    /// Sends the whole waiting list to one new host or moderator, if anyone is waiting.
    pub(crate) fn tell_lobby_if_waiting(&mut self, id: PeerId, role: Role) {
        if role.moderates() && !self.waiting.is_empty() {
            self.tell_lobby(id);
        }
    }

    fn tell_lobby(&mut self, id: PeerId) {
        let waiting = self.waiting.iter().map(|w| Knock { id: w.id, name: w.name.clone() }).collect();
        self.send(id, ServerMessage::Lobby { waiting });
    }
}
