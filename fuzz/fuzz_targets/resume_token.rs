//! Fuzzes resume token checking (ruang-server's `TokenKey::verify`) with a fixed secret. The first byte
//! picks what the rest is:
//!
//! - `0`: a whole token, as a reconnecting client sends it (forged, truncated, malformed);
//! - `1`: the body of a token (base64url), which the target signs with the key, so mutations of real tokens
//!   get past the signature to the claims parsing;
//! - `2`: the claims JSON itself, which the target encodes and signs.
//!
//! Whatever is accepted must be unexpired and must survive signing again unchanged.

#![no_main]

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use ruang_server::proto::{PeerId, Role, RoomName};
use ruang_server::resume::{Claims, TokenKey};
use sha2::Sha256;

const SECRET: &[u8] = b"ruang fuzz secret";
/// The time tokens are checked at; the seed corpus has tokens on both sides of it.
const NOW: u64 = 1_800_000_000;

static KEY: LazyLock<TokenKey> = LazyLock::new(|| {
    let key = TokenKey::derive(SECRET);
    // The target signs like `TokenKey` does, or modes 1 and 2 would only ever reach the signature check.
    let signed = key.sign(&Claims {
        instance: 1,
        room: RoomName::parse("fuzz").unwrap_or_else(|| unreachable!()),
        id: PeerId::from_bits(1),
        name: "fuzz".into(),
        role: Role::Participant,
        generation: 0,
        expires: NOW,
        sfu: false,
    });
    let (body, _) = signed.split_once('.').unwrap_or_else(|| unreachable!());
    assert_eq!(sign(body), signed, "the fuzz target no longer signs as TokenKey does");
    key
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = match mode % 3 {
        0 => String::from_utf8_lossy(rest).into_owned(),
        1 => sign(&String::from_utf8_lossy(rest)),
        _ => sign(&BASE64URL.encode(rest)),
    };
    if let Ok(claims) = KEY.verify(&token, NOW) {
        assert!(claims.expires > NOW, "an expired token was accepted: {token}");
        assert_eq!(KEY.verify(&KEY.sign(&claims), NOW), Ok(claims), "claims do not survive signing: {token}");
    }
});

/// `body` with its signature appended, keyed as `TokenKey::derive` keys it.
fn sign(body: &str) -> String {
    let mut derive = <Hmac<Sha256> as Mac>::new_from_slice(SECRET).unwrap_or_else(|_| unreachable!());
    derive.update(b"ruang resume token v1");
    let key = derive.finalize().into_bytes();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
    mac.update(body.as_bytes());
    format!("{body}.{}", BASE64URL.encode(mac.finalize().into_bytes()))
}
