//! Last-N: a subscriber receives video from at most N others — its pinned one first — and the rest is
//! paused, not renegotiated.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use ruang_sfu::ParticipantId;
use support::{MediaSource, Net, Publish, publish_all};

fn senders(frames: &[str0m::media::MediaData]) -> BTreeSet<u8> {
    frames.iter().map(MediaSource::tag_of).collect()
}

#[test]
fn a_subscriber_gets_video_from_n_others_and_its_pin_always() {
    let mut net = Net::with_config(|config| ruang_sfu::SfuConfig { last_n: Some(2), ..config });
    let publishers: Vec<ParticipantId> = (1..=3).map(|id| net.join(id, Publish::Video)).collect();
    let viewer = net.join(4, Publish::Nothing);
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");

    let mut sources: Vec<MediaSource> = publishers.iter().map(|p| MediaSource::video().tagged(p.0 as u8)).collect();
    let mut publishing: Vec<(&mut MediaSource, ParticipantId)> =
        sources.iter_mut().zip(publishers.iter().copied()).collect();
    publish_all(&mut net, &mut publishing, Duration::from_secs(1));
    assert_eq!(senders(&net.client(viewer).frames), BTreeSet::from([1, 2]), "nobody spoke: the first two joined");
    let offers = net.client(viewer).offers.len();

    net.sfu.pin(viewer, Some(publishers[2])).expect("the viewer is in the SFU");
    let before = net.client(viewer).frames.len();
    publish_all(&mut net, &mut publishing, Duration::from_secs(1));
    let after = &net.client(viewer).frames[before..];
    let settled = &after[after.len() / 2..];
    assert_eq!(senders(settled), BTreeSet::from([1, 3]), "the pinned one replaces the last of the others");
    let first_pinned = after.iter().find(|f| MediaSource::tag_of(f) == 3).expect("the pinned video arrives");
    assert!(first_pinned.is_keyframe(), "a resumed copy starts on a key frame");
    assert_eq!(net.client(viewer).offers.len(), offers, "pausing and resuming needs no renegotiation");
}
