//! Resuming participants: minting and checking their signed tokens, and remembering which participants of
//! a previous server instance were already restored, so each of its tokens restores at most once.
//!
//! A token from *this* instance is only a key: whether the participant is still in its room, and whether the
//! token's generation is its current one, is for the room to say. A token from a previous instance (same
//! secret, different instance id) cannot be checked against any room state, so the first connection that
//! presents it claims the participant ([`RestoredClaims`]) and later ones are refused.

mod restored;
mod token;

use std::sync::Arc;
use std::time::Duration;

use ruang_proto::{PeerId, Role, RoomName};

use crate::claims::ClaimsError;

pub use restored::{ClaimFuture, LocalRestoredClaims, RestoredClaims};
pub use token::{Claims, TokenKey};

/// The resume side of one server: its token key, its instance id and grace period.
pub struct Resumption {
    key: TokenKey,
    instance: u64,
    grace: Duration,
    restored: Arc<dyn RestoredClaims>,
}

/// A checked token.
#[derive(Debug)]
pub struct Ticket {
    /// What it says.
    pub claims: Claims,
    /// Whether a previous server instance issued it.
    pub from_previous_instance: bool,
}

/// Whom a resume token is for: the participant `id` of `room`, with its display name, role, and whether
/// its client speaks SFU.
#[derive(Clone, Copy, Debug)]
pub struct Bearer<'a> {
    /// The room.
    pub room: &'a RoomName,
    /// The participant.
    pub id: PeerId,
    /// Its display name.
    pub name: &'a str,
    /// Its role.
    pub role: Role,
    /// Its client speaks SFU.
    pub sfu: bool,
}

impl Resumption {
    /// Resumption keyed by `secret`, for this server instance (a random id), with participants kept for
    /// `grace` after their connection is lost. Restored participants are remembered in this process.
    pub fn new(secret: &[u8], instance: u64, grace: Duration) -> Self {
        let restored = Arc::new(LocalRestoredClaims::default());
        Resumption { key: TokenKey::derive(secret), instance, grace, restored }
    }

    /// The same, remembering restored participants in `restored` (shared by the nodes of a cluster).
    pub fn with_restored_claims(self, restored: Arc<dyn RestoredClaims>) -> Self {
        Resumption { restored, ..self }
    }

    /// How long a participant is kept after its connection is lost.
    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// How often a connected participant gets a fresh token (half the grace period), if resume is on.
    pub fn refresh_every(&self) -> Option<Duration> {
        (!self.grace.is_zero()).then(|| (self.grace / 2).max(Duration::from_secs(1)))
    }

    /// A token for `bearer`, valid for one and a half grace periods from `now_secs` (plus a second, as
    /// expiry is counted in whole seconds), so a client always holds one that outlives the grace period.
    pub fn mint(&self, bearer: Bearer<'_>, generation: u32, now_secs: u64) -> String {
        let lifetime = self.token_lifetime().as_secs();
        let Bearer { room, id, name, role, sfu } = bearer;
        let claims = Claims {
            instance: self.instance,
            room: room.clone(),
            id,
            name: name.to_owned(),
            role,
            generation,
            expires: now_secs.saturating_add(lifetime),
            sfu,
        };
        self.key.sign(&claims)
    }

    /// Checks a token's signature and expiry.
    pub fn check(&self, token: &str, now_secs: u64) -> Result<Ticket, ClaimsError> {
        let claims = self.key.verify(token, now_secs)?;
        let from_previous_instance = claims.instance != self.instance;
        Ok(Ticket { claims, from_previous_instance })
    }

    /// Claims participant `id` of a previous instance for restoring; `false` if it was claimed before.
    pub async fn claim_restore(&self, id: PeerId) -> bool {
        self.restored.claim(id).await
    }

    /// How long a token stays valid after it is minted: one and a half grace periods, plus a second.
    pub fn token_lifetime(&self) -> Duration {
        Duration::from_secs((self.grace.as_secs_f64() * 1.5).ceil() as u64 + 1)
    }
}
