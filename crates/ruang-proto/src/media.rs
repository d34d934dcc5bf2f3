//! A participant's media state: what it is sending. The server keeps it so late joiners see the truth.

use serde::{Deserialize, Serialize};

/// What a participant is sending: microphone, camera, screen share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaState {
    /// The microphone is sending (unmuted).
    pub audio: bool,
    /// The camera is sending.
    pub video: bool,
    /// A screen share is being sent.
    pub screen: bool,
}
