//! The one signed-claims codec: everything this server signs for a client to bring back later
//! (invitations, resume tokens) is claims as JSON, base64url without padding, signed with HMAC-SHA-256,
//! checked in constant time before anything in it is read, then checked against a time passed in.
//!
//! Each [`Purpose`] has its own key and its own compact form, so a token made for one purpose is never
//! accepted for another (domain separation):
//!
//! - [`Purpose::Invitation`]: a JSON Web Token (RFC 7519) in the JWS compact form (RFC 7515),
//!   `header.claims.signature`, HS256 keyed by the server secret *as is*, so an application backend holding
//!   the secret can make invitations with any JWT library. Only `"alg": "HS256"` is accepted and a header
//!   naming critical extensions (`crit`) is refused.
//! - [`Purpose::Resume`]: `claims.signature`, keyed by `HMAC-SHA-256(secret, "ruang resume token v1")`.
//!
//! The derived key cannot be learnt from invitations: the secret signs nothing else but JWS signing inputs,
//! and those always hold a dot, which the label does not. The wire forms are those of the earlier separate
//! codecs, unchanged, so what a server issued before keeps being accepted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

/// The JWS header of every invitation this server mints.
const JWS_HEADER: &[u8] = br#"{"alg":"HS256","typ":"JWT"}"#;
/// The label the resume token key is derived with.
const RESUME_LABEL: &[u8] = b"ruang resume token v1";

/// What a token is for: picks its key and its compact form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// An invitation: a JWT signed with HS256 by the secret itself.
    Invitation,
    /// A resume token: `claims.signature`, signed with a key derived from the secret.
    Resume,
}

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// Not a token of this form, or its claims are not what they should be.
    #[error("the token is malformed")]
    Malformed,
    /// An invitation signed with another algorithm than HS256.
    #[error("the token must be signed with HS256")]
    Algorithm,
    /// An invitation whose header names critical extensions (`crit`), which this server does not implement.
    #[error("the token needs extensions this server does not implement (crit)")]
    Critical,
    /// The signature does not match: forged, altered, signed with another secret or for another purpose.
    #[error("the token's signature is not valid")]
    Signature,
    /// Past its expiry.
    #[error("the token has expired")]
    Expired,
    /// Before its not-before time.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// It expires further in the future than the key's longest lifetime.
    #[error("the token's lifetime exceeds the server's limit")]
    TooLong,
}

/// Claims with a validity period, in seconds since the Unix epoch.
pub trait Expiring {
    /// The first second at which the claims are no longer valid.
    fn expires_at(&self) -> u64;

    /// The first second at which the claims are valid, if they say.
    fn not_before(&self) -> Option<u64> {
        None
    }
}

/// The key that seals and opens the claims of one purpose.
#[derive(Clone)]
pub struct ClaimsKey {
    mac: Hmac<Sha256>,
    purpose: Purpose,
    max_lifetime_secs: Option<u64>,
}

impl ClaimsKey {
    /// The key for `purpose` from the server `secret`, without a longest lifetime.
    pub fn new(secret: &[u8], purpose: Purpose) -> Self {
        let mac = match purpose {
            Purpose::Invitation => hmac_key(secret),
            Purpose::Resume => {
                let mut derive = hmac_key(secret);
                derive.update(RESUME_LABEL);
                hmac_key(&derive.finalize().into_bytes())
            }
        };
        ClaimsKey { mac, purpose, max_lifetime_secs: None }
    }

    /// The same key, refusing claims that expire more than `secs` after the time they are opened at.
    pub fn with_max_lifetime_secs(mut self, secs: u64) -> Self {
        self.max_lifetime_secs = Some(secs);
        self
    }

    /// The longest lifetime it accepts, if it has one.
    pub fn max_lifetime_secs(&self) -> Option<u64> {
        self.max_lifetime_secs
    }

    /// What it is for.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// `claims` signed, in the compact form of the key's purpose.
    pub fn seal<C: Serialize>(&self, claims: &C) -> String {
        // Claims are plain strings, integers and enums: serializing them cannot fail.
        let payload = BASE64URL.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signed = match self.purpose {
            Purpose::Invitation => format!("{}.{payload}", BASE64URL.encode(JWS_HEADER)),
            Purpose::Resume => payload,
        };
        let signature = BASE64URL.encode(self.sign(signed.as_bytes()));
        format!("{signed}.{signature}")
    }

    /// The claims of `token` if it has the key's form, is signed with this key (compared in constant time
    /// before the claims are parsed), and is valid at `now_secs`: not expired, not before its not-before
    /// time, and expiring within the longest lifetime.
    pub fn open<C: DeserializeOwned + Expiring>(&self, token: &str, now_secs: u64) -> Result<C, ClaimsError> {
        let (signed, signature) = token.rsplit_once('.').ok_or(ClaimsError::Malformed)?;
        let (header, payload) = match self.purpose {
            Purpose::Invitation => signed.split_once('.').map(|(h, p)| (Some(h), p)).ok_or(ClaimsError::Malformed)?,
            Purpose::Resume => (None, signed),
        };
        if payload.contains('.') {
            return Err(ClaimsError::Malformed);
        }
        if let Some(header) = header {
            check_jws_header(header)?;
        }
        let signature = BASE64URL.decode(signature).map_err(|_| ClaimsError::Malformed)?;
        let mut mac = self.mac.clone();
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature).map_err(|_| ClaimsError::Signature)?;
        let claims: C = decode_json(payload)?;
        self.check_times(&claims, now_secs)?;
        Ok(claims)
    }

    fn check_times(&self, claims: &impl Expiring, now_secs: u64) -> Result<(), ClaimsError> {
        let expires = claims.expires_at();
        if expires <= now_secs {
            return Err(ClaimsError::Expired);
        }
        if self.max_lifetime_secs.is_some_and(|max| expires - now_secs > max) {
            return Err(ClaimsError::TooLong);
        }
        if claims.not_before().is_some_and(|nbf| now_secs < nbf) {
            return Err(ClaimsError::NotYetValid);
        }
        Ok(())
    }

    fn sign(&self, signed: &[u8]) -> impl AsRef<[u8]> {
        let mut mac = self.mac.clone();
        mac.update(signed);
        mac.finalize().into_bytes()
    }
}

/// The part of a JWS header this server reads.
#[derive(serde::Deserialize)]
struct JwsHeader {
    alg: String,
    /// Critical extensions (RFC 7515, 4.1.11): a token that names any is refused, as none is implemented.
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// Refuses a header that is not HS256 or that names critical extensions; other parameters are ignored, as
/// RFC 7515 says.
fn check_jws_header(header: &str) -> Result<(), ClaimsError> {
    let header: JwsHeader = decode_json(header)?;
    if header.alg != "HS256" {
        return Err(ClaimsError::Algorithm);
    }
    if header.crit.is_some() {
        return Err(ClaimsError::Critical);
    }
    Ok(())
}

fn decode_json<T: DeserializeOwned>(part: &str) -> Result<T, ClaimsError> {
    let bytes = BASE64URL.decode(part).map_err(|_| ClaimsError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| ClaimsError::Malformed)
}

fn hmac_key(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

#[cfg(test)]
mod tests;
