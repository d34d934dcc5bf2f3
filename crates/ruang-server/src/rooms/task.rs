//! The task that owns one room: it takes commands from its mailbox, applies them to the [`Room`], and
//! delivers the resulting effects to participants without ever waiting on one of them.
//!
//! It also owns each member's connection state: a member whose connection is lost stays in the room,
//! *reconnecting*, for the grace period; messages for it are numbered and kept in its [`Post`] and replayed
//! when it resumes on a new connection, or it leaves for real when the grace period ends.
//!
//! And it keeps the meeting's record in the [`MeetingStore`] up to date (roster and roles, bans, lock and
//! lobby), so a restarted server takes back exactly the participants that were in the meeting, with their
//! roles, and keeps out whom it banned. A room made for a meeting of a previous instance starts from it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ruang_proto::{
    LeaveReason, PROTOCOL_VERSION, PeerId, Rejection, RemovedReason, Replay, Role, RoomName, ServerMessage, Welcome,
};
use ruang_room::{Effect, JoinRefusal, Joined, Room, RoomConfig};
use tokio::sync::mpsc;
use tokio::time::Instant;

use ruang_member::{DeliveryError, Disconnect, Frame, MemberTable, Post, TableWrite};

use super::command::{Arrival, JoinReply, Restore, RoomCommand};
use super::{RoomSettings, Rooms};
use crate::access::{Access, Proof};
use crate::clock::sleep_until_some;
use crate::clock::{wall_clock_ms, wall_clock_secs};
use crate::store::{BrowserKeyHash, MeetingRecord, MeetingStore, Seat};

/// How long a freshly created room waits for its first join before it gives up.
const FIRST_JOIN_WAIT: Duration = Duration::from_secs(10);

/// A participant as the room task keeps it, besides what [`Room`] knows.
struct Member {
    /// Its numbered messages and current connection (none while it is reconnecting).
    post: Arc<Post>,
    /// The generation of its valid resume token.
    generation: u32,
    /// While reconnecting: when it leaves for real, and with which reason.
    away: Option<(Instant, LeaveReason)>,
    /// The role its connection and resume token were last given.
    role: Role,
    /// Where it joined from, for a ban.
    address: Option<IpAddr>,
    /// The hash of its browser key, for a ban.
    browser_key: Option<BrowserKeyHash>,
}

impl Member {
    fn new(post: Post, generation: u32, role: Role, address: Option<IpAddr>, key: Option<BrowserKeyHash>) -> Self {
        Member { post: Arc::new(post), generation, away: None, role, address, browser_key: key }
    }
}

pub(super) struct RoomTask {
    room: Room,
    generation: u64,
    settings: Arc<RoomSettings>,
    rooms: Arc<Rooms>,
    members: HashMap<PeerId, Member>,
    /// The members' posts as published for relays: kept equal to `members` (ids and roles) under its write
    /// lock, which is held while the messages of a membership change are pushed.
    table: Arc<MemberTable>,
    /// Newcomers waiting in the lobby, with what greeting them needs.
    lobby: HashMap<PeerId, Arrival>,
    /// How the room is entered.
    access: Access,
    /// The invitations members came with, so a ban covers the invitation too.
    invitations: HashMap<PeerId, String>,
    /// The meeting's record as last saved; its bans are the ones by address and browser key.
    record: MeetingRecord,
    /// Whether the room was made for a meeting of a previous server instance (from its record): only its
    /// roster may then be restored.
    carried_over: bool,
    /// The roster of that meeting, less those who have resumed, in roster order.
    restoring: Vec<Seat>,
    /// When participants of a previous instance that have not resumed are given up on.
    expecting_until: Option<Instant>,
}

