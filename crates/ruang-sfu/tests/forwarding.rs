//! The SFU forwards a publisher's video to its subscribers: str0m clients in memory, no browser, no socket.

mod support;

use std::time::Duration;

use ruang_sfu::{DatagramError, SfuEvent};
use support::{Net, VideoSource, publish_for};

fn connect_all(net: &mut Net) {
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");
}

#[test]
fn a_published_video_reaches_every_subscriber_intact() {
    let mut net = Net::new();
    let publisher = net.join(1, true);
    let alice = net.join(2, false);
    let bob = net.join(3, false);
    connect_all(&mut net);

    let mut source = VideoSource::new();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(2));

    assert!(source.sent.len() >= 50, "the publisher sent {} frames", source.sent.len());
    for subscriber in [alice, bob] {
        let frames = &net.client(subscriber).frames;
        assert!(frames.len() >= 30, "{subscriber} received {} of {} frames", frames.len(), source.sent.len());
        assert!(frames[0].is_keyframe(), "{subscriber}'s first frame is a key frame");
        let mut last = None;
        for frame in frames {
            let n = VideoSource::number(frame);
            assert_eq!(&frame.data[..], &source.sent[n as usize][..], "frame {n} arrives byte for byte");
            assert!(last < Some(n), "frames arrive in order");
            last = Some(n);
        }
    }
    assert!(
        net.sfu_events
            .iter()
            .any(|e| matches!(e, SfuEvent::TrackPublished { track, .. } if track.publisher == publisher)),
        "the SFU reported the published track"
    );
}

#[test]
fn a_subscriber_gets_nothing_until_the_keyframe_the_sfu_asked_for() {
    let mut net = Net::new();
    let publisher = net.join(1, true);
    let viewer = net.join(2, false);
    connect_all(&mut net);

    let mut source = VideoSource::new();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));

    let first = net.client(viewer).frames.first().map(VideoSource::number).expect("the viewer gets video");
    assert!(first > 0, "the delta frames before the first key frame were held back");
    assert_eq!(source.sent[first as usize][0] & 1, 0, "and the first frame forwarded is a key frame");
}

#[test]
fn a_late_subscriber_starts_on_a_fresh_keyframe() {
    let mut net = Net::new();
    let publisher = net.join(1, true);
    let early = net.join(2, false);
    connect_all(&mut net);
    let mut source = VideoSource::new();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    let sent_before = source.sent.len() as u32;

    let late = net.join(3, false);
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));

    let frames = &net.client(late).frames;
    let first = frames.first().expect("the late subscriber gets video");
    assert!(first.is_keyframe(), "its first frame is a key frame");
    assert!(VideoSource::number(first) >= sent_before, "made after it joined, for it");
    assert!(net.client(early).frames.len() > frames.len(), "the early subscriber kept receiving");
}

#[test]
fn a_leaving_publisher_is_negotiated_away_from_its_subscribers() {
    let mut net = Net::new();
    let publisher = net.join(1, true);
    let viewer = net.join(2, false);
    connect_all(&mut net);
    let offers_before = net.client(viewer).offers.len();
    assert_eq!(offers_before, 1, "the viewer was offered the publisher's video once");

    net.sfu.remove_participant(publisher).expect("the publisher is in the SFU");
    net.clients.remove(&publisher);
    net.settle();

    let offers = &net.client(viewer).offers;
    assert_eq!(offers.len(), 2, "the viewer is offered the removal");
    assert!(offers[1].contains("m=video 0 "), "the video m-line is stopped (port 0): {}", offers[1]);
    assert_eq!(net.sfu.len(), 1);
}

#[test]
fn datagrams_from_strangers_are_refused_without_harm() {
    let mut net = Net::new();
    net.join(1, true);
    connect_all(&mut net);
    let sfu = support::SFU_ADDR.parse().expect("test address");
    let stranger = "203.0.113.9:4000".parse().expect("test address");

    let garbage = net.sfu.handle_datagram(stranger, sfu, &[0xff; 40], net.now);
    assert_eq!(garbage, Err(DatagramError::NotWebRtc));
    // An RTP-looking packet (version 2) from an address no ICE check came from.
    let mut rtp = vec![0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 42];
    rtp.extend_from_slice(&[0; 100]);
    let unclaimed = net.sfu.handle_datagram(stranger, sfu, &rtp, net.now);
    assert_eq!(unclaimed, Err(DatagramError::Unclaimed));
}
