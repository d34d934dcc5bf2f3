//! The SFU finds the active speaker from the audio-level header extension of what it forwards.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use ruang_sfu::{ParticipantId, SfuEvent};
use support::{MediaSource, Net, Publish, ROOM, publish_all};

fn speaker_events(net: &Net) -> Vec<ParticipantId> {
    net.sfu_events
        .iter()
        .filter_map(|e| match e {
            SfuEvent::ActiveSpeaker { room, participant } if *room == ROOM => *participant,
            _ => None,
        })
        .collect()
}

#[test]
fn the_participant_talking_is_announced_as_the_active_speaker_and_the_turn_passes() {
    let mut net = Net::new();
    let (anna, ben) = (net.join(1, Publish::Audio), net.join(2, Publish::Audio));
    net.join(3, Publish::Nothing);
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");

    let (mut anna_talks, mut ben_listens) = (MediaSource::audio_at(-30), MediaSource::audio_at(-90));
    publish_all(&mut net, &mut [(&mut anna_talks, anna), (&mut ben_listens, ben)], Duration::from_secs(2));
    assert_eq!(speaker_events(&net), [anna], "Anna is announced once");
    assert_eq!(net.sfu.active_speaker(ROOM), Some(anna));

    let (mut anna_listens, mut ben_talks) = (MediaSource::audio_at(-90), MediaSource::audio_at(-25));
    publish_all(&mut net, &mut [(&mut anna_listens, anna), (&mut ben_talks, ben)], Duration::from_secs(2));
    assert_eq!(speaker_events(&net), [anna, ben], "then Ben, once");
}

#[test]
fn without_audio_levels_nobody_is_announced() {
    let mut net = Net::new();
    let anna = net.join(1, Publish::Audio);
    net.join(2, Publish::Nothing);
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected);
    let mut plain = MediaSource::audio();
    publish_all(&mut net, &mut [(&mut plain, anna)], Duration::from_secs(1));
    assert!(net.client(ParticipantId(2)).frames.len() > 10, "the audio itself is forwarded");
    assert!(speaker_events(&net).is_empty());
}

#[test]
fn with_audio_last_n_each_subscriber_hears_only_the_loudest_others() {
    let mut net = Net::with_config(|config| ruang_sfu::SfuConfig { audio_last_n: Some(2), ..config });
    let levels = [-20, -35, -70, -100];
    let talkers: Vec<ParticipantId> = (1..=4).map(|id| net.join(id, Publish::Audio)).collect();
    let listener = net.join(5, Publish::Nothing);
    let connected = net.run_until(Duration::from_secs(5), |net| net.clients.values().all(|c| c.connected));
    assert!(connected, "every client connects to the SFU within 5 s of fake time");

    let mut sources: Vec<MediaSource> =
        talkers.iter().zip(levels).map(|(id, level)| MediaSource::audio_at(level).tagged(id.0 as u8)).collect();
    let mut publishing: Vec<(&mut MediaSource, ParticipantId)> =
        sources.iter_mut().zip(talkers.iter().copied()).collect();
    publish_all(&mut net, &mut publishing, Duration::from_secs(2));

    let heard = |id: ParticipantId| -> BTreeSet<u8> {
        let frames = &net.client(id).frames;
        frames[frames.len() / 2..].iter().map(MediaSource::tag_of).collect()
    };
    assert_eq!(heard(listener), BTreeSet::from([1, 2]), "the listener hears the two loudest");
    assert_eq!(heard(talkers[0]), BTreeSet::from([2, 3]), "the loudest hears the two loudest others");
    assert_eq!(heard(talkers[3]), BTreeSet::from([1, 2]));
}
