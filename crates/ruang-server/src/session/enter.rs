//! Getting a connection into a room: `join` as a new participant, or `resume` an existing one with its
//! signed token. Both go through the room task, which answers once the `welcome` or `resumed` is queued.

use ruang_proto::{Credentials, ErrorCode, MediaState, PeerId, Rejection, RoomName, validate_display_name};
use ruang_room::{Entered, Input, Join, Refusal, Restore, Resume};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::{Membership, Session};
use crate::access::{Access, InviteClaims, Proof};
use crate::clock::wall_clock_secs;
use crate::rooms::{Answer, CreateError, Entering, Link, Opener, RoomCommand, RoomHandle};
use crate::store::BrowserKeyHash;

/// How many times entering is retried when the room closed or the drawn id was taken under it.
const ATTEMPTS: usize = 4;

/// Who is entering, as the session will remember it once in.
struct Identity {
    id: PeerId,
    room: RoomName,
    name: String,
    /// The generation of the token the participant will hold once in.
    generation: u32,
    /// Its client speaks SFU.
    sfu: bool,
}

impl Session {
    pub(super) async fn join(
        &mut self,
        room: RoomName,
        name: String,
        media: MediaState,
        credentials: Credentials,
        sfu: bool,
        req: Option<u32>,
    ) -> Result<(), Rejection> {
        self.refuse_if_stopping()?;
        let started = Instant::now();
        let invitation = self.invitation(&room, &credentials)?;
        let name = match invitation.as_ref().and_then(|claims| claims.name.as_deref()) {
            Some(given) => validate_display_name(given, &self.state.config.limits)?,
            None => name,
        };
        for _ in 0..ATTEMPTS {
            let handle = self.room_to_join(&room).await?;
            let (reply, answer) = oneshot::channel();
            let Some(access) = self.ask(&handle, RoomCommand::Access { reply }, answer).await else { continue };
            let host = match &credentials.host_password {
                Some(given) if invitation.is_none() => self.prove_host(&room, given).await?,
                _ => false,
            };
            let proof = match &invitation {
                Some(claims) => Proof::Invite(claims.clone()),
                None if host => Proof::Host,
                None => self.prove(&room, access, &credentials).await?,
            };
            let bits = self.state.ids.next().ok_or_else(|| Rejection::new(ErrorCode::Internal, "no random source"))?;
            let who =
                Identity { id: PeerId::from_bits(bits), room: room.clone(), name: name.clone(), generation: 0, sfu };
            let join = Join {
                id: who.id,
                conn: self.conn,
                name: name.clone(),
                media,
                req,
                role: invitation.as_ref().map(|claims| claims.role).or(host.then_some(ruang_proto::Role::Host)),
                invitation: invitation.as_ref().map(|claims| claims.jti.clone()),
                address: self.address,
                browser_key: credentials.browser_key.as_deref().map(BrowserKeyHash::of),
                sfu,
            };
            let (command, answer) = self.entering(Input::Join(Box::new(join)), Some(proof));
            match step(self.ask(&handle, command, answer).await) {
                Step::In => {
                    self.state.metrics.joins.increment(1);
                    self.state.metrics.join_seconds.record(started.elapsed().as_secs_f64());
                    self.enter(who, handle);
                    return Ok(());
                }
                Step::Out(rejection) => return Err(rejection),
                Step::Retry => continue,
            }
        }
        Err(Rejection::new(ErrorCode::Internal, "could not join the room; try again"))
    }

    /// The invitation the client brought, checked: signed by this server, not expired, for this room.
    fn invitation(&self, room: &RoomName, credentials: &Credentials) -> Result<Option<InviteClaims>, Rejection> {
        let Some(token) = &credentials.invite else { return Ok(None) };
        let invalid = |why: String| Rejection::new(ErrorCode::InvalidInvite, why);
        let claims = self.state.invites.verify(token, wall_clock_secs()).map_err(|err| invalid(err.to_string()))?;
        if &claims.room != room {
            return Err(invalid("the invitation is for another room".into()));
        }
        Ok(Some(claims))
    }

