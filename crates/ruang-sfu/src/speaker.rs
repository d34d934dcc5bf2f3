//! Who is speaking, and whose video is worth sending: the active speaker from the audio-level header
//! extension (RFC 6464) of each participant's audio, and the last-N order of video (the pinned participant,
//! then the most recent speakers, then the rest). Pure logic with time passed in; the SFU feeds it every
//! audio frame and reports a new active speaker as an event.

use std::time::{Duration, Instant};

use crate::ParticipantId;

/// How quickly a participant's loudness score follows its audio (the score's time constant).
const SMOOTHING: Duration = Duration::from_millis(300);
/// A score above this (about -63 dBov sustained) is speech; below, silence or background noise.
const SPEECH: f32 = 0.5;
/// A new speaker takes over only when this much louder than the current one, so two people talking at once
/// do not make the tiles flicker.
const TAKEOVER_MARGIN: f32 = 0.1;
/// A participant whose audio stopped this long ago (muted) counts as silent.
const STALE: Duration = Duration::from_millis(500);

#[derive(Debug)]
struct Voice {
    id: ParticipantId,
    score: f32,
    last_heard: Instant,
}

/// Active speaker detection and the last-N order. See the module documentation.
#[derive(Debug, Default)]
pub struct Speakers {
    voices: Vec<Voice>,
    current: Option<ParticipantId>,
    /// Everyone who has been the active speaker, most recent first.
    recent: Vec<ParticipantId>,
}

impl Speakers {
    pub fn new() -> Self {
        Self::default()
    }

    /// One audio frame of `id`: `level` in -dBov as the extension carries it (0 loudest, -127 silence),
    /// `voice` the sender's own voice-activity flag when it sets one.
    pub fn hear(&mut self, id: ParticipantId, level: i8, voice: Option<bool>, now: Instant) {
        let loudness = if voice == Some(false) { 0.0 } else { f32::from(level.clamp(-127, 0) + 127) / 127.0 };
        match self.voices.iter_mut().find(|v| v.id == id) {
            Some(v) => {
                let elapsed = now.saturating_duration_since(v.last_heard);
                let weight = (elapsed.as_secs_f32() / SMOOTHING.as_secs_f32()).min(1.0);
                v.score += (loudness - v.score) * weight;
                v.last_heard = now;
            }
            None => self.voices.push(Voice { id, score: loudness * 0.1, last_heard: now }),
        }
    }

    /// Forgets a participant that left.
    pub fn forget(&mut self, id: ParticipantId) {
        self.voices.retain(|v| v.id != id);
        self.recent.retain(|r| *r != id);
        if self.current == Some(id) {
            self.current = None;
        }
    }

    /// Decides the active speaker at `now`; returns it when it changed (to announce), `None` otherwise. The
    /// speaker stays the speaker through silence until someone else speaks.
    pub fn update(&mut self, now: Instant) -> Option<ParticipantId> {
        let score = |v: &Voice| if now.saturating_duration_since(v.last_heard) > STALE { 0.0 } else { v.score };
        let loudest = self.voices.iter().filter(|v| score(v) > SPEECH).max_by(|a, b| score(a).total_cmp(&score(b)))?;
        if self.current == Some(loudest.id) {
            return None;
        }
        let current_score = self.voices.iter().find(|v| Some(v.id) == self.current).map_or(0.0, score);
        if current_score > SPEECH && score(loudest) < current_score + TAKEOVER_MARGIN {
            return None;
        }
        let id = loudest.id;
        self.current = Some(id);
        self.recent.retain(|r| *r != id);
        self.recent.insert(0, id);
        Some(id)
    }

    /// The active speaker, if anyone has spoken.
    pub fn current(&self) -> Option<ParticipantId> {
        self.current
    }

