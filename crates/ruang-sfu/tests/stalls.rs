//! No copy stalls: in a room of eight publishers sending three simulcast layers each, with packet loss both
//! ways, larger layers stopping and starting again (a browser short of CPU or uplink), and subscribers
//! hiding and showing tiles, every subscriber keeps getting every publisher's video once the disturbances
//! end. This is the browser test "eight pages … all see and decode each other" (issue 15) without the
//! browsers: in memory, on a fake clock, deterministic.

mod support;

use std::time::Duration;

use ruang_sfu::layer::Layer;
use ruang_sfu::{ParticipantId, SfuConfig};
use support::{MediaSource, Net, Publish, publish_all};

const RIDS: &[&str] = &["l", "m", "h"];
const PEOPLE: u64 = 8;

/// What each subscriber has received from each publisher so far, by the sources' tags.
fn received(net: &Net) -> Vec<(u64, u64, usize)> {
    let mut counts = Vec::new();
    for subscriber in 1..=PEOPLE {
        let frames = &net.client(ParticipantId(subscriber)).frames;
        for publisher in (1..=PEOPLE).filter(|p| *p != subscriber) {
            let n = frames.iter().filter(|f| u64::from(MediaSource::tag_of(f)) == publisher).count();
            counts.push((subscriber, publisher, n));
        }
    }
    counts
}

#[test]
fn with_loss_layers_coming_and_going_and_tiles_hidden_and_shown_no_copy_stalls() {
    // The server's SFU settings: last-N 9, no bandwidth estimation.
    let mut net = Net::with_config(|c| SfuConfig { last_n: Some(9), initial_estimate: None, ..c });
    for id in 1..=PEOPLE {
        net.join(id, Publish::Simulcast(RIDS));
    }
    let connected = net.run_until(Duration::from_secs(10), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "everyone connects within 10 s of fake time");
    let mut sources: Vec<MediaSource> = (1..=PEOPLE).map(|id| MediaSource::simulcast(RIDS).tagged(id as u8)).collect();
    let layers = [
        ("l", Layer { height: 90, bitrate: 150_000 }),
        ("m", Layer { height: 180, bitrate: 400_000 }),
        ("h", Layer { height: 360, bitrate: 1_000_000 }),
    ];
    for id in 1..=PEOPLE {
        net.sfu.describe_layers_of(ParticipantId(id), &layers).expect("layers described");
    }
    let tiles = |height: u32, except: Option<u64>, subscriber: u64| -> Vec<(ParticipantId, u32)> {
        (1..=PEOPLE)
            .filter(|p| *p != subscriber)
            .map(|p| (ParticipantId(p), if Some(p) == except { 0 } else { height }))
            .collect()
    };
    for id in 1..=PEOPLE {
        net.sfu.set_tiles(ParticipantId(id), &tiles(200, None, id)).expect("tiles");
    }
    let run = |net: &mut Net, sources: &mut [MediaSource], ms: u64| {
        let mut all: Vec<(&mut MediaSource, ParticipantId)> =
            sources.iter_mut().zip(1..=PEOPLE).map(|(s, id)| (s, ParticipantId(id))).collect();
        publish_all(net, &mut all, Duration::from_millis(ms));
    };
    run(&mut net, &mut sources, 2000);

    // Disturbances, one after the other and overlapping.
    net.drop_every = Some(17);
    run(&mut net, &mut sources, 1000);
    for source in sources.iter_mut().step_by(2) {
        source.send_layer(2, false); // half the publishers stop their largest layer
    }
    run(&mut net, &mut sources, 1000);
    for source in sources.iter_mut() {
        source.send_layer(1, false); // everyone is down to the smallest
    }
    for id in 1..=PEOPLE {
        // everyone hides the next person's tile and makes the rest small
        net.sfu.set_tiles(ParticipantId(id), &tiles(100, Some(id % PEOPLE + 1), id)).expect("tiles");
    }
    run(&mut net, &mut sources, 2000);
    for id in 1..=PEOPLE {
        net.sfu.set_tiles(ParticipantId(id), &tiles(300, None, id)).expect("tiles"); // shown again, large
    }
    run(&mut net, &mut sources, 1000);
    for source in sources.iter_mut() {
        source.send_layer(1, true);
        source.send_layer(2, true); // the larger layers come back
    }
    run(&mut net, &mut sources, 1500);
    net.drop_every = None;
    run(&mut net, &mut sources, 2000);

    // Now calm: over two more seconds, every subscriber gets frames from every publisher.
    let before = received(&net);
    run(&mut net, &mut sources, 2000);
    let after = received(&net);
    let stalled: Vec<String> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| a.2 < b.2 + 20)
        .map(|(b, a)| format!("{}←{}: {} frames in 2 s", b.0, b.1, a.2 - b.2))
        .collect();
    assert!(stalled.is_empty(), "copies that stalled: {stalled:?}");
}
