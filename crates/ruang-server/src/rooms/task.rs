//! The task that drives one room: the thin, asynchronous edge around the sans-IO [`ruang_room::Room`]. It
//! moves commands from its mailbox into the room with the time, performs the room's outputs in order, and
//! sleeps until the room's next deadline.
//!
//! What the room's outputs only name lives here: the connections behind connection numbers ([`Link`]s of
//! members and of newcomers in the lobby), the pending joins' reply channels, and each member's numbered
//! [`Stream`] (the member table: published and unpublished as the room says). Delivering never waits on a
//! participant; one that cannot keep up is reported back to the room ([`Input::Slow`]).

use std::collections::HashMap;
use std::sync::Arc;

use ruang_proto::{PROTOCOL_VERSION, PeerId, Replay, RoomName, ServerMessage, Welcome};
use ruang_room::{Entry, Greeting, Input, Now, Output, Refusal, Room, RoomConfig, Settings};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::command::{Answer, Entering, RoomCommand};
use super::participant::{DeliveryError, Disconnect, Envelope, Participant};
use super::stream::Stream;
use super::{RoomSettings, Rooms};
use crate::access::Access;
use crate::clock::{sleep_until_some, wall_clock_ms, wall_clock_secs};

/// A member of the room as the driver keeps it: its numbered stream and its current connection.
struct Post {
    stream: Stream,
    conn: Option<u64>,
}

pub(super) struct RoomTask {
    room: Room,
    generation: u64,
    settings: Arc<RoomSettings>,
    rooms: Arc<Rooms>,
    /// How the room is entered.
    access: Access,
    /// Every connection the room knows, by number: its members' and its lobby's.
    links: HashMap<u64, Box<dyn Participant>>,
    /// The member table: each member's stream and connection.
    posts: HashMap<PeerId, Post>,
    /// Joins and resumes waiting for the room's answer, by connection.
    replies: HashMap<u64, oneshot::Sender<Answer>>,
}

impl RoomTask {
    pub(super) fn new(name: RoomName, generation: u64, settings: Arc<RoomSettings>, rooms: Arc<Rooms>) -> Self {
        let policy = settings.policies.get(&name).cloned().unwrap_or_default();
        let roster = RoomConfig {
            max_participants: settings.limits.max_participants,
            chat_history: settings.chat_history,
            lobby: policy.lobby,
            max_waiting: settings.max_waiting,
        };
        let room_settings =
            Settings { roster, resume_grace: settings.resume_grace, records_persist: settings.store.is_persistent() };
        let record = settings.store.load(&name, wall_clock_secs());
        let room = Room::new(name, room_settings, record, Instant::now().into_std());
        RoomTask {
            room,
            generation,
            access: Access::from_policy(&policy),
            settings,
            rooms,
            links: HashMap::new(),
            posts: HashMap::new(),
            replies: HashMap::new(),
        }
    }

