//! The task that drives one room: the thin, asynchronous edge around the sans-IO [`ruang_room::Room`]. It
//! moves commands from its mailbox into the room with the time, performs the room's outputs in order, and
//! sleeps until the room's next deadline.
//!
//! What the room's outputs only name lives here: each member's [`Post`] (its numbered stream and current
//! [`Link`], published and unpublished as the room says), the links of connections that are not a member's
//! (newcomers in the lobby, joins being answered), and the pending joins' reply channels, all by connection
//! number. Delivering never waits on a member; one that cannot keep up is reported back to the room
//! ([`Input::Slow`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ruang_member::{DeliveryError, Frame, Link, MemberTable, Post, TableWrite};
use ruang_proto::{PROTOCOL_VERSION, PeerId, Replay, RoomName, ServerMessage, Welcome};
use ruang_room::{Entry, Greeting, Input, Now, Output, Refusal, Room, RoomConfig, Settings};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::command::{Answer, Entering, RoomCommand};
use super::{RoomSettings, Rooms};
use crate::access::Access;
use crate::clock::{sleep_until_some, wall_clock_ms, wall_clock_secs};
use crate::resume::Bearer;
use crate::sfu::{SfuCommand, SfuRoom};

pub(super) struct RoomTask {
    room: Room,
    generation: u64,
    settings: Arc<RoomSettings>,
    rooms: Arc<Rooms>,
    /// How the room is entered.
    access: Access,
    /// The connections the room knows that are not a member's current one, by number: newcomers in the
    /// lobby, and joins and resumes until they are answered or attached.
    links: HashMap<u64, Link>,
    /// Each member's stream and current link.
    posts: HashMap<PeerId, Arc<Post>>,
    /// The same posts as published for relays, which deliver signals straight into them.
    table: Arc<MemberTable>,
    /// Joins and resumes waiting for the room's answer, by connection.
    replies: HashMap<u64, oneshot::Sender<Answer>>,
    /// The room's mailbox, for its SFU worker (the active speaker); weak, so the room still closes.
    mailbox: mpsc::WeakSender<RoomCommand>,
    /// The room's SFU worker, from its first SFU period on.
    sfu: Option<SfuRoom>,
    /// The members whose clients speak SFU (greeted with the media mode), for their resume tokens.
    speaks_sfu: HashSet<PeerId>,
    /// Tells metrics and webhooks who comes and goes.
    observer: super::observe::Observer,
}

impl RoomTask {
    pub(super) fn new(
        name: RoomName,
        generation: u64,
        settings: Arc<RoomSettings>,
        rooms: Arc<Rooms>,
        table: Arc<MemberTable>,
        mailbox: mpsc::WeakSender<RoomCommand>,
    ) -> Self {
        let policy = settings.policies.get(&name).cloned().unwrap_or_default();
        let roster = RoomConfig {
            max_participants: settings.limits.max_participants,
            chat_history: settings.chat_history,
            lobby: policy.lobby,
            max_waiting: settings.max_waiting,
            first_is_host: policy.makes_first_host(),
        };
        let room_settings = Settings {
            roster,
            resume_grace: settings.resume_grace,
            records_persist: settings.store.is_persistent(),
            media: ruang_room::MediaSettings {
                // Without an SFU (every room is mesh), a room's own mode cannot be anything else.
                policy: match settings.sfu {
                    Some(_) => policy.media_mode.unwrap_or(settings.media.policy),
                    None => ruang_room::MediaPolicy::Mesh,
                },
                seed: getrandom::u64().unwrap_or(generation),
                ..settings.media.clone()
            },
        };
        let record = settings.store.load(&name, wall_clock_secs());
        settings.metrics.rooms_opened.increment(1);
        let observer = super::observe::Observer::new(Arc::clone(&settings.metrics), settings.webhooks.clone());
        let room = Room::new(name, room_settings, record, Instant::now().into_std());
        RoomTask {
            room,
            generation,
            access: Access::from_policy(&policy),
            settings,
            rooms,
            links: HashMap::new(),
            posts: HashMap::new(),
            table,
            replies: HashMap::new(),
            mailbox,
            sfu: None,
            speaks_sfu: HashSet::new(),
            observer,
        }
    }