impl RoomTask {
    pub(super) fn new(
        name: RoomName,
        generation: u64,
        settings: Arc<RoomSettings>,
        rooms: Arc<Rooms>,
        table: Arc<MemberTable>,
    ) -> Self {
        let policy = settings.policies.get(&name).cloned().unwrap_or_default();
        let max_participants = settings.limits.max_participants;
        let config = RoomConfig {
            max_participants,
            chat_history: settings.chat_history,
            lobby: policy.lobby,
            max_waiting: settings.max_waiting,
        };
        let mut room = Room::new(name, config);
        let mut record = settings.store.load(room.name(), wall_clock_secs()).unwrap_or_default();
        let carried_over = record.ended_at.is_none() && !record.roster.is_empty();
        let mut restoring = Vec::new();
        if carried_over {
            let roster = record.roster.iter().map(|seat| (seat.id, seat.role)).collect();
            room.carry_over(record.locked, record.lobby, &record.banned_ids, roster);
            restoring = record.roster.clone();
            tracing::info!(room = %room.name(), expected = restoring.len(), "meeting carried over from a restart");
        } else {
            // A meeting that ended: only its bans still hold, for the rest of the grace period.
            room.carry_over(false, policy.lobby, &record.banned_ids, Vec::new());
            record = MeetingRecord { lobby: policy.lobby, locked: false, roster: Vec::new(), ended_at: None, ..record };
        }
        RoomTask {
            room,
            generation,
            // Without a record, the first restored participants may not include the host: the room gives
            // up waiting for it after the grace period and hands the meeting over.
            expecting_until: (!settings.resume_grace.is_zero()).then(|| Instant::now() + settings.resume_grace),
            settings,
            rooms,
            members: HashMap::new(),
            table,
            lobby: HashMap::new(),
            access: Access::from_policy(&policy),
            invitations: HashMap::new(),
            record,
            carried_over,
            restoring,
        }
    }

    pub(super) async fn run(mut self, mut inbox: mpsc::Receiver<RoomCommand>) {
        tracing::debug!(room = %self.room.name(), "room opened");
        let shutdown = self.settings.shutdown.clone();
        // A new room waits a while for its first join, as a joiner may first ask how the room is entered. Any
        // other command settles it: from then on the room closes as soon as nobody is in it.
        let mut first_wait = Some(Instant::now() + FIRST_JOIN_WAIT);
        loop {
            let waiting_for_first = first_wait.is_some_and(|until| Instant::now() < until);
            if self.room.is_empty() && !waiting_for_first {
                break;
            }
            let expiry = self.next_expiry().or(first_wait);
            tokio::select! {
                biased;
                // A stopping server keeps nobody: its clients resume on the next instance.
                () = shutdown.cancelled() => break,
                () = sleep_until_some(expiry) => self.expire(Instant::now()),
                command = inbox.recv() => match command {
                    Some(command) => {
                        if !matches!(command, RoomCommand::Access { .. }) {
                            first_wait = None;
                        }
                        self.handle(command);
                    }
                    None => break,
                },
            }
        }
        self.close(inbox).await;
    }

    /// Leaves the registry, then refuses whatever is still in the mailbox so joiners retry elsewhere. A
    /// meeting that ended (not one that a stopping server keeps for the next instance) is recorded as ended.
    async fn close(mut self, mut inbox: mpsc::Receiver<RoomCommand>) {
        if !self.settings.shutdown.is_cancelled() && self.room.is_empty() {
            self.record.roster.clear();
            self.record.ended_at = Some(wall_clock_secs());
            self.settings.store.save(self.room.name(), self.record.clone(), wall_clock_secs());
        }
        self.rooms.remove(self.room.name(), self.generation);
        self.table.write().clear();
        inbox.close();
        while let Some(command) = inbox.recv().await {
            if let RoomCommand::Join { reply, .. } | RoomCommand::Resume { reply, .. } = command {
                let _ = reply.send(JoinReply::Closed);
            }
        }
        tracing::debug!(room = %self.room.name(), "room closed");
    }

