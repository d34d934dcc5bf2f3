//! Who may enter a room: its policy (open, password, invite-only) from the configuration, the proof a
//! joiner brings (a password checked off the room's task, or an invitation), invitation tokens, password
//! hashes, the throttle on password attempts, and the bounded pool that checks passwords.
//!
//! The room task owns its [`Access`]; a session asks for it, does the slow or throttled part (argon2id), and
//! sends its join with a [`Proof`] that the room checks against its access as it is then.

pub mod checker;
pub mod invite;
pub mod password;
pub mod throttle;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use checker::{CheckError, PasswordChecker, PoolSize};
pub use invite::{InviteClaims, InviteKey};
pub use throttle::{Attempt, AttemptLimits, LocalThrottle, PasswordThrottle, Reservation, ReserveFuture};

/// How a room is entered, as configured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessKind {
    /// Anyone who knows the room's name.
    #[default]
    Open,
    /// Anyone who knows the password (or holds an invitation).
    Password,
    /// Only holders of an invitation.
    Invite,
}

/// One room's policy in the configuration (`[rooms.<name>]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoomPolicy {
    /// How the room is entered.
    pub access: AccessKind,
    /// The argon2id hash (PHC string) of the password, for `access = "password"` (`ruang hash-password`).
    pub password_hash: Option<String>,
    /// Whether newcomers wait in the lobby until a host or moderator admits them.
    pub lobby: bool,
    /// The room's media mode (`mesh`, `sfu`, `auto`), instead of the server's `media_mode`.
    pub media_mode: Option<ruang_room::MediaPolicy>,
    /// The argon2id hash of the host password (`ruang hash-password`): a `join` with `host_password`
    /// matching it enters as host, in any room (as a host invitation does).
    pub host_password_hash: Option<String>,
    /// Whether the room makes its first one in host (and the earliest participant when the last host
    /// leaves). Default: yes for open rooms, no for rooms with a password or invitations, whose hosts come
    /// with a host invitation or the host password.
    pub first_is_host: Option<bool>,
}

impl RoomPolicy {
    /// Whether the room makes someone host by itself (see [`RoomPolicy::first_is_host`]).
    pub fn makes_first_host(&self) -> bool {
        self.first_is_host.unwrap_or(self.access == AccessKind::Open)
    }
}

/// The access a room enforces now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Open.
    Open,
    /// A password, whose hash is checked by the session; `version` tells a changed password apart.
    Password {
        /// The argon2id PHC string.
        hash: Arc<str>,
        /// Bumped whenever the password changes.
        version: u32,
    },
    /// Invitations only.
    Invite,
}

impl Access {
    /// The access a policy starts with.
    pub fn from_policy(policy: &RoomPolicy) -> Self {
        match (policy.access, &policy.password_hash) {
            (AccessKind::Open, _) => Access::Open,
            (AccessKind::Password, Some(hash)) => Access::Password { hash: hash.as_str().into(), version: 0 },
            // Validation refuses a password room without a hash; should one get here, nobody gets in
            // without an invitation rather than everybody.
            (AccessKind::Password, None) | (AccessKind::Invite, _) => Access::Invite,
        }
    }

    /// Whether `proof` lets a joiner in.
    pub fn admits(&self, proof: &Proof) -> bool {
        match (self, proof) {
            (_, Proof::Invite(_) | Proof::Host) | (Access::Open, _) => true,
            (Access::Password { version, .. }, Proof::Password { version: proved }) => version == proved,
            _ => false,
        }
    }
}

/// What a joiner proved before the room decides (carried to a room's owner node in a cluster).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Proof {
    /// Nothing.
    Nothing,
    /// It knew the password of this version.
    Password {
        /// The version of the room's password it matched.
        version: u32,
    },
    /// It holds a valid invitation for this room.
    Invite(InviteClaims),
    /// It knew the room's host password (configured, so it does not change while the room runs).
    Host,
}
