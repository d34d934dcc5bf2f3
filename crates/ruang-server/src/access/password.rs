//! Room passwords: stored only as argon2id hashes (PHC strings), checked in constant time by the `argon2`
//! crate. Checking takes tens of milliseconds of CPU on purpose, so callers run it on a blocking thread and
//! throttle attempts first.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2};

/// A password hash could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Not an argon2id PHC string.
    #[error("not an argon2id password hash ($argon2id$...): {0}")]
    Hash(String),
}

/// The argon2id hash of `password`, with a random salt and the library's recommended parameters.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| PasswordError::Hash(err.to_string()))
}

/// Checks that `hash` is an argon2id PHC string.
pub fn check_hash(hash: &str) -> Result<(), PasswordError> {
    let parsed = PasswordHash::new(hash).map_err(|err| PasswordError::Hash(err.to_string()))?;
    match Algorithm::try_from(parsed.algorithm) {
        Ok(Algorithm::Argon2id) => Ok(()),
        _ => Err(PasswordError::Hash("the algorithm must be argon2id".into())),
    }
}

/// Whether `password` matches `hash` (false for a malformed hash).
pub fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let first = hash("correct horse").unwrap_or_default();
        let second = hash("correct horse").unwrap_or_default();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "salted");
        assert!(verify(&first, "correct horse"));
        assert!(!verify(&first, "correct horse "));
        assert!(!verify("not a hash", "correct horse"));
        assert!(check_hash(&first).is_ok());
        assert!(check_hash("$argon2i$v=19$m=16,t=2,p=1$c29tZXNhbHQ$YWJj").is_err());
    }
}
