//! Resume tokens: what a participant needs to get its identity back, signed so the server keeps no state.
//!
//! Format: `base64url(claims JSON) "." base64url(HMAC-SHA-256(key, first part))`, where the key is derived
//! from the server secret: the signed-claims codec ([`crate::claims`], purpose [`Purpose::Resume`]). The
//! claims name the issuing server instance, the room, the participant, its display name and role, the token
//! generation and the expiry (seconds since the Unix epoch). The role lets a server without a record of the
//! meeting (no data directory) restore a participant as what it was.

use ruang_proto::{PeerId, Role, RoomName};
use serde::{Deserialize, Serialize};

use crate::claims::{ClaimsError, ClaimsKey, Expiring, Purpose};

/// The token format version inside the claims.
const FORMAT: u8 = 1;

/// What a token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// The server instance that issued it.
    pub instance: u64,
    /// The participant's room.
    pub room: RoomName,
    /// The participant.
    pub id: PeerId,
    /// Its display name.
    pub name: String,
    /// Its role when the token was minted.
    pub role: Role,
    /// Which of the participant's tokens this is; each resume moves to the next.
    pub generation: u32,
    /// Expiry, seconds since the Unix epoch.
    pub expires: u64,
    /// Whether the participant's client speaks SFU (its `join` listed `"sfu"`), so a server restored from
    /// the token knows.
    pub sfu: bool,
}

/// The claims as they are encoded: short names, the instance in hexadecimal.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireClaims {
    v: u8,
    s: String,
    r: String,
    i: PeerId,
    n: String,
    /// The role; tokens of earlier versions have none and restore a participant.
    #[serde(default)]
    o: Role,
    g: u32,
    e: u64,
    /// Speaks SFU; absent (older tokens, mesh-only clients) means it does not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    m: bool,
}

impl Expiring for WireClaims {
    fn expires_at(&self) -> u64 {
        self.e
    }
}

/// The key that signs and checks tokens.
#[derive(Clone)]
pub struct TokenKey {
    key: ClaimsKey,
}

impl TokenKey {
    /// The key derived from the server secret.
    pub fn derive(secret: &[u8]) -> Self {
        TokenKey { key: ClaimsKey::new(secret, Purpose::Resume) }
    }

    /// A signed token for `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        self.key.seal(&WireClaims {
            v: FORMAT,
            s: format!("{:016x}", claims.instance),
            r: claims.room.as_str().to_owned(),
            i: claims.id,
            n: claims.name.clone(),
            o: claims.role,
            g: claims.generation,
            e: claims.expires,
            m: claims.sfu,
        })
    }

    /// The claims of `token` if it is signed with this key and not expired at `now_secs`. The signature is
    /// compared in constant time, before anything in the token is parsed.
    pub fn verify(&self, token: &str, now_secs: u64) -> Result<Claims, ClaimsError> {
        let wire: WireClaims = self.key.open(token, now_secs)?;
        if wire.v != FORMAT {
            return Err(ClaimsError::Malformed);
        }
        let instance = u64::from_str_radix(&wire.s, 16).map_err(|_| ClaimsError::Malformed)?;
        let room = RoomName::parse(&wire.r).ok_or(ClaimsError::Malformed)?;
        let (id, name, role, generation, expires, sfu) = (wire.i, wire.n, wire.o, wire.g, wire.e, wire.m);
        Ok(Claims { instance, room, id, name, role, generation, expires, sfu })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            instance: 7,
            room: RoomName::parse("standup").unwrap_or_else(|| unreachable!()),
            id: PeerId::from_bits(0xabc),
            name: "Ayu \"<b>\"".into(),
            role: Role::Viewer,
            generation: 3,
            expires: 1_000,
            sfu: true,
        }
    }

    #[test]
    fn round_trips_until_expiry() {
        let key = TokenKey::derive(b"a secret of some length");
        let token = key.sign(&claims());
        assert_eq!(key.verify(&token, 999), Ok(claims()));
        assert_eq!(key.verify(&token, 1_000), Err(ClaimsError::Expired));
    }

    #[test]
    fn refuses_other_keys_and_any_change() {
        let key = TokenKey::derive(b"a secret of some length");
        let token = key.sign(&claims());
        assert_eq!(TokenKey::derive(b"another secret").verify(&token, 0), Err(ClaimsError::Signature));
        let (body, signature) = token.split_once('.').unwrap_or_default();
        let mut other = claims();
        other.generation = 4;
        let (forged_body, _) =
            key.sign(&other).split_once('.').map(|(b, s)| (b.to_owned(), s.to_owned())).unwrap_or_default();
        assert_eq!(key.verify(&format!("{forged_body}.{signature}"), 0), Err(ClaimsError::Signature));
        assert_eq!(key.verify(&format!("{body}x.{signature}"), 0), Err(ClaimsError::Signature));
        assert_eq!(key.verify(body, 0), Err(ClaimsError::Malformed));
        assert_eq!(key.verify("", 0), Err(ClaimsError::Malformed));
    }

    #[test]
    fn accepts_tokens_as_earlier_servers_signed_them() {
        // Signed by the server before the signed-claims codec was shared, with this secret: a token of a
        // server upgraded in place must still resume its participant.
        let key = TokenKey::derive(b"ruang golden secret");
        let token = "eyJ2IjoxLCJzIjoiMTIzNDU2Nzg5YWJjZGVmMCIsInIiOiJzdGFuZHVwIiwiaSI6IjAwMDAwMDAwMDAwMGZlZWQiLCJuIjoiQXl1IiwibyI6Im1vZGVyYXRvciIsImciOjIsImUiOjE4MDAwMDAwMDB9.kmzNnW2jprLfzb4F-3nUx26pbhoDOLJn5S3heNmUfd8";
        let expected = Claims {
            instance: 0x1234_5678_9abc_def0,
            room: claims().room,
            id: PeerId::from_bits(0xfeed),
            name: "Ayu".into(),
            role: Role::Moderator,
            generation: 2,
            expires: 1_800_000_000,
            sfu: false,
        };
        assert_eq!(key.verify(token, 1_800_000_000 - 60), Ok(expected.clone()));
        assert_eq!(key.sign(&expected), token, "and signs them the same way");
    }

    #[test]
    fn an_invitation_is_not_a_resume_token() {
        let invitation = crate::access::InviteKey::new(b"a secret of some length").mint(&crate::access::InviteClaims {
            room: claims().room,
            role: Role::Host,
            name: None,
            exp: 1_000,
            jti: "abc".into(),
        });
        assert!(TokenKey::derive(b"a secret of some length").verify(&invitation, 0).is_err());
    }

    #[test]
    fn signed_claims_of_another_version_or_with_a_bad_room_are_malformed() {
        let key = ClaimsKey::new(b"s", Purpose::Resume);
        let token = TokenKey::derive(b"s");
        let wire = |v: u8, s: &str, r: &str| WireClaims {
            v,
            s: s.into(),
            r: r.into(),
            i: PeerId::from_bits(1),
            n: String::new(),
            o: Role::Participant,
            g: 0,
            e: 1_000,
            m: false,
        };
        assert_eq!(token.verify(&key.seal(&wire(2, "1", "standup")), 0), Err(ClaimsError::Malformed));
        assert_eq!(token.verify(&key.seal(&wire(1, "xyz", "standup")), 0), Err(ClaimsError::Malformed));
        assert_eq!(token.verify(&key.seal(&wire(1, "1", "not a room")), 0), Err(ClaimsError::Malformed));
        assert!(token.verify(&key.seal(&wire(1, "1", "standup")), 0).is_ok());
    }
}
