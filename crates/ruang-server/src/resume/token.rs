//! Resume tokens: what a participant needs to get its identity back, signed so the server keeps no state.
//!
//! Format: `base64url(claims JSON) "." base64url(HMAC-SHA-256(key, first part))`, where the key is derived
//! from the server secret. The claims name the issuing server instance, the room, the participant, its
//! display name and role, the token generation and the expiry (seconds since the Unix epoch). The role lets
//! a server without a record of the meeting (no data directory) restore a participant as what it was.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use hmac::{Hmac, Mac};
use ruang_proto::{PeerId, Role, RoomName};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The token format version inside the claims.
const FORMAT: u8 = 1;

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of this format.
    #[error("the token is malformed")]
    Malformed,
    /// The signature does not match: forged, altered, or signed with another secret.
    #[error("the token's signature is not valid")]
    Signature,
    /// Past its expiry.
    #[error("the token has expired")]
    Expired,
}

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
}

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
}

/// The key that signs and checks tokens.
#[derive(Clone)]
pub struct TokenKey {
    mac: Hmac<Sha256>,
}

impl TokenKey {
    /// The key derived from the server secret.
    pub fn derive(secret: &[u8]) -> Self {
        // HMAC accepts keys of any length, so neither step can fail.
        let mut derive = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
        derive.update(b"ruang resume token v1");
        let key = derive.finalize().into_bytes();
        TokenKey { mac: <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap_or_else(|_| unreachable!()) }
    }

    /// A signed token for `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let wire = WireClaims {
            v: FORMAT,
            s: format!("{:016x}", claims.instance),
            r: claims.room.as_str().to_owned(),
            i: claims.id,
            n: claims.name.clone(),
            o: claims.role,
            g: claims.generation,
            e: claims.expires,
        };
        // Serializing plain strings and integers cannot fail.
        let json = serde_json::to_vec(&wire).unwrap_or_default();
        let body = BASE64URL.encode(json);
        let mut mac = self.mac.clone();
        mac.update(body.as_bytes());
        let signature = BASE64URL.encode(mac.finalize().into_bytes());
        format!("{body}.{signature}")
    }

    /// The claims of `token` if it is signed with this key and not expired at `now_secs`. The signature is
    /// compared in constant time, before anything in the token is parsed.
    pub fn verify(&self, token: &str, now_secs: u64) -> Result<Claims, TokenError> {
        let (body, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = BASE64URL.decode(signature).map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac.clone();
        mac.update(body.as_bytes());
        mac.verify_slice(&signature).map_err(|_| TokenError::Signature)?;
        let json = BASE64URL.decode(body).map_err(|_| TokenError::Malformed)?;
        let wire: WireClaims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
        if wire.v != FORMAT {
            return Err(TokenError::Malformed);
        }
        let instance = u64::from_str_radix(&wire.s, 16).map_err(|_| TokenError::Malformed)?;
        let room = RoomName::parse(&wire.r).ok_or(TokenError::Malformed)?;
        if wire.e <= now_secs {
            return Err(TokenError::Expired);
        }
        Ok(Claims { instance, room, id: wire.i, name: wire.n, role: wire.o, generation: wire.g, expires: wire.e })
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
        }
    }

    #[test]
    fn round_trips_until_expiry() {
        let key = TokenKey::derive(b"a secret of some length");
        let token = key.sign(&claims());
        assert_eq!(key.verify(&token, 999), Ok(claims()));
        assert_eq!(key.verify(&token, 1_000), Err(TokenError::Expired));
    }

    #[test]
    fn refuses_other_keys_and_any_change() {
        let key = TokenKey::derive(b"a secret of some length");
        let token = key.sign(&claims());
        assert_eq!(TokenKey::derive(b"another secret").verify(&token, 0), Err(TokenError::Signature));
        let (body, signature) = token.split_once('.').unwrap_or_default();
        let mut other = claims();
        other.generation = 4;
        let (forged_body, _) =
            key.sign(&other).split_once('.').map(|(b, s)| (b.to_owned(), s.to_owned())).unwrap_or_default();
        assert_eq!(key.verify(&format!("{forged_body}.{signature}"), 0), Err(TokenError::Signature));
        assert_eq!(key.verify(&format!("{body}x.{signature}"), 0), Err(TokenError::Signature));
        assert_eq!(key.verify(body, 0), Err(TokenError::Malformed));
        assert_eq!(key.verify("", 0), Err(TokenError::Malformed));
    }
}
