//! Getting into a room as a newcomer: the bans that keep one out (by id, address, browser key, or the
//! invitation it holds), the lobby's arrivals while they wait, and greeting whoever is let in.
//!
//! An invitation is a host's own choice to let someone in: a ban by address or browser key does not stop its
//! holder; only a ban of the invitation itself does.

use std::sync::Arc;

use ruang_proto::{PeerId, ServerMessage};

use crate::io::{Entered, Entry, Greeting, Join, Joined, Now, Refusal};
use crate::room::{Arrival, Member, Room};
use crate::roster::Admission;

impl Room {
    /// A newcomer asks to join: refused, waiting in the lobby, or in and greeted.
    pub(crate) fn join(&mut self, join: Join, _now: Now) {
        let conn = join.conn;
        let answer = self.try_join(join);
        self.answer(conn, answer);
    }

    fn try_join(&mut self, join: Join) -> Result<Entered, Refusal> {
        let Join { id, conn, name, media, req, role, invitation, address, browser_key, sfu } = join;
        if self.settings.media.policy == crate::MediaPolicy::Sfu && !sfu {
            return Err(Refusal::SfuRequired);
        }
        let invitation = invitation.filter(|jti| !jti.is_empty());
        if invitation.as_deref().is_some_and(|jti| self.record.bans_invitation(jti)) {
            return Err(Refusal::Banned);
        }
        if role.is_none() && self.record.bans(address, browser_key.as_ref()) {
            return Err(Refusal::Banned);
        }
        let arrival = Arrival { conn, req, address, browser_key, invitation, sfu };
        self.roster.set_max_participants(self.capacity_for(sfu));
        let switched = self.switch_before_join(sfu);
        let admission = self.roster.join(id, name, media, role);
        if switched && admission.is_err() {
            self.stop_sfu();
        }
        match admission {
            Ok(Admission::In(joined)) => {
                self.let_in(id, arrival, joined);
                Ok(Entered::In)
            }
            Ok(Admission::Waiting) => {
                let message = Arc::new(ServerMessage::Waiting { room: self.name().clone() });
                self.push(crate::Output::Reply { to: id, conn, message });
                tracing::info!(room = %crate::LogName::of(self.name()), peer = %id, "waiting in the lobby");
                self.lobby.insert(id, arrival);
                Ok(Entered::Waiting)
            }
            Err(refusal) => Err(refusal),
        }
    }

    /// A host or moderator let `id` in from the lobby (or the lobby opened): greet it.
    pub(crate) fn admit_from_lobby(&mut self, id: PeerId, joined: Joined) {
        if let Some(arrival) = self.lobby.remove(&id) {
            self.let_in(id, arrival, joined);
        }
    }

    /// Takes a newcomer in: published, then greeted with `welcome` on its connection.
    fn let_in(&mut self, id: PeerId, arrival: Arrival, joined: Joined) {
        let Arrival { conn, req, address, browser_key, invitation, sfu } = arrival;
        let role = joined.role;
        let member =
            Member { conn: Some(conn), generation: 0, away: None, role, address, browser_key, invitation, sfu };
        let greeting = Greeting { id, conn, req, generation: 0, entry: Entry::Joined, joined };
        self.admit(member, greeting);
        tracing::info!(room = %crate::LogName::of(self.name()), peer = %id, size = self.roster.len(), "joined");
    }

    /// A newcomer waiting in the lobby gave up: its connection `conn` ended.
    pub(crate) fn withdraw(&mut self, id: PeerId, conn: u64) {
        if self.lobby.get(&id).is_some_and(|arrival| arrival.conn == conn) {
            self.lobby.remove(&id);
            self.roster.withdraw(id);
            self.push(crate::Output::Forget { id, conn });
        }
    }
}
