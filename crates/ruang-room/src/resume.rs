//! Connections coming and going: a member whose connection is lost stays in the room, *reconnecting*, for
//! the grace period, then leaves for real; it comes back with a resume token whose generation must be its
//! current one (each resume moves it on, so a token works once). After a server restart, a participant on
//! the carried-over meeting's roster (or, without a record, one whose token says so) is restored; so is
//! one on the roster of a meeting rebuilt on another node of a cluster after its node was lost.

use std::time::Instant;

use ruang_proto::{LeaveReason, PeerId};

use crate::io::{Disconnect, Entered, Entry, Greeting, Now, Output, Refusal, Restore, Resume, ResumeRefusal};
use crate::room::{Member, Room};

impl Room {
    /// A participant comes back on a new connection.
    pub(crate) fn resume(&mut self, resume: Resume, now: Now) {
        let conn = resume.conn;
        let answer = self.try_resume(resume, now);
        self.answer(conn, answer);
    }

    fn try_resume(&mut self, resume: Resume, _now: Now) -> Result<Entered, Refusal> {
        let Resume { id, conn, media, req, generation, last_n, address, restore } = resume;
        let Some(member) = self.members.get_mut(&id) else {
            let Some(restore) = restore else {
                return Err(Refusal::Resume(ResumeRefusal::LeftRoom));
            };
            return self.restore(Resume { id, conn, media, req, generation, last_n, address, restore: None }, restore);
        };
        if member.generation != generation {
            return Err(Refusal::Resume(ResumeRefusal::TokenUsed));
        }
        member.generation = member.generation.wrapping_add(1);
        member.away = None;
        let generation = member.generation;
        if let Some(old) = member.conn.replace(conn) {
            self.push(Output::Disconnect { id, conn: old, why: Disconnect::Replaced });
        }
        let Some(mut joined) = self.roster.reattach(id, media) else {
            return Err(Refusal::Resume(ResumeRefusal::LeftRoom));
        };
        joined.media = self.media_view(id);
        let greeting = Greeting { id, conn, req, generation, entry: Entry::Resumed { last_n }, joined };
        self.push(Output::Attach(Box::new(greeting)));
        tracing::info!(room = %crate::LogName::of(self.name()), peer = %id, "resumed");
        Ok(Entered::In)
    }

    /// Restores a participant of a previous server instance: one on the meeting's roster, with the role it
    /// has there; or, when this server keeps no record of the meeting, with the role its token says.
    fn restore(&mut self, resume: Resume, restore: Restore) -> Result<Entered, Refusal> {
        let Resume { id, conn, media, req, generation, address, .. } = resume;
        let used = |seat: &crate::record::Seat| seat.id == id && generation < seat.generation;
        if restore.carried_only && self.restoring.iter().any(used) {
            return Err(Refusal::Resume(ResumeRefusal::TokenUsed));
        }
        let seat = self.restoring.iter().position(|seat| seat.id == id).map(|at| self.restoring.remove(at));
        let (role, browser_key) = match seat {
            Some(seat) => (seat.role, seat.key),
            None if restore.carried_only => return Err(Refusal::Resume(ResumeRefusal::LeftRoom)),
            None if self.carried_over => return Err(Refusal::Resume(ResumeRefusal::LeftMeeting)),
            None if self.settings.records_persist => return Err(Refusal::Resume(ResumeRefusal::MeetingEnded)),
            None => (restore.role, None),
        };
        self.roster.set_max_participants(self.capacity_for(restore.sfu));
        // As for a join: its `resumed` already says the mode it brings the room to.
        let switched = self.switch_before_join(restore.sfu);
        let joined = match self.roster.restore(id, restore.name, media, role) {
            Ok(joined) => joined,
            Err(refusal) => {
                if switched {
                    self.stop_sfu();
                }
                return Err(refusal);
            }
        };
        let generation = generation.wrapping_add(1);
        let member = Member {
            conn: Some(conn),
            generation,
            away: None,
            role: joined.role,
            address,
            browser_key,
            invitation: None,
            sfu: restore.sfu,
        };
        let greeting = Greeting { id, conn, req, generation, entry: Entry::Restored, joined };
        self.admit(member, greeting);
        tracing::info!(room = %crate::LogName::of(self.name()), peer = %id, size = self.roster.len(), "restored after a restart");
        Ok(Entered::In)
    }

    /// The member's connection is gone: keep it as reconnecting for the grace period (or remove it at once
    /// without one).
    pub(crate) fn detach(&mut self, id: PeerId, reason: LeaveReason, now: Now) {
        let grace = self.settings.resume_grace;
        let Some(member) = self.members.get_mut(&id) else { return };
        member.conn = None;
        if grace.is_zero() {
            self.remove(id, reason);
            return;
        }
        member.away = Some((now.instant + grace, reason));
        self.roster.detach(id);
        tracing::info!(room = %crate::LogName::of(self.name()), peer = %id, ?reason, "reconnecting");
    }

    /// A delivery found the member's connection `conn` unable to keep up: it is dropped, the member kept.
    pub(crate) fn drop_slow(&mut self, id: PeerId, conn: u64, now: Now) {
        if !self.is_current(id, conn) {
            return;
        }
        tracing::info!(room = %crate::LogName::of(self.name()), peer = %id, "connection dropped: send queue full");
        self.push(Output::Disconnect { id, conn, why: Disconnect::Slow });
        self.detach(id, LeaveReason::Slow, now);
    }

    /// Removes the reconnecting members whose grace period has ended, and stops expecting the participants
    /// of a previous instance when their time is up.
    pub(crate) fn expire(&mut self, now: Instant) {
        let mut expired: Vec<(PeerId, LeaveReason)> = self
            .members
            .iter()
            .filter_map(|(&id, m)| m.away.filter(|(until, _)| *until <= now).map(|(_, reason)| (id, reason)))
            .collect();
        // In join order, so what the others are told does not depend on a map's order.
        expired.sort_by_key(|(id, _)| self.roster.members().iter().position(|m| m.id == *id));
        for (id, reason) in expired {
            self.remove(id, reason);
        }
        if self.expecting_until.is_some_and(|until| until <= now) {
            self.expecting_until = None;
            self.restoring.clear();
            self.roster.stop_expecting();
        }
    }
}
