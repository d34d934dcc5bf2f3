//! Host controls: who may remove, ban, mute, lock, end and give roles, and what each does to the room.

use ruang_proto::{
    ErrorCode, LeaveReason, MediaState, Moderation, PeerId, Rejection, RemovedReason, Role, ServerMessage,
};

use crate::roster::{Effect, Roster, not_in_room, unknown_peer};

/// Who acts when the server's operator uses a host control through the admin API: the id `removed.by` and
/// `muted.by` name then. No participant has it (ids are drawn at random from the non-zero ones).
pub const OPERATOR: PeerId = PeerId::from_bits(0);

impl Roster {
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
        self.apply(by, actor, action)
    }

    /// Applies a host control asked for by the server's operator (the admin API): as a host would, on
    /// behalf of [`OPERATOR`], who is nobody in the room.
    pub fn administer(&mut self, action: Moderation) -> Result<(), Rejection> {
        self.apply(OPERATOR, Role::Host, action)
    }

    /// Applies a host control whose asker `by` (with role `actor`) was found allowed to use it.
    fn apply(&mut self, by: PeerId, actor: Role, action: Moderation) -> Result<(), Rejection> {
        match action {
            Moderation::Remove(target) => self.take_out(by, actor, target, RemovedReason::Removed),
            Moderation::Ban(target) => self.take_out(by, actor, target, RemovedReason::Banned),
            Moderation::Mute(target) => {
                self.check_target(by, actor, target)?;
                self.mute(by, target);
                Ok(())
            }
            Moderation::MuteAll => {
                // Everyone `mute` may reach: a moderator's spares hosts and moderators.
                let reachable = |role: Role| actor == Role::Host || !role.moderates();
                let others: Vec<PeerId> =
                    self.members.iter().filter(|m| m.id != by && reachable(m.role)).map(|m| m.id).collect();
                others.into_iter().for_each(|id| self.mute(by, id));
                Ok(())
            }
            Moderation::Lock | Moderation::Unlock => {
                let locked = action == Moderation::Lock;
                if self.locked != locked {
                    self.locked = locked;
                    self.broadcast_state();
                }
                Ok(())
            }
            Moderation::LobbyOn | Moderation::LobbyOff => {
                let lobby = action == Moderation::LobbyOn;
                if self.lobby != lobby {
                    self.lobby = lobby;
                    self.broadcast_state();
                }
                if !lobby {
                    self.admit_everyone();
                }
                Ok(())
            }
            Moderation::Admit(id) => self.admit(id),
            Moderation::Deny(id) => self.deny(by, id),
            Moderation::End => {
                self.expected.clear();
                let waiting = self.waiting.drain(..).map(|w| w.id);
                let everyone: Vec<PeerId> = self.members.drain(..).map(|m| m.id).chain(waiting).collect();
                for id in everyone {
                    self.effects.push(Effect::Remove { id, reason: RemovedReason::Ended, by });
                }
                Ok(())
            }
            Moderation::SetRole(target, role) => self.set_role(target, role),
            Moderation::Spotlight(target) => {
                // Anyone in the room, the asker included (a host presenting); a viewer too (it may speak).
                self.member(target).ok_or_else(|| unknown_peer(target))?;
                self.set_spotlight(Some(target));
                Ok(())
            }
            Moderation::SpotlightOff => {
                self.set_spotlight(None);
                Ok(())
            }
        }
    }

    pub(crate) fn broadcast_state(&mut self) {
        let (locked, lobby, spotlight) = (self.locked, self.lobby, self.spotlight);
        self.broadcast(None, ServerMessage::RoomState { locked, lobby, spotlight });
    }

    fn set_spotlight(&mut self, spotlight: Option<PeerId>) {
        if self.spotlight != spotlight {
            self.spotlight = spotlight;
            self.broadcast_state();
        }
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
        self.tell_lobby_if_waiting(target, role);
        Ok(())
    }

    /// If nobody is host any more, the earliest moderator becomes host, or else (in a room that makes hosts
    /// by itself, [`RoomConfig::first_is_host`](crate::RoomConfig)) the earliest participant.
    pub(crate) fn hand_over_if_hostless(&mut self) {
        if self.has_host() {
            return;
        }
        let heirs: &[Role] =
            if self.first_is_host() { &[Role::Moderator, Role::Participant] } else { &[Role::Moderator] };
        let heir = heirs.iter().copied().find_map(|role| self.members.iter().position(|m| m.role == role));
        if let Some(index) = heir {
            let heir = &mut self.members[index];
            heir.role = Role::Host;
            let id = heir.id;
            self.broadcast(None, ServerMessage::Role { id, role: Role::Host });
            self.tell_lobby_if_waiting(id, Role::Host);
        }
    }
}

fn forbidden(needed: Role) -> Rejection {
    let who = if needed == Role::Host { "hosts" } else { "hosts and moderators" };
    Rejection::new(ErrorCode::Forbidden, format!("only {who} may do that"))
}