    pub(super) async fn run(mut self, mut inbox: mpsc::Receiver<RoomCommand>) {
        tracing::debug!(room = %ruang_room::LogName::of(self.room.name()), "room opened");
        let shutdown = self.settings.shutdown.clone();
        while !self.room.is_closed() {
            let deadline = self.room.poll_timeout().map(Instant::from_std);
            tokio::select! {
                biased;
                // A stopping server keeps nobody: its clients resume on the next instance.
                () = shutdown.cancelled() => break,
                () = sleep_until_some(deadline) => self.input(Input::Timeout),
                command = inbox.recv() => match command {
                    Some(command) => self.handle(command),
                    None => break,
                },
            }
        }
        self.close(inbox).await;
    }

    /// Leaves the registry, then refuses whatever is still in the mailbox so joiners retry elsewhere.
    async fn close(mut self, mut inbox: mpsc::Receiver<RoomCommand>) {
        self.observer.closed(self.room.name(), self.room.is_closed());
        self.rooms.remove(self.room.name(), self.generation);
        inbox.close();
        while let Some(command) = inbox.recv().await {
            if let RoomCommand::Enter(entering) = command {
                let _ = entering.reply.send(Err(Refusal::Closed));
            }
        }
        tracing::debug!(room = %ruang_room::LogName::of(self.room.name()), "room closed");
    }

    fn handle(&mut self, command: RoomCommand) {
        match command {
            RoomCommand::Access { reply } => {
                let _ = reply.send(self.access.clone());
            }
            RoomCommand::Enter(entering) => {
                let Entering { input, proof, link, reply } = *entering;
                if proof.is_some_and(|proof| !self.access.admits(&proof)) {
                    let _ = reply.send(Err(Refusal::AccessChanged));
                    return;
                }
                self.replies.insert(link.conn, reply);
                self.links.insert(link.conn, link);
                self.input(input);
            }
            RoomCommand::Input(input) => self.input(input),
            RoomCommand::Inspect { reply } => {
                let _ = reply.send(super::admin::summary(&self.room));
            }
            RoomCommand::Administer { action, reply } => {
                let checked = super::admin::check(&self.room, action);
                if checked.is_ok() {
                    self.input(Input::Administer { action });
                }
                let _ = reply.send(checked);
            }
        }
    }

    /// Applies an input now and performs everything the room asks for; a connection found too slow on the
    /// way is reported back to the room, which may ask for more.
    ///
    /// From the first change of the member table on, the table's write lock is held until every output of
    /// the input is performed: the greeting and the others' `peer_joined` after a member is published, and
    /// `peer_left` after one is unpublished, are pushed before any relay can look the table up again.
    fn input(&mut self, input: Input) {
        let now = Now { instant: Instant::now().into_std(), unix_ms: wall_clock_ms() };
        self.room.handle_input(input, now);
        let table = Arc::clone(&self.table);
        let mut held: Option<TableWrite<'_>> = None;
        let mut too_slow = Vec::new();
        loop {
            while let Some(output) = self.room.poll_output() {
                match &output {
                    Output::Publish { id, role } => {
                        let post = Arc::new(Post::new(self.settings.replay));
                        self.posts.insert(*id, Arc::clone(&post));
                        held.get_or_insert_with(|| table.write()).insert(*id, post, *role);
                        self.observer.published(&self.room, *id, *role);
                    }
                    Output::Unpublish { id } => {
                        held.get_or_insert_with(|| table.write()).remove(*id);
                        self.observer.unpublished(self.room.name(), *id);
                    }
                    Output::RoleChanged { id, role, .. } => {
                        held.get_or_insert_with(|| table.write()).set_role(*id, *role);
                    }
                    // The SFU's post is in before anyone is told its id, and out after everyone was told.
                    Output::StartSfu { sfu } => {
                        let post = self.sfu_post();
                        held.get_or_insert_with(|| table.write()).insert_sfu(*sfu, post);
                    }
                    Output::StopSfu { sfu } => {
                        held.get_or_insert_with(|| table.write()).remove(*sfu);
                    }
                    _ => {}
                }
                self.perform(output, &mut too_slow);
            }
            let Some((id, conn)) = too_slow.pop() else { return };
            self.room.handle_input(Input::Slow { id, conn }, now);
        }
    }

