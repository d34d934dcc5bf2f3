//! How participants' sessions end: a client that hangs up is removed; a client that vanishes is reported
//! `Disconnected`, and `Lost` (removed) if it does not come back within `lost_after`; one that never
//! connects is `Lost` after `connect_within`, one that leaves an offer unanswered after `answer_within`.

mod support;

use std::time::Duration;

use ruang_sfu::{ParticipantId, SfuEvent};
use support::{Net, Publish};

const LOST_AFTER: Duration = Duration::from_secs(15);
const CONNECT_WITHIN: Duration = Duration::from_secs(30);

fn reported(net: &Net, event: &SfuEvent) -> bool {
    net.sfu_events.contains(event)
}

fn connect_all(net: &mut Net) {
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");
}

#[test]
fn a_client_that_hangs_up_is_removed_and_its_tracks_go_with_it() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Video);
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);

    net.clients.get_mut(&publisher).expect("the publisher").rtc.close().expect("the client closes");
    let closed = net.run_until(Duration::from_secs(5), |net| net.sfu_events.contains(&SfuEvent::Closed(publisher)));
    assert!(closed, "the SFU reports the session closed");
    assert_eq!(net.sfu.len(), 1, "and removed the participant");
    net.settle();
    let offers = &net.client(viewer).offers;
    assert!(offers.last().is_some_and(|o| o.contains("m=video 0 ")), "the viewer is offered its video away");
}

#[test]
fn a_client_that_vanishes_is_reported_disconnected_but_kept() {
    let mut net = Net::new();
    let gone = net.join(1, Publish::Video);
    net.join(2, Publish::Nothing);
    connect_all(&mut net);

    // The client's machine sleeps: nothing more from it, nothing reaches it.
    net.clients.remove(&gone);
    let reported = net.run_until(Duration::from_secs(60), |net| net.sfu_events.contains(&SfuEvent::Disconnected(gone)));
    assert!(reported, "ICE notices within a minute of fake time");
    assert_eq!(net.sfu.len(), 2, "removing it is the driver's decision (it may come back)");
}

#[test]
fn a_client_gone_for_lost_after_is_removed_and_reported_lost() {
    let mut net = Net::new();
    let gone = net.join(1, Publish::Video);
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);

    net.clients.remove(&gone);
    assert!(net.run_until(Duration::from_secs(60), |net| reported(net, &SfuEvent::Disconnected(gone))));
    let disconnected_at = net.now;
    assert!(net.run_until(LOST_AFTER + Duration::from_secs(1), |net| reported(net, &SfuEvent::Lost(gone))));
    assert!(net.now >= disconnected_at + LOST_AFTER, "not before lost_after of fake time");
    assert_eq!(net.sfu.len(), 1, "the lost participant is removed");
    net.settle();
    let offers = &net.client(viewer).offers;
    assert!(offers.last().is_some_and(|o| o.contains("m=video 0 ")), "and its video negotiated away");
}

#[test]
fn a_client_that_never_connects_is_lost_after_connect_within_not_lost_after() {
    let mut net = Net::new();
    let added_at = net.now;
    let silent = net.join(1, Publish::Video);
    net.clients.remove(&silent);
    let early = net.run_until(LOST_AFTER + Duration::from_secs(1), |net| reported(net, &SfuEvent::Lost(silent)));
    assert!(!early, "a slow first connection gets more time than a connection that went down");
    let lost = net.run_until(CONNECT_WITHIN, |net| reported(net, &SfuEvent::Lost(silent)));
    assert!(lost, "an offer whose media never arrives does not hold a session forever");
    assert!(net.now >= added_at + CONNECT_WITHIN, "not before connect_within of fake time");
    assert!(net.sfu.is_empty());
}

#[test]
fn a_client_back_within_lost_after_is_kept() {
    let mut net = Net::new();
    let away = net.join(1, Publish::Video);
    net.join(2, Publish::Nothing);
    connect_all(&mut net);

    let client = net.clients.remove(&away).expect("the client");
    assert!(net.run_until(Duration::from_secs(60), |net| reported(net, &SfuEvent::Disconnected(away))));
    net.clients.insert(away, client);
    net.run_until(LOST_AFTER * 2, |_| false);
    assert!(!reported(&net, &SfuEvent::Lost(away)), "a client back in time is not lost");
    assert_eq!(net.sfu.len(), 2);
    assert_eq!(net.sfu.room_of(ParticipantId(1)), Some(support::ROOM));
}

#[test]
fn a_client_that_leaves_an_offer_unanswered_is_lost() {
    let mut net = Net::new();
    let viewer = net.join(2, Publish::Nothing);
    connect_all(&mut net);
    // The SFU's next offer to the viewer never gets its answer (lost, or dropped by the client).
    net.clients.get_mut(&viewer).expect("the viewer").hold_offers = true;
    net.join(1, Publish::Video);
    let offered_at = net.now;
    let lost = net.run_until(Duration::from_secs(35), |net| reported(net, &SfuEvent::Lost(viewer)));
    assert!(lost, "an offer left unanswered does not leave the viewer without that video for good");
    assert!(net.now >= offered_at + Duration::from_secs(30), "not before answer_within (30 s) of fake time");
    assert_eq!(net.client(viewer).held.len(), 1, "one offer was made and held");
    assert_eq!(net.sfu.len(), 1, "the viewer is removed (its client is told `reset` and offers anew)");
}

#[test]
fn a_client_that_answers_is_not_lost_however_long_the_call() {
    let mut net = Net::new();
    let viewer = net.join(2, Publish::Nothing);
    net.join(1, Publish::Video);
    connect_all(&mut net);
    net.run_until(Duration::from_secs(40), |_| false);
    assert!(!reported(&net, &SfuEvent::Lost(viewer)));
    assert_eq!(net.sfu.len(), 2);
}

/// A browser that has its answer but takes long to connect (a late joiner on a busy machine: 10-20 s) is
/// not written to meanwhile: str0m would queue every frame for it, and more than its bound of frames (about
/// ten seconds of audio) used to close the session. Once it connects, it gets the media.
#[test]
fn a_subscriber_slow_to_connect_keeps_its_session_and_then_receives() {
    let mut net = Net::new();
    let publisher = net.join(1, Publish::Audio);
    connect_all(&mut net);
    let late = net.join(2, Publish::Nothing);
    net.clients.get_mut(&late).expect("the late client").unreachable = true;
    let mut audio = support::MediaSource::audio();
    // The SFU's timers run every other frame (a busy driver wakes less often than frames come): str0m
    // packetizes one frame per m-line per timer round, so frames for a subscriber that cannot take them
    // yet would pile up past its bound (512 per m-line).
    net.sfu_timers_every = Some(2);
    for _ in 0..1200 {
        audio.send_frame(&mut net, publisher);
        net.step(Duration::from_millis(5));
    }
    net.sfu_timers_every = None;
    assert!(!reported(&net, &SfuEvent::Closed(late)), "the slow subscriber's session is not closed");
    assert!(!reported(&net, &SfuEvent::Lost(late)), "nor lost (connect_within is longer)");
    assert_eq!(net.sfu.len(), 2);

    net.clients.get_mut(&late).expect("the late client").unreachable = false;
    support::publish_for(&mut net, &mut audio, publisher, Duration::from_secs(3));
    let client = net.client(late);
    assert!(client.connected, "the subscriber connects once the network lets it");
    assert!(!client.frames.is_empty(), "and receives the publisher's audio");
    assert!(!reported(&net, &SfuEvent::Closed(late)));
}
