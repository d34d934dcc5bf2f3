//! Identifiers on the wire: participant ids (server-assigned, opaque) and room names (client-chosen,
//! validated).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A participant id: 64 random bits, written on the wire as 16 lowercase hex characters.
///
/// Only the server creates ids ([`PeerId::from_bits`]); clients only ever echo ids they were given.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(u64);

impl PeerId {
    /// Wraps raw bits (the server draws them from a random source).
    pub const fn from_bits(bits: u64) -> Self {
        PeerId(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Parses the 16-hex-character wire form; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let valid = text.len() == 16 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid {
            return None;
        }
        u64::from_str_radix(text, 16).ok().map(PeerId)
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerId({self})")
    }
}

impl Serialize for PeerId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PeerId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        PeerId::parse(&text).ok_or_else(|| serde::de::Error::custom("a participant id is 16 lowercase hex characters"))
    }
}

/// A room name: 1 to [`RoomName::MAX_LEN`] characters from `A-Z a-z 0-9 - _`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RoomName(String);

impl RoomName {
    /// The longest room name, in characters (all of them ASCII).
    pub const MAX_LEN: usize = 64;

    /// Validates a room name; `None` if it is empty, too long or has other characters.
    pub fn parse(text: &str) -> Option<Self> {
        let valid = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        valid.then(|| RoomName(text.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for RoomName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        RoomName::parse(&text).ok_or_else(|| serde::de::Error::custom("a room name is 1 to 64 of A-Z a-z 0-9 - _"))
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoomName({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_round_trips_through_its_wire_form() {
        let id = PeerId::from_bits(0x3f9a_0c41_d2b7_e815);
        assert_eq!(id.to_string(), "3f9a0c41d2b7e815");
        assert_eq!(PeerId::parse("3f9a0c41d2b7e815"), Some(id));
        assert_eq!(PeerId::from_bits(1).to_string(), "0000000000000001");
    }

    #[test]
    fn peer_id_rejects_anything_but_16_lowercase_hex() {
        for bad in ["", "3f9a", "3F9A0C41D2B7E815", "3f9a0c41d2b7e8155", "+f9a0c41d2b7e815", "3f9a0c41d2b7e81g"] {
            assert_eq!(PeerId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn room_names_are_short_and_url_safe() {
        assert!(RoomName::parse("standup-2026_Q4").is_some());
        assert!(RoomName::parse(&"a".repeat(64)).is_some());
        for bad in ["", "a b", "../etc", "ruang/x", "é", &"a".repeat(65)] {
            assert!(RoomName::parse(bad).is_none(), "{bad:?}");
        }
    }
}
