//! The SFU chooses each subscriber's simulcast layer from the tile it shows the track in, once the
//! publisher has described its layers.

mod support;

use std::time::Duration;

use ruang_sfu::layer::Layer;
use ruang_sfu::{SfuError, SfuEvent, TrackId};
use support::{MediaSource, Net, Publish, publish_for};

const RIDS: &[&str] = &["l", "h"];
const SMALL: Layer = Layer { height: 180, bitrate: 100_000 };
const LARGE: Layer = Layer { height: 720, bitrate: 300_000 };

fn simulcast_call(viewers: &[u64]) -> (Net, MediaSource, TrackId) {
    simulcast_call_sending(viewers, MediaSource::simulcast(RIDS))
}

/// A call whose publisher sends `source` (some of its layers may be stopped) for half a second.
fn simulcast_call_sending(viewers: &[u64], mut source: MediaSource) -> (Net, MediaSource, TrackId) {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Simulcast(RIDS));
    for id in viewers {
        net.join(*id, Publish::Nothing);
    }
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");
    let track = net
        .sfu_events
        .iter()
        .find_map(|e| match e {
            SfuEvent::TrackPublished { track, .. } => Some(*track),
            _ => None,
        })
        .expect("the SFU reported the published track");
    // (long enough for every layer sent to count as arriving)
    publish_for(&mut net, &mut source, publisher, Duration::from_millis(1500));
    (net, source, track)
}

/// The layer of the last frames a client received (`None` if it received none).
fn last_layer(net: &Net, viewer: u64) -> Option<usize> {
    net.client(ruang_sfu::ParticipantId(viewer)).frames.last().map(MediaSource::layer)
}

#[test]
fn each_subscriber_gets_the_layer_its_tile_needs() {
    let (mut net, mut source, track) = simulcast_call(&[2, 3]);
    let (thumbnail, speaker) = (ruang_sfu::ParticipantId(2), ruang_sfu::ParticipantId(3));
    net.sfu.describe_layers(track, &[("l", SMALL), ("h", LARGE)]).expect("the publisher's layers");
    net.sfu.set_tile(thumbnail, track, Some(120)).expect("the thumbnail viewer receives the track");
    net.sfu.set_tile(speaker, track, Some(720)).expect("the speaker viewer receives the track");
    let before = net.client(thumbnail).frames.len();
    publish_for(&mut net, &mut source, track.publisher, Duration::from_secs(1));

    assert_eq!(last_layer(&net, 2), Some(0), "a 120-pixel tile gets the 180p layer");
    assert_eq!(last_layer(&net, 3), Some(1), "a 720-pixel tile gets the 720p layer");
    let after = &net.client(thumbnail).frames[before..];
    let switch = after.iter().position(|f| MediaSource::layer(f) == 0).expect("the small layer arrives");
    assert!(after[switch].is_keyframe(), "the thumbnail's small layer starts on a key frame");
}

#[test]
fn a_tile_that_grows_gets_the_larger_layer_back_once_the_estimate_pays_for_it() {
    let (mut net, mut source, track) = simulcast_call(&[2]);
    let viewer = ruang_sfu::ParticipantId(2);
    // Described largest first: the order a client lists them in does not matter.
    net.sfu.describe_layers(track, &[("h", LARGE), ("l", SMALL)]).expect("the publisher's layers");
    net.sfu.set_tile(viewer, track, Some(100)).expect("the viewer receives the track");
    publish_for(&mut net, &mut source, track.publisher, Duration::from_secs(1));
    assert_eq!(last_layer(&net, 2), Some(0));

    // The estimate follows what is sent, so after a second of the small layer it may be too low for the
    // large one: str0m probes up to the bitrate the tiles want, and the SFU switches when the estimate
    // pays for it (floor 100k + 200k more).
    net.sfu.set_tile(viewer, track, Some(700)).expect("the viewer receives the track");
    let mut rounds = 0;
    while last_layer(&net, 2) != Some(1) && rounds < 20 {
        publish_for(&mut net, &mut source, track.publisher, Duration::from_millis(250));
        rounds += 1;
    }
    assert_eq!(last_layer(&net, 2), Some(1), "the enlarged tile is back on the large layer within 5 s");
    let estimate = net.sfu.estimate(viewer).expect("an estimate toward the viewer");
    assert!(estimate >= SMALL.bitrate + LARGE.bitrate - SMALL.bitrate, "the switch was paid for ({estimate} bps)");
}

#[test]
fn layers_that_are_not_the_published_ones_are_refused_whether_described_or_selected() {
    let (mut net, _source, track) = simulcast_call(&[2]);
    let wrong = net.sfu.describe_layers(track, &[("q", SMALL), ("h", LARGE)]);
    assert!(matches!(wrong, Err(SfuError::LayersMismatch(t)) if t == track));
    let missing = net.sfu.describe_layers(track, &[("h", LARGE)]);
    assert!(matches!(missing, Err(SfuError::LayersMismatch(_))));
    let unknown = net.sfu.select_layer(ruang_sfu::ParticipantId(2), track, "q");
    assert!(matches!(unknown, Err(SfuError::LayersMismatch(_))), "a layer the track does not send is refused");
}

