//! What a room decides after each change to its meeting: members whose role changed get a resume token
//! with the new role ([`Output::RoleChanged`]), and the meeting's record (roster with roles and browser
//! keys, lock, lobby) is saved when it changed ([`Output::SaveRecord`]), so a restarted server takes back
//! exactly the participants that were in the meeting, with their roles. A chat message saves the record
//! too ([`Room::keep_chat`]), so a room rebuilt from it numbers its chat on and remembers what was said.

use crate::io::Output;
use crate::record::Seat;
use crate::room::Room;

impl Room {
    /// Tells members whose role changed, and saves the record if it changed.
    pub(crate) fn settle(&mut self) {
        let mut changed = Vec::new();
        for info in self.roster.members() {
            let Some(member) = self.members.get_mut(&info.id) else { continue };
            if member.role == info.role {
                continue;
            }
            member.role = info.role;
            let (id, conn, name, role, generation) =
                (info.id, member.conn, info.name.clone(), info.role, member.generation);
            changed.push(Output::RoleChanged { id, conn, name, role, generation });
        }
        changed.into_iter().for_each(|output| self.push(output));
        let present = self.roster.members().iter().map(|info| Seat {
            id: info.id,
            role: info.role,
            key: self.members.get(&info.id).and_then(|m| m.browser_key),
            generation: self.members.get(&info.id).map_or(0, |m| m.generation),
        });
        let roster: Vec<Seat> = present.chain(self.restoring.iter().cloned()).collect();
        let (locked, lobby) = (self.roster.is_locked(), self.roster.has_lobby());
        if roster != self.record.roster || locked != self.record.locked || lobby != self.record.lobby {
            self.record.roster = roster;
            (self.record.locked, self.record.lobby) = (locked, lobby);
            self.push(Output::SaveRecord(self.record.clone()));
        }
    }

    /// Saves the record if the chat moved on since it was last saved.
    pub(crate) fn keep_chat(&mut self) {
        let (last_seq, history) = self.roster.chat_log();
        if last_seq != self.record.chat_seq {
            (self.record.chat_seq, self.record.chat) = (last_seq, history);
            self.push(Output::SaveRecord(self.record.clone()));
        }
    }
}
