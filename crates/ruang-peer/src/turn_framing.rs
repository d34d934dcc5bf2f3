//! TURN over a byte stream (TCP, or TLS on TCP; RFC 8656 §3.1, RFC 5766 §2.1): the server's STUN messages
//! and ChannelData frames arrive back to back on one stream, and this splits them apart again. Pure: bytes
//! in, whole frames out, no I/O. What we send needs no framing (a STUN message says its own length and is
//! already a multiple of 4 bytes).
//!
//! A frame is at most 65,555 bytes (the 16-bit length of either kind, plus its header), so the buffer never
//! holds more than one frame and the last read. Anything that is neither kind is an error: the stream is out
//! of step and cannot be trusted again; the caller closes it.

/// The STUN magic cookie (RFC 5389 §6), bytes 4 to 8 of every STUN message.
const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];

/// Why a stream cannot be read as TURN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The first byte is neither a STUN message's (top bits 00) nor a ChannelData frame's (channel 0x4000
    /// to 0x7FFF).
    #[error("neither a STUN message nor ChannelData (first byte {0:#04x})")]
    Unknown(u8),
    /// A STUN message without the magic cookie.
    #[error("a STUN message without the magic cookie")]
    NoCookie,
    /// A STUN message whose length is not a multiple of 4.
    #[error("a STUN message of {0} bytes, not a multiple of 4")]
    Misaligned(usize),
}

/// The length of the frame `buf` starts with, padding included, once enough of it is there to tell:
/// `Ok(None)` means more bytes are needed.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, FramingError> {
    let Some(&first) = buf.first() else { return Ok(None) };
    let Some(length) = buf.get(2..4).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]]))) else { return Ok(None) };
    match first >> 6 {
        0b00 => {
            if length % 4 != 0 {
                return Err(FramingError::Misaligned(length));
            }
            match buf.get(4..8) {
                Some(cookie) if cookie != MAGIC_COOKIE => Err(FramingError::NoCookie),
                Some(_) => Ok(Some(20 + length)),
                None => Ok(None),
            }
        }
        // ChannelData: over a stream it is padded to a multiple of 4 (RFC 8656 §12.5)
        0b01 => Ok(Some(4 + length.next_multiple_of(4))),
        _ => Err(FramingError::Unknown(first)),
    }
}

/// Whole frames out of a stream's bytes.
#[derive(Debug, Default)]
pub struct Deframer {
    buf: Vec<u8>,
}

impl Deframer {
    /// Bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame (padding included: a STUN message has none, ChannelData's is harmless), or
    /// `Ok(None)` until more bytes come.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        match frame_len(&self.buf)? {
            Some(len) if self.buf.len() >= len => Ok(Some(self.buf.drain(..len).collect())),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A STUN message header (a Binding request) announcing `len` bytes of attributes, and those bytes.
    fn stun(len: u16) -> Vec<u8> {
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&len.to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(&[7; 12]);
        m.extend(std::iter::repeat_n(0xAB, usize::from(len)));
        m
    }

    fn channel_data(payload: &[u8]) -> Vec<u8> {
        let mut m = vec![0x40, 0x01];
        m.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
        m.extend_from_slice(payload);
        while m.len() % 4 != 0 {
            m.push(0);
        }
        m
    }

    #[test]
    fn frames_split_wherever_the_reads_cut_the_stream() {
        let a = stun(8);
        let b = channel_data(b"hello");
        let c = stun(0);
        let stream: Vec<u8> = [a.clone(), b.clone(), c.clone()].concat();
        for piece in [1, 3, 7, 20, stream.len()] {
            let mut deframer = Deframer::default();
            let mut frames = Vec::new();
            for chunk in stream.chunks(piece) {
                deframer.push(chunk);
                while let Some(frame) = deframer.next_frame().unwrap() {
                    frames.push(frame);
                }
            }
            assert_eq!(frames, vec![a.clone(), b.clone(), c.clone()], "read {piece} bytes at a time");
        }
    }

    #[test]
    fn lengths_need_enough_of_the_header() {
        assert_eq!(frame_len(&[]), Ok(None));
        assert_eq!(frame_len(&[0x00, 0x01, 0x00]), Ok(None));
        assert_eq!(frame_len(&stun(4)[..7]), Ok(None));
        assert_eq!(frame_len(&stun(4)[..8]), Ok(Some(24)));
        assert_eq!(frame_len(&[0x40, 0x00, 0x00, 0x05]), Ok(Some(12)));
        assert_eq!(frame_len(&[0x7F, 0xFF, 0xFF, 0xFF]), Ok(Some(4 + 65536)));
        assert_eq!(frame_len(&stun(u16::MAX - 3)[..8]), Ok(Some(20 + 65532)));
    }

    #[test]
    fn what_is_not_turn_is_an_error() {
        // (a TLS record on a plain port reads as a STUN message of a bad length; top bits 10 or 11; no cookie)
        assert_eq!(frame_len(&[0x16, 0x03, 0x01, 0x02, 0x00]), Err(FramingError::Misaligned(0x0102)));
        assert_eq!(frame_len(&[0x80, 0, 0, 4]), Err(FramingError::Unknown(0x80)));
        assert_eq!(frame_len(&[0xFF, 0xFF, 0xFF, 0xFF]), Err(FramingError::Unknown(0xFF)));
        let mut no_cookie = stun(4);
        no_cookie[5] = 0;
        assert_eq!(frame_len(&no_cookie), Err(FramingError::NoCookie));
        let mut deframer = Deframer::default();
        deframer.push(&stun(0));
        deframer.push(&[0xC0, 0, 0, 0]);
        assert_eq!(deframer.next_frame(), Ok(Some(stun(0))));
        assert_eq!(deframer.next_frame(), Err(FramingError::Unknown(0xC0)));
    }
}
