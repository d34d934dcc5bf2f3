//! The SFU forwards a publisher's media to its subscribers: str0m clients in memory, no browser, no socket.

mod support;

use std::time::Duration;

use ruang_sfu::{DatagramError, MediaKind, ParticipantId, SfuEvent, TrackId, Transport};
use support::{MediaSource, Net, Publish, publish_for};

fn connect_all(net: &mut Net) {
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");
}

fn published_track(net: &Net) -> TrackId {
    net.sfu_events
        .iter()
        .find_map(|e| match e {
            SfuEvent::TrackPublished { track, .. } => Some(*track),
            _ => None,
        })
        .expect("the SFU reported the published track")
}

/// A publisher (1) and two subscribers (2, 3), connected; the publisher's video sent for two seconds.
fn one_video_for_two_seconds() -> (Net, MediaSource, [ParticipantId; 3]) {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Video);
    let alice = net.join(2, Publish::Nothing);
    let bob = net.join(3, Publish::Nothing);
    connect_all(&mut net);
    let mut source = MediaSource::video();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(2));
    (net, source, [publisher, alice, bob])
}

#[test]
fn a_published_video_reaches_every_subscriber_intact() {
    let (net, source, [publisher, alice, bob]) = one_video_for_two_seconds();

    assert!(source.frames_sent() >= 50, "the publisher sent {} frames", source.frames_sent());
    for subscriber in [alice, bob] {
        let frames = &net.client(subscriber).frames;
        assert!(frames.len() >= 30, "{subscriber} received {} of {} frames", frames.len(), source.frames_sent());
        assert!(frames[0].is_keyframe(), "{subscriber}'s first frame is a key frame");
        let mut last = None;
        for frame in frames {
            let n = MediaSource::number(frame);
            assert_eq!(&frame.data[..], source.sent(0, n), "frame {n} arrives byte for byte");
            assert!(last < Some(n), "frames arrive in order");
            last = Some(n);
        }
    }
    assert_eq!(published_track(&net).publisher, publisher);
}

#[test]
fn a_subscriber_gets_nothing_until_the_keyframe_the_sfu_asked_for() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Video);
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);

    let mut source = MediaSource::video();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));

    let first = net.client(viewer).frames.first().map(MediaSource::number).expect("the viewer gets video");
    assert!(first > 0, "the delta frames before the first key frame were held back");
    assert_eq!(source.sent(0, first)[0] & 1, 0, "and the first frame forwarded is a key frame");
}

#[test]
fn a_late_subscriber_starts_on_a_fresh_keyframe() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Video);
    let early = net.join(2, Publish::Nothing);
    connect_all(&mut net);
    let mut source = MediaSource::video();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    let sent_before = source.frames_sent() as u32;

    let late = net.join(3, Publish::Nothing);
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));

    let frames = &net.client(late).frames;
    let first = frames.first().expect("the late subscriber gets video");
    assert!(first.is_keyframe(), "its first frame is a key frame");
    assert!(MediaSource::number(first) >= sent_before, "made after it joined, for it");
    assert!(net.client(early).frames.len() > frames.len(), "the early subscriber kept receiving");
}

