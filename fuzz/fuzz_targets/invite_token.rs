//! Fuzzes invitation checking (ruang-server's `InviteKey::verify`) with a fixed secret. The first byte picks
//! what the rest is:
//!
//! - `0`: a whole token, as a joiner sends it (forged, truncated, malformed);
//! - `1`: the signed part of a token (`header.payload`, base64url), which the target signs with the secret,
//!   so mutations of real tokens get past the signature to the header and claims parsing;
//! - `2`: the claims JSON itself, which the target encodes under an HS256 header and signs.
//!
//! Whatever is accepted must be unexpired and must survive minting again unchanged.

#![no_main]

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use ruang_server::access::{InviteClaims, InviteKey};
use sha2::Sha256;

const SECRET: &[u8] = b"ruang fuzz secret";
/// The time tokens are checked at; the seed corpus has tokens on both sides of it.
const NOW: u64 = 1_800_000_000;

static KEY: LazyLock<InviteKey> = LazyLock::new(|| {
    let key = InviteKey::new(SECRET);
    // The target signs like `InviteKey` does, or modes 1 and 2 would only ever reach the signature check.
    let minted = key.mint(&InviteClaims {
        room: ruang_server::proto::RoomName::parse("fuzz").unwrap_or_else(|| unreachable!()),
        role: Default::default(),
        name: None,
        exp: NOW,
        jti: String::new(),
    });
    let (signed, _) = minted.rsplit_once('.').unwrap_or_else(|| unreachable!());
    assert_eq!(sign(signed), minted, "the fuzz target no longer signs as InviteKey does");
    key
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = match mode % 3 {
        0 => String::from_utf8_lossy(rest).into_owned(),
        1 => sign(&String::from_utf8_lossy(rest)),
        _ => sign(&format!("{}.{}", BASE64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#), BASE64URL.encode(rest))),
    };
    if let Ok(claims) = KEY.verify(&token, NOW) {
        assert!(claims.exp > NOW, "an expired invitation was accepted: {token}");
        assert_eq!(KEY.verify(&KEY.mint(&claims), NOW), Ok(claims), "claims do not survive minting: {token}");
    }
});

/// `signed` with its HS256 signature by [`SECRET`] appended.
fn sign(signed: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET).unwrap_or_else(|_| unreachable!());
    mac.update(signed.as_bytes());
    format!("{signed}.{}", BASE64URL.encode(mac.finalize().into_bytes()))
}
