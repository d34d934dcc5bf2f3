//! What goes into a [`Room`](crate::Room) and what comes out: plain data (ids, connection numbers, messages),
//! with no channel, socket or trait object, so a room can be driven by a tokio task today and from another
//! node later. The driver keeps what the data only names: the connections behind connection numbers, the
//! reply channels of pending joins, the members' streams.
//!
//! [`Input`] and [`Output`] serialize and deserialize (serde) to equal values, so they can cross nodes; the
//! messages they carry are then read back by another server, never by a client.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use ruang_proto::{
    ChatEntry, LeaveReason, MediaMode, MediaState, Moderation, PeerId, PeerInfo, Reaction, Role, ServerMessage,
    SignalPayload,
};
use serde::{Deserialize, Serialize};

use crate::media::SfuRequest;
use crate::record::{BrowserKeyHash, MeetingRecord};

/// Why a room lets go of a member's connection while the member may stay: the member interface's reasons.
pub use ruang_member::Disconnect;

/// The time an input happens at: the monotonic instant (deadlines) and the wall clock (chat timestamps,
/// when a meeting ended).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// The monotonic clock.
    pub instant: Instant,
    /// Milliseconds since the Unix epoch.
    pub unix_ms: u64,
}

impl Now {
    /// Seconds since the Unix epoch.
    pub fn unix_secs(&self) -> u64 {
        self.unix_ms / 1000
    }
}