#[test]
fn audio_flows_without_waiting_for_anything() {
    let mut net = Net::new();
    let speaker = net.join(1, Publish::Audio);
    let listener = net.join(2, Publish::Nothing);
    connect_all(&mut net);

    let mut source = MediaSource::audio();
    publish_for(&mut net, &mut source, speaker, Duration::from_secs(1));

    let frames = &net.client(listener).frames;
    let expected = source.frames_sent() * 9 / 10;
    assert!(frames.len() >= expected, "{} of {} audio frames arrived", frames.len(), source.frames_sent());
    for frame in frames {
        assert_eq!(&frame.data[..], source.sent(0, MediaSource::number(frame)), "audio arrives byte for byte");
    }
    assert_eq!(net.client(speaker).keyframe_requests, 0, "nobody asks audio for key frames");
    let kinds: Vec<MediaKind> = net
        .sfu_events
        .iter()
        .filter_map(|e| match e {
            SfuEvent::TrackPublished { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, [MediaKind::Audio]);
}

#[test]
fn a_subscriber_gets_one_simulcast_layer_and_switches_on_a_keyframe() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Simulcast(&["l", "h"]));
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);
    let mut source = MediaSource::simulcast(&["l", "h"]);
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(2));

    let before = net.client(viewer).frames.len();
    assert!(before >= 10, "the viewer gets video before the switch ({before} frames)");
    // The first layer to arrive at once, the largest once its frames have kept coming (from a key frame).
    let frames = &net.client(viewer).frames;
    let up = frames.iter().position(|f| MediaSource::layer(f) == 1).expect("the largest layer arrives");
    assert!(frames[..up].iter().all(|f| MediaSource::layer(f) == 0), "the small layer before it");
    assert!(frames[up].is_keyframe() && frames[up..].iter().all(|f| MediaSource::layer(f) == 1), "then the largest");

    net.sfu.select_layer(viewer, published_track(&net), "l").expect("the viewer receives that track");
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));

    let after = &net.client(viewer).frames[before..];
    let switch = after.iter().position(|f| MediaSource::layer(f) == 0).expect("the small layer arrives");
    assert!(after[switch].is_keyframe(), "the small layer starts on a key frame");
    assert!(after[switch..].iter().all(|f| MediaSource::layer(f) == 0), "and the large layer stops");
    assert!(after.len() - switch >= 10, "the small layer keeps flowing ({} frames)", after.len() - switch);
    for frame in after {
        let (layer, n) = (MediaSource::layer(frame), MediaSource::number(frame));
        assert_eq!(&frame.data[..], source.sent(layer, n), "frame {n} of layer {layer} arrives byte for byte");
    }
}

#[test]
fn a_leaving_publisher_is_negotiated_away_from_its_subscribers() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Video);
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);
    assert_eq!(net.client(viewer).offers.len(), 1, "the viewer was offered the publisher's video once");

    net.sfu.remove_participant(publisher).expect("the publisher is in the SFU");
    net.settle();
    let closed = net.run_until(Duration::from_secs(1), |net| !net.client(publisher).rtc.is_alive());
    assert!(closed, "the SFU said goodbye: the publisher's session closed (DTLS close_notify)");
    net.clients.remove(&publisher);

    let offers = &net.client(viewer).offers;
    assert_eq!(offers.len(), 2, "the viewer is offered the removal");
    assert!(offers[1].contains("m=video 0 "), "the video m-line is stopped (port 0): {}", offers[1]);
    assert_eq!(net.sfu.len(), 1);
}

#[test]
fn datagrams_from_strangers_are_refused_without_harm() {
    let mut net = Net::new();
    net.join(1, Publish::Video);
    connect_all(&mut net);
    let sfu = support::SFU_ADDR.parse().expect("test address");
    let stranger = "203.0.113.9:4000".parse().expect("test address");

    let garbage = net.sfu.handle_datagram(Transport::Udp, stranger, sfu, &[0xff; 40], net.now);
    assert_eq!(garbage, Err(DatagramError::NotWebRtc));
    // An RTP-looking packet (version 2) from an address no ICE check came from.
    let mut rtp = vec![0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 42];
    rtp.extend_from_slice(&[0; 100]);
    let unclaimed = net.sfu.handle_datagram(Transport::Udp, stranger, sfu, &rtp, net.now);
    assert_eq!(unclaimed, Err(DatagramError::Unclaimed));
}

#[test]
fn the_sfus_stats_count_what_it_holds_and_every_frame_it_forwards() {
    let (net, source, [_, alice, bob]) = one_video_for_two_seconds();

    let stats = net.sfu.stats();
    assert_eq!((stats.participants, stats.rooms), (3, 1));
    assert_eq!((stats.streams_in, stats.streams_out, stats.streams_paused), (1, 2, 0), "one video, a copy each");
    // In memory nothing is lost: every frame written to a subscriber is one it received.
    let delivered: Vec<usize> = [alice, bob].iter().map(|id| net.client(*id).frames.len()).collect();
    assert_eq!(stats.frames_forwarded, delivered.iter().sum::<usize>() as u64, "{stats:?}");
    let delivered_bytes: usize =
        [alice, bob].iter().flat_map(|id| net.client(*id).frames.iter()).map(|f| f.data.len()).sum();
    assert_eq!(stats.frame_bytes_forwarded, delivered_bytes as u64);
    assert!(
        stats.frames_received <= source.frames_sent() as u64 && stats.frames_received >= stats.frames_forwarded / 2
    );
    assert!(stats.keyframe_requests >= 1, "the subscribers' key-frame gates asked for one");
    assert_eq!(stats.packets_received, 0, "the wire is the driver's to count");
}
