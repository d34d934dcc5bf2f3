//! What the protocol says about a room's media mode and its SFU: the mode itself (`welcome.media_mode`,
//! the `media_mode` message), and the values of the SFU-only client messages `layers` and `tiles`.

use serde::{Deserialize, Serialize};

use crate::PeerId;

/// How a room carries its media.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaMode {
    /// Every participant has a peer connection to every other.
    #[default]
    Mesh,
    /// Every participant has one peer connection to the room's SFU.
    Sfu,
}

impl MediaMode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaMode::Mesh => "mesh",
            MediaMode::Sfu => "sfu",
        }
    }
}

/// One simulcast layer of a publisher's video, as its `layers` message describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// The RTP stream id: 1 to 16 characters `A-Z a-z 0-9`.
    pub rid: String,
    /// The layer's height in pixels.
    pub height: u32,
    /// The layer's target bitrate in bit/s.
    pub bitrate: u64,
}

/// How tall a subscriber shows one other participant's video; `0` when it is not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tile {
    /// Whose video.
    pub id: PeerId,
    /// The tile's height in device pixels.
    pub height: u32,
}