    /// Everyone heard with audio levels, loudest first (a voice silent for `STALE` counts as silent; ties go
    /// to the more recent active speaker, then to the one heard most recently). Audio loudest-N forwards
    /// the first of these.
    pub fn loudest(&self, now: Instant) -> Vec<ParticipantId> {
        let score = |v: &Voice| if now.saturating_duration_since(v.last_heard) > STALE { 0.0 } else { v.score };
        let recency = |id: ParticipantId| self.recent.iter().position(|r| *r == id).unwrap_or(usize::MAX);
        let mut voices: Vec<&Voice> = self.voices.iter().collect();
        voices.sort_by(|a, b| {
            score(b)
                .total_cmp(&score(a))
                .then_with(|| recency(a.id).cmp(&recency(b.id)))
                .then_with(|| b.last_heard.cmp(&a.last_heard))
        });
        voices.into_iter().map(|v| v.id).collect()
    }

    /// Whether `subscriber` should hear `speaker` when only the `n` loudest others are forwarded, given
    /// `loudest` ([`Speakers::loudest`]). A speaker heard without audio levels is not ranked and always heard.
    pub fn among_loudest(
        loudest: &[ParticipantId],
        speaker: ParticipantId,
        subscriber: ParticipantId,
        n: usize,
    ) -> bool {
        let Some(rank) = loudest.iter().position(|id| *id == speaker) else { return true };
        let ahead_is_subscriber = loudest[..rank].contains(&subscriber);
        rank - usize::from(ahead_is_subscriber) < n
    }

    /// The `n` participants whose video one subscriber should receive, most important first: its pinned
    /// participant (always, even silent), then the most recent speakers, then the others in `publishers`'
    /// order (join order). Only ids in `publishers` (those with video, other than the subscriber) appear.
    pub fn last_n(&self, publishers: &[ParticipantId], pinned: Option<ParticipantId>, n: usize) -> Vec<ParticipantId> {
        let mut order: Vec<ParticipantId> = Vec::with_capacity(n);
        let candidates = pinned.into_iter().chain(self.recent.iter().copied()).chain(publishers.iter().copied());
        for id in candidates {
            if order.len() == n {
                break;
            }
            if publishers.contains(&id) && !order.contains(&id) {
                order.push(id);
            }
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Duration = Duration::from_millis(20);
    const LOUD: i8 = -30;
    const QUIET: i8 = -90;

    fn p(n: u64) -> ParticipantId {
        ParticipantId(n)
    }

    /// Feeds `duration` of 20 ms frames at the given levels, updating after each; returns the changes.
    fn talk(speakers: &mut Speakers, now: &mut Instant, levels: &[(u64, i8)], duration: Duration) -> Vec<u64> {
        let mut changes = Vec::new();
        let end = *now + duration;
        while *now < end {
            *now += FRAME;
            for (id, level) in levels {
                speakers.hear(p(*id), *level, None, *now);
            }
            if let Some(id) = speakers.update(*now) {
                changes.push(id.0);
            }
        }
        changes
    }

    #[test]
    fn silence_has_no_speaker() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        assert!(talk(&mut s, &mut now, &[(1, QUIET), (2, -127)], Duration::from_secs(2)).is_empty());
        assert_eq!(s.current(), None);
    }

    #[test]
    fn the_one_talking_becomes_the_speaker_once() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        let changes = talk(&mut s, &mut now, &[(1, QUIET), (2, LOUD)], Duration::from_secs(2));
        assert_eq!(changes, [2], "announced once, not at every frame");
    }

