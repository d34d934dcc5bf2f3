//! [`Room`]: one meeting room as a state machine without I/O, in the style of str0m's `Rtc`. Inputs go in
//! with the time ([`Room::handle_input`]), outputs come out in order ([`Room::poll_output`]), and the driver
//! sleeps until [`Room::poll_timeout`].
//!
//! The room owns every rule of a meeting: the [`Roster`] (members, roles, lobby, host controls, chat), each
//! member's current connection number, resume generation and reconnect deadline ([`crate::resume`]), the
//! lobby's arrivals, bans and invitations ([`crate::entry`]), and the meeting's record
//! ([`crate::keeping`]). This module holds the state, dispatches inputs, and turns the roster's effects into
//! outputs in the order the member table needs: published before greeted or introduced, unpublished before
//! `peer_left`.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ruang_proto::{LeaveReason, Moderation, PeerId, Reaction, Rejection, RemovedReason, Role, RoomName, ServerMessage};

use crate::io::{Disconnect, Entered, Greeting, Input, Now, Output, Refusal};
use crate::media::{Media, MediaSettings, SfuRequest};
use crate::reactions::Reactions;
use crate::record::{BrowserKeyHash, MeetingRecord, Seat};
use crate::roster::{Effect, RoomConfig, Roster};

/// How long a freshly created room waits for its first join (its joiner may first ask how it is entered).
pub const FIRST_JOIN_WAIT: Duration = Duration::from_secs(10);

/// The settings of one room.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The roster's limits and whether the lobby starts on.
    pub roster: RoomConfig,
    /// How long a member whose connection was lost stays in the room (zero: it leaves at once).
    pub resume_grace: Duration,
    /// Whether meeting records outlive the process, so a room without a record after a restart is one that
    /// ended rather than one this process never knew.
    pub records_persist: bool,
    /// How the room chooses its media mode.
    pub media: MediaSettings,
}

/// A member as the room keeps it besides the roster: its connection and what resume and bans need.
#[derive(Debug)]
pub(crate) struct Member {
    /// Its current connection; `None` while it is reconnecting.
    pub(crate) conn: Option<u64>,
    /// The generation of its valid resume token.
    pub(crate) generation: u32,
    /// While reconnecting: when it leaves for real, and with which reason.
    pub(crate) away: Option<(Instant, LeaveReason)>,
    /// The role its connection and resume token were last given.
    pub(crate) role: Role,
    /// Where it joined from, for a ban.
    pub(crate) address: Option<IpAddr>,
    /// The hash of its browser key, for a ban.
    pub(crate) browser_key: Option<BrowserKeyHash>,
    /// The invitation it came with, so a ban covers it too.
    pub(crate) invitation: Option<String>,
    /// Whether it speaks SFU.
    pub(crate) sfu: bool,
}

/// A newcomer waiting in the lobby, with what greeting it needs.
#[derive(Debug)]
pub(crate) struct Arrival {
    pub(crate) conn: u64,
    pub(crate) req: Option<u32>,
    pub(crate) address: Option<IpAddr>,
    pub(crate) browser_key: Option<BrowserKeyHash>,
    pub(crate) invitation: Option<String>,
    pub(crate) sfu: bool,
}

/// One meeting room: all of its state and rules, driven by inputs and time.
#[derive(Debug)]
pub struct Room {
    pub(crate) roster: Roster,
    pub(crate) settings: Settings,
    pub(crate) members: HashMap<PeerId, Member>,
    /// Newcomers waiting in the lobby.
    pub(crate) lobby: HashMap<PeerId, Arrival>,
    /// The meeting's record as last saved; its bans are the ones by address, browser key and invitation.
    pub(crate) record: MeetingRecord,
    /// Whether the room was made for a meeting of a previous server instance: only its roster may be
    /// restored.
    pub(crate) carried_over: bool,
    /// The roster of that meeting, less those who have resumed, in roster order.
    pub(crate) restoring: Vec<Seat>,
    /// When participants of a previous instance who have not resumed are given up on.
    pub(crate) expecting_until: Option<Instant>,
    /// The media mode and the rule that changes it.
    pub(crate) media: Media,
    /// Each member's reaction budget.
    reactions: Reactions,
    /// Until when a new room waits for its first input before it closes empty.
    first_wait: Option<Instant>,
    closed: bool,
    outputs: VecDeque<Output>,
}

