//! Invitations: JSON Web Tokens (RFC 7519) signed with HS256 (HMAC-SHA-256) by the server secret, carrying
//! the room, the role, optionally a display name, an expiry, and an id. `ruang token` and the mint endpoint
//! make them; an application backend holding the secret can make them with any JWT library.
//!
//! They are sealed and opened by the signed-claims codec ([`crate::claims`], purpose
//! [`Purpose::Invitation`]): only `"alg": "HS256"` is accepted (no `none`, no algorithm chosen by the
//! token), the signature is compared in constant time before the claims are read, `exp` is required and at
//! most the longest lifetime away (30 days unless configured), `nbf` is honoured, and a header naming
//! critical extensions (`crit`) is refused. This module adds only what an invitation says.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use ruang_proto::{Role, RoomName};
use serde::{Deserialize, Serialize};

use crate::claims::{ClaimsError, ClaimsKey, Expiring, Purpose};

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

/// An invitation as received: its claims and the registered `nbf` (not before), which only other issuers
/// set and which is checked, not kept.
#[derive(Deserialize)]
struct Received {
    #[serde(flatten)]
    claims: InviteClaims,
    #[serde(default)]
    nbf: Option<u64>,
}

impl Expiring for Received {
    fn expires_at(&self) -> u64 {
        self.claims.exp
    }

    fn not_before(&self) -> Option<u64> {
        self.nbf
    }
}

/// The key that signs and checks invitations.
#[derive(Clone)]
pub struct InviteKey {
    key: ClaimsKey,
}

impl InviteKey {
    /// The key for the server `secret` (used as the HS256 key as is, so other issuers can share it).
    pub fn new(secret: &[u8]) -> Self {
        let key = ClaimsKey::new(secret, Purpose::Invitation).with_max_lifetime_secs(DEFAULT_MAX_LIFETIME_SECS);
        InviteKey { key }
    }

    /// The same key, refusing to mint or accept invitations that expire more than `secs` after now.
    pub fn with_max_lifetime_secs(self, secs: u64) -> Self {
        InviteKey { key: self.key.with_max_lifetime_secs(secs) }
    }

    /// The longest lifetime it mints or accepts.
    pub fn max_lifetime_secs(&self) -> u64 {
        self.key.max_lifetime_secs().unwrap_or(DEFAULT_MAX_LIFETIME_SECS)
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
        if ttl_secs > self.max_lifetime_secs() {
            return None;
        }
        let mut id = [0u8; 12];
        getrandom::fill(&mut id).ok()?;
        let jti = BASE64URL.encode(id);
        Some(self.mint(&InviteClaims { room, role, name, exp: now_secs.saturating_add(ttl_secs), jti }))
    }

    /// A signed invitation.
    pub fn mint(&self, claims: &InviteClaims) -> String {
        self.key.seal(claims)
    }

