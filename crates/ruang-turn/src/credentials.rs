//! Short-lived TURN credentials in the TURN REST API scheme, as coturn's `use-auth-secret` checks them:
//! the username is `expiry:participant` (expiry in Unix seconds) and the password is
//! `base64(HMAC-SHA1(secret, username))`. Nothing is stored: any server holding the secret can check a
//! credential, and it stops working at its expiry.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The shared secret credentials are signed with. Its `Debug` form never shows it.
#[derive(Clone)]
pub struct TurnSecret(Vec<u8>);

impl fmt::Debug for TurnSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TurnSecret(..)")
    }
}

/// A username and password for one participant, valid until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnCredential {
    /// `expiry:participant`.
    pub username: String,
    /// `base64(HMAC-SHA1(secret, username))`.
    pub password: String,
    /// Expiry, in seconds since the Unix epoch.
    pub expires_at: u64,
}

/// Why a username was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Not of the form `expiry:participant`.
    #[error("the username is not of the form expiry:participant")]
    Malformed,
    /// Its expiry has passed.
    #[error("the credential has expired")]
    Expired,
}

impl TurnSecret {
    /// A secret from its bytes (as written in configuration: the text of `static-auth-secret`).
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        TurnSecret(secret.into())
    }

    /// Issues a credential for `participant`, valid for `ttl_secs` from `now_secs`.
    pub fn issue(&self, participant: &str, now_secs: u64, ttl_secs: u64) -> TurnCredential {
        let expires_at = now_secs.saturating_add(ttl_secs);
        let username = format!("{expires_at}:{participant}");
        let password = self.password_for(&username);
        TurnCredential { username, password, expires_at }
    }

    /// The password for `username` if it is well-formed and not expired at `now_secs`.
    pub fn check(&self, username: &str, now_secs: u64) -> Result<String, CredentialError> {
        let (expiry, participant) = username.split_once(':').ok_or(CredentialError::Malformed)?;
        let expiry: u64 = expiry.parse().map_err(|_| CredentialError::Malformed)?;
        if participant.is_empty() {
            return Err(CredentialError::Malformed);
        }
        if expiry <= now_secs {
            return Err(CredentialError::Expired);
        }
        Ok(self.password_for(username))
    }

    /// `base64(HMAC-SHA1(secret, username))`.
    pub fn password_for(&self, username: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            <HmacSha1 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(username.as_bytes());
        BASE64.encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_turn_rest_reference_computation() {
        // Computed independently: printf '1700000000:alice' | openssl dgst -sha1 -hmac 'north' -binary | base64
        let secret = TurnSecret::new("north");
        assert_eq!(secret.password_for("1700000000:alice"), "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
    }

    #[test]
    fn issued_credentials_check_until_they_expire() {
        let secret = TurnSecret::new("s3cret");
        let credential = secret.issue("3f9a0c41d2b7e815", 1_000, 600);
        assert_eq!(credential.username, "1600:3f9a0c41d2b7e815");
        assert_eq!(credential.expires_at, 1_600);
        assert_eq!(secret.check(&credential.username, 1_599).as_deref(), Ok(credential.password.as_str()));
        assert_eq!(secret.check(&credential.username, 1_600), Err(CredentialError::Expired));
    }

    #[test]
    fn malformed_usernames_are_refused() {
        let secret = TurnSecret::new("s");
        for bad in ["", "alice", "soon:alice", "1600:", ":alice", "-1:alice"] {
            assert_eq!(secret.check(bad, 0), Err(CredentialError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn another_secret_gives_another_password() {
        let a = TurnSecret::new("a").issue("p", 0, 60);
        assert_ne!(a.password, TurnSecret::new("b").password_for(&a.username));
        assert!(!format!("{:?}", TurnSecret::new("hidden")).contains("hidden"));
    }
}