/// Something that happens to a room.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Input {
    /// A newcomer asks to join on connection `conn`; its access was already checked by its session.
    /// Answered with [`Output::Answer`] on that connection.
    Join(Box<Join>),
    /// A participant comes back on connection `conn` with a resume token. Answered with [`Output::Answer`].
    Resume(Box<Resume>),
    /// A participant leaves for good (or its connection broke a rule): it is removed at once.
    Leave {
        /// Who.
        id: PeerId,
        /// Which connection asked (ignored if it is no longer the participant's current one).
        conn: u64,
        /// Why, as the others will be told.
        reason: LeaveReason,
    },
    /// A participant's connection ended without `leave`: it is kept, reconnecting, for the grace period.
    Lost {
        /// Who.
        id: PeerId,
        /// Which connection ended (ignored if it is no longer the participant's current one).
        conn: u64,
        /// What it leaves with if it does not come back.
        reason: LeaveReason,
    },
    /// A delivery to the participant's connection found its queue full: the connection is dropped
    /// ([`Disconnect::Slow`]) and the participant is kept, reconnecting.
    Slow {
        /// Who.
        id: PeerId,
        /// The connection that could not keep up.
        conn: u64,
    },
    /// The participant has received its stream up to message `n` on connection `conn`.
    Ack {
        /// Whose stream.
        id: PeerId,
        /// Which connection says so (ignored if it is no longer the participant's current one).
        conn: u64,
        /// The highest message number received.
        n: u64,
    },
    /// Relay negotiation data.
    Signal {
        /// The sender (stamped by its session, never by the client).
        from: PeerId,
        /// The target.
        to: PeerId,
        /// The payload (boxed: the server relays signals itself, so this rare input must not make every
        /// mailbox slot larger).
        data: Box<SignalPayload>,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
    /// Set a participant's media state.
    Media {
        /// Whose.
        id: PeerId,
        /// The new state.
        media: MediaState,
    },
    /// Raise or lower a hand.
    Hand {
        /// Whose.
        id: PeerId,
        /// Raised.
        raised: bool,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
    /// Send a reaction to the room (at most [`REACTION_BURST`](crate::REACTION_BURST) at once, one more
    /// every [`REACTION_REFILL`](crate::REACTION_REFILL)).
    React {
        /// Who (stamped by its session, never by the client).
        id: PeerId,
        /// Which reaction.
        emoji: Reaction,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
    /// A member starts or stops recording the meeting.
    Recording {
        /// Who (stamped by its session).
        id: PeerId,
        /// Recording from now on.
        on: bool,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
    /// Use a host control (including admitting and denying someone in the lobby).
    Moderate {
        /// Who asks (its role decides).
        by: PeerId,
        /// What to do.
        action: Moderation,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
    /// Use a host control on behalf of the server's operator (the admin API), as a host would; the one who
    /// acts is [`OPERATOR`](crate::OPERATOR). The driver checks the target is in the room first.
    Administer {
        /// What to do.
        action: Moderation,
    },
    /// Post a chat message.
    Chat {
        /// The sender.
        from: PeerId,
        /// The validated text.
        text: String,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
    /// A member's request for the room's SFU (`layers`, `tiles`, `pin`): passed on in SFU mode, answered
    /// `sfu_unavailable` in mesh.
    Sfu {
        /// Who asks.
        from: PeerId,
        /// What (boxed: a rare input must not make every mailbox slot larger).
        request: Box<SfuRequest>,
        /// The client's `req`, for an error reply.
        req: Option<u32>,
    },
    /// The room's SFU `sfu` heard `id` speak.
    Speaker {
        /// The SFU that says so (ignored unless it is the room's current one).
        sfu: PeerId,
        /// Who speaks.
        id: PeerId,
    },
    /// Time passed: the deadline of [`Room::poll_timeout`](crate::Room::poll_timeout) may have come.
    Timeout,
}

/// A newcomer, with what its session has already verified.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Join {
    /// The id drawn for it.
    pub id: PeerId,
    /// Its connection's number, unique in the server.
    pub conn: u64,
    /// Its validated display name (an invitation's, if it set one).
    pub name: String,
    /// The media it sends.
    pub media: MediaState,
    /// The `req` of its request, echoed in `welcome`.
    pub req: Option<u32>,
    /// The role its invitation grants, if it came with one.
    pub role: Option<Role>,
    /// The id (`jti`) of its invitation, if it came with one: a ban covers the invitation.
    pub invitation: Option<String>,
    /// Where it connects from, if known: a ban covers the address.
    pub address: Option<IpAddr>,
    /// The hash of the key its browser keeps, if it sent one: a ban covers the browser.
    pub browser_key: Option<BrowserKeyHash>,
    /// Whether it speaks SFU (its `join` listed `"sfu"` in `modes`).
    #[serde(default)]
    pub sfu: bool,
}

/// A participant coming back with a resume token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    /// Who, as the token says.
    pub id: PeerId,
    /// Its new connection's number.
    pub conn: u64,
    /// The media it sends now.
    pub media: MediaState,
    /// The `req` of its request, echoed in `resumed`.
    pub req: Option<u32>,
    /// The generation of the token it presented: it must be the member's current one.
    pub generation: u32,
    /// The last numbered message it received.
    pub last_n: u64,
    /// Where it connects from now, if known.
    pub address: Option<IpAddr>,
    /// `Some` when the participant may be restored into the room if it is not there: with a token of a
    /// previous server instance, if the meeting's record (or, without one, the token) says it is in the
    /// meeting; with one of this instance ([`Restore::carried_only`]), only if the meeting was carried over
    /// (its room rebuilt from the record on another node, after the node that ran it was lost) with the
    /// participant on its roster.
    pub restore: Option<Restore>,
}

/// What a token from a previous server instance says about its participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restore {
    /// Its display name.
    pub name: String,
    /// Its role when the token was minted (used only when the meeting has no record).
    pub role: Role,
    /// Whether it speaks SFU, as its token says.
    #[serde(default)]
    pub sfu: bool,
    /// The token is this instance's: the participant is restored only if the carried-over meeting's roster
    /// expects it (never from the token alone, which a room that knew the participant already checked).
    #[serde(default)]
    pub carried_only: bool,
}

/// Something the room's driver must do, in the order the room gives them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Output {
    /// Add `id` to the member table (an empty numbered stream, no connection yet). Always before its greeting
    /// and the others' `peer_joined`.
    Publish {
        /// Who.
        id: PeerId,
        /// Its role.
        role: Role,
    },
    /// Make connection `conn` the member's connection and greet it there first (`welcome` or `resumed`, with
    /// a resume token of `generation` and ICE servers minted by the driver), then replay what it missed.
    Attach(Box<Greeting>),
    /// Number a message in `to`'s stream and send it if it is connected.
    Deliver {
        /// The recipient.
        to: PeerId,
        /// The message, shared so it is serialized once.
        message: Arc<ServerMessage>,
    },
    /// [`Output::Deliver`] to every member except `except`.
    Broadcast {
        /// A member left out (usually the one who caused the message).
        except: Option<PeerId>,
        /// The message, shared so it is serialized once.
        message: Arc<ServerMessage>,
    },
    /// Send a message on one connection, unnumbered: errors, `waiting`, `removed`.
    Reply {
        /// The member or newcomer the connection belongs to.
        to: PeerId,
        /// The connection.
        conn: u64,
        /// The message.
        message: Arc<ServerMessage>,
    },
    /// The client on `conn` sent something refused by its own fault: count it against its budget.
    Violation {
        /// The member or newcomer the connection belongs to.
        to: PeerId,
        /// The connection.
        conn: u64,
    },
    /// A member's role changed: note it in the member table and, if it is connected, give its connection a
    /// resume token with the new role.
    RoleChanged {
        /// Who.
        id: PeerId,
        /// Its connection, unless it is reconnecting.
        conn: Option<u64>,
        /// Its display name, for the token.
        name: String,
        /// Its new role.
        role: Role,
        /// The generation of its valid token.
        generation: u32,
    },
    /// The member has received its stream up to `n`: what it has need not be kept for a replay.
    Acknowledged {
        /// Whose stream.
        id: PeerId,
        /// The member's current connection, which said so.
        conn: u64,
        /// The highest message number received.
        n: u64,
    },
    /// End connection `conn` for `why` (after anything already sent on it) and forget it.
    Disconnect {
        /// Whose connection.
        id: PeerId,
        /// The connection.
        conn: u64,
        /// Why.
        why: Disconnect,
    },
    /// Connection `conn` ended on its own: forget it (without telling it anything).
    Forget {
        /// Whose connection.
        id: PeerId,
        /// The connection.
        conn: u64,
    },
    /// Take `id` out of the member table (and drop its stream). Always before the others' `peer_left`.
    Unpublish {
        /// Who.
        id: PeerId,
    },
    /// The answer to the [`Input::Join`] or [`Input::Resume`] of connection `conn`.
    Answer {
        /// The connection that asked.
        conn: u64,
        /// In, waiting in the lobby, or refused.
        answer: Result<Entered, Refusal>,
    },
    /// The room moves to SFU mode: start its SFU member, reachable as `sfu` in the member table (before
    /// anyone is told the mode).
    StartSfu {
        /// The SFU's participant id for this period.
        sfu: PeerId,
    },
    /// The room left SFU mode (or closed): stop its SFU member `sfu` (after everyone was told).
    StopSfu {
        /// The SFU's participant id of the period that ends.
        sfu: PeerId,
    },
    /// Pass a member's request to the room's SFU member.
    ToSfu {
        /// The SFU.
        sfu: PeerId,
        /// Who asks.
        from: PeerId,
        /// What.
        request: Box<SfuRequest>,
    },
    /// Keep this record of the meeting (across restarts).
    SaveRecord(MeetingRecord),
    /// The room closed: nobody is in it. Joins still on their way get [`Refusal::Closed`].
    Closed,
}

/// A connection to greet as a member's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Greeting {
    /// The member.
    pub id: PeerId,
    /// Its new connection.
    pub conn: u64,
    /// The `req` of its request, echoed.
    pub req: Option<u32>,
    /// The generation of the resume token to mint for it.
    pub generation: u32,
    /// How it entered: what to send and whether to replay.
    pub entry: Entry,
    /// The room as the member needs it for `welcome` or `resumed`.
    pub joined: Joined,
}