    fn handle(&mut self, command: RoomCommand) {
        let changes_meeting = matches!(
            command,
            RoomCommand::Join { .. }
                | RoomCommand::Resume { .. }
                | RoomCommand::Leave { .. }
                | RoomCommand::Detach { .. }
                | RoomCommand::Moderate { .. }
        );
        // A change of membership and the messages that announce it happen under the table's write lock, so no
        // relay comes between them (the table is brought up to date before the lock is let go).
        let table = Arc::clone(&self.table);
        let mut change = changes_meeting.then(|| table.write());
        match command {
            RoomCommand::Access { reply } => {
                let _ = reply.send(self.access.clone());
            }
            RoomCommand::Join { arrival, name, proof, reply } => {
                let _ = reply.send(self.join(*arrival, name, *proof));
            }
            RoomCommand::Resume { arrival, generation, last_n, restore, reply } => {
                let _ = reply.send(self.resume(*arrival, generation, last_n, restore));
            }
            RoomCommand::Detach { id, conn, reason } => {
                if self.is_current(id, conn) {
                    self.detach(id, reason);
                } else {
                    self.withdraw(id, conn);
                }
            }
            RoomCommand::Leave { id, conn, reason } => {
                if self.is_current(id, conn) {
                    self.remove(id, reason);
                } else {
                    self.withdraw(id, conn);
                }
            }
            RoomCommand::Ack { id, conn, n } => {
                if let Some(member) = self.members.get(&id) {
                    member.post.acknowledge(conn, n);
                }
                // Nothing to deliver: skip the flush.
                return;
            }
            RoomCommand::Media { id, media } => {
                let result = self.room.set_media(id, media);
                self.answer(id, result, None);
            }
            RoomCommand::Hand { id, raised, req } => {
                let result = self.room.hand(id, raised);
                self.answer(id, result, req);
            }
            RoomCommand::Moderate { by, action, req } => {
                let result = self.room.moderate(by, action);
                if result.is_ok() {
                    tracing::info!(room = %self.room.name(), peer = %by, ?action, "host control");
                }
                if result.is_ok() && action == ruang_proto::Moderation::End {
                    // Nobody expected back after a restart may come back to a meeting that ended.
                    self.restoring.clear();
                }
                self.answer(by, result, req);
            }
            RoomCommand::Chat { from, text, req } => {
                let result = self.room.chat(from, text, wall_clock_ms());
                self.answer(from, result, req);
            }
        }
        self.flush();
        if let Some(change) = &mut change {
            self.settle();
            self.publish(change);
        }
    }

    /// Makes the published table list exactly the room's members, with their roles.
    fn publish(&self, table: &mut TableWrite<'_>) {
        table.retain(|id| self.members.contains_key(&id));
        for (&id, member) in &self.members {
            let listed = table.get(id).is_some_and(|e| Arc::ptr_eq(&e.post, &member.post) && e.role == member.role);
            if !listed {
                table.insert(id, Arc::clone(&member.post), member.role);
            }
        }
    }

    /// After a change to the meeting: tells members whose role changed (a fresh resume token with the new
    /// role), and saves the meeting's record if it changed.
    fn settle(&mut self) {
        let now = wall_clock_secs();
        let name = self.room.name().clone();
        for info in self.room.members() {
            let Some(member) = self.members.get_mut(&info.id) else { continue };
            if member.role == info.role {
                continue;
            }
            member.role = info.role;
            if let Some(link) = member.post.link() {
                let token = self.settings.resume.mint(&name, info.id, &info.name, info.role, member.generation, now);
                let _ = link.member.deliver(&Frame::single(ServerMessage::ResumeToken { token }), None);
                link.member.set_role(info.role);
            }
        }
        let present = self.room.members().iter().map(|info| Seat {
            id: info.id,
            role: info.role,
            key: self.members.get(&info.id).and_then(|m| m.browser_key),
        });
        let roster: Vec<Seat> = present.chain(self.restoring.iter().cloned()).collect();
        let (locked, lobby) = (self.room.is_locked(), self.room.has_lobby());
        if roster != self.record.roster || locked != self.record.locked || lobby != self.record.lobby {
            self.record.roster = roster;
            (self.record.locked, self.record.lobby) = (locked, lobby);
            self.save_record(now);
        }
    }

    fn save_record(&self, now: u64) {
        self.settings.store.save(self.room.name(), self.record.clone(), now);
    }

    /// The store this room's meeting is kept in.
    fn store(&self) -> &MeetingStore {
        &self.settings.store
    }