    #[test]
    fn a_cough_does_not_steal_the_speaker() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        talk(&mut s, &mut now, &[(1, QUIET), (2, LOUD)], Duration::from_secs(2));
        let cough = talk(&mut s, &mut now, &[(1, 0), (2, LOUD)], Duration::from_millis(60));
        assert!(cough.is_empty(), "60 ms of a loud cough is not a turn");
        assert_eq!(s.current(), Some(p(2)));
    }

    #[test]
    fn the_turn_passes_when_the_speaker_stops_and_another_talks() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        talk(&mut s, &mut now, &[(1, QUIET), (2, LOUD)], Duration::from_secs(2));
        let changes = talk(&mut s, &mut now, &[(1, LOUD), (2, QUIET)], Duration::from_secs(2));
        assert_eq!(changes, [1]);
    }

    #[test]
    fn the_speaker_stays_through_silence() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        talk(&mut s, &mut now, &[(1, LOUD)], Duration::from_secs(1));
        assert!(talk(&mut s, &mut now, &[(1, -127), (2, -127)], Duration::from_secs(3)).is_empty());
        assert_eq!(s.current(), Some(p(1)));
    }

    #[test]
    fn a_muted_speaker_is_overtaken_by_quieter_speech() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        talk(&mut s, &mut now, &[(1, 0)], Duration::from_secs(1));
        // 1 mutes: no more packets from it. 2 speaks softly (but above the speech line).
        let changes = talk(&mut s, &mut now, &[(2, -40)], Duration::from_secs(2));
        assert_eq!(changes, [2]);
    }

    #[test]
    fn voice_activity_off_counts_as_silence() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        let end = now + Duration::from_secs(1);
        while now < end {
            now += FRAME;
            s.hear(p(1), LOUD, Some(false), now);
            assert_eq!(s.update(now), None);
        }
    }

    #[test]
    fn last_n_puts_the_pinned_first_then_recent_speakers_then_join_order() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        talk(&mut s, &mut now, &[(3, LOUD)], Duration::from_secs(1));
        talk(&mut s, &mut now, &[(5, LOUD), (3, -127)], Duration::from_secs(1));
        let publishers = [p(1), p(2), p(3), p(4), p(5)];
        assert_eq!(s.last_n(&publishers, Some(p(4)), 4), [p(4), p(5), p(3), p(1)]);
        assert_eq!(s.last_n(&publishers, None, 2), [p(5), p(3)]);
    }

    #[test]
    fn last_n_keeps_the_pinned_even_when_silent_and_skips_who_has_no_video() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        talk(&mut s, &mut now, &[(9, LOUD)], Duration::from_secs(1));
        let publishers = [p(1), p(2), p(3)];
        assert_eq!(s.last_n(&publishers, Some(p(3)), 1), [p(3)], "9 speaks but has no video here");
        assert_eq!(s.last_n(&publishers, Some(p(7)), 9), [p(1), p(2), p(3)], "a pin on someone gone is ignored");
    }

    #[test]
    fn loudest_ranks_by_loudness_and_silence_goes_last() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        talk(&mut s, &mut now, &[(1, -90), (2, -20), (3, -50), (4, -127)], Duration::from_secs(1));
        assert_eq!(s.loudest(now), [p(2), p(3), p(1), p(4)]);
        // 2 mutes: its packets stop and it counts as silent.
        talk(&mut s, &mut now, &[(1, -90), (3, -50), (4, -127)], Duration::from_secs(1));
        assert_eq!(s.loudest(now)[..2], [p(3), p(1)]);
    }

    #[test]
    fn among_loudest_skips_the_subscriber_itself_and_always_hears_the_unranked() {
        let loudest = [p(1), p(2), p(3), p(4)];
        assert!(Speakers::among_loudest(&loudest, p(2), p(9), 2));
        assert!(!Speakers::among_loudest(&loudest, p(3), p(9), 2), "third loudest, two heard");
        assert!(Speakers::among_loudest(&loudest, p(3), p(1), 2), "the subscriber is not one of its own two");
        assert!(!Speakers::among_loudest(&loudest, p(4), p(1), 2));
        assert!(Speakers::among_loudest(&loudest, p(7), p(1), 2), "audio without levels cannot be ranked");
    }

    #[test]
    fn a_participant_who_left_is_forgotten() {
        let (mut s, mut now) = (Speakers::new(), Instant::now());
        talk(&mut s, &mut now, &[(1, LOUD)], Duration::from_secs(1));
        s.forget(p(1));
        assert_eq!(s.current(), None);
        assert_eq!(s.last_n(&[p(1), p(2)], None, 9), [p(1), p(2)]);
    }
}
