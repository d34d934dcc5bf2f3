//! The text of a JSON string literal as it stands in a frame (between its quotes, escapes unread), read
//! exactly as serde_json reads it into a `String`: the same escapes accepted (`\" \\ \/ \b \f \n \r \t` and
//! `\uXXXX`, surrogates only in a high-low pair), the same refused (any other escape, a lone surrogate, a
//! raw control character). So a relayed SDP can be validated and measured on its escaped text, in one pass
//! and with no allocation, and unescaped only when someone needs its value. Plain text is skipped eight
//! bytes at a time, as serde_json does.

/// One run of the unescaped text: a slice that needed no unescaping, or one escaped character.
enum Piece<'a> {
    Text(&'a str),
    Char(char),
}

/// Walks `escaped` (the text between a string literal's quotes) piece by piece; `None` as soon as it is
/// something serde_json refuses to read into a `String`.
fn walk<'a>(escaped: &'a str, mut piece: impl FnMut(Piece<'a>)) -> Option<()> {
    let bytes = escaped.as_bytes();
    let mut start = 0;
    while let Some(at) = next_special(bytes, start) {
        // An unescaped quote would have ended the literal; a raw control character is refused.
        if bytes.get(at) != Some(&b'\\') {
            return None;
        }
        // `at` and `start` sit on ASCII bytes or the ends, so both are character boundaries.
        piece(Piece::Text(escaped.get(start..at)?));
        let (ch, used) = escape(bytes.get(at + 1..)?)?;
        piece(Piece::Char(ch));
        start = at + 1 + used;
    }
    piece(Piece::Text(escaped.get(start..)?));
    Some(())
}

/// Where the first backslash, quote or control character at or after `from` is: plain text is skipped
/// eight bytes at a time, as serde_json skips it.
fn next_special(bytes: &[u8], mut from: usize) -> Option<usize> {
    while let Some(word) = bytes.get(from..from + 8) {
        let flags = special_bytes(u64::from_le_bytes(word.try_into().ok()?));
        if flags != 0 {
            // Little-endian: the lowest flag is the first byte, and the lowest flag is never a false one.
            return Some(from + (flags.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    let tail = bytes.get(from..)?;
    tail.iter().position(|&byte| byte == b'\\' || byte == b'"' || byte < 0x20).map(|at| from + at)
}

/// The high bit of each byte of `word` that is a backslash, a quote or a control character. Exact for the
/// lowest such byte (a borrow only runs upwards from a byte that is one), so `trailing_zeros` finds it, and
/// zero exactly when there is none.
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte below n (n <= 128) borrows into its high bit, which its own value did not have set.
    let below = |word: u64, n: u64| word.wrapping_sub(ONES * n) & !word;
    let zero = |word: u64| below(word, 1);
    let controls = below(word, 0x20);
    let quotes = zero(word ^ (ONES * u64::from(b'"')));
    let backslashes = zero(word ^ (ONES * u64::from(b'\\')));
    (controls | quotes | backslashes) & HIGHS
}

/// The character of the escape whose backslash precedes `rest`, and how many bytes of `rest` it takes.
fn escape(rest: &[u8]) -> Option<(char, usize)> {
    let simple = match rest.first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return unicode_escape(rest),
        _ => return None,
    };
    Some((simple, 1))
}

/// `uXXXX`, or a surrogate pair `uXXXX\uXXXX`, at the start of `rest`.
fn unicode_escape(rest: &[u8]) -> Option<(char, usize)> {
    let unit = hex4(rest.get(1..5)?)?;
    match unit {
        // A low surrogate first is a lone one.
        0xDC00..=0xDFFF => None,
        0xD800..=0xDBFF => {
            if rest.get(5..7)? != b"\\u" {
                return None;
            }
            let low = hex4(rest.get(7..11)?)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            let code = 0x1_0000 + (((unit - 0xD800) << 10) | (low - 0xDC00));
            Some((char::from_u32(code)?, 11))
        }
        _ => Some((char::from_u32(unit)?, 5)),
    }
}

/// Four hexadecimal digits, either case (no sign, no fewer).
fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0, |value, &digit| Some(value << 4 | char::from(digit).to_digit(16)?))
}

