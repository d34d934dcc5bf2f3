//! Renegotiation between clients and the SFU: a client adding a track mid-call, and a client's offer
//! crossing the SFU's (glare), which the client wins.

mod support;

use std::time::Duration;

use ruang_sfu::SfuEvent;
use str0m::media::{Direction, MediaKind};
use support::{MediaSource, Net, Publish, publish_for};

fn connect_all(net: &mut Net) {
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");
}

#[test]
fn a_track_added_mid_call_is_offered_to_the_others_and_forwarded() {
    let mut net = Net::new();
    let presenter = net.join(1, Publish::Nothing);
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);
    assert!(net.client(viewer).offers.is_empty(), "nothing to offer while nobody publishes");

    // The presenter starts sharing its screen: a new sending m-line in a client offer.
    let mid =
        net.client_offers(presenter, |api| api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None));
    net.clients.get_mut(&presenter).expect("the presenter").mid = Some(mid);
    net.settle();
    assert!(
        net.sfu_events
            .iter()
            .any(|e| matches!(e, SfuEvent::TrackPublished { track, .. } if track.publisher == presenter)),
        "the SFU reports the new track"
    );
    assert_eq!(net.client(viewer).offers.len(), 1, "the viewer is offered it");

    let mut source = MediaSource::video();
    publish_for(&mut net, &mut source, presenter, Duration::from_secs(1));
    let frames = &net.client(viewer).frames;
    assert!(frames.len() >= 10, "the viewer receives the new track ({} frames)", frames.len());
    assert!(frames[0].is_keyframe());
}

#[test]
fn a_client_offer_crossing_the_sfus_wins_and_the_sfu_offers_again() {
    let mut net = Net::new();
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);
    net.clients.get_mut(&viewer).expect("the viewer").hold_offers = true;

    let publisher = net.join(1, Publish::Video);
    connect_all(&mut net);
    assert_eq!(net.client(viewer).held.len(), 1, "the SFU's offer of the video is on its way to the viewer");

    // Before that offer arrives, the viewer offers a change of its own (it turns its microphone on).
    net.client_offers(viewer, |api| api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None));
    // The viewer, having its own offer answered, drops the crossed one, as a browser's rollback would.
    let client = net.clients.get_mut(&viewer).expect("the viewer");
    client.held.clear();
    client.hold_offers = false;
    net.settle();

    assert_eq!(net.client(viewer).offers.len(), 1, "the SFU offers the video again after the viewer's offer");
    let mut source = MediaSource::video();
    publish_for(&mut net, &mut source, publisher, Duration::from_secs(1));
    let frames = &net.client(viewer).frames;
    assert!(frames.len() >= 10, "the viewer receives the video after the glare ({} frames)", frames.len());
}

#[test]
fn a_track_turned_off_is_negotiated_away_and_comes_back_when_turned_on() {
    let mut net = Net::new();
    let presenter = net.join(1, Publish::Nothing);
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);
    let mid =
        net.client_offers(presenter, |api| api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None));
    net.clients.get_mut(&presenter).expect("the presenter").mid = Some(mid);
    net.settle();
    assert_eq!(net.client(viewer).offers.len(), 1, "the viewer is offered the screen share");

    // The presenter stops sharing: its re-offer makes the m-line inactive.
    net.client_offers(presenter, |api| api.set_direction(mid, Direction::Inactive));
    net.settle();
    assert!(
        net.sfu_events
            .iter()
            .any(|e| matches!(e, SfuEvent::TrackUnpublished { track } if track.publisher == presenter)),
        "the SFU reports the track gone"
    );
    let offers = &net.client(viewer).offers;
    assert_eq!(offers.len(), 2, "the viewer is offered the removal");
    assert!(offers[1].contains("m=video 0 "), "the copy is stopped (port 0): {}", offers[1]);

    // Sharing again: the same m-line sends again, and the viewer gets a new copy.
    net.client_offers(presenter, |api| api.set_direction(mid, Direction::SendOnly));
    net.settle();
    assert_eq!(net.client(viewer).offers.len(), 3, "the viewer is offered the track again");
    let mut source = MediaSource::video();
    publish_for(&mut net, &mut source, presenter, Duration::from_secs(1));
    assert!(net.client(viewer).frames.len() >= 10, "and receives it");
}
