//! The text messages of the file protocol on the `files` data channel (docs/protocol.md, "File transfer on
//! the data channel"), exactly as web/js/files.js writes them: `{"t":"offer","id":…,"name":…,"size":…}` and
//! the rest. Binary messages are file chunks and carry no header. Reading is lenient the way the web client
//! is: a message that is not one of these is ignored, never an error that ends the link.

use serde::{Deserialize, Serialize};

/// The longest transfer id accepted (the web client's limit).
pub const MAX_ID_CHARS: usize = 64;

/// One text message of the file protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum FileMessage {
    /// Sender: would you take this file?
    Offer {
        /// The transfer id, chosen by the sender.
        id: String,
        /// The file's name (untrusted: see `names`).
        name: String,
        /// Its size in bytes.
        size: u64,
    },
    /// Receiver: yes.
    Accept {
        /// Which offer.
        id: String,
    },
    /// Receiver: no.
    Decline {
        /// Which offer.
        id: String,
    },
    /// Sender: the binary messages that follow are this file's bytes.
    Begin {
        /// Which transfer.
        id: String,
    },
    /// Sender: that was all of it; its SHA-256 (lowercase hex).
    End {
        /// Which transfer.
        id: String,
        /// The hash of the bytes sent.
        sha256: String,
    },
    /// Receiver: arrived, and the hash matches.
    Ok {
        /// Which transfer.
        id: String,
    },
    /// Receiver: arrived, but the size or hash does not match.
    Bad {
        /// Which transfer.
        id: String,
    },
    /// Either side: stop this transfer.
    Cancel {
        /// Which transfer.
        id: String,
    },
}

impl FileMessage {
    /// Reads one text message; `None` for anything else (unknown `t`, missing or bad fields, too long an id,
    /// a size that is not a whole number of bytes a JavaScript number can hold exactly).
    pub fn parse(text: &str) -> Option<FileMessage> {
        let message: FileMessage = serde_json::from_str(text).ok()?;
        let ok = message.id().len() <= MAX_ID_CHARS
            && match &message {
                FileMessage::Offer { size, .. } => *size <= MAX_SAFE_INTEGER,
                _ => true,
            };
        ok.then_some(message)
    }

    /// The message as JSON text.
    pub fn to_json(&self) -> String {
        // (a plain enum of strings and integers: serializing cannot fail)
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The transfer it is about.
    pub fn id(&self) -> &str {
        match self {
            FileMessage::Offer { id, .. }
            | FileMessage::Accept { id }
            | FileMessage::Decline { id }
            | FileMessage::Begin { id }
            | FileMessage::End { id, .. }
            | FileMessage::Ok { id }
            | FileMessage::Bad { id }
            | FileMessage::Cancel { id } => id,
        }
    }
}

/// `Number.MAX_SAFE_INTEGER`: the web client refuses larger sizes.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_web_client_writes() {
        assert_eq!(
            FileMessage::parse(r#"{"t":"offer","id":"0a1b","name":"x.bin","size":12}"#),
            Some(FileMessage::Offer { id: "0a1b".into(), name: "x.bin".into(), size: 12 })
        );
        assert_eq!(
            FileMessage::parse(r#"{"t":"end","id":"0a1b","sha256":"ab"}"#),
            Some(FileMessage::End { id: "0a1b".into(), sha256: "ab".into() })
        );
        assert_eq!(FileMessage::parse(r#"{"t":"ok","id":"z"}"#), Some(FileMessage::Ok { id: "z".into() }));
        let offer = FileMessage::Offer { id: "i".into(), name: "n".into(), size: 3 };
        assert_eq!(offer.to_json(), r#"{"t":"offer","id":"i","name":"n","size":3}"#);
    }

    #[test]
    fn ignores_anything_else() {
        for bad in [
            "",
            "null",
            "[]",
            r#"{"t":"offer","id":"a","name":"n"}"#,
            r#"{"t":"offer","id":"a","name":"n","size":-1}"#,
            r#"{"t":"offer","id":"a","name":"n","size":1.5}"#,
            r#"{"t":"offer","id":"a","name":"n","size":9007199254740992}"#,
            r#"{"t":"accept","id":7}"#,
            r#"{"t":"launch","id":"a"}"#,
        ] {
            assert_eq!(FileMessage::parse(bad), None, "{bad}");
        }
        let long = format!(r#"{{"t":"accept","id":"{}"}}"#, "a".repeat(MAX_ID_CHARS + 1));
        assert_eq!(FileMessage::parse(&long), None);
    }
}