/// The length in UTF-8 bytes of the string that `escaped` (the text between a JSON string literal's quotes)
/// stands for, or `None` if serde_json would refuse to read it into a `String`. The relay's check: it
/// visits only the escapes, each making the text shorter by what it saves.
pub(crate) fn unescaped_len(escaped: &str) -> Option<usize> {
    let bytes = escaped.as_bytes();
    let (mut len, mut from) = (bytes.len(), 0);
    while let Some(at) = next_special(bytes, from) {
        // An unescaped quote would have ended the literal; a raw control character is refused.
        if bytes.get(at) != Some(&b'\\') {
            return None;
        }
        let (ch, used) = escape(bytes.get(at + 1..)?)?;
        // The backslash and `used` bytes stand for `ch`.
        len -= 1 + used - ch.len_utf8();
        from = at + 1 + used;
    }
    Some(len)
}

/// The string that `escaped` stands for. Meant for text [`unescaped_len`] accepted; anything else is read up
/// to its first fault.
pub(crate) fn unescape(escaped: &str) -> String {
    let mut text = String::with_capacity(escaped.len());
    let _complete = walk(escaped, |piece| match piece {
        Piece::Text(run) => text.push_str(run),
        Piece::Char(ch) => text.push(ch),
    });
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde_json makes of the literal `"escaped"`.
    fn serde(escaped: &str) -> Option<String> {
        serde_json::from_str::<String>(&format!("\"{escaped}\"")).ok()
    }

    /// Pieces of string-literal text that between them reach every branch: plain and multibyte text, every
    /// simple escape, `\u` escapes of one to three UTF-8 bytes, surrogate pairs, lone surrogates either way
    /// round, broken escapes, raw control characters and quotes, and a high surrogate cut short by the end.
    const PIECES: [&str; 35] = [
        "a",
        "é",
        "日",
        "😀",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\n",
        "\\r",
        "\\t",
        "\\u0000",
        "\\u001f",
        "\\u0041",
        "\\u00e9",
        "\\u00E9",
        "\\u65e5",
        "\\uFFFF",
        "\\ud83d\\ude00",
        "\\uD83D\\uDE00",
        "\\udbff\\udfff",
        "\\ud800",
        "\\udc00",
        "\\ud83d\\n",
        "\\ud83d\\ud83d",
        "\\ud83d\\u0041",
        "\\x",
        "\\u12g4",
        "\\u+123",
        "\\u12",
        "\\",
        "\t",
        "\u{1}",
        "\"",
    ];

    #[test]
    fn reads_every_combination_of_three_pieces_as_serde_json_does() {
        let mut checked = 0;
        for a in PIECES {
            for b in PIECES {
                for c in PIECES {
                    let escaped = format!("{a}{b}{c}");
                    let expected = serde(&escaped);
                    assert_eq!(unescaped_len(&escaped), expected.as_ref().map(String::len), "{escaped:?}");
                    if let Some(expected) = expected {
                        assert_eq!(unescape(&escaped), expected, "{escaped:?}");
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, PIECES.len().pow(3));
    }

    #[test]
    fn the_word_scan_finds_the_first_special_byte_wherever_it_is() {
        let special = |byte: u8| byte < 0x20 || byte == b'"' || byte == b'\\';
        let fillers = [b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff];
        for first in (0..=255_u8).filter(|&byte| special(byte)) {
            for place in 0..8 {
                for filler in fillers {
                    // A special byte at `place`, anything after it (other specials too), plain text before.
                    for after in [filler, b'\\', 0, b'"'] {
                        let mut text = vec![filler; 8 + place];
                        text.extend([first, after, filler, filler, filler, filler, filler, filler, filler]);
                        assert_eq!(next_special(&text, 0), Some(8 + place), "{text:?}");
                        assert_eq!(next_special(&text, 3), Some(8 + place), "{text:?}");
                    }
                }
            }
        }
        for plain in (0..=255_u8).filter(|&byte| !special(byte)) {
            for other in fillers {
                let text = [plain, other, plain, plain, other, plain, other, other, plain, other, plain];
                assert_eq!(next_special(&text, 0), None, "{text:?}");
            }
        }
    }

    #[test]
    fn counts_the_unescaped_bytes_not_the_escaped_ones() {
        assert_eq!(unescaped_len(""), Some(0));
        assert_eq!(unescaped_len("v=0\\r\\n"), Some(5));
        assert_eq!(unescaped_len("\\u00e9"), Some(2));
        assert_eq!(unescaped_len("\\ud83d\\ude00"), Some(4));
        assert_eq!(unescaped_len("😀"), Some(4));
        assert_eq!(unescaped_len("\\ud83d"), None);
        assert_eq!(unescaped_len("\\ude00"), None);
        assert_eq!(unescaped_len("a\u{7f}"), Some(2), "DEL is not a control character to JSON");
    }
}
