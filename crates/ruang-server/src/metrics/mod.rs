//! The server's Prometheus metrics: one [`Metrics`] per server, made with its state and passed by `Arc`
//! to whoever counts (sessions, rooms, the relay, webhooks), rendered at `GET /metrics`.
//!
//! Built on `metrics` + `metrics-exporter-prometheus`, but without the `metrics` crate's global recorder:
//! the exporter's recorder is built here and kept in this value, every handle ([`Counter`], [`Gauge`],
//! [`Histogram`]) is registered on it once and stored in a field, so two servers in one process (the tests
//! run many) count apart and nothing is global. Registration is a map lookup, done once per handle; a
//! count is then one atomic addition. Labelled series (errors by code) are registered at first use and
//! cached by the exporter's registry, which is bounded by the fixed set of error codes.
//!
//! Gauges of what the server holds (rooms, connections, sessions) are read from its state at scrape time
//! ([`Metrics::render`]) rather than kept in step by hand. Names and meanings: `docs/admin-api.md`.

mod sfu;

use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

/// Seconds from `join` to the room's answer: the buckets of `ruang_join_duration_seconds`.
const JOIN_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

pub(crate) const METADATA: Metadata<'static> = Metadata::new("ruang", Level::INFO, Some(module_path!()));

/// What the server holds right now, read at scrape time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Held {
    /// Rooms open.
    pub rooms: usize,
    /// WebSocket connections open.
    pub connections: usize,
    /// Whether the node is draining (no new rooms).
    pub draining: bool,
    /// The built-in TURN server's numbers, if it runs.
    pub turn: Option<ruang_turn::TurnStats>,
    /// The SFU's numbers, if it runs (and answered in time).
    pub sfu: Option<ruang_sfu::SfuStats>,
}

/// Every metric of one server.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    rooms: Gauge,
    connections: Gauge,
    draining: Gauge,
    /// Members in rooms (added when a room publishes one, taken away when it unpublishes it).
    pub participants: Gauge,
    /// WebSocket sessions started.
    pub connections_opened: Counter,
    /// Rooms opened.
    pub rooms_opened: Counter,
    /// Joins let in (or into a lobby).
    pub joins: Counter,
    /// Seconds from a `join` read to the room's answer.
    pub join_seconds: Histogram,
    /// Resumes accepted.
    pub resumes: Counter,
    /// Signals relayed from one member to another.
    pub signals_relayed: Counter,
    /// Bytes of the signals relayed (their JSON as sent).
    pub signal_bytes_relayed: Counter,
    /// Room messages delivered into members' streams.
    pub room_messages: Counter,
    /// Connections dropped because they could not keep up.
    pub slow_consumer_drops: Counter,
    /// Webhook deliveries that the receiver accepted (2xx).
    pub webhooks_delivered: Counter,
    /// Webhook deliveries given up after their last retry.
    pub webhooks_failed: Counter,
    /// Webhook events dropped because the queue was full.
    pub webhooks_dropped: Counter,
    /// Admin API requests served.
    pub admin_requests: Counter,
    turn_allocations: Gauge,
    turn_allocations_created: Counter,
    turn_relayed_up: Counter,
    turn_relayed_down: Counter,
    sfu: sfu::SfuMetrics,
}