impl Room {
    /// A room created at `now`, continuing the meeting of `record` if a previous server instance left one
    /// going on (its lock, lobby, bans and roster), or keeping only the bans of one that ended.
    pub fn new(name: RoomName, settings: Settings, record: Option<MeetingRecord>, now: Instant) -> Self {
        let lobby = settings.roster.lobby;
        let mut roster = Roster::new(name, settings.roster.clone());
        let mut record = record.unwrap_or_default();
        let carried_over = record.ended_at.is_none() && !record.roster.is_empty();
        let mut restoring = Vec::new();
        if carried_over {
            let expected = record.roster.iter().map(|seat| (seat.id, seat.role)).collect();
            roster.carry_over(record.locked, record.lobby, &record.banned_ids, expected);
            restoring = record.roster.clone();
            roster.carry_over_chat(record.chat_seq, record.chat.clone());
            tracing::info!(room = %crate::LogName::of(roster.name()), expected = restoring.len(), "meeting carried over from a restart");
        } else {
            // A meeting that ended: only its bans still hold, for the rest of the grace period.
            roster.carry_over(false, lobby, &record.banned_ids, Vec::new());
            let (roster, chat) = (Vec::new(), Vec::new());
            record = MeetingRecord { lobby, locked: false, roster, ended_at: None, chat_seq: 0, chat, ..record };
        }
        Room {
            roster,
            // Without a record, the first restored participants may not include the host: the room gives
            // up waiting for it after the grace period and hands the meeting over.
            expecting_until: (!settings.resume_grace.is_zero()).then(|| now + settings.resume_grace),
            media: Media::new(settings.media.clone()),
            reactions: Reactions::default(),
            settings,
            members: HashMap::new(),
            lobby: HashMap::new(),
            record,
            carried_over,
            restoring,
            first_wait: Some(now + FIRST_JOIN_WAIT),
            closed: false,
            outputs: VecDeque::new(),
        }
    }

    /// The room's name.
    pub fn name(&self) -> &RoomName {
        self.roster.name()
    }

    /// The rules of membership, lobby, host controls and chat, as they stand.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The meeting's record as the room last decided to save it.
    pub fn record(&self) -> &MeetingRecord {
        &self.record
    }

