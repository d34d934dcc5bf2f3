//! The bots' media engine: a str0m peer connection on its own loopback UDP socket that publishes synthetic
//! VP8 video and Opus audio and counts what it receives. Signaling is not here: the ruang and Janus bots
//! (in `sfu/`) carry the SDP this engine makes and takes.

mod endpoint;
pub mod stamp;

pub use endpoint::{Endpoint, Publish};
