//! Who is in the SFU, and the SDP calls: adding a participant from its first offer, its later offers and
//! answers, its right to publish, and its removal (which negotiates its tracks away from everyone else in
//! its room).

use std::sync::Arc;
use std::time::Instant;

use str0m::bwe::Bitrate;
use str0m::media::MediaKind;
use str0m::{Output as RtcOutput, Rtc};

use super::{Output, Sfu, SfuEvent, Transmit};
use crate::forward::{Forward, default_layer};
use crate::participant::Participant;
use crate::track::{OutState, TrackId};
use crate::{ParticipantId, Publishing, RoomKey, SfuError};

impl Sfu {
    /// Adds a participant to `room` from its first SDP offer and returns the SDP answer. The participant is
    /// offered copies of everyone else's tracks in that room right after (as [`SfuEvent::Offer`]). With
    /// `Publishing::Refused` (a viewer), an offer that sends audio or video is refused and the participant
    /// is not added. Ids are unique across the SFU, whatever the room.
    pub fn add_participant(
        &mut self,
        room: RoomKey,
        id: ParticipantId,
        publishing: Publishing,
        offer: &str,
        now: Instant,
    ) -> Result<String, SfuError> {
        if self.participants.contains_key(&id) {
            return Err(SfuError::DuplicateParticipant(id));
        }
        self.now = self.now.max(now);
        let mut rtc = Rtc::builder()
            .set_ice_lite(true)
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .enable_bwe(self.config.initial_estimate.map(Bitrate::bps))
            .build(now);
        for candidate in &self.candidates {
            rtc.add_local_candidate(candidate.clone());
        }
        let lost_at = now + self.config.connect_within;
        let mut participant = Participant::new(id, room, publishing, rtc, now, lost_at);
        let answer = participant.accept_offer(offer)?;
        let members = self.rooms.get(&room).map_or(&[][..], |r| &r.members);
        for publisher in members.iter().filter_map(|member| self.participants.get(member)) {
            for track in &publisher.tracks_in {
                let source = TrackId { publisher: publisher.id, mid: track.mid };
                let copy = participant.new_copy(source, track.kind, default_layer(&track.rids), track.content);
                participant.tracks_out.push(copy);
            }
        }
        self.participants.insert(id, participant);
        self.rooms.entry(room).or_default().members.push(id);
        self.forwards.push_back(Forward::Revisit(room));
        tracing::debug!(participant = %id, %room, "sfu: participant added");
        Ok(answer)
    }

    /// Changes whether a participant may publish (a role change in the room). It applies to its next offers;
    /// a demoted participant's media is no longer forwarded from now on (the room asks its client to
    /// renegotiate its tracks away).
    pub fn set_publishing(&mut self, id: ParticipantId, publishing: Publishing) -> Result<(), SfuError> {
        let participant = self.participants.get_mut(&id).ok_or(SfuError::UnknownParticipant(id))?;
        participant.publishing = publishing;
        Ok(())
    }

    /// A new offer from a participant (it added or removed a track of its own, or restarts ICE).
    pub fn handle_offer(&mut self, id: ParticipantId, offer: &str) -> Result<String, SfuError> {
        let participant = self.participants.get_mut(&id).ok_or(SfuError::UnknownParticipant(id))?;
        participant.accept_offer(offer)
    }

    /// The participant's answer to the SFU's last [`SfuEvent::Offer`]. Opened video copies get a key frame
    /// asked of their publisher.
    pub fn handle_answer(&mut self, id: ParticipantId, answer: &str) -> Result<(), SfuError> {
        let room = self.room_of(id).ok_or(SfuError::UnknownParticipant(id))?;
        let live: Vec<TrackId> = self
            .members(room)
            .iter()
            .filter_map(|member| self.participants.get(member))
            .flat_map(|p| p.tracks_in.iter().map(|t| TrackId { publisher: p.id, mid: t.mid }))
            .collect();
        let participant = self.participants.get_mut(&id).ok_or(SfuError::UnknownParticipant(id))?;
        let opened = participant.accept_answer(answer)?;
        for index in opened {
            let track = &mut participant.tracks_out[index];
            if !live.contains(&track.source) {
                // The track (or its publisher) went away while this copy was being offered: stop it in the
                // next offer.
                if let OutState::Open(m) = track.state {
                    track.state = OutState::ToStop(m);
                }
            } else if track.kind == MediaKind::Video {
                let request = Forward::KeyframeRequest { track: track.source, rid: track.wanted_rid() };
                self.forwards.push_back(request);
            }
        }
        Ok(())
    }

    /// Removes a participant: its session is closed and every other participant is offered the removal of
    /// its tracks.
    pub fn remove_participant(&mut self, id: ParticipantId) -> Result<(), SfuError> {
        let mut gone = self.participants.remove(&id).ok_or(SfuError::UnknownParticipant(id))?;
        // Say goodbye (RTCP BYE, DTLS close_notify) to a client still listening: what `close` queues is sent
        // with the rest of the output. Bounded: a closing session has only a few datagrams to give.
        if gone.rtc.close().is_ok() {
            for _ in 0..16 {
                match gone.rtc.poll_output() {
                    Ok(RtcOutput::Transmit(t)) => self.ready.push_back(Output::Transmit(Transmit::from(t))),
                    Ok(RtcOutput::Event(_)) => {}
                    Ok(RtcOutput::Timeout(_)) | Err(_) => break,
                }
                if !gone.rtc.is_alive() {
                    break;
                }
            }
        }
        self.forget(id, gone.room);
        Ok(())
    }

    /// Drops every trace of a participant that is gone from `room`. A room left empty is gone too; when the
    /// active speaker leaves, its room is told nobody speaks.
    pub(super) fn forget(&mut self, id: ParticipantId, room: RoomKey) {
        if let Some(members) = self.rooms.get_mut(&room) {
            let was_speaker = members.leave(id);
            if members.members.is_empty() {
                self.rooms.remove(&room);
            } else if was_speaker {
                let event = SfuEvent::ActiveSpeaker { room, participant: None };
                self.ready.push_back(Output::Event(event));
            }
        }
        self.routes.retain(|_, owner| *owner != id);
        self.forwards.retain(|forward| match forward {
            Forward::Media(origin, _) => *origin != id,
            Forward::KeyframeRequest { track, .. }
            | Forward::TrackPublished(track, ..)
            | Forward::TrackUnpublished(track) => track.publisher != id,
            Forward::Rechoose(participant) | Forward::LayersChanged(participant) => *participant != id,
            Forward::Revisit(_) => true,
        });
        for member in self.rooms.get(&room).map_or(&[][..], |r| &r.members) {
            let Some(other) = self.participants.get_mut(member) else { continue };
            // Its tile and a pin on it stay: after a `reset` the same participant comes back, and the
            // subscriber's last `tiles` and `pin` still hold (both are bounded, and replaced by the next).
            other.drop_tracks_of(id);
        }
        self.forwards.push_back(Forward::Revisit(room));
        tracing::debug!(participant = %id, "sfu: participant removed");
    }
}