    /// Whether the room has closed ([`Output::Closed`] was given).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Applies one input at `now`; its consequences are queued for [`Room::poll_output`].
    pub fn handle_input(&mut self, input: Input, now: Now) {
        if self.closed {
            if let Input::Join(join) = &input {
                self.answer(join.conn, Err(Refusal::Closed));
            } else if let Input::Resume(resume) = &input {
                self.answer(resume.conn, Err(Refusal::Closed));
            }
            return;
        }
        if !matches!(input, Input::Timeout) {
            // Any input settles a new room: from then on it closes as soon as nobody is in it.
            self.first_wait = None;
        }
        let changes_meeting = matches!(
            input,
            Input::Join(_)
                | Input::Resume(_)
                | Input::Leave { .. }
                | Input::Lost { .. }
                | Input::Slow { .. }
                | Input::Moderate { .. }
                | Input::Administer { .. }
                | Input::Timeout
        );
        match input {
            Input::Join(join) => self.join(*join, now),
            Input::Resume(resume) => self.resume(*resume, now),
            Input::Leave { id, conn, reason } => {
                if self.is_current(id, conn) {
                    self.outputs.push_back(Output::Forget { id, conn });
                    self.remove(id, reason);
                } else {
                    self.withdraw(id, conn);
                }
            }
            Input::Lost { id, conn, reason } => {
                if self.is_current(id, conn) {
                    self.outputs.push_back(Output::Forget { id, conn });
                    self.detach(id, reason, now);
                } else {
                    self.withdraw(id, conn);
                }
            }
            Input::Slow { id, conn } => self.drop_slow(id, conn, now),
            Input::Ack { id, conn, n } => {
                if self.is_current(id, conn) {
                    self.outputs.push_back(Output::Acknowledged { id, conn, n });
                }
            }
            Input::Signal { from, to, data, req } => {
                let result = if self.is_sfu(to) {
                    self.ask_sfu(from, Some(to), SfuRequest::Signal(*data))
                } else {
                    self.roster.signal(from, to, *data)
                };
                self.reply_error(from, result, req);
            }
            Input::Sfu { from, request, req } => {
                let result = self.ask_sfu(from, None, *request);
                self.reply_error(from, result, req);
            }
            Input::Speaker { sfu, id } => self.speaker(sfu, id),
            Input::Media { id, media } => {
                let result = self.roster.set_media(id, media);
                self.reply_error(id, result, None);
            }
            Input::Hand { id, raised, req } => {
                let result = self.roster.hand(id, raised);
                self.reply_error(id, result, req);
            }
            Input::React { id, emoji, req } => {
                let result = self.react(id, emoji, now.instant);
                self.reply_error(id, result, req);
            }
            Input::Recording { id, on, req } => {
                let result = self.roster.record(id, on);
                if result.is_ok() {
                    tracing::info!(room = %crate::LogName::of(self.name()), peer = %id, on, "recording");
                }
                self.reply_error(id, result, req);
            }
            Input::Moderate { by, action, req } => {
                let result = self.roster.moderate(by, action);
                if result.is_ok() {
                    tracing::info!(room = %crate::LogName::of(self.name()), peer = %by, ?action, "host control");
                }
                if result.is_ok() && action == Moderation::End {
                    // Nobody expected back after a restart may come back to a meeting that ended.
                    self.restoring.clear();
                }
                self.reply_error(by, result, req);
            }
            Input::Administer { action } => {
                // The driver checked the target is here; a refusal (the last host's role) is only logged.
                match self.roster.administer(action) {
                    Ok(()) => tracing::info!(room = %self.name(), ?action, "host control by the operator"),
                    Err(refused) => {
                        tracing::info!(room = %self.name(), ?action, %refused, "operator's control refused")
                    }
                }
                if action == Moderation::End {
                    self.restoring.clear();
                }
            }
            Input::Chat { from, text, req } => {
                let result = self.roster.chat(from, text, now.unix_ms);
                self.reply_error(from, result, req);
                self.keep_chat();
            }
            Input::Timeout => self.expire(now.instant),
        }
        self.drain_roster();
        if changes_meeting {
            self.settle();
            self.settle_media(now.instant);
        }
        self.close_if_empty(now);
    }

