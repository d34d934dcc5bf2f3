//! A viewer (a participant that may not publish) receives, but the SFU refuses any offer of its to send.

mod support;

use std::time::Duration;

use ruang_sfu::{ParticipantId, Publishing, SfuError};
use str0m::media::{Direction, MediaKind};
use support::{MediaSource, Net, Publish, publish_for};

#[test]
fn a_viewer_offering_to_send_is_refused_and_not_added() {
    let mut net = Net::new();
    let refused = net.try_join(2, Publish::Video, Publishing::Refused);
    assert!(matches!(refused, Err(SfuError::PublishingRefused(ParticipantId(2)))));
    assert!(net.sfu.is_empty(), "the viewer is not in the SFU");
}

#[test]
fn a_viewer_receives_what_others_publish() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Video);
    let viewer = net.try_join(2, Publish::Nothing, Publishing::Refused).expect("a receive-only offer is fine");
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected);
    let mut source = MediaSource::video();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    assert!(net.client(viewer).frames.len() >= 10, "the viewer receives video");
}

#[test]
fn a_viewer_adding_a_sending_track_later_is_refused() {
    let mut net = Net::new();
    let viewer = net.try_join(2, Publish::Nothing, Publishing::Refused).expect("a receive-only offer is fine");
    let listener = net.join(3, Publish::Nothing);
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected);

    let refused =
        net.try_client_offers(viewer, |api| api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None));
    assert!(matches!(refused, Err(SfuError::PublishingRefused(id)) if id == viewer));
    net.settle();
    assert!(net.client(listener).offers.is_empty(), "nothing of the viewer's is offered to others");
}

#[test]
fn a_demoted_publisher_is_no_longer_forwarded() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Video);
    let viewer = net.join(2, Publish::Nothing);
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected);
    let mut source = MediaSource::video();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    let before = net.client(viewer).frames.len();
    assert!(before >= 10, "forwarded while allowed");

    net.sfu.set_publishing(publisher, Publishing::Refused).expect("the publisher is in the SFU");
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    // A frame already inside the SFU's forwarding step may still go out; nothing sent after the demotion.
    assert!(net.client(viewer).frames.len() <= before + 1, "not forwarded once refused");
}