    fn join(&mut self, arrival: Arrival, name: String, proof: Proof) -> JoinReply {
        if !self.access.admits(&proof) {
            return JoinReply::AccessChanged;
        }
        let invitation = match proof {
            Proof::Invite(claims) => Some(claims),
            Proof::Nothing | Proof::Password { .. } => None,
        };
        if invitation.as_ref().is_some_and(|claims| self.record.bans_invitation(&claims.jti)) {
            return JoinReply::Banned;
        }
        // An invitation is a host's own choice to let someone in: only the invitation itself can be banned.
        if invitation.is_none() && self.record.bans(arrival.address, arrival.browser_key.as_ref()) {
            return JoinReply::Banned;
        }
        let role = invitation.as_ref().map(|claims| claims.role);
        let joined = match self.room.join(arrival.id, name, arrival.media, role) {
            Ok(joined) => joined,
            Err(JoinRefusal::Waiting) => {
                let waiting = ServerMessage::Waiting { room: self.room.name().clone() };
                let _ = arrival.link.member.deliver(&Frame::single(waiting), None);
                tracing::info!(room = %self.room.name(), peer = %arrival.id, "waiting in the lobby");
                self.remember_invitation(arrival.id, invitation);
                self.lobby.insert(arrival.id, arrival);
                return JoinReply::Waiting;
            }
            Err(refusal) => return refused(refusal),
        };
        self.remember_invitation(arrival.id, invitation);
        self.admit(arrival, joined);
        JoinReply::Joined
    }

    /// Takes a newcomer in and greets it.
    fn admit(&mut self, arrival: Arrival, joined: Joined) {
        let post = Post::new(self.settings.replay);
        let member = Member::new(post, arrival.generation, joined.role, arrival.address, arrival.browser_key);
        self.members.insert(arrival.id, member);
        let id = arrival.id;
        self.greet(arrival, joined, None);
        tracing::info!(room = %self.room.name(), peer = %id, size = self.room.len(), "joined");
    }

    fn remember_invitation(&mut self, id: PeerId, invitation: Option<crate::access::InviteClaims>) {
        if let Some(claims) = invitation.filter(|claims| !claims.jti.is_empty()) {
            self.invitations.insert(id, claims.jti);
        }
    }

    /// A newcomer waiting in the lobby gave up: its connection `conn` ended.
    fn withdraw(&mut self, id: PeerId, conn: u64) {
        if self.lobby.get(&id).is_some_and(|arrival| arrival.link.conn == conn) {
            self.lobby.remove(&id);
            self.room.withdraw(id);
        }
    }

    /// Takes a participant back on a new connection, if its token's generation is current, or restores it
    /// into the room when the token comes from a previous server instance and the room does not have it.
    fn resume(&mut self, arrival: Arrival, generation: u32, last_n: u64, restore: Option<Box<Restore>>) -> JoinReply {
        let id = arrival.id;
        let Some(member) = self.members.get_mut(&id) else {
            let Some(restore) = restore else {
                return JoinReply::Refused("the participant has left the room");
            };
            return self.restore(arrival, *restore);
        };
        if member.generation != generation {
            return JoinReply::Refused("this resume token was already used");
        }
        member.generation += 1;
        member.away = None;
        let Some(joined) = self.room.reattach(id, arrival.media) else {
            return JoinReply::Refused("the participant has left the room");
        };
        let (replayed, replay) = self.greet(arrival, joined, Some(last_n));
        tracing::info!(room = %self.room.name(), peer = %id, replayed, ?replay, "resumed");
        JoinReply::Joined
    }

    /// Restores a participant of a previous server instance: one on the meeting's roster, with the role it
    /// has there; or, when this server keeps no record of the meeting (no data directory), with the role its
    /// token says.
    fn restore(&mut self, arrival: Arrival, restore: Restore) -> JoinReply {
        let id = arrival.id;
        let seat = self.restoring.iter().position(|seat| seat.id == id).map(|at| self.restoring.remove(at));
        let (role, browser_key) = match seat {
            Some(seat) => (seat.role, seat.key),
            None if self.carried_over => return JoinReply::Refused("the participant has left the meeting"),
            None if self.store().is_persistent() => return JoinReply::Refused("the meeting has ended"),
            None => (restore.role, None),
        };
        let joined = match self.room.restore(id, restore.name, arrival.media, role) {
            Ok(joined) => joined,
            Err(refusal) => return refused(refusal),
        };
        let post = Post::new(self.settings.replay);
        self.members.insert(id, Member::new(post, arrival.generation, joined.role, arrival.address, browser_key));
        // A stream that has sent nothing cannot replay after the client's number: `resumed` says `reset`.
        self.greet(arrival, joined, Some(u64::MAX));
        tracing::info!(room = %self.room.name(), peer = %id, size = self.room.len(), "restored after a restart");
        JoinReply::Joined
    }

