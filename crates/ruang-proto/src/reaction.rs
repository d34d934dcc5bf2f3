//! Reactions: the fixed set of emoji a participant may send to the room, shown briefly over its tile.

use serde::{Deserialize, Serialize};

/// One of the emoji a `react` message may carry. Only these exist: the server relays nothing else, so a
/// reaction can never carry arbitrary text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reaction {
    /// 👍 thumbs up.
    #[serde(rename = "\u{1F44D}")]
    ThumbsUp,
    /// 👏 applause.
    #[serde(rename = "\u{1F44F}")]
    Clap,
    /// 😂 laughing.
    #[serde(rename = "\u{1F602}")]
    Laugh,
    /// 😮 surprised.
    #[serde(rename = "\u{1F62E}")]
    Surprised,
    /// ❤️ heart (U+2764 U+FE0F).
    #[serde(rename = "\u{2764}\u{FE0F}")]
    Heart,
    /// 🎉 celebration.
    #[serde(rename = "\u{1F389}")]
    Party,
}

impl Reaction {
    /// Every reaction, in the order clients show them.
    pub const ALL: [Reaction; 6] =
        [Reaction::ThumbsUp, Reaction::Clap, Reaction::Laugh, Reaction::Surprised, Reaction::Heart, Reaction::Party];

    /// The emoji as it travels on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Reaction::ThumbsUp => "\u{1F44D}",
            Reaction::Clap => "\u{1F44F}",
            Reaction::Laugh => "\u{1F602}",
            Reaction::Surprised => "\u{1F62E}",
            Reaction::Heart => "\u{2764}\u{FE0F}",
            Reaction::Party => "\u{1F389}",
        }
    }

    /// The reaction whose emoji is exactly `emoji`, if it is one of [`Reaction::ALL`].
    pub fn parse(emoji: &str) -> Option<Reaction> {
        Reaction::ALL.into_iter().find(|reaction| reaction.as_str() == emoji)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reaction_reads_back_from_its_wire_form_and_serializes_to_it() {
        for reaction in Reaction::ALL {
            assert_eq!(Reaction::parse(reaction.as_str()), Some(reaction));
            let json = serde_json::to_string(&reaction).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", reaction.as_str()));
        }
        assert_eq!(Reaction::parse("\u{2764}"), None, "the heart needs its variation selector");
        assert_eq!(Reaction::parse(""), None);
    }
}
