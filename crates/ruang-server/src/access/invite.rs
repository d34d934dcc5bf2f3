//! Invitations: JSON Web Tokens (RFC 7519) signed with HS256 (HMAC-SHA-256) by the server secret, carrying
//! the room, the role, optionally a display name, an expiry, and an id. `ruang token` and the mint endpoint
//! make them; an application backend holding the secret can make them with any JWT library.
//!
//! Only `"alg": "HS256"` is accepted (no `none`, no algorithm chosen by the token), the signature is
//! compared in constant time before the claims are read, `exp` is required and at most the longest lifetime
//! away (30 days unless configured), `nbf` is honoured, and a header naming critical extensions (`crit`) is
//! refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use hmac::{Hmac, Mac};
use ruang_proto::{Role, RoomName};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Why an invitation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    /// Not a JWT, or not one of ours.
    #[error("the invitation is malformed")]
    Malformed,
    /// Signed with another algorithm than HS256.
    #[error("the invitation must be signed with HS256")]
    Algorithm,
    /// The signature does not match.
    #[error("the invitation's signature is not valid")]
    Signature,
    /// Past its expiry.
    #[error("the invitation has expired")]
    Expired,
    /// Before its `nbf` (not before) time.
    #[error("the invitation is not valid yet")]
    NotYetValid,
    /// Its header names critical extensions (`crit`), which this server does not implement.
    #[error("the invitation needs extensions this server does not implement (crit)")]
    Critical,
    /// It expires further in the future than the server's longest invitation lifetime.
    #[error("the invitation's lifetime exceeds the server's limit")]
    TooLong,
}

/// The longest invitation lifetime by default: 30 days.
pub const DEFAULT_MAX_LIFETIME_SECS: u64 = 30 * 24 * 3600;

/// What an invitation grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteClaims {
    /// The room it opens.
    pub room: RoomName,
    /// The role its holder gets.
    #[serde(default)]
    pub role: Role,
    /// The display name its holder gets, if the issuer set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// The invitation's id; banning its holder bans the invitation.
    #[serde(default)]
    pub jti: String,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    /// Critical extensions (RFC 7515, 4.1.11): a token that names any is refused, as none is implemented.
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// The registered time claims checked besides `exp`.
#[derive(Deserialize)]
struct NotBefore {
    #[serde(default)]
    nbf: Option<u64>,
}

/// The key that signs and checks invitations.
#[derive(Clone)]
pub struct InviteKey {
    mac: Hmac<Sha256>,
    max_lifetime_secs: u64,
}

impl InviteKey {
    /// The key for the server `secret` (used as the HS256 key as is, so other issuers can share it).
    pub fn new(secret: &[u8]) -> Self {
        // HMAC takes keys of any length.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
        InviteKey { mac, max_lifetime_secs: DEFAULT_MAX_LIFETIME_SECS }
    }

    /// The same key, refusing to mint or accept invitations that expire more than `secs` after now.
    pub fn with_max_lifetime_secs(mut self, secs: u64) -> Self {
        self.max_lifetime_secs = secs;
        self
    }

    /// The longest lifetime it mints or accepts.
    pub fn max_lifetime_secs(&self) -> u64 {
        self.max_lifetime_secs
    }

    /// A new invitation to `room` with a random id, valid for `ttl_secs` from `now_secs`; `None` if `ttl_secs`
    /// exceeds the longest lifetime, or if the operating system's random source fails.
    pub fn invite(
        &self,
        room: RoomName,
        role: Role,
        name: Option<String>,
        ttl_secs: u64,
        now_secs: u64,
    ) -> Option<String> {
        if ttl_secs > self.max_lifetime_secs {
            return None;
        }
        let mut id = [0u8; 12];
        getrandom::fill(&mut id).ok()?;
        let jti = BASE64URL.encode(id);
        Some(self.mint(&InviteClaims { room, role, name, exp: now_secs.saturating_add(ttl_secs), jti }))
    }

    /// A signed invitation.
    pub fn mint(&self, claims: &InviteClaims) -> String {
        let header = BASE64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        // Serializing strings and integers cannot fail.
        let payload = BASE64URL.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{header}.{payload}");
        let mut mac = self.mac.clone();
        mac.update(signing_input.as_bytes());
        format!("{signing_input}.{}", BASE64URL.encode(mac.finalize().into_bytes()))
    }