    fn perform(&mut self, output: Output, too_slow: &mut Vec<(PeerId, u64)>) {
        match output {
            // Published with the member table, in `input`.
            Output::Publish { .. } => {}
            Output::Unpublish { id } => {
                // A member taken out still has its connection until the room says what to tell it.
                if let Some(link) = self.posts.remove(&id).and_then(|post| post.detach()) {
                    self.links.insert(link.conn, link);
                }
                self.speaks_sfu.remove(&id);
                self.tell_sfu(SfuCommand::Left { id });
            }
            Output::Attach(greeting) => self.attach(*greeting, too_slow),
            Output::Deliver { to, message } => self.deliver(to, &Frame::new(message), too_slow),
            Output::Broadcast { except, message } => {
                let frame = Frame::new(message);
                let everyone: Vec<PeerId> = self.posts.keys().copied().filter(|id| Some(*id) != except).collect();
                everyone.into_iter().for_each(|id| self.deliver(id, &frame, too_slow));
            }
            Output::Reply { to, conn, message } => {
                if let ServerMessage::Error { code, .. } = &*message {
                    self.settings.metrics.error(*code);
                }
                let link = self.link(to, conn);
                let frame = Frame::single(ServerMessage::clone(&message));
                if link.is_some_and(|link| link.member.deliver(&frame, None) == Err(DeliveryError::Full)) {
                    too_slow.push((to, conn));
                }
            }
            Output::Violation { to, conn } => {
                if let Some(link) = self.link(to, conn) {
                    link.member.violated();
                }
            }
            Output::RoleChanged { id, conn, name, role, generation } => {
                self.tell_sfu(SfuCommand::Role { id, role });
                if let Some(link) = conn.and_then(|conn| self.link(id, conn)) {
                    let room = self.room.name();
                    let sfu = self.speaks_sfu.contains(&id);
                    let bearer = Bearer { room, id, name: &name, role, sfu };
                    let token = self.settings.resume.mint(bearer, generation, wall_clock_secs());
                    let _ = link.member.deliver(&Frame::single(ServerMessage::ResumeToken { token }), None);
                    link.member.set_role(role);
                }
            }
            Output::Acknowledged { id, conn, n } => {
                if let Some(post) = self.posts.get(&id) {
                    post.acknowledge(conn, n);
                }
            }
            Output::Disconnect { id, conn, why } => {
                if let Some(link) = self.take_link(id, conn) {
                    link.member.disconnect(why);
                }
            }
            Output::Forget { id, conn } => {
                self.take_link(id, conn);
            }
            Output::Answer { conn, answer } => {
                if answer.is_err() {
                    self.links.remove(&conn);
                }
                if let Some(reply) = self.replies.remove(&conn) {
                    let _ = reply.send(answer);
                }
            }
            // The SFU's post was put in the table (or taken out) in `input`.
            Output::StartSfu { sfu } => self.tell_sfu(SfuCommand::Start { sfu }),
            Output::StopSfu { sfu } => self.tell_sfu(SfuCommand::Stop { sfu }),
            Output::ToSfu { from, request, .. } => self.tell_sfu(SfuCommand::Request { from, request }),
            Output::SaveRecord(record) => self.settings.store.save(self.room.name(), record, wall_clock_secs()),
            Output::Closed => {}
        }
    }

    /// Numbers and keeps a room message in the member's stream, and sends it if the member is connected. A
    /// member too slow to take it is reported back to the room; `Gone` means its connection is ending and
    /// its session will tell the room, so nothing is done.
    fn deliver(&mut self, to: PeerId, frame: &Frame, too_slow: &mut Vec<(PeerId, u64)>) {
        let Some(post) = self.posts.get(&to) else { return };
        self.settings.metrics.room_messages.increment(1);
        if post.push(frame, Instant::now().into_std()) == Err(DeliveryError::Full)
            && let Some(link) = post.link()
        {
            too_slow.push((to, link.conn));
        }
    }