/// The layers of the frames a client received since frame `from`, one entry per run of the same layer.
fn layer_runs(net: &Net, viewer: u64, from: usize) -> Vec<usize> {
    let mut runs: Vec<usize> = Vec::new();
    for frame in &net.client(ruang_sfu::ParticipantId(viewer)).frames[from..] {
        let layer = MediaSource::layer(frame);
        if runs.last() != Some(&layer) {
            runs.push(layer);
        }
    }
    runs
}

#[test]
fn a_large_tile_gets_the_small_layer_while_the_large_one_does_not_arrive_and_moves_up_without_a_gap() {
    // The publisher is short of uplink: it sends only its small layer (a browser pauses the others).
    let mut source = MediaSource::simulcast(RIDS);
    source.send_layer(1, false);
    let (mut net, mut source, track) = simulcast_call_sending(&[2], source);
    let viewer = ruang_sfu::ParticipantId(2);
    net.sfu.describe_layers(track, &[("l", SMALL), ("h", LARGE)]).expect("the publisher's layers");
    net.sfu.set_tile(viewer, track, Some(720)).expect("the viewer receives the track");
    publish_for(&mut net, &mut source, track.publisher, Duration::from_secs(1));
    assert_eq!(last_layer(&net, 2), Some(0), "the 720-pixel tile gets the small layer rather than nothing");

    // The uplink recovers: the large layer comes back, and the viewer moves up at its first key frame
    // while the small layer keeps flowing until then.
    let before = net.client(viewer).frames.len();
    source.send_layer(1, true);
    publish_for(&mut net, &mut source, track.publisher, Duration::from_secs(2));
    assert_eq!(layer_runs(&net, 2, before), [0, 1], "small until the switch, then large");
    let received = &net.client(viewer).frames[before..];
    let switch = received.iter().position(|f| MediaSource::layer(f) == 1).expect("the large layer arrives");
    assert!(received[switch].is_keyframe(), "the large layer starts on a key frame");
    // (the large layer's key frame is the same picture as the small frame before it, in another size)
    let numbers: Vec<u32> = received.iter().map(MediaSource::number).collect();
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1 || w[1] == w[0]), "no frame skipped: {numbers:?}");
    // Each layer has its own timestamp base: the viewer still sees one timeline, a frame's time apart.
    let times: Vec<u64> = received.iter().map(|f| f.time.numer()).collect();
    let frame = 90_000 / 30;
    assert!(times.windows(2).all(|w| w[1] > w[0] && w[1] - w[0] <= 3 * frame), "times only grow: {times:?}");
    // (but for the switch itself: the key frame is the picture just forwarded in the small size)
    let short = times.windows(2).filter(|w| w[1] - w[0] < frame / 2).count();
    assert!(short <= 1, "frames keep their spacing across the switch: {times:?}");

    // The large layer stops again: after a moment without it, the small one is forwarded again.
    let before = net.client(viewer).frames.len();
    source.send_layer(1, false);
    publish_for(&mut net, &mut source, track.publisher, Duration::from_secs(3));
    assert_eq!(layer_runs(&net, 2, before), [0], "back on the small layer");
}

#[test]
fn without_a_description_a_subscriber_gets_the_largest_layer_arriving() {
    let mut source = MediaSource::simulcast(RIDS);
    source.send_layer(1, false);
    let (mut net, mut source, track) = simulcast_call_sending(&[2], source);
    publish_for(&mut net, &mut source, track.publisher, Duration::from_secs(1));
    assert_eq!(last_layer(&net, 2), Some(0), "only the small layer arrives");
    source.send_layer(1, true);
    publish_for(&mut net, &mut source, track.publisher, Duration::from_millis(500));
    assert_eq!(last_layer(&net, 2), Some(0), "not for a short burst of the large layer");
    publish_for(&mut net, &mut source, track.publisher, Duration::from_secs(1));
    assert_eq!(last_layer(&net, 2), Some(1), "the large layer once it keeps arriving");
}

#[test]
fn a_layer_described_far_above_what_it_sends_is_chosen_by_what_it_sends() {
    // A browser describes each layer by its cap (the web client says 1.5 Mbit/s for its largest layer
    // whatever the camera), while a small camera's largest layer sends a few hundred kbit/s. The estimate
    // toward a subscriber need not reach the cap: what the layer measurably needs is enough.
    let capped = Layer { height: 720, bitrate: 50_000_000 };
    let (mut net, mut source, track) = simulcast_call(&[2]);
    let viewer = ruang_sfu::ParticipantId(2);
    net.sfu.describe_layers(track, &[("l", SMALL), ("h", capped)]).expect("the publisher's layers");
    net.sfu.set_tile(viewer, track, Some(700)).expect("the viewer receives the track");
    publish_for(&mut net, &mut source, track.publisher, Duration::from_secs(3));
    assert_eq!(last_layer(&net, 2), Some(1), "the large tile gets the large layer it can carry");
    let estimate = net.sfu.estimate(viewer).expect("an estimate toward the viewer");
    assert!(estimate < capped.bitrate, "the estimate ({estimate} bps) never reached the cap");
}