    /// What the client can prove for a room entered by `access`: nothing needed, or the password. The
    /// attempt is counted before the password is checked, on the bounded pool; a wrong one is logged at `warn`
    /// with the client address, for tools such as fail2ban.
    async fn prove(&self, room: &RoomName, access: Access, credentials: &Credentials) -> Result<Proof, Rejection> {
        let (hash, version) = match access {
            Access::Open => return Ok(Proof::Nothing),
            Access::Invite => {
                return Err(Rejection::new(ErrorCode::InviteRequired, "this room is by invitation only"));
            }
            Access::Password { hash, version } => (hash, version),
        };
        let Some(password) = credentials.password.clone() else {
            return Err(Rejection::new(ErrorCode::PasswordRequired, "this room needs a password"));
        };
        let Some(attempt) = self.state.throttle.attempt(self.address, room, Instant::now()).await else {
            tracing::debug!(room = %ruang_room::LogName::of(room), "refused a password attempt: too many");
            let message = "too many password attempts; wait a minute before trying again";
            return Err(Rejection::new(ErrorCode::TooManyAttempts, message));
        };
        match self.state.passwords.check(hash, password, attempt.is_fresh()).await {
            Ok(true) => {
                attempt.succeeded();
                Ok(Proof::Password { version })
            }
            Ok(false) => {
                attempt.failed(Instant::now());
                let client = self.address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
                tracing::warn!(room = %ruang_room::LogName::of(room), %client, "wrong room password");
                Err(Rejection::new(ErrorCode::WrongPassword, "the password is not right"))
            }
            Err(err) => {
                attempt.not_checked();
                tracing::debug!(room = %ruang_room::LogName::of(room), %err, "a password was not checked");
                let message = "too many password attempts at the moment; wait a little and try again";
                Err(Rejection::new(ErrorCode::TooManyAttempts, message))
            }
        }
    }