    /// Makes the greeting's connection the member's: `welcome` (or `resumed`) first, with a fresh resume
    /// token and ICE servers, then what it missed, in one step on its post.
    fn attach(&mut self, greeting: Greeting, too_slow: &mut Vec<(PeerId, u64)>) {
        let Greeting { id, conn, req, generation, entry, joined } = greeting;
        let Some(post) = self.posts.get(&id).cloned() else { return };
        let Some(link) = self.links.remove(&conn) else { return };
        let now = wall_clock_secs();
        let room = self.room.name().clone();
        let ice = self.settings.ice.grant(id, &room, now);
        let sfu = joined.media.is_some();
        if sfu {
            self.speaks_sfu.insert(id);
        }
        let bearer = Bearer { room: &room, id, name: &joined.name, role: joined.role, sfu };
        let token = self.settings.resume.mint(bearer, generation, now);
        link.member.set_role(joined.role);
        let role = joined.role;
        let mut limits = self.settings.limits.clone();
        if let Some(media) = &joined.media {
            limits.max_participants = media.max_participants;
        }
        let welcome = Welcome {
            protocol: PROTOCOL_VERSION,
            req,
            you: id,
            name: joined.name,
            role,
            locked: joined.locked,
            lobby: joined.lobby,
            spotlight: joined.spotlight,
            room: room.clone(),
            peers: joined.peers,
            ice_servers: ice.servers,
            ice_transport_policy: ice.policy,
            chat_history: joined.chat_history,
            limits,
            resume_token: token,
            resume_grace_ms: u64::try_from(self.settings.resume_grace.as_millis()).unwrap_or(u64::MAX),
            media_mode: joined.media.map(|media| media.mode),
            sfu: joined.media.and_then(|media| media.sfu),
            recording: joined.recording,
        };
        let resume_after = match entry {
            Entry::Resumed { last_n } => Some(last_n),
            Entry::Joined | Entry::Restored => None,
        };
        let connected = post.connect(link, resume_after, |replay| {
            Frame::single(match (entry, replay) {
                (Entry::Joined, _) => ServerMessage::Welcome(welcome),
                (Entry::Restored, _) | (Entry::Resumed { .. }, None) => {
                    ServerMessage::Resumed { welcome, replay: Replay::Reset }
                }
                (Entry::Resumed { .. }, Some(replay)) => ServerMessage::Resumed { welcome, replay },
            })
        });
        if connected.replayed > 0 {
            tracing::debug!(room = %ruang_room::LogName::of(&room), peer = %id, replayed = connected.replayed, "replayed");
        }
        if let Some(replaced) = connected.replaced {
            replaced.member.disconnect(ruang_member::Disconnect::Replaced);
        }
        if connected.delivery == Err(DeliveryError::Full) {
            too_slow.push((id, conn));
        }
    }

    /// A post whose link is the room's SFU member (its worker is started with the first SFU period). The
    /// room only goes to SFU mode with an SFU, so the worker exists whenever its post is in the table.
    fn sfu_post(&mut self) -> Arc<Post> {
        let post = Arc::new(Post::new(self.settings.replay));
        if self.sfu.is_none()
            && let Some(service) = &self.settings.sfu
        {
            let table = Arc::downgrade(&self.table);
            self.sfu = Some(SfuRoom::new(Arc::clone(service), table, self.mailbox.clone()));
        }
        if let Some(sfu) = &self.sfu {
            // The SFU takes signals only: the greeting a post starts with is nothing it reads.
            let link = Link { conn: 0, member: sfu.member() };
            post.connect(link, None, |_| Frame::single(ServerMessage::Pong { req: None }));
        }
        post
    }

    /// Tells the room's SFU worker, if the room has had an SFU period.
    fn tell_sfu(&self, command: SfuCommand) {
        if let Some(sfu) = &self.sfu {
            sfu.send(command);
        }
    }

    /// Connection `conn` of `id`: its member's current link, or one the room holds apart (the lobby's).
    fn link(&self, id: PeerId, conn: u64) -> Option<Link> {
        let current = self.posts.get(&id).and_then(|post| post.link()).filter(|link| link.conn == conn);
        current.or_else(|| self.links.get(&conn).cloned())
    }

    /// Lets go of connection `conn` of `id` (no longer the member's, if it was); returns it.
    fn take_link(&mut self, id: PeerId, conn: u64) -> Option<Link> {
        match self.posts.get(&id).filter(|post| post.is_current(conn)) {
            Some(post) => post.detach(),
            None => self.links.remove(&conn),
        }
    }
}
