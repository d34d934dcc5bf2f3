//! Presenting with the camera on: a participant's second video m-line is its screen share. Its copies are
//! offered under the stream id `<id>-screen` (so a client shows them in a tile of their own, beside the
//! camera), and a screen is forwarded to everyone whatever last-N decides about the presenter's camera.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use str0m::media::{Direction, MediaKind};
use support::{MediaSource, Net, Publish, publish_all};

const CAMERA_TAG: u8 = 1;
const SCREEN_TAG: u8 = 9;

#[test]
fn a_second_video_is_the_screen_and_is_forwarded_beside_last_n() {
    let mut net = Net::with_config(|config| ruang_sfu::SfuConfig { last_n: Some(1), ..config });
    let first = net.join(1, Publish::Video);
    let presenter = net.join(2, Publish::Video);
    let viewer = net.join(3, Publish::Nothing);
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");

    let camera_mid = net.client(presenter).mid.expect("the presenter publishes its camera");
    let screen_mid =
        net.client_offers(presenter, |api| api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None));
    net.settle();
    let offered = net.client(viewer).offers.join("\n");
    assert!(
        offered.contains(&format!("a=msid:{presenter}-screen ")),
        "the screen's copy is offered as the presenter's screen stream:\n{offered}"
    );
    assert!(offered.contains(&format!("a=msid:{presenter} ")), "its camera stays its own stream");
    assert!(!offered.contains(&format!("a=msid:{first}-screen")), "a single video is a camera");

    // The first to join is the viewer's one video (nobody spoke); the presenter's camera is held back by
    // last-N, its screen is not.
    let mut first_camera = MediaSource::video().tagged(CAMERA_TAG);
    let mut screen = MediaSource::video().tagged(SCREEN_TAG);
    net.clients.get_mut(&presenter).expect("the presenter").mid = Some(screen_mid);
    publish_all(&mut net, &mut [(&mut first_camera, first), (&mut screen, presenter)], Duration::from_secs(2));
    let got: BTreeSet<u8> = net.client(viewer).frames.iter().map(MediaSource::tag_of).collect();
    assert_eq!(got, BTreeSet::from([CAMERA_TAG, SCREEN_TAG]), "the viewer gets the first camera and the screen");

    // The presenter's camera is still last-N's to decide: it sends, the viewer gets nothing of it.
    let mut presenter_camera = MediaSource::video().tagged(CAMERA_TAG + 1);
    net.clients.get_mut(&presenter).expect("the presenter").mid = Some(camera_mid);
    let before = net.client(viewer).frames.len();
    publish_all(&mut net, &mut [(&mut presenter_camera, presenter)], Duration::from_secs(1));
    let tags: BTreeSet<u8> = net.client(viewer).frames[before..].iter().map(MediaSource::tag_of).collect();
    assert!(!tags.contains(&(CAMERA_TAG + 1)), "the presenter's camera is beyond last-N");
}