    /// Makes the arrival's connection the member's, with `welcome` (or, when it resumes after message
    /// `resume_after`, `resumed` and the messages it missed) as its first message, with a fresh resume token
    /// and ICE servers: the participant is in. Returns how many messages were replayed, and whether.
    fn greet(&mut self, arrival: Arrival, joined: Joined, resume_after: Option<u64>) -> (usize, Option<Replay>) {
        let Arrival { id, req, generation, link, .. } = arrival;
        let Some(post) = self.members.get(&id).map(|member| Arc::clone(&member.post)) else { return (0, None) };
        link.member.set_role(joined.role);
        let mut replay = None;
        let connected = post.connect(link, resume_after, |told| {
            replay = told;
            self.welcome(id, req, generation, joined, told)
        });
        if let Some(old) = connected.replaced {
            old.member.disconnect(Disconnect::Replaced);
        }
        // A failed delivery of the greeting shows up as the connection ending; its session then detaches it.
        if connected.delivery == Err(DeliveryError::Full) {
            self.drop_slow(id);
        }
        (connected.replayed, replay)
    }

    /// The `welcome` (or `resumed` with `replay`) of a participant that is in.
    fn welcome(&self, id: PeerId, req: Option<u32>, generation: u32, joined: Joined, replay: Option<Replay>) -> Frame {
        let now = wall_clock_secs();
        let room = self.room.name();
        let ice = self.settings.ice.grant(id, room, now);
        let token = self.settings.resume.mint(room, id, &joined.name, joined.role, generation, now);
        let welcome = Welcome {
            protocol: PROTOCOL_VERSION,
            req,
            you: id,
            name: joined.name,
            role: joined.role,
            locked: joined.locked,
            lobby: joined.lobby,
            room: self.room.name().clone(),
            peers: joined.peers,
            ice_servers: ice.servers,
            ice_transport_policy: ice.policy,
            chat_history: joined.chat_history,
            limits: self.settings.limits.clone(),
            resume_token: token,
            resume_grace_ms: u64::try_from(self.settings.resume_grace.as_millis()).unwrap_or(u64::MAX),
        };
        Frame::single(match replay {
            None => ServerMessage::Welcome(welcome),
            Some(replay) => ServerMessage::Resumed { welcome, replay },
        })
    }

    /// Whether `conn` is the participant's current connection.
    fn is_current(&self, id: PeerId, conn: u64) -> bool {
        self.members.get(&id).is_some_and(|m| m.post.is_current(conn))
    }

    /// The participant's connection is gone: keep it as reconnecting for the grace period (or remove it at
    /// once without one).
    fn detach(&mut self, id: PeerId, reason: LeaveReason) {
        let grace = self.settings.resume_grace;
        let Some(member) = self.members.get_mut(&id) else { return };
        member.post.detach();
        if grace.is_zero() {
            self.remove(id, reason);
            return;
        }
        member.away = Some((Instant::now() + grace, reason));
        self.room.detach(id);
        tracing::info!(room = %self.room.name(), peer = %id, ?reason, "reconnecting");
    }

    fn drop_slow(&mut self, id: PeerId) {
        if let Some(link) = self.members.get(&id).and_then(|m| m.post.detach()) {
            tracing::info!(room = %self.room.name(), peer = %id, "connection dropped: send queue full");
            link.member.disconnect(Disconnect::Slow);
        }
        self.detach(id, LeaveReason::Slow);
    }

    fn remove(&mut self, id: PeerId, reason: LeaveReason) {
        self.members.remove(&id);
        self.invitations.remove(&id);
        if self.room.leave(id, reason) {
            tracing::info!(room = %self.room.name(), peer = %id, ?reason, size = self.room.len(), "left");
        }
    }

    /// When the next reconnecting member's grace period ends, or the room stops expecting the participants
    /// of a previous instance.
    fn next_expiry(&self) -> Option<Instant> {
        let away = self.members.values().filter_map(|m| m.away.map(|(until, _)| until));
        away.chain(self.expecting_until).min()
    }

