//! The codec on its own, with claims of its own: round trips, tampering, purposes kept apart, time checks,
//! and input that is not a token.

use serde::{Deserialize, Serialize};

use super::*;

const SECRET: &[u8] = b"a secret of some length";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Pass {
    who: String,
    exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<u64>,
}

impl Expiring for Pass {
    fn expires_at(&self) -> u64 {
        self.exp
    }

    fn not_before(&self) -> Option<u64> {
        self.nbf
    }
}

fn pass(exp: u64) -> Pass {
    Pass { who: "Ayu".into(), exp, nbf: None }
}

fn keys() -> [ClaimsKey; 2] {
    [ClaimsKey::new(SECRET, Purpose::Invitation), ClaimsKey::new(SECRET, Purpose::Resume)]
}

#[test]
fn claims_round_trip_for_each_purpose_until_they_expire() {
    for key in keys() {
        let token = key.seal(&pass(1_000));
        assert_eq!(key.open(&token, 999), Ok(pass(1_000)), "{:?}", key.purpose());
        assert_eq!(key.open::<Pass>(&token, 1_000), Err(ClaimsError::Expired), "{:?}", key.purpose());
    }
}

#[test]
fn each_purpose_has_its_compact_form() {
    let [invitation, resume] = keys();
    assert_eq!(invitation.seal(&pass(1)).matches('.').count(), 2, "header.claims.signature");
    assert_eq!(resume.seal(&pass(1)).matches('.').count(), 1, "claims.signature");
}

#[test]
fn a_token_of_one_purpose_is_refused_for_the_other() {
    let [invitation, resume] = keys();
    let invite = invitation.seal(&pass(1_000));
    let token = resume.seal(&pass(1_000));
    assert!(resume.open::<Pass>(&invite, 0).is_err(), "an invitation is not a resume token");
    assert!(invitation.open::<Pass>(&token, 0).is_err(), "a resume token is not an invitation");
    // Whatever the form, the keys differ: resume claims signed by the secret itself are refused...
    let (body, _) = token.split_once('.').unwrap_or_default();
    let mut mac = hmac_key(SECRET);
    mac.update(body.as_bytes());
    let by_secret = format!("{body}.{}", BASE64URL.encode(mac.finalize().into_bytes()));
    assert_eq!(resume.open::<Pass>(&by_secret, 0), Err(ClaimsError::Signature));
    // ... and an invitation signed with the resume key is refused.
    let (signed, _) = invite.rsplit_once('.').unwrap_or_default();
    let by_resume_key = format!("{signed}.{}", BASE64URL.encode(resume.sign(signed.as_bytes())));
    assert_eq!(invitation.open::<Pass>(&by_resume_key, 0), Err(ClaimsError::Signature));
}

#[test]
fn another_secret_and_any_change_break_the_signature() {
    for key in keys() {
        let token = key.seal(&pass(1_000));
        let other = ClaimsKey::new(b"another secret", key.purpose());
        assert_eq!(other.open::<Pass>(&token, 0), Err(ClaimsError::Signature));
        let (signed, signature) = token.rsplit_once('.').unwrap_or_default();
        let forged = key.seal(&pass(2_000));
        let (forged_signed, _) = forged.rsplit_once('.').unwrap_or_default();
        assert_eq!(key.open::<Pass>(&format!("{forged_signed}.{signature}"), 0), Err(ClaimsError::Signature));
        assert_eq!(key.open::<Pass>(&format!("{signed}x.{signature}"), 0), Err(ClaimsError::Signature));
        let mut flipped = signature.to_owned();
        flipped.replace_range(..1, if signature.starts_with('A') { "B" } else { "A" });
        assert_eq!(key.open::<Pass>(&format!("{signed}.{flipped}"), 0), Err(ClaimsError::Signature));
    }
}

#[test]
fn truncated_and_garbage_input_is_refused_without_panicking() {
    for key in keys() {
        let token = key.seal(&pass(1_000));
        for end in 0..token.len() {
            assert!(key.open::<Pass>(&token[..end], 0).is_err(), "{:?} cut at {end}", key.purpose());
        }
        for garbage in ["", ".", "..", "...", "a.b", "a.b.c", "a.b.c.d", "é.ü.ß", "=.=.=", "eyJ9.eyJ9.", "\0"] {
            assert!(key.open::<Pass>(garbage, 0).is_err(), "{:?} took {garbage:?}", key.purpose());
        }
    }
}

#[test]
fn signed_claims_of_the_wrong_shape_are_malformed() {
    for key in keys() {
        let token = key.seal(&serde_json::json!({"exp": 1_000}));
        assert_eq!(key.open::<Pass>(&token, 0), Err(ClaimsError::Malformed), "no `who`");
        let token = key.seal(&"just a string");
        assert_eq!(key.open::<Pass>(&token, 0), Err(ClaimsError::Malformed));
    }
}

#[test]
fn not_before_and_the_longest_lifetime_are_honoured() {
    for key in keys() {
        let key = key.with_max_lifetime_secs(100);
        let token = key.seal(&Pass { nbf: Some(950), ..pass(1_000) });
        assert_eq!(key.open::<Pass>(&token, 949), Err(ClaimsError::NotYetValid));
        assert!(key.open::<Pass>(&token, 950).is_ok());
        let token = key.seal(&pass(1_101));
        assert_eq!(key.open::<Pass>(&token, 1_000), Err(ClaimsError::TooLong));
        assert!(key.open::<Pass>(&token, 1_001).is_ok());
    }
}

#[test]
fn invitation_headers_must_be_hs256_without_critical_extensions() {
    let [invitation, _] = keys();
    let with_header = |header: &str| {
        let token = invitation.seal(&pass(1_000));
        let (_, rest) = token.split_once('.').unwrap_or_default();
        let signed = format!("{}.{}", BASE64URL.encode(header), rest.rsplit_once('.').unwrap_or_default().0);
        format!("{signed}.{}", BASE64URL.encode(invitation.sign(signed.as_bytes())))
    };
    assert_eq!(invitation.open::<Pass>(&with_header(r#"{"alg":"none"}"#), 0), Err(ClaimsError::Algorithm));
    assert_eq!(invitation.open::<Pass>(&with_header(r#"{"alg":"HS512"}"#), 0), Err(ClaimsError::Algorithm));
    let critical = r#"{"alg":"HS256","crit":["exp-policy"],"exp-policy":"strict"}"#;
    assert_eq!(invitation.open::<Pass>(&with_header(critical), 0), Err(ClaimsError::Critical));
    assert_eq!(invitation.open::<Pass>(&with_header(r#"{"typ":"JWT"}"#), 0), Err(ClaimsError::Malformed));
    assert!(invitation.open::<Pass>(&with_header(r#"{"alg":"HS256","kid":"x"}"#), 0).is_ok());
    let extra_part = format!("{}.e30.e30.e30", BASE64URL.encode(r#"{"alg":"none"}"#));
    assert_eq!(invitation.open::<Pass>(&extra_part, 0), Err(ClaimsError::Malformed), "four parts, whatever the header");
}
