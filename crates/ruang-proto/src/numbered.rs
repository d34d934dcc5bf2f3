//! The numbered form of a server message, `{"n":7,"type":...}`: the message's number in its recipient's
//! stream as its first field. Written straight into one buffer of exactly its size, or spliced in front of
//! a form serialized once for many recipients.

use std::io::{self, Write};

use crate::ServerMessage;

impl ServerMessage {
    /// The length in bytes of [`ServerMessage::to_json`]'s text, counted without writing it anywhere.
    pub fn json_len(&self) -> usize {
        let mut counter = Counter(0);
        // Serializing these types cannot fail (see `to_json`); a counter never fails to write.
        let _ = serde_json::to_writer(&mut counter, self);
        counter.0
    }

    /// The message as UTF-8 JSON text with `n` as its first field, in one allocation of exactly its size:
    /// for a message sent to one recipient, which then needs no unnumbered form at all.
    pub fn to_numbered_json(&self, n: u64) -> Vec<u8> {
        let prefix = prefix(n);
        // The serialized message starts with its `{`, which the prefix already opened.
        let mut text = Vec::with_capacity(prefix.len() + self.json_len().saturating_sub(1));
        text.extend_from_slice(prefix.as_bytes());
        let mut body = SkipFirst { inner: &mut text, skipped: false };
        if serde_json::to_writer(&mut body, self).is_err() {
            return numbered(self.to_json().as_bytes(), n);
        }
        text
    }
}

/// An object already serialized as JSON text (`{...}`, as every server message is), with `n` spliced in as
/// its first field; one copy of the text, for each recipient of a message serialized once.
pub fn numbered(json: &[u8], n: u64) -> Vec<u8> {
    let prefix = prefix(n);
    let body = json.strip_prefix(b"{").unwrap_or(json);
    let mut text = Vec::with_capacity(prefix.len() + body.len());
    text.extend_from_slice(prefix.as_bytes());
    text.extend_from_slice(body);
    text
}

/// `{"n":7,`, on the stack.
fn prefix(n: u64) -> PrefixBuf {
    let mut buf = PrefixBuf { bytes: [0; 28], len: 0 };
    // `{"n":` + at most 20 digits + `,` fits in 28 bytes.
    let _ = write!(buf, "{{\"n\":{n},");
    buf
}

struct PrefixBuf {
    bytes: [u8; 28],
    len: usize,
}

impl PrefixBuf {
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl Write for PrefixBuf {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let end = self.len + data.len();
        let space = self.bytes.get_mut(self.len..end).ok_or(io::ErrorKind::WriteZero)?;
        space.copy_from_slice(data);
        self.len = end;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Counts what is written.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0 += data.len();
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes everything but the first byte written to it.
struct SkipFirst<'a> {
    inner: &'a mut Vec<u8>,
    skipped: bool,
}

impl Write for SkipFirst<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let rest = match data.split_first() {
            Some((_, rest)) if !self.skipped => {
                self.skipped = true;
                rest
            }
            _ => data,
        };
        self.inner.extend_from_slice(rest);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PeerId, SignalData, SignalPayload};

    fn signal() -> ServerMessage {
        let data = SignalPayload::from(SignalData::Offer { sdp: "v=0\r\na=\"quoted\" é".into() });
        ServerMessage::Signal { from: PeerId::from_bits(7), data }
    }

    #[test]
    fn the_numbered_form_is_the_message_with_n_first() {
        let message = signal();
        let json = message.to_json();
        let direct = message.to_numbered_json(42);
        let expected = format!("{{\"n\":42,{}", &json[1..]);
        assert_eq!(String::from_utf8(direct.clone()).unwrap(), expected);
        assert_eq!(numbered(json.as_bytes(), 42), direct, "spliced and direct forms agree");
        let value: serde_json::Value = serde_json::from_slice(&direct).unwrap();
        assert_eq!(value["n"], 42);
        assert_eq!(value["type"], "signal");
    }

    #[test]
    fn the_direct_form_is_allocated_at_its_exact_size() {
        let message = signal();
        assert_eq!(message.json_len(), message.to_json().len());
        let direct = message.to_numbered_json(u64::MAX);
        assert_eq!(direct.len(), direct.capacity(), "one allocation, nothing to shrink or grow");
    }
}
