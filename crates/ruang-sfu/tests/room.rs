//! A small meeting through the SFU: everyone publishes, everyone receives everyone else, one session each.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use ruang_sfu::ParticipantId;
use support::{MediaSource, Net, Publish, publish_all};

#[test]
fn six_participants_each_receive_the_five_others_over_one_session() {
    const PEOPLE: u64 = 6;
    let mut net = Net::new();
    let ids: Vec<ParticipantId> = (1..=PEOPLE).map(|id| net.join(id, Publish::Video)).collect();
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");

    let mut sources: Vec<MediaSource> = ids.iter().map(|id| MediaSource::video().tagged(id.0 as u8)).collect();
    let mut publishing: Vec<(&mut MediaSource, ParticipantId)> = sources.iter_mut().zip(ids.iter().copied()).collect();
    publish_all(&mut net, &mut publishing, Duration::from_secs(2));

    for id in &ids {
        let frames = &net.client(*id).frames;
        let senders: BTreeSet<u8> = frames.iter().map(MediaSource::tag_of).collect();
        let others: BTreeSet<u8> = ids.iter().filter(|o| *o != id).map(|o| o.0 as u8).collect();
        assert_eq!(senders, others, "{id} receives exactly the five others");
        for tag in &others {
            let from_one = frames.iter().filter(|f| MediaSource::tag_of(f) == *tag).count();
            assert!(from_one >= 20, "{id} received {from_one} frames from p{tag}");
        }
        let copies = net.client(*id).offers.len();
        assert!(copies <= 5, "{id} was offered the others in at most five rounds ({copies})");
    }
    assert_eq!(net.sfu.len(), PEOPLE as usize);
}
