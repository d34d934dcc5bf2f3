//! ChannelBind requests with channel numbers 0x5000-0x7FFF: RFC 5766 allowed them and coturn's clients
//! pick them, but RFC 8656 and the TURN library take only 0x4000-0x4FFF. Such a request is checked against
//! its own long-term-credential signature (MESSAGE-INTEGRITY, RFC 8489 section 9.2), its number mapped into
//! the library's range, and the request signed again with the same credential, so the library binds the
//! channel; the gate then translates the number both ways.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::TurnSecret;

const CHANNEL_NUMBER: u16 = 0x000c;
const USERNAME: u16 = 0x0006;
const REALM: u16 = 0x0014;
const MESSAGE_INTEGRITY: u16 = 0x0008;
const HEADER: usize = 20;
const INTEGRITY: usize = 24;

/// The outcome of renumbering a ChannelBind request.
#[derive(Debug, PartialEq, Eq)]
pub enum Renumber {
    /// The request as the library can take it, with the client's and the library's channel numbers.
    Done { frame: Vec<u8>, number: u16, server_number: u16 },
    /// Its credential is unknown or expired, or its signature does not match.
    Unauthorized,
    /// Not a signed ChannelBind with a number in 0x5000-0x7FFF.
    Malformed,
}

/// The number the library knows the client's channel `number` (0x5000-0x7FFF) by.
pub fn server_number(number: u16) -> u16 {
    0x4000 | (number & 0x0fff)
}

/// Renumbers the ChannelBind request `frame`, checking its signature with `secret` at `unix_secs`.
pub fn renumber(frame: &[u8], secret: &TurnSecret, unix_secs: u64) -> Renumber {
    let attributes = attributes(frame);
    let find = |kind: u16| attributes.iter().find(|(k, _, _)| *k == kind).map(|(_, at, len)| (*at, *len));
    let (Some((number_at, 4)), Some((user_at, user_len)), Some((realm_at, realm_len)), Some((mi_at, 20))) =
        (find(CHANNEL_NUMBER), find(USERNAME), find(REALM), find(MESSAGE_INTEGRITY))
    else {
        return Renumber::Malformed;
    };
    let number = u16::from_be_bytes([frame[number_at], frame[number_at + 1]]);
    if !(0x5000..=0x7fff).contains(&number) {
        return Renumber::Malformed;
    }
    let (Ok(username), Ok(realm)) = (
        std::str::from_utf8(&frame[user_at..user_at + user_len]),
        std::str::from_utf8(&frame[realm_at..realm_at + realm_len]),
    ) else {
        return Renumber::Malformed;
    };
    let Ok(password) = secret.check(username, unix_secs) else { return Renumber::Unauthorized };
    let key = md5::compute(format!("{username}:{realm}:{password}"));
    // The signature covers everything before MESSAGE-INTEGRITY, with the length field ending after it.
    let attribute_start = mi_at - 4;
    let mut signed = frame[..mi_at + 20].to_vec();
    if !matches!(signature(&key.0, &mut signed, attribute_start), Some(mac) if mac[..] == frame[mi_at..mi_at + 20]) {
        return Renumber::Unauthorized;
    }
    let server_number = server_number(number);
    signed[number_at..number_at + 2].copy_from_slice(&server_number.to_be_bytes());
    let Some(mac) = signature(&key.0, &mut signed, attribute_start) else { return Renumber::Malformed };
    signed[mi_at..mi_at + 20].copy_from_slice(&mac);
    Renumber::Done { frame: signed, number, server_number }
}

/// HMAC-SHA1 over `message` up to `integrity_at` (where the MESSAGE-INTEGRITY attribute starts), after
/// setting the header's length to end with that attribute (FINGERPRINT, if any, is dropped).
fn signature(key: &[u8], message: &mut [u8], integrity_at: usize) -> Option<[u8; 20]> {
    let length = u16::try_from(integrity_at + INTEGRITY - HEADER).ok()?;
    message.get_mut(2..4)?.copy_from_slice(&length.to_be_bytes());
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).ok()?;
    mac.update(message.get(..integrity_at)?);
    Some(mac.finalize().into_bytes().into())
}

/// (type, value offset, value length) of each attribute, up to the first that does not fit.
fn attributes(frame: &[u8]) -> Vec<(u16, usize, usize)> {
    let mut found = Vec::new();
    let mut offset = HEADER;
    while let Some(header) = frame.get(offset..offset + 4) {
        let kind = u16::from_be_bytes([header[0], header[1]]);
        let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
        if frame.len() < offset + 4 + length {
            break;
        }
        found.push((kind, offset + 4, length));
        offset += 4 + length.div_ceil(4) * 4;
    }
    found
}
