//! Many rooms on one SFU: a participant receives only from its own room, tracks name their publisher in
//! its wire form, the active speaker is per room, and the protocol's per-participant calls (`tiles`,
//! `layers`) act on the right copies.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use ruang_sfu::layer::Layer;
use ruang_sfu::{ParticipantId, RoomKey, SfuError, SfuEvent};
use support::{MediaSource, Net, Publish, publish_all, publish_for};

const RED: RoomKey = RoomKey(7);
const BLUE: RoomKey = RoomKey(8);

fn connect_all(net: &mut Net) {
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");
}

fn senders(net: &Net, id: ParticipantId) -> BTreeSet<u8> {
    net.client(id).frames.iter().map(MediaSource::tag_of).collect()
}

/// The `(stream id, track id)` of every `a=msid` line in the offers a client received.
fn msids(net: &Net, id: ParticipantId) -> Vec<(String, String)> {
    let offers = net.client(id).offers.iter();
    let lines = offers.flat_map(|offer| offer.lines().filter_map(|l| l.strip_prefix("a=msid:")).map(str::to_owned));
    lines
        .filter_map(|l| l.split_once(' ').map(|(stream, track)| (stream.to_owned(), track.trim().to_owned())))
        .collect()
}

#[test]
fn participants_receive_only_from_their_own_room() {
    let mut net = Net::new();
    let red_talker = net.join_room(RED, 0xa81c_0e55_f0e3_b902, Publish::Audio);
    let red_camera = net.join_room(RED, 2, Publish::Video);
    let red_viewer = net.join_room(RED, 3, Publish::Nothing);
    let blue_camera = net.join_room(BLUE, 4, Publish::Video);
    let blue_viewer = net.join_room(BLUE, 5, Publish::Nothing);
    connect_all(&mut net);

    let mut talk = MediaSource::audio_at(-20).tagged(1);
    let (mut red, mut blue) = (MediaSource::video().tagged(2), MediaSource::video().tagged(4));
    let mut sources = [(&mut talk, red_talker), (&mut red, red_camera), (&mut blue, blue_camera)];
    publish_all(&mut net, &mut sources, Duration::from_secs(2));

    assert_eq!(senders(&net, red_viewer), BTreeSet::from([1, 2]), "red hears and sees red only");
    assert_eq!(senders(&net, red_camera), BTreeSet::from([1]), "a red publisher gets red's audio only");
    assert_eq!(senders(&net, blue_viewer), BTreeSet::from([4]), "blue sees blue only");
    assert!(net.client(blue_camera).frames.is_empty(), "blue's only publisher gets nothing from red");
    assert_eq!(net.sfu.members(RED), [red_talker, red_camera, red_viewer]);
    assert_eq!(net.sfu.room_of(blue_viewer), Some(BLUE));

    let blue_streams: BTreeSet<String> = msids(&net, blue_viewer).into_iter().map(|(s, _)| s).collect();
    assert_eq!(blue_streams, BTreeSet::from(["0000000000000004".to_owned()]), "blue is offered blue's track only");

    let speakers: Vec<&SfuEvent> =
        net.sfu_events.iter().filter(|e| matches!(e, SfuEvent::ActiveSpeaker { .. })).collect();
    let red_speaks = SfuEvent::ActiveSpeaker { room: RED, participant: Some(red_talker) };
    assert_eq!(speakers, [&red_speaks], "red's speaker is announced in red only");
    assert_eq!(net.sfu.active_speaker(BLUE), None);
}