    /// The next thing the driver must do, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the room next needs [`Input::Timeout`]: a reconnecting member's grace period ends, the room
    /// stops expecting the participants of a previous instance, a new room gives up its first wait, or a
    /// room that shrank goes back to mesh.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let away = self.members.values().filter_map(|m| m.away.map(|(until, _)| until));
        away.chain(self.expecting_until).chain(self.first_wait).chain(self.media.deadline()).min()
    }

    /// Whether `conn` is the member's current connection.
    pub(crate) fn is_current(&self, id: PeerId, conn: u64) -> bool {
        self.members.get(&id).is_some_and(|m| m.conn == Some(conn))
    }

    /// Queues the answer to a join or resume.
    pub(crate) fn answer(&mut self, conn: u64, answer: Result<Entered, Refusal>) {
        self.outputs.push_back(Output::Answer { conn, answer });
    }

    pub(crate) fn push(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    /// Publishes a member that is in (a newcomer let in, or one restored) and greets it on its connection.
    pub(crate) fn admit(&mut self, member: Member, mut greeting: Greeting) {
        let (id, role) = (greeting.id, greeting.joined.role);
        self.members.insert(id, member);
        greeting.joined.media = self.media_view(id);
        self.outputs.push_back(Output::Publish { id, role });
        self.outputs.push_back(Output::Attach(Box::new(greeting)));
    }

    /// Removes a member for good: out of the member table, then out of the roster (which tells the others).
    pub(crate) fn remove(&mut self, id: PeerId, reason: LeaveReason) {
        if self.members.remove(&id).is_some() {
            self.outputs.push_back(Output::Unpublish { id });
        }
        if self.roster.leave(id, reason) {
            tracing::info!(room = %crate::LogName::of(self.name()), peer = %id, ?reason, size = self.roster.len(), "left");
        }
    }

    /// Relays a member's reaction to everyone, the sender included, if its budget allows.
    fn react(&mut self, id: PeerId, emoji: Reaction, now: Instant) -> Result<(), Rejection> {
        if !self.roster.contains(id) {
            return Err(crate::roster::not_in_room());
        }
        let members = &self.members;
        self.reactions.take(id, now, |known| members.contains_key(&known))?;
        self.roster.broadcast(None, ServerMessage::Reaction { id, emoji });
        Ok(())
    }

    /// Sends an error to `to` if `result` is one (unnumbered: errors are replies), and reports a violation
    /// when it is the client's fault.
    fn reply_error(&mut self, to: PeerId, result: Result<(), Rejection>, req: Option<u32>) {
        let Err(rejection) = result else { return };
        let conn = match self.members.get(&to) {
            Some(member) => member.conn,
            None => self.lobby.get(&to).map(|arrival| arrival.conn),
        };
        let Some(conn) = conn else { return };
        if rejection.code.is_violation() {
            self.outputs.push_back(Output::Violation { to, conn });
        }
        let message = Arc::new(ServerMessage::error(rejection.with_req(req)));
        self.outputs.push_back(Output::Reply { to, conn, message });
    }

    /// Turns what the roster queued into outputs, in its order.
    pub(crate) fn drain_roster(&mut self) {
        // Translating an effect can make the roster queue more (a removal hands the meeting over).
        loop {
            let effects: Vec<Effect> = self.roster.take_effects().collect();
            if effects.is_empty() {
                return;
            }
            for effect in effects {
                self.apply(effect);
            }
        }
    }

    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::Send { to, message } => {
                if self.members.contains_key(&to) {
                    self.outputs.push_back(Output::Deliver { to, message });
                }
            }
            Effect::Broadcast { except, message } => self.outputs.push_back(Output::Broadcast { except, message }),
            Effect::Admitted { id, joined } => self.admit_from_lobby(id, joined),
            Effect::Remove { id, reason, by } => self.take_out(id, reason, by),
        }
    }

    /// A host or moderator took `id` out (or ended the meeting, or denied it in the lobby): the roster no
    /// longer holds it. It is unpublished, told `removed`, and its connection ends; a ban also covers its
    /// address, browser and invitation.
    fn take_out(&mut self, id: PeerId, reason: RemovedReason, by: PeerId) {
        let (conn, invitation, address, browser_key) = match self.members.remove(&id) {
            Some(member) => {
                self.outputs.push_back(Output::Unpublish { id });
                (member.conn, member.invitation, member.address, member.browser_key)
            }
            None => match self.lobby.remove(&id) {
                Some(arrival) => (Some(arrival.conn), arrival.invitation, None, None),
                None => (None, None, None, None),
            },
        };
        if reason == RemovedReason::Banned {
            if let Some(jti) = invitation {
                self.record.ban_invitation(jti);
            }
            self.record.ban(id, address, browser_key);
            self.outputs.push_back(Output::SaveRecord(self.record.clone()));
        }
        tracing::info!(room = %crate::LogName::of(self.name()), peer = %id, ?reason, "removed by a host");
        if let Some(conn) = conn {
            let message = Arc::new(ServerMessage::Removed { reason, by });
            self.outputs.push_back(Output::Reply { to: id, conn, message });
            self.outputs.push_back(Output::Disconnect { id, conn, why: Disconnect::Removed });
        }
    }

    /// A room nobody is in (nor waiting, nor expected back) closes, unless it is new and still waits for
    /// its first input. The meeting is recorded as ended.
    fn close_if_empty(&mut self, now: Now) {
        let waiting_for_first = self.first_wait.is_some_and(|until| now.instant < until);
        if !self.roster.is_empty() || waiting_for_first {
            return;
        }
        self.closed = true;
        self.stop_sfu();
        self.record.roster.clear();
        self.record.chat.clear();
        self.record.ended_at = Some(now.unix_secs());
        self.outputs.push_back(Output::SaveRecord(self.record.clone()));
        self.outputs.push_back(Output::Closed);
    }
}