    pub(super) async fn run(mut self, mut inbox: mpsc::Receiver<RoomCommand>) {
        tracing::debug!(room = %self.room.name(), "room opened");
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
    async fn close(self, mut inbox: mpsc::Receiver<RoomCommand>) {
        self.rooms.remove(self.room.name(), self.generation);
        inbox.close();
        while let Some(command) = inbox.recv().await {
            if let RoomCommand::Enter(entering) = command {
                let _ = entering.reply.send(Err(Refusal::Closed));
            }
        }
        tracing::debug!(room = %self.room.name(), "room closed");
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
                self.links.insert(link.conn, link.participant);
                self.replies.insert(link.conn, reply);
                self.input(input);
            }
            RoomCommand::Input(input) => self.input(input),
        }
    }

    /// Applies an input now and performs everything the room asks for; a connection found too slow on the
    /// way is reported back to the room, which may ask for more.
    fn input(&mut self, input: Input) {
        let now = Now { instant: Instant::now().into_std(), unix_ms: wall_clock_ms() };
        self.room.handle_input(input, now);
        let mut too_slow = Vec::new();
        loop {
            while let Some(output) = self.room.poll_output() {
                self.perform(output, &mut too_slow);
            }
            let Some((id, conn)) = too_slow.pop() else { return };
            self.room.handle_input(Input::Slow { id, conn }, now);
        }
    }

    fn perform(&mut self, output: Output, too_slow: &mut Vec<(PeerId, u64)>) {
        match output {
            Output::Publish { id } => {
                self.posts.insert(id, Post { stream: Stream::new(), conn: None });
            }
            Output::Unpublish { id } => {
                self.posts.remove(&id);
            }
            Output::Attach(greeting) => self.attach(*greeting, too_slow),
            Output::Deliver { to, message } => self.deliver(to, &Envelope::new(message), too_slow),
            Output::Broadcast { except, message } => {
                let envelope = Envelope::new(message);
                let everyone: Vec<PeerId> = self.posts.keys().copied().filter(|id| Some(*id) != except).collect();
                everyone.into_iter().for_each(|id| self.deliver(id, &envelope, too_slow));
            }
            Output::Reply { to, conn, message } => {
                let link = self.links.get(&conn);
                if link.is_some_and(|link| link.deliver(&Envelope::new(message), None) == Err(DeliveryError::Full)) {
                    too_slow.push((to, conn));
                }
            }
            Output::Violation { conn } => {
                if let Some(link) = self.links.get(&conn) {
                    link.violated();
                }
            }
            Output::RoleChanged { id, conn, name, role, generation } => {
                if let Some(link) = self.links.get(&conn) {
                    let room = self.room.name();
                    let token = self.settings.resume.mint(room, id, &name, role, generation, wall_clock_secs());
                    let _ = link.deliver(&Envelope::new(Arc::new(ServerMessage::ResumeToken { token })), None);
                    link.set_role(role);
                }
            }
            Output::Acknowledged { id, n } => {
                if let Some(post) = self.posts.get_mut(&id) {
                    post.stream.acknowledge(n);
                }
            }
            Output::Disconnect { id, conn, why } => {
                if let Some(link) = self.forget(id, conn) {
                    link.disconnect(disconnect(why));
                }
            }
            Output::Forget { id, conn } => {
                self.forget(id, conn);
            }
            Output::Answer { conn, answer } => {
                if answer.is_err() {
                    self.links.remove(&conn);
                }
                if let Some(reply) = self.replies.remove(&conn) {
                    let _ = reply.send(answer);
                }
            }
            Output::SaveRecord(record) => self.settings.store.save(self.room.name(), record, wall_clock_secs()),
            Output::Closed => {}
        }
    }

    /// Numbers and keeps a room message in the member's stream, and sends it if the member is connected.
    /// `Gone` means its connection is ending and its session will tell the room, so nothing is done.
    fn deliver(&mut self, to: PeerId, envelope: &Envelope, too_slow: &mut Vec<(PeerId, u64)>) {
        let Some(post) = self.posts.get_mut(&to) else { return };
        let link = post.conn.and_then(|conn| self.links.get(&conn).map(|link| (conn, link)));
        let n = post.stream.push(envelope, Instant::now(), link.is_some(), self.settings.replay);
        if let Some((conn, link)) = link
            && link.deliver(envelope, Some(n)) == Err(DeliveryError::Full)
        {
            too_slow.push((to, conn));
        }
    }

    /// Makes the greeting's connection the member's, after queuing `welcome` (or `resumed`) on it as its first
    /// message, with a fresh resume token and ICE servers, then what it missed.
    fn attach(&mut self, greeting: Greeting, too_slow: &mut Vec<(PeerId, u64)>) {
        let Greeting { id, conn, req, generation, entry, joined } = greeting;
        let (Some(post), Some(link)) = (self.posts.get_mut(&id), self.links.get(&conn)) else { return };
        let missed: Option<Vec<(u64, Envelope)>> = match entry {
            Entry::Resumed { last_n } => {
                post.stream.replay_after(last_n).map(|kept| kept.map(|(n, envelope)| (n, envelope.clone())).collect())
            }
            Entry::Joined | Entry::Restored => None,
        };
        if missed.is_none() {
            post.stream.clear();
        }
        post.conn = Some(conn);
        let now = wall_clock_secs();
        let room = self.room.name();
        let ice = self.settings.ice.grant(id, room, now);
        let token = self.settings.resume.mint(room, id, &joined.name, joined.role, generation, now);
        link.set_role(joined.role);
        let welcome = Welcome {
            protocol: PROTOCOL_VERSION,
            req,
            you: id,
            name: joined.name,
            role: joined.role,
            locked: joined.locked,
            lobby: joined.lobby,
            room: room.clone(),
            peers: joined.peers,
            ice_servers: ice.servers,
            ice_transport_policy: ice.policy,
            chat_history: joined.chat_history,
            limits: self.settings.limits.clone(),
            resume_token: token,
            resume_grace_ms: u64::try_from(self.settings.resume_grace.as_millis()).unwrap_or(u64::MAX),
        };
        let message = match (entry, &missed) {
            (Entry::Joined, _) => ServerMessage::Welcome(welcome),
            (_, Some(_)) => ServerMessage::Resumed { welcome, replay: Replay::Replayed },
            (_, None) => ServerMessage::Resumed { welcome, replay: Replay::Reset },
        };
        // A failed delivery shows up as the connection ending; its session then tells the room.
        let _ = link.deliver(&Envelope::new(Arc::new(message)), None);
        let missed = missed.unwrap_or_default();
        if !missed.is_empty() {
            tracing::debug!(room = %room, peer = %id, replayed = missed.len(), "replaying");
        }
        let delivered = missed.iter().try_for_each(|(n, envelope)| link.deliver(envelope, Some(*n)));
        if delivered == Err(DeliveryError::Full) {
            too_slow.push((id, conn));
        }
    }

    /// Forgets connection `conn` (no longer the member's, if it was); returns it.
    fn forget(&mut self, id: PeerId, conn: u64) -> Option<Box<dyn Participant>> {
        if let Some(post) = self.posts.get_mut(&id).filter(|post| post.conn == Some(conn)) {
            post.conn = None;
        }
        self.links.remove(&conn)
    }
}

/// The room's reason for letting a connection go, as the connection understands it.
fn disconnect(why: ruang_room::Disconnect) -> Disconnect {
    match why {
        ruang_room::Disconnect::Slow => Disconnect::Slow,
        ruang_room::Disconnect::Replaced => Disconnect::Replaced,
        ruang_room::Disconnect::Removed => Disconnect::Removed,
    }
}