impl Metrics {
    /// A fresh set of metrics with nothing counted.
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new();
        // Only fails for an empty bucket list.
        let builder = builder
            .set_buckets_for_metric(Matcher::Full("ruang_join_duration_seconds".into()), JOIN_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let counter = |name: &'static str, help: &'static str| {
            recorder.describe_counter(name.into(), None, help.into());
            recorder.register_counter(&Key::from_static_name(name), &METADATA)
        };
        let gauge = |name: &'static str, help: &'static str| {
            recorder.describe_gauge(name.into(), None, help.into());
            recorder.register_gauge(&Key::from_static_name(name), &METADATA)
        };
        let metrics = Metrics {
            rooms: gauge("ruang_rooms", "Rooms open."),
            connections: gauge("ruang_connections", "WebSocket connections open."),
            draining: gauge("ruang_draining", "1 while the node is draining (takes no new rooms)."),
            participants: gauge("ruang_participants", "Participants in rooms (connected or reconnecting)."),
            connections_opened: counter("ruang_connections_opened_total", "WebSocket connections accepted."),
            rooms_opened: counter("ruang_rooms_opened_total", "Rooms opened."),
            joins: counter("ruang_joins_total", "Joins let into a room or its lobby."),
            join_seconds: {
                let name = "ruang_join_duration_seconds";
                recorder.describe_histogram(name.into(), Some(Unit::Seconds), "From join to the room's answer.".into());
                recorder.register_histogram(&Key::from_static_name(name), &METADATA)
            },
            resumes: counter("ruang_resumes_total", "Resumes accepted."),
            signals_relayed: counter("ruang_signals_relayed_total", "Signals relayed between members."),
            signal_bytes_relayed: counter("ruang_signal_bytes_relayed_total", "Bytes of relayed signals."),
            room_messages: counter("ruang_room_messages_total", "Room messages delivered to members' streams."),
            slow_consumer_drops: counter(
                "ruang_slow_consumer_drops_total",
                "Connections dropped because their send queue was full.",
            ),
            webhooks_delivered: counter("ruang_webhooks_delivered_total", "Webhook POSTs answered with 2xx."),
            webhooks_failed: counter("ruang_webhooks_failed_total", "Webhook events given up after retries."),
            webhooks_dropped: counter("ruang_webhooks_dropped_total", "Webhook events dropped: queue full."),
            admin_requests: counter("ruang_admin_requests_total", "Admin API requests authenticated."),
            turn_allocations: gauge("ruang_turn_allocations", "TURN relay allocations live."),
            turn_allocations_created: counter("ruang_turn_allocations_created_total", "TURN allocations granted."),
            turn_relayed_up: {
                let key = Key::from_parts("ruang_turn_relayed_bytes_total", vec![Label::new("direction", "up")]);
                recorder.register_counter(&key, &METADATA)
            },
            turn_relayed_down: {
                let key = Key::from_parts("ruang_turn_relayed_bytes_total", vec![Label::new("direction", "down")]);
                recorder.register_counter(&key, &METADATA)
            },
            sfu: sfu::SfuMetrics::new(&recorder),
            recorder,
            handle,
        };
        metrics.recorder.describe_counter(
            "ruang_turn_relayed_bytes_total".into(),
            None,
            "Bytes relayed by the built-in TURN server (up: clients to peers; down: peers to clients).".into(),
        );
        metrics.recorder.describe_counter("ruang_errors_total".into(), None, "Errors sent to clients, by code.".into());
        metrics
    }

    /// Counts an error sent to a client, by its code.
    pub fn error(&self, code: ruang_proto::ErrorCode) {
        let key = Key::from_parts("ruang_errors_total", vec![Label::new("code", code.as_str())]);
        self.recorder.register_counter(&key, &METADATA).increment(1);
    }

    /// The Prometheus text exposition of everything, with the gauges of what is held set first.
    pub fn render(&self, held: Held) -> String {
        self.rooms.set(held.rooms as f64);
        self.connections.set(held.connections as f64);
        self.draining.set(if held.draining { 1.0 } else { 0.0 });
        if let Some(turn) = held.turn {
            self.turn_allocations.set(turn.allocations as f64);
            self.turn_allocations_created.absolute(turn.allocations_created);
            self.turn_relayed_up.absolute(turn.relayed_up_bytes);
            self.turn_relayed_down.absolute(turn.relayed_down_bytes);
        }
        if let Some(sfu) = &held.sfu {
            self.sfu.set(sfu);
        }
        self.handle.render()
    }

    /// Drains the histograms' samples into their buckets, so they do not grow while nobody scrapes.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_servers_count_apart_and_render_prometheus_text() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.joins.increment(2);
        a.error(ruang_proto::ErrorCode::RoomFull);
        a.join_seconds.record(0.003);
        let sfu = ruang_sfu::SfuStats { streams_out: 5, frame_bytes_forwarded: 1200, ..Default::default() };
        let text = a.render(Held { rooms: 3, connections: 4, draining: false, turn: None, sfu: Some(sfu) });
        assert!(text.contains("ruang_joins_total 2"), "{text}");
        assert!(text.contains("ruang_rooms 3"), "{text}");
        assert!(text.contains(r#"ruang_errors_total{code="room_full"} 1"#), "{text}");
        assert!(text.contains(r#"ruang_join_duration_seconds_bucket{le="0.005"} 1"#), "{text}");
        assert!(text.contains(r#"ruang_sfu_streams{direction="out"} 5"#), "{text}");
        assert!(text.contains(r#"ruang_sfu_frame_bytes_total{direction="out"} 1200"#), "{text}");
        let other = b.render(Held::default());
        assert!(other.contains("ruang_joins_total 0"), "{other}");
    }
}
