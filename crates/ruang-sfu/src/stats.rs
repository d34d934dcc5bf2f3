//! What the SFU has done and holds, for an operator's metrics: [`SfuStats`], a snapshot the core makes on
//! request ([`crate::Sfu::stats`]) and the driver completes with what only it sees (datagrams and bytes on
//! the wire). Counters run from the SFU's start and never go down; the rest is what is held at that moment.
//! Nothing here is per room or per participant: a snapshot is a fixed handful of numbers, whatever the load.

/// A snapshot of the SFU. Bitrates are the rate of its byte counters (Prometheus `rate()`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SfuStats {
    /// Participants with a media session.
    pub participants: usize,
    /// Rooms with at least one participant.
    pub rooms: usize,
    /// Tracks published into the SFU (one per publisher's audio, camera, screen).
    pub streams_in: usize,
    /// Copies of those tracks offered to subscribers.
    pub streams_out: usize,
    /// Copies paused: beyond a subscriber's last-N or on a hidden tile.
    pub streams_paused: usize,
    /// Media frames received from publishers.
    pub frames_received: u64,
    /// Bytes of those frames (media payload, without RTP headers or SRTP overhead).
    pub frame_bytes_received: u64,
    /// Frames written to subscribers (one per subscriber a frame went to).
    pub frames_forwarded: u64,
    /// Bytes of the frames forwarded (media payload).
    pub frame_bytes_forwarded: u64,
    /// Key frames asked of publishers (PLI), after throttling.
    pub keyframe_requests: u64,
    /// Frames not forwarded because a subscriber's queue of frames to packetize was full.
    pub frames_dropped: u64,
    /// Datagrams and TCP frames received on the SFU port, claimed or not (filled in by the driver).
    pub packets_received: u64,
    /// Bytes of those packets.
    pub bytes_received: u64,
    /// Packets no participant claimed, or that were not WebRTC (filled in by the driver).
    pub packets_unclaimed: u64,
    /// Datagrams and TCP frames sent (filled in by the driver).
    pub packets_sent: u64,
    /// Bytes of those packets.
    pub bytes_sent: u64,
}

/// The counters the core keeps as it forwards.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    pub frames_received: u64,
    pub frame_bytes_received: u64,
    pub frames_forwarded: u64,
    pub frame_bytes_forwarded: u64,
    pub keyframe_requests: u64,
    pub frames_dropped: u64,
}

impl Counters {
    /// A frame of `len` bytes arrived from a publisher.
    pub fn received(&mut self, len: usize) {
        self.frames_received += 1;
        self.frame_bytes_received += len as u64;
    }

    /// A frame of `len` bytes went to one subscriber.
    pub fn forwarded(&mut self, len: usize) {
        self.frames_forwarded += 1;
        self.frame_bytes_forwarded += len as u64;
    }
}
