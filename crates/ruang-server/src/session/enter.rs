//! Getting a connection into a room: `join` as a new participant, or `resume` an existing one with its
//! signed token. Both go through the room task, which answers once the `welcome` or `resumed` is queued.

use ruang_proto::{ErrorCode, MediaState, PeerId, Rejection, RoomName};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::{Membership, Session};
use crate::clock::wall_clock_secs;
use crate::rooms::{Arrival, JoinReply, Link, RoomCommand, RoomHandle};

/// How many times entering is retried when the room closed or the drawn id was taken under it.
const ATTEMPTS: usize = 4;

/// Who is entering, as the session will remember it once in.
struct Identity {
    id: PeerId,
    room: RoomName,
    name: String,
    /// The generation of the token the participant will hold once in.
    generation: u32,
}

impl Session {
    pub(super) async fn join(
        &mut self,
        room: RoomName,
        name: String,
        media: MediaState,
        req: Option<u32>,
    ) -> Result<(), Rejection> {
        self.refuse_if_stopping()?;
        for _ in 0..ATTEMPTS {
            let handle = self.room_handle(&room)?;
            let bits = self.state.ids.next().ok_or_else(|| Rejection::new(ErrorCode::Internal, "no random source"))?;
            let who = Identity { id: PeerId::from_bits(bits), room: room.clone(), name: name.clone(), generation: 0 };
            let (arrival, ice_refresh) = self.arrival(&who, media, req);
            let (reply, answer) = oneshot::channel();
            let command = RoomCommand::Join { arrival, name: name.clone(), reply };
            match self.ask(&handle, command, answer).await {
                // A participant waiting in the lobby is held by its room like a member: the room tells it
                // when it is let in, and its connection ending takes it out of the lobby.
                Some(JoinReply::Joined | JoinReply::Waiting) => {
                    self.enter(who, handle, ice_refresh);
                    return Ok(());
                }
                Some(JoinReply::Full) => return Err(room_full()),
                Some(JoinReply::Locked) => return Err(locked()),
                Some(JoinReply::Banned) => return Err(banned()),
                Some(JoinReply::Refused(_) | JoinReply::DuplicateId | JoinReply::Closed) | None => continue,
            }
        }
        Err(Rejection::new(ErrorCode::Internal, "could not join the room; try again"))
    }

    pub(super) async fn resume(
        &mut self,
        token: &str,
        last_n: u64,
        media: MediaState,
        req: Option<u32>,
    ) -> Result<(), Rejection> {
        self.refuse_if_stopping()?;
        let ticket = self.state.resume.check(token, wall_clock_secs()).map_err(|err| refused(&err.to_string()))?;
        let claims = ticket.claims;
        let restore = match ticket.from_previous_instance {
            true if !self.state.resume.claim_restore(claims.id) => {
                return Err(refused("this resume token was already used"));
            }
            true => Some(claims.name.clone()),
            false => None,
        };
        let who = Identity {
            id: claims.id,
            room: claims.room,
            name: claims.name,
            generation: claims.generation.wrapping_add(1),
        };
        for _ in 0..ATTEMPTS {
            let handle = self.room_handle(&who.room)?;
            let (arrival, ice_refresh) = self.arrival(&who, media, req);
            let (reply, answer) = oneshot::channel();
            let generation = claims.generation;
            let command = RoomCommand::Resume { arrival, generation, last_n, restore: restore.clone(), reply };
            match self.ask(&handle, command, answer).await {
                Some(JoinReply::Joined | JoinReply::Waiting) => {
                    self.enter(who, handle, ice_refresh);
                    return Ok(());
                }
                Some(JoinReply::Full) => return Err(room_full()),
                Some(JoinReply::Locked) => return Err(locked()),
                Some(JoinReply::Banned) => return Err(banned()),
                Some(JoinReply::Refused(why)) => return Err(refused(why)),
                Some(JoinReply::DuplicateId | JoinReply::Closed) | None => continue,
            }
        }
        Err(Rejection::new(ErrorCode::Internal, "could not resume; try again"))
    }

    fn refuse_if_stopping(&self) -> Result<(), Rejection> {
        match self.state.shutdown.is_cancelled() {
            true => Err(Rejection::new(ErrorCode::ShuttingDown, "the server is stopping")),
            false => Ok(()),
        }
    }

    fn room_handle(&self, room: &RoomName) -> Result<RoomHandle, Rejection> {
        self.state
            .rooms
            .get_or_create(room)
            .map_err(|_| Rejection::new(ErrorCode::TooManyRooms, "the server cannot open more rooms; try again later"))
    }

    /// What the room needs to greet `who` on this connection, and when its TURN credentials expire.
    fn arrival(&self, who: &Identity, media: MediaState, req: Option<u32>) -> (Arrival, Option<Instant>) {
        let now = wall_clock_secs();
        let ice = self.state.ice.grant(who.id, &who.room, now);
        let ice_refresh = ice.refresh_after.map(|after| Instant::now() + after);
        let token = self.state.resume.mint(&who.room, who.id, &who.name, who.generation, now);
        let link = Link { conn: self.conn, participant: Box::new(self.outbox.clone()) };
        (Arrival { id: who.id, media, req, ice, token, link }, ice_refresh)
    }

    /// Sends a join or resume to the room and waits for its answer; `None` if the room closed meanwhile.
    async fn ask(
        &self,
        handle: &RoomHandle,
        command: RoomCommand,
        answer: oneshot::Receiver<JoinReply>,
    ) -> Option<JoinReply> {
        handle.send(command).await.ok()?;
        answer.await.ok()
    }

    fn enter(&mut self, who: Identity, handle: RoomHandle, ice_refresh: Option<Instant>) {
        let token_refresh = self.state.resume.refresh_every().map(|every| Instant::now() + every);
        let Identity { id, room, name, generation } = who;
        self.membership = Some(Membership { id, room, name, generation, handle, ice_refresh, token_refresh });
    }
}

fn room_full() -> Rejection {
    Rejection::new(ErrorCode::RoomFull, "the room is full")
}

fn locked() -> Rejection {
    Rejection::new(ErrorCode::RoomLocked, "the room is locked; ask a host to unlock it")
}

fn banned() -> Rejection {
    Rejection::new(ErrorCode::Banned, "you were banned from this meeting")
}

fn refused(why: &str) -> Rejection {
    Rejection::new(ErrorCode::ResumeRefused, format!("cannot resume: {why}; join as a new participant"))
}