/// How a member entered on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    /// New in the room: `welcome`.
    Joined,
    /// Back after a lost connection: `resumed`, replaying its stream after `last_n` if it still can.
    Resumed {
        /// The last numbered message it received.
        last_n: u64,
    },
    /// Back after a server restart: `resumed` without replay (its stream is new).
    Restored,
}

/// What a newcomer needs for its `welcome`, besides server-wide settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Joined {
    /// Everyone already in the room, in join order.
    pub peers: Vec<PeerInfo>,
    /// The remembered chat, oldest first.
    pub chat_history: Vec<ChatEntry>,
    /// The newcomer's display name, as the room knows it (an invitation may have set it).
    pub name: String,
    /// The newcomer's role.
    pub role: Role,
    /// Whether the room is locked.
    pub locked: bool,
    /// Whether newcomers wait in the lobby.
    pub lobby: bool,
    /// Whom a host or moderator put on everyone's stage.
    #[serde(default)]
    pub spotlight: Option<PeerId>,
    /// The media mode, for a member that speaks SFU (`None` for the others: their greeting is as before).
    #[serde(default)]
    pub media: Option<MediaView>,
    /// Who is recording the meeting, if anyone.
    #[serde(default)]
    pub recording: Option<PeerId>,
}

/// The media mode as a member that speaks SFU is greeted with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaView {
    /// The mode.
    pub mode: MediaMode,
    /// In SFU mode, the SFU's participant id.
    pub sfu: Option<PeerId>,
    /// The room's current limit of participants.
    pub max_participants: usize,
}

