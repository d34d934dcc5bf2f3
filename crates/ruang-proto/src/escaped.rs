//! The text of a JSON string literal as it stands in a frame (between its quotes, escapes unread), read
//! exactly as serde_json reads it into a `String`: the same escapes accepted (`\" \\ \/ \b \f \n \r \t` and
//! `\uXXXX`, surrogates only in a high-low pair), the same refused (any other escape, a lone surrogate, a
//! raw control character). So a relayed SDP can be validated and measured on its escaped text, in one pass
//! and with no allocation, and unescaped only when someone needs its value.

/// One run of the unescaped text: a slice that needed no unescaping, or one escaped character.
enum Piece<'a> {
    Text(&'a str),
    Char(char),
}

/// Walks `escaped` (the text between a string literal's quotes) piece by piece; `None` as soon as it is
/// something serde_json refuses to read into a `String`.
fn walk<'a>(escaped: &'a str, mut piece: impl FnMut(Piece<'a>)) -> Option<()> {
    // A raw control character is refused, and an unescaped quote would have ended the literal: one
    // branch-free pass over the bytes (the compiler vectorizes it) counts both, then only the escapes are
    // visited, and every quote must have been one of them.
    let (controls, quotes) = escaped.bytes().fold((0_usize, 0_usize), |(controls, quotes), byte| {
        (controls + usize::from(byte < 0x20), quotes + usize::from(byte == b'"'))
    });
    if controls > 0 {
        return None;
    }
    let (mut rest, mut escaped_quotes) = (escaped, 0);
    // `find` of one ASCII byte is a memchr; the text before a backslash is always a whole run of characters.
    while let Some(backslash) = rest.find('\\') {
        piece(Piece::Text(&rest[..backslash]));
        let after = rest.as_bytes().get(backslash + 1..)?;
        escaped_quotes += usize::from(after.first() == Some(&b'"'));
        let (ch, used) = escape(after)?;
        piece(Piece::Char(ch));
        // The escape is ASCII, so this is a character boundary.
        rest = rest.get(backslash + 1 + used..)?;
    }
    if quotes != escaped_quotes {
        return None;
    }
    piece(Piece::Text(rest));
    Some(())
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
/// stands for, or `None` if serde_json would refuse to read it into a `String`.
pub(crate) fn unescaped_len(escaped: &str) -> Option<usize> {
    let mut len = 0;
    walk(escaped, |piece| {
        len += match piece {
            Piece::Text(text) => text.len(),
            Piece::Char(ch) => ch.len_utf8(),
        }
    })?;
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