    /// The claims of `token` if it is an HS256 JWT signed with this key, without critical extensions, valid
    /// at `now_secs` (`nbf` honoured) and expiring within the longest lifetime.
    pub fn verify(&self, token: &str, now_secs: u64) -> Result<InviteClaims, ClaimsError> {
        self.key.open::<Received>(token, now_secs).map(|received| received.claims)
    }
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

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
        assert_eq!(key.verify(&token, 2_000), Err(ClaimsError::Expired));
        assert_eq!(InviteKey::new(b"other").verify(&token, 0), Err(ClaimsError::Signature));
    }

    #[test]
    fn matches_an_independent_hs256_implementation() {
        // The HS256 example of RFC 7515, appendix A.1: its key, signing input and signature.
        let key = BASE64URL
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap_or_default();
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        // The signature checks out; the claims are not an invitation (no room), so it is malformed for us.
        assert_eq!(InviteKey::new(&key).verify(token, 0), Err(ClaimsError::Malformed));
        let tampered = token.replace(".dBjft", ".dBjfu");
        assert_eq!(InviteKey::new(&key).verify(&tampered, 0), Err(ClaimsError::Signature));
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
        assert_eq!(key.verify(&token, 1_499), Err(ClaimsError::NotYetValid));
        assert_eq!(key.verify(&token, 1_500).map(|c| c.exp), Ok(2_000));
    }

    #[test]
    fn refuses_critical_header_extensions_it_does_not_know() {
        let key = InviteKey::new(b"secret");
        let header = r#"{"alg":"HS256","crit":["exp-policy"],"exp-policy":"strict"}"#;
        let token = signed(b"secret", header, r#"{"room":"standup","exp":2000}"#);
        assert_eq!(key.verify(&token, 0), Err(ClaimsError::Critical));
        let token = signed(b"secret", r#"{"alg":"HS256","kid":"x"}"#, r#"{"room":"standup","exp":2000}"#);
        assert!(key.verify(&token, 0).is_ok(), "other header parameters are ignored, as RFC 7515 says");
    }

    #[test]
    fn refuses_a_lifetime_beyond_the_cap() {
        let key = InviteKey::new(b"secret").with_max_lifetime_secs(100);
        let token = signed(b"secret", r#"{"alg":"HS256"}"#, r#"{"room":"standup","exp":1101}"#);
        assert_eq!(key.verify(&token, 1_000), Err(ClaimsError::TooLong));
        assert!(key.verify(&token, 1_001).is_ok());
        assert_eq!(key.invite(claims().room, Role::Host, None, 101, 0), None, "nor does it mint one");
    }

    #[test]
    fn refuses_other_algorithms() {
        let key = InviteKey::new(b"secret");
        let token = key.mint(&claims());
        let (_, rest) = token.split_once('.').unwrap_or_default();
        let none = format!("{}.{rest}", BASE64URL.encode(br#"{"alg":"none"}"#));
        assert_eq!(key.verify(&none, 0), Err(ClaimsError::Algorithm));
        assert_eq!(key.verify("a.b", 0), Err(ClaimsError::Malformed));
    }

    #[test]
    fn accepts_invitations_as_earlier_servers_minted_them() {
        // Minted by the server before the signed-claims codec was shared, with this secret: invitations are
        // long-lived and kept by operators, so the wire form must not change under them.
        let key = InviteKey::new(b"ruang golden secret");
        let now = 1_800_000_000 - 3_600;
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb29tIjoic3RhbmR1cCIsInJvbGUiOiJob3N0IiwibmFtZSI6IkF5dSIsImV4cCI6MTgwMDAwMDAwMCwianRpIjoiQUFFQ0F3UUZCZ2NJQ1FvTCJ9.9P8szwrOJAX6JDuTZg2Nhi_Yx1QJ-dEcan8FQdtrsKk";
        let expected = InviteClaims {
            room: claims().room,
            role: Role::Host,
            name: Some("Ayu".into()),
            exp: 1_800_000_000,
            jti: "AAECAwQFBgcICQoL".into(),
        };
        assert_eq!(key.verify(token, now), Ok(expected.clone()));
        assert_eq!(key.mint(&expected), token, "and mints them the same way");
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb29tIjoic3RhbmR1cCIsInJvbGUiOiJwYXJ0aWNpcGFudCIsImV4cCI6MTgwMDAwMDAwMCwianRpIjoieCJ9.95jT9zK9GPenY0_QJszHRbqEvB-44OWeKwQcEKIiDPc";
        let expected = InviteClaims { role: Role::Participant, name: None, jti: "x".into(), ..expected };
        assert_eq!(key.verify(token, now), Ok(expected));
    }

    #[test]
    fn a_resume_token_is_not_an_invitation() {
        let resume = crate::resume::TokenKey::derive(b"secret");
        let token = resume.sign(&crate::resume::Claims {
            instance: 1,
            room: claims().room,
            id: ruang_proto::PeerId::from_bits(1),
            name: "Ayu".into(),
            role: Role::Host,
            generation: 0,
            expires: 2_000,
            sfu: false,
        });
        assert!(InviteKey::new(b"secret").verify(&token, 0).is_err());
    }
}