    /// Whether `given` is the room's host password: `true` when it is, a `wrong_password` error when the
    /// room has one and it is not, `invalid_message` when the room has none. Counted against the same
    /// per-address and per-room attempt limits as room passwords, and checked on the same bounded pool.
    async fn prove_host(&self, room: &RoomName, given: &str) -> Result<bool, Rejection> {
        let hash = self.state.config.rooms.get(room.as_str()).and_then(|policy| policy.host_password_hash.clone());
        let Some(hash) = hash else {
            return Err(Rejection::new(ErrorCode::InvalidMessage, "this room has no host password"));
        };
        let Some(attempt) = self.state.throttle.attempt(self.address, room, Instant::now()).await else {
            let message = "too many password attempts; wait a minute before trying again";
            return Err(Rejection::new(ErrorCode::TooManyAttempts, message));
        };
        match self.state.passwords.check(hash.into(), given.to_owned(), attempt.is_fresh()).await {
            Ok(true) => {
                attempt.succeeded();
                Ok(true)
            }
            Ok(false) => {
                attempt.failed(Instant::now());
                let client = self.address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
                tracing::warn!(room = %ruang_room::LogName::of(room), %client, "wrong host password");
                Err(Rejection::new(ErrorCode::WrongPassword, "the host password is not right"))
            }
            Err(err) => {
                attempt.not_checked();
                tracing::debug!(room = %ruang_room::LogName::of(room), %err, "a host password was not checked");
                let message = "too many password attempts at the moment; wait a little and try again";
                Err(Rejection::new(ErrorCode::TooManyAttempts, message))
            }
        }
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
            true if !self.state.resume.claim_restore(claims.id).await => {
                return Err(refused("this resume token was already used"));
            }
            // This instance's token: restored only into a meeting rebuilt on another node of the cluster (its
            // room's owner was lost) whose roster expects it.
            previous => {
                Some(Restore { name: claims.name.clone(), role: claims.role, sfu: claims.sfu, carried_only: !previous })
            }
        };
        let who = Identity {
            id: claims.id,
            room: claims.room,
            name: claims.name,
            generation: claims.generation.wrapping_add(1),
            sfu: claims.sfu,
        };
        for _ in 0..ATTEMPTS {
            let handle = self.room_handle(&who.room).await?;
            let resume = Resume {
                id: who.id,
                conn: self.conn,
                media,
                req,
                generation: claims.generation,
                last_n,
                address: self.address,
                restore: restore.clone(),
            };
            let (command, answer) = self.entering(Input::Resume(Box::new(resume)), None);
            match step(self.ask(&handle, command, answer).await) {
                Step::In => {
                    self.state.metrics.resumes.increment(1);
                    self.enter(who, handle);
                    return Ok(());
                }
                Step::Out(rejection) => return Err(rejection),
                Step::Retry => continue,
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

    /// The room to resume in, created if it is gone (after a restart): not counted against the address, as
    /// only a signed token gets here.
    async fn room_handle(&self, room: &RoomName) -> Result<RoomHandle, Rejection> {
        self.state.directory.find_or_open(room, Opener::Uncounted).await.map_err(|_| too_many_rooms())
    }

    /// The room to join, created if new and the client's address may create one more this minute.
    async fn room_to_join(&self, room: &RoomName) -> Result<RoomHandle, Rejection> {
        self.state.directory.find_or_open(room, Opener::Client(self.address)).await.map_err(|err| match err {
            CreateError::TooManyRooms => too_many_rooms(),
            CreateError::Draining => {
                Rejection::new(ErrorCode::TooManyRooms, "this server is draining and opens no new rooms; try again")
            }
            CreateError::NotNow => {
                let message = "you created too many rooms in the last minute; wait a little and try again";
                Rejection::new(ErrorCode::TooManyNewRooms, message)
            }
        })
    }

    /// A join or resume for the room, with this connection and the channel its answer comes back on.
    fn entering(&self, input: Input, proof: Option<Proof>) -> (RoomCommand, oneshot::Receiver<Answer>) {
        let link = Link { conn: self.conn, member: std::sync::Arc::new(self.outbox.clone()) };
        let (reply, answer) = oneshot::channel();
        (RoomCommand::Enter(Box::new(Entering { input, proof, link, reply })), answer)
    }

    /// Sends a request to the room and waits for its answer; `None` if the room closed meanwhile.
    async fn ask<T>(&self, handle: &RoomHandle, command: RoomCommand, answer: oneshot::Receiver<T>) -> Option<T> {
        handle.send(command).await.ok()?;
        answer.await.ok()
    }

    /// Remembers the room the connection is in, or waits in the lobby of. Renewals (TURN credentials,
    /// resume tokens) start once the room has let the participant in ([`Session::renewals_start`]).
    fn enter(&mut self, who: Identity, handle: RoomHandle) {
        let Identity { id, room, name, generation, sfu } = who;
        let (ice_refresh, token_refresh) = (None, None);
        let membership = Membership { id, room, name, generation, handle, ice_refresh, token_refresh, acked: 0, sfu };
        self.membership = Some(membership);
        self.renewals_start();
    }

    /// Schedules the renewals of a participant the room has let in, once: until then (in the lobby) it has
    /// no resume token or TURN credentials to renew.
    pub(super) fn renewals_start(&mut self) {
        if self.outbox.role().is_none() {
            return;
        }
        let Some(membership) = self.membership.as_mut() else { return };
        if membership.ice_refresh.is_some() || membership.token_refresh.is_some() {
            return;
        }
        let now = Instant::now();
        membership.ice_refresh = self.state.ice.refresh_after().map(|after| now + after);
        membership.token_refresh = self.state.resume.refresh_every().map(|every| now + every);
    }
}

/// What a room's answer to a join or resume means for the session.
enum Step {
    /// In the room, or in its lobby: a waiting participant is held by its room like a member; the room tells
    /// it when it is let in, and its connection ending takes it out of the lobby.
    In,
    /// The room closed, the id was taken, or the access changed: ask again.
    Retry,
    /// Refused, with this error for the client.
    Out(Rejection),
}

/// The room's answer as the session acts on it: the one place a refusal becomes a client error.
fn step(answer: Option<Answer>) -> Step {
    let out = |code, message: &str| Step::Out(Rejection::new(code, message));
    match answer {
        Some(Ok(Entered::In | Entered::Waiting)) => Step::In,
        Some(Err(Refusal::Full)) => out(ErrorCode::RoomFull, "the room is full"),
        Some(Err(Refusal::Locked)) => out(ErrorCode::RoomLocked, "the room is locked; ask a host to unlock it"),
        Some(Err(Refusal::Banned)) => out(ErrorCode::Banned, "you were banned from this meeting"),
        Some(Err(Refusal::LobbyFull)) => out(ErrorCode::LobbyFull, "the lobby is full; try again later"),
        Some(Err(Refusal::SfuRequired)) => out(
            ErrorCode::SfuRequired,
            r#"this room is in SFU mode; join with "modes": ["mesh", "sfu"] from a client that speaks it"#,
        ),
        Some(Err(Refusal::Resume(why))) => Step::Out(refused(&why.to_string())),
        Some(Err(Refusal::DuplicateId | Refusal::Closed | Refusal::AccessChanged)) | None => Step::Retry,
    }
}

fn too_many_rooms() -> Rejection {
    Rejection::new(ErrorCode::TooManyRooms, "the server cannot open more rooms; try again later")
}

fn refused(why: &str) -> Rejection {
    Rejection::new(ErrorCode::ResumeRefused, format!("cannot resume: {why}; join as a new participant"))
}
