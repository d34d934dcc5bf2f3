//! Room passwords: stored only as argon2id hashes (PHC strings), checked in constant time by the `argon2`
//! crate. Checking takes tens of milliseconds of CPU and the hash's memory cost (19 MiB with the default
//! parameters) on purpose, so callers throttle attempts first and check on the bounded pool of
//! [`super::checker`], whose workers lend their own memory to [`verify_in`].

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

/// Whether `password` matches `hash` (false for a malformed hash), computed in `memory`, which is grown to
/// the hash's memory cost and kept: the caller decides how long that memory lives.
pub fn verify_in(hash: &str, password: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else { return false };
    let version = parsed.version.map_or(Ok(Version::default()), Version::try_from);
    let (Ok(version), Ok(params)) = (version, Params::try_from(&parsed)) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let argon2 = Argon2::new(algorithm, version, params);
    let mut computed = vec![0u8; expected.len()];
    let blocks = &mut memory[..argon2.params().block_count()];
    if argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, blocks).is_err() {
        return false;
    }
    // `Output` compares in constant time.
    argon2::password_hash::Output::new(&computed).is_ok_and(|computed| computed == expected)
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

    #[test]
    fn verifying_in_lent_memory_agrees_with_the_library() {
        let hash = hash("correct horse").unwrap_or_default();
        let mut memory = Vec::new();
        assert!(verify_in(&hash, "correct horse", &mut memory));
        assert_eq!(memory.len(), 19 * 1024, "the default memory cost, 19 MiB of 1 KiB blocks");
        assert!(!verify_in(&hash, "correct horse ", &mut memory));
        assert!(!verify_in("not a hash", "correct horse", &mut memory));
        // A hash with other parameters, checked in memory grown for a larger one.
        let params = Params::new(8 * 1024, 3, 1, Some(16)).unwrap_or_else(|_| unreachable!());
        let salt = SaltString::generate(&mut OsRng);
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password(b"other", &salt);
        let other = other.map(|h| h.to_string()).unwrap_or_default();
        assert!(verify_in(&other, "other", &mut memory));
        assert!(!verify_in(&other, "wrong", &mut memory));
        assert!(verify(&other, "other"));
    }
}