#[test]
fn every_forwarded_track_names_its_publisher_in_sixteen_hex_digits() {
    let mut net = Net::new();
    let publisher = net.join(0xa81c_0e55_f0e3_b902, Publish::Video);
    let talker = net.join(0x00ff, Publish::Audio);
    let viewer = net.join(3, Publish::Nothing);
    connect_all(&mut net);

    let seen = msids(&net, viewer);
    assert_eq!(seen.len(), 2, "the viewer was offered both tracks: {seen:?}");
    for (stream, track) in &seen {
        assert_eq!(stream.len(), 16);
        assert!(stream.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{stream}");
        let (owner, mid) = track.split_once('-').expect("a track id is <stream id>-<mid>");
        assert_eq!(owner, stream);
        assert!(!mid.is_empty());
    }
    let streams: BTreeSet<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(streams, BTreeSet::from(["a81c0e55f0e3b902", "00000000000000ff"]));
    assert_eq!(publisher.to_string(), "a81c0e55f0e3b902");
    assert_eq!(talker.to_string(), "00000000000000ff");
}

#[test]
fn a_hidden_tile_gets_nothing_and_showing_it_again_starts_on_a_key_frame() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Video);
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);
    let mut source = MediaSource::video();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    assert!(!net.client(viewer).frames.is_empty(), "shown by default");
    let offers = net.client(viewer).offers.len();

    net.sfu.set_tile_of(viewer, publisher, 0).expect("the viewer is in the SFU");
    let before = net.client(viewer).frames.len();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    let hidden = net.client(viewer).frames.len() - before;
    assert!(hidden <= 2, "nothing forwarded for a hidden tile beyond frames in flight ({hidden})");

    net.sfu.set_tile_of(viewer, publisher, 360).expect("the viewer is in the SFU");
    let before = net.client(viewer).frames.len();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    let shown = &net.client(viewer).frames[before..];
    assert!(shown.len() >= 10, "shown again: {} frames", shown.len());
    assert!(shown[0].is_keyframe(), "a tile shown again starts on a key frame");
    assert_eq!(net.client(viewer).offers.len(), offers, "hiding and showing needs no renegotiation");
}

#[test]
fn layers_described_before_the_track_is_published_apply_when_it_is() {
    const SMALL: Layer = Layer { height: 180, bitrate: 100_000 };
    const LARGE: Layer = Layer { height: 720, bitrate: 300_000 };
    let mut net = Net::with_config(|config| ruang_sfu::SfuConfig { initial_estimate: None, ..config });
    let viewer = net.join(2, Publish::Nothing);
    net.sfu.set_tile_of(viewer, ParticipantId(1), 120).expect("the viewer is in the SFU");
    let publisher = net.join(1, Publish::Simulcast(&["l", "h"]));
    // Before the SFU has polled the publisher's session, its track is not published yet.
    net.sfu.describe_layers_of(publisher, &[("h", LARGE), ("l", SMALL)]).expect("remembered");
    connect_all(&mut net);

    let mut source = MediaSource::simulcast(&["l", "h"]);
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    let last = net.client(viewer).frames.last().map(MediaSource::layer);
    assert_eq!(last, Some(0), "the 120-pixel tile said before anything was published gets the 180p layer");

    let wrong = net.sfu.describe_layers_of(publisher, &[("q", SMALL), ("h", LARGE)]);
    assert!(matches!(wrong, Err(SfuError::LayersMismatch(t)) if t.publisher == publisher));
    let repeated = net.sfu.describe_layers_of(publisher, &[("h", SMALL), ("h", LARGE)]);
    assert!(matches!(repeated, Err(SfuError::InvalidLayers(p)) if p == publisher));
}

#[test]
fn a_tiles_message_replaces_the_last_one() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Video);
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);
    let mut source = MediaSource::video();
    net.sfu.set_tiles(viewer, &[(publisher, 0), (ParticipantId(77), 240)]).expect("the viewer is in the SFU");
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    assert!(net.client(viewer).frames.is_empty(), "hidden from the start: nothing forwarded");

    net.sfu.set_tiles(viewer, &[]).expect("the viewer is in the SFU");
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    let frames = &net.client(viewer).frames;
    assert!(frames.len() >= 10, "not listed any more: shown ({} frames)", frames.len());
    assert!(frames[0].is_keyframe());
}

#[test]
fn a_hidden_tile_stays_hidden_when_its_publisher_comes_back_after_a_reset() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Video);
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);
    net.sfu.set_tile_of(viewer, publisher, 0).expect("the viewer is in the SFU");

    // The server resets the publisher's media: removed from the SFU, back with a new connection.
    net.sfu.remove_participant(publisher).expect("the publisher is in the SFU");
    net.clients.remove(&publisher);
    let publisher = net.join(1, Publish::Video);
    connect_all(&mut net);
    let mut source = MediaSource::video();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    assert!(net.client(viewer).frames.is_empty(), "the viewer's last tiles still hide it");
}
