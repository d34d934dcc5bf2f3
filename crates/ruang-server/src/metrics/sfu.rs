//! The SFU's series: what its driver reports in a [`SfuStats`] snapshot at scrape time, set on gauges and
//! on counters (as absolute values: the SFU counts, this only shows). Bitrates are `rate()` of the byte
//! counters: `ruang_sfu_bytes_total` on the wire (SRTP, RTCP, ICE), `ruang_sfu_frame_bytes_total` the
//! media payload received from publishers (`in`) and forwarded to subscribers (`out`).

use metrics::{Counter, Gauge, Key, Label, Recorder};
use metrics_exporter_prometheus::PrometheusRecorder;
use ruang_sfu::SfuStats;

use super::METADATA;

/// Every SFU series, registered once.
pub(super) struct SfuMetrics {
    participants: Gauge,
    rooms: Gauge,
    streams_in: Gauge,
    streams_out: Gauge,
    streams_paused: Gauge,
    frames_in: Counter,
    frames_out: Counter,
    frame_bytes_in: Counter,
    frame_bytes_out: Counter,
    packets_in: Counter,
    packets_out: Counter,
    bytes_in: Counter,
    bytes_out: Counter,
    unclaimed: Counter,
    keyframe_requests: Counter,
    frames_dropped: Counter,
}

impl SfuMetrics {
    pub(super) fn new(recorder: &PrometheusRecorder) -> Self {
        let gauge = |name: &'static str, help: &'static str| {
            recorder.describe_gauge(name.into(), None, help.into());
            recorder.register_gauge(&Key::from_static_name(name), &METADATA)
        };
        let counter = |name: &'static str, help: &'static str| {
            recorder.describe_counter(name.into(), None, help.into());
            recorder.register_counter(&Key::from_static_name(name), &METADATA)
        };
        // One series per direction; described once per name.
        let directed = |name: &'static str, help: &'static str| {
            recorder.describe_counter(name.into(), None, help.into());
            let key = |direction: &'static str| Key::from_parts(name, vec![Label::new("direction", direction)]);
            (recorder.register_counter(&key("in"), &METADATA), recorder.register_counter(&key("out"), &METADATA))
        };
        let streams = {
            let name = "ruang_sfu_streams";
            recorder.describe_gauge(name.into(), None, "SFU tracks: published (in) and copies offered (out).".into());
            let key = |direction: &'static str| Key::from_parts(name, vec![Label::new("direction", direction)]);
            (recorder.register_gauge(&key("in"), &METADATA), recorder.register_gauge(&key("out"), &METADATA))
        };
        let frames = directed("ruang_sfu_frames_total", "Media frames received from publishers (in), forwarded (out).");
        let frame_bytes =
            directed("ruang_sfu_frame_bytes_total", "Media payload bytes received (in), forwarded (out).");
        let packets = directed("ruang_sfu_packets_total", "Packets on the SFU port: received (in), sent (out).");
        let bytes = directed("ruang_sfu_bytes_total", "Bytes on the SFU port: received (in), sent (out).");
        SfuMetrics {
            participants: gauge("ruang_sfu_participants", "Participants with an SFU media session."),
            rooms: gauge("ruang_sfu_rooms", "Rooms with SFU participants."),
            streams_in: streams.0,
            streams_out: streams.1,
            streams_paused: gauge("ruang_sfu_streams_paused", "Copies paused: beyond last-N or on a hidden tile."),
            frames_in: frames.0,
            frames_out: frames.1,
            frame_bytes_in: frame_bytes.0,
            frame_bytes_out: frame_bytes.1,
            packets_in: packets.0,
            packets_out: packets.1,
            bytes_in: bytes.0,
            bytes_out: bytes.1,
            unclaimed: counter(
                "ruang_sfu_unclaimed_packets_total",
                "Packets on the SFU port that no participant claimed, or that were not WebRTC.",
            ),
            keyframe_requests: counter("ruang_sfu_keyframe_requests_total", "Key frames asked of publishers."),
            frames_dropped: counter(
                "ruang_sfu_frames_dropped_total",
                "Frames not forwarded: a subscriber's queue of frames to send was full.",
            ),
        }
    }

    pub(super) fn set(&self, stats: &SfuStats) {
        self.participants.set(stats.participants as f64);
        self.rooms.set(stats.rooms as f64);
        self.streams_in.set(stats.streams_in as f64);
        self.streams_out.set(stats.streams_out as f64);
        self.streams_paused.set(stats.streams_paused as f64);
        self.frames_in.absolute(stats.frames_received);
        self.frames_out.absolute(stats.frames_forwarded);
        self.frame_bytes_in.absolute(stats.frame_bytes_received);
        self.frame_bytes_out.absolute(stats.frame_bytes_forwarded);
        self.packets_in.absolute(stats.packets_received);
        self.packets_out.absolute(stats.packets_sent);
        self.bytes_in.absolute(stats.bytes_received);
        self.bytes_out.absolute(stats.bytes_sent);
        self.unclaimed.absolute(stats.packets_unclaimed);
        self.keyframe_requests.absolute(stats.keyframe_requests);
        self.frames_dropped.absolute(stats.frames_dropped);
    }
}