/// Where a join or resume got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entered {
    /// In: its greeting is already queued.
    In,
    /// Waiting in the lobby (`waiting` is queued); `welcome` or `removed` follows when someone decides.
    Waiting,
}

/// Why a join or resume was refused: the one refusal type, turned into a client error at the edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    /// The room has its maximum of participants.
    #[error("the room is full")]
    Full,
    /// The room is locked.
    #[error("the room is locked")]
    Locked,
    /// The participant (its id, address, browser or invitation) was banned from this meeting.
    #[error("banned from this meeting")]
    Banned,
    /// The lobby is on and full.
    #[error("the lobby is full")]
    LobbyFull,
    /// The id is taken in this room: draw another.
    #[error("the participant id is already in the room")]
    DuplicateId,
    /// The room was closing as the request arrived: look it up again.
    #[error("the room closed")]
    Closed,
    /// The proof no longer fits the room's access (it changed meanwhile): ask again.
    #[error("the room's access changed")]
    AccessChanged,
    /// The room is in SFU mode and the joiner does not speak SFU.
    #[error("the room is in SFU mode; join with modes [\"mesh\", \"sfu\"]")]
    SfuRequired,
    /// The resume is refused.
    #[error("{0}")]
    Resume(ResumeRefusal),
}

impl Refusal {
    /// Whether the joiner should simply try again (another room instance, another id, the new access).
    pub fn is_retry(self) -> bool {
        matches!(self, Refusal::DuplicateId | Refusal::Closed | Refusal::AccessChanged)
    }
}

/// Why a resume is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ResumeRefusal {
    /// The participant is no longer in the room (it left, or its grace period ended).
    #[error("the participant has left the room")]
    LeftRoom,
    /// The token's generation is not the member's current one: it was used already.
    #[error("this resume token was already used")]
    TokenUsed,
    /// After a restart, the meeting's record does not have the participant.
    #[error("the participant has left the meeting")]
    LeftMeeting,
    /// After a restart, the meeting has no record: it ended.
    #[error("the meeting has ended")]
    MeetingEnded,
}