    /// The claims of `token` if it is an HS256 JWT signed with this key, without critical extensions, valid
    /// at `now_secs` (`nbf` honoured) and expiring within the longest lifetime.
    pub fn verify(&self, token: &str, now_secs: u64) -> Result<InviteClaims, InviteError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(InviteError::Malformed);
        };
        let header: Header = decode_json(header)?;
        if header.alg != "HS256" {
            return Err(InviteError::Algorithm);
        }
        if header.crit.is_some() {
            return Err(InviteError::Critical);
        }
        let signature = BASE64URL.decode(signature).map_err(|_| InviteError::Malformed)?;
        let mut mac = self.mac.clone();
        mac.update(header_and_payload(token).as_bytes());
        mac.verify_slice(&signature).map_err(|_| InviteError::Signature)?;
        let claims: InviteClaims = decode_json(payload)?;
        if claims.exp <= now_secs {
            return Err(InviteError::Expired);
        }
        if claims.exp - now_secs > self.max_lifetime_secs {
            return Err(InviteError::TooLong);
        }
        let NotBefore { nbf } = decode_json(payload)?;
        if nbf.is_some_and(|nbf| now_secs < nbf) {
            return Err(InviteError::NotYetValid);
        }
        Ok(claims)
    }
}

/// The signed part of a JWT: everything before the last dot.
fn header_and_payload(token: &str) -> &str {
    token.rsplit_once('.').map_or(token, |(signed, _)| signed)
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, InviteError> {
    let bytes = BASE64URL.decode(part).map_err(|_| InviteError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| InviteError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> InviteClaims {
        InviteClaims {
            room: RoomName::parse("standup").unwrap_or_else(|| unreachable!()),
            role: Role::Host,
            name: Some("Ayu".into()),
            exp: 2_000,
            jti: "abc".into(),
        }
    }

    #[test]
    fn round_trips_and_expires() {
        let key = InviteKey::new(b"secret");
        let token = key.mint(&claims());
        assert_eq!(key.verify(&token, 1_999), Ok(claims()));
        assert_eq!(key.verify(&token, 2_000), Err(InviteError::Expired));
        assert_eq!(InviteKey::new(b"other").verify(&token, 0), Err(InviteError::Signature));
    }

    #[test]
    fn matches_an_independent_hs256_implementation() {
        // The HS256 example of RFC 7515, appendix A.1: its key, signing input and signature.
        let key = BASE64URL
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap_or_default();
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        // The signature checks out; the claims are not an invitation (no room), so it is malformed for us.
        assert_eq!(InviteKey::new(&key).verify(token, 0), Err(InviteError::Malformed));
        let tampered = token.replace(".dBjft", ".dBjfu");
        assert_eq!(InviteKey::new(&key).verify(&tampered, 0), Err(InviteError::Signature));
    }

    /// A token signed with `key` from raw header and claims JSON.
    fn signed(key: &[u8], header: &str, claims: &str) -> String {
        let input = format!("{}.{}", BASE64URL.encode(header), BASE64URL.encode(claims));
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
        mac.update(input.as_bytes());
        format!("{input}.{}", BASE64URL.encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn honours_not_before() {
        let key = InviteKey::new(b"secret");
        let token = signed(b"secret", r#"{"alg":"HS256"}"#, r#"{"room":"standup","exp":2000,"nbf":1500}"#);
        assert_eq!(key.verify(&token, 1_499), Err(InviteError::NotYetValid));
        assert_eq!(key.verify(&token, 1_500).map(|c| c.exp), Ok(2_000));
    }

    #[test]
    fn refuses_critical_header_extensions_it_does_not_know() {
        let key = InviteKey::new(b"secret");
        let header = r#"{"alg":"HS256","crit":["exp-policy"],"exp-policy":"strict"}"#;
        let token = signed(b"secret", header, r#"{"room":"standup","exp":2000}"#);
        assert_eq!(key.verify(&token, 0), Err(InviteError::Critical));
        let token = signed(b"secret", r#"{"alg":"HS256","kid":"x"}"#, r#"{"room":"standup","exp":2000}"#);
        assert!(key.verify(&token, 0).is_ok(), "other header parameters are ignored, as RFC 7515 says");
    }

    #[test]
    fn refuses_a_lifetime_beyond_the_cap() {
        let key = InviteKey::new(b"secret").with_max_lifetime_secs(100);
        let token = signed(b"secret", r#"{"alg":"HS256"}"#, r#"{"room":"standup","exp":1101}"#);
        assert_eq!(key.verify(&token, 1_000), Err(InviteError::TooLong));
        assert!(key.verify(&token, 1_001).is_ok());
        assert_eq!(key.invite(claims().room, Role::Host, None, 101, 0), None, "nor does it mint one");
    }

    #[test]
    fn refuses_other_algorithms() {
        let key = InviteKey::new(b"secret");
        let token = key.mint(&claims());
        let (_, rest) = token.split_once('.').unwrap_or_default();
        let none = format!("{}.{rest}", BASE64URL.encode(br#"{"alg":"none"}"#));
        assert_eq!(key.verify(&none, 0), Err(InviteError::Algorithm));
        assert_eq!(key.verify("a.b", 0), Err(InviteError::Malformed));
    }
}