    /// Removes the reconnecting members whose grace period has ended.
    fn expire(&mut self, now: Instant) {
        let table = Arc::clone(&self.table);
        let mut change = table.write();
        let expired: Vec<(PeerId, LeaveReason)> = self
            .members
            .iter()
            .filter_map(|(&id, m)| m.away.filter(|(until, _)| *until <= now).map(|(_, reason)| (id, reason)))
            .collect();
        for (id, reason) in expired {
            self.remove(id, reason);
        }
        if self.expecting_until.is_some_and(|until| until <= now) {
            self.expecting_until = None;
            self.restoring.clear();
            self.room.stop_expecting();
        }
        self.flush();
        self.settle();
        self.publish(&mut change);
    }

    /// Sends an error to `to` if `result` is one, and reports it as a violation when it is the client's fault.
    /// Errors are replies, so they are not numbered.
    fn answer(&mut self, to: PeerId, result: Result<(), Rejection>, req: Option<u32>) {
        if let Err(rejection) = result {
            let violation = rejection.code.is_violation();
            let frame = Frame::single(ServerMessage::error(rejection.with_req(req)));
            let member = self.members.get(&to).and_then(|m| m.post.link());
            let link = member.or_else(|| self.lobby.get(&to).map(|arrival| arrival.link.clone()));
            if violation && let Some(link) = &link {
                link.member.violated();
            }
            if link.is_some_and(|link| link.member.deliver(&frame, None) == Err(DeliveryError::Full)) {
                self.drop_slow(to);
            }
        }
    }

    /// Delivers every queued effect; members that cannot keep up lose their connection, which may queue more.
    fn flush(&mut self) {
        loop {
            let effects: Vec<Effect> = self.room.take_effects().collect();
            if effects.is_empty() {
                return;
            }
            let now = Instant::now();
            let mut too_slow = Vec::new();
            for effect in effects {
                self.deliver_effect(effect, now, &mut too_slow);
            }
            for id in too_slow {
                self.drop_slow(id);
            }
        }
    }

    fn deliver_effect(&mut self, effect: Effect, now: Instant, too_slow: &mut Vec<PeerId>) {
        let now = now.into_std();
        match effect {
            Effect::Send { to, message } => {
                let member = self.members.get(&to);
                if member.is_some_and(|m| m.post.push(&Frame::new(message), now) == Err(DeliveryError::Full)) {
                    too_slow.push(to);
                }
            }
            Effect::Broadcast { except, message } => {
                let frame = Frame::new(message);
                for (&id, member) in &self.members {
                    if Some(id) != except && member.post.push(&frame, now) == Err(DeliveryError::Full) {
                        too_slow.push(id);
                    }
                }
            }
            Effect::Admitted { id, joined } => {
                if let Some(arrival) = self.lobby.remove(&id) {
                    self.admit(arrival, joined);
                }
            }
            Effect::Remove { id, reason, by } => {
                let invitation = self.invitations.remove(&id);
                let member = self.members.remove(&id);
                if reason == RemovedReason::Banned {
                    if let Some(jti) = invitation {
                        self.record.ban_invitation(jti);
                    }
                    let (address, key) = member.as_ref().map_or((None, None), |m| (m.address, m.browser_key));
                    self.record.ban(id, address, key);
                    self.save_record(wall_clock_secs());
                }
                let link = match member {
                    Some(member) => member.post.detach(),
                    None => self.lobby.remove(&id).map(|arrival| arrival.link),
                };
                tracing::info!(room = %self.room.name(), peer = %id, ?reason, "removed by a host");
                if let Some(link) = link {
                    let removed = Frame::single(ServerMessage::Removed { reason, by });
                    let _ = link.member.deliver(&removed, None);
                    link.member.disconnect(Disconnect::Removed);
                }
            }
        }
    }
}

fn refused(refusal: JoinRefusal) -> JoinReply {
    match refusal {
        JoinRefusal::Full => JoinReply::Full,
        JoinRefusal::DuplicateId => JoinReply::DuplicateId,
        JoinRefusal::Locked => JoinReply::Locked,
        JoinRefusal::Banned => JoinReply::Banned,
        JoinRefusal::LobbyFull => JoinReply::LobbyFull,
        JoinRefusal::Waiting => JoinReply::Waiting,
    }
}
