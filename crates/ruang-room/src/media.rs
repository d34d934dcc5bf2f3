//! The room's media mode: mesh, or SFU with the SFU's participant id for the period. The operator's policy
//! (`mesh`, `sfu`, `auto`), the rule that moves an `auto` room (to SFU at `threshold` members who all speak
//! SFU; back to mesh when a mesh-only member is in, or after `threshold - 2` or fewer members for
//! `back_to_mesh_after` without interruption), the room's capacity in each mode, and routing the SFU-only
//! requests (`layers`, `tiles`, `pin`, and signals to the SFU's id) to the SFU.
//!
//! The room learns nothing else about the SFU: starting and stopping it are outputs
//! ([`Output::StartSfu`], [`Output::StopSfu`]) the driver performs, the SFU is a valid `signal` target but
//! never a roster member, and its id is drawn here from a seeded generator (time and randomness are passed
//! in, as everything else).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ruang_proto::{ErrorCode, Layer, MediaMode, PeerId, Rejection, ServerMessage, SignalPayload, Tile};
use serde::{Deserialize, Serialize};

use crate::io::{MediaView, Output};
use crate::room::Room;

/// The operator's choice of media mode for a room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaPolicy {
    /// Always mesh.
    Mesh,
    /// Always SFU: joins that do not speak SFU are refused (`sfu_required`).
    Sfu,
    /// Mesh while small or while a member speaks mesh only; SFU from `threshold` members.
    #[default]
    Auto,
}

/// How a room chooses its media mode.
#[derive(Clone, Debug)]
pub struct MediaSettings {
    /// The operator's choice.
    pub policy: MediaPolicy,
    /// Members at which an `auto` room moves to SFU (default 4).
    pub threshold: usize,
    /// How long an `auto` room in SFU mode must have had at most `threshold - 2` members, without
    /// interruption, to move back to mesh (default 30 s).
    pub back_to_mesh_after: Duration,
    /// Members an SFU room holds (default 100); a mesh room holds the roster's `max_participants`.
    pub max_sfu_participants: usize,
    /// Seeds the SFU's participant ids (the driver draws it at random per room).
    pub seed: u64,
}

impl Default for MediaSettings {
    fn default() -> Self {
        MediaSettings {
            policy: MediaPolicy::Auto,
            threshold: 4,
            back_to_mesh_after: Duration::from_secs(30),
            max_sfu_participants: 100,
            seed: 0,
        }
    }
}

/// Something a member asks of the room's SFU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SfuRequest {
    /// Negotiation with the SFU (a signal whose target is the SFU's id).
    Signal(SignalPayload),
    /// The simulcast layers of the member's video.
    Layers(Vec<Layer>),
    /// How tall the member shows each other participant's video.
    Tiles(Vec<Tile>),
    /// Keep this participant's video forwarded (`None` unpins).
    Pin(Option<PeerId>),
}

/// The room's media state.
#[derive(Debug)]
pub(crate) struct Media {
    pub(crate) settings: MediaSettings,
    /// The SFU's id while the room is in SFU mode.
    pub(crate) sfu: Option<PeerId>,
    /// Since when an `auto` room in SFU mode has had at most `threshold - 2` members.
    shrunk_since: Option<Instant>,
    /// The state of the id generator (splitmix64).
    next_id: u64,
}

impl Media {
    pub(crate) fn new(settings: MediaSettings) -> Self {
        let next_id = settings.seed;
        Media { settings, sfu: None, shrunk_since: None, next_id }
    }

    /// The mode as the wire says it.
    pub(crate) fn mode(&self) -> MediaMode {
        if self.sfu.is_some() { MediaMode::Sfu } else { MediaMode::Mesh }
    }

    /// When an `auto` room that shrank goes back to mesh, if it stays small.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.shrunk_since.map(|since| since + self.settings.back_to_mesh_after)
    }

    /// A fresh id (splitmix64: every seed gives a sequence without repeats for 2^64 draws).
    fn draw(&mut self) -> PeerId {
        self.next_id = self.next_id.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.next_id;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        PeerId::from_bits(z ^ (z >> 31))
    }
}

impl Room {
    /// How many members the room holds for a newcomer that does (`sfu`) or does not speak SFU: the SFU's
    /// capacity when the room is or may become an SFU room with it, the mesh's otherwise.
    pub(crate) fn capacity_for(&self, sfu: bool) -> usize {
        let sfu_capacity = self.media.settings.max_sfu_participants;
        let mesh_capacity = self.settings.roster.max_participants;
        match self.media.settings.policy {
            MediaPolicy::Mesh => mesh_capacity,
            MediaPolicy::Sfu => sfu_capacity,
            MediaPolicy::Auto if sfu && self.members.values().all(|m| m.sfu) => sfu_capacity,
            MediaPolicy::Auto => mesh_capacity,
        }
    }

    /// What a member's `welcome` or `resumed` says of the media mode: only to a member that speaks SFU.
    pub(crate) fn media_view(&self, id: PeerId) -> Option<MediaView> {
        let member = self.members.get(&id).filter(|m| m.sfu)?;
        let max_participants = self.capacity_for(member.sfu);
        Some(MediaView { mode: self.media.mode(), sfu: self.media.sfu, max_participants })
    }

    /// Before a newcomer who speaks SFU is let in at once: if it makes an `auto` room reach its threshold,
    /// switch first, so its `welcome` already says SFU and nobody starts a mesh it would leave at once (an
    /// `sfu` room starts its SFU with its first member). Returns whether it switched, so a refused join can
    /// undo it.
    pub(crate) fn switch_before_join(&mut self, sfu: bool) -> bool {
        let media = &self.media;
        if media.settings.policy == MediaPolicy::Sfu && media.sfu.is_none() {
            self.start_sfu();
            return true;
        }
        let reaches = self.roster.len() + 1 >= media.settings.threshold;
        let all_sfu = sfu && self.members.values().all(|m| m.sfu);
        let enters_at_once = !self.roster.has_lobby() && !self.roster.is_locked();
        let switch =
            media.settings.policy == MediaPolicy::Auto && media.sfu.is_none() && reaches && all_sfu && enters_at_once;
        if switch {
            self.start_sfu();
        }
        switch
    }

    /// After anything that changes the membership, or when time passes: the mode the policy wants now.
    pub(crate) fn settle_media(&mut self, now: Instant) {
        let count = self.roster.len();
        let all_sfu = self.members.values().all(|m| m.sfu);
        let settings = &self.media.settings;
        let wanted = match settings.policy {
            MediaPolicy::Mesh => false,
            MediaPolicy::Sfu => count > 0,
            MediaPolicy::Auto if !all_sfu => false,
            MediaPolicy::Auto if self.media.sfu.is_none() => count >= settings.threshold,
            MediaPolicy::Auto => {
                if count > settings.threshold.saturating_sub(2) {
                    self.media.shrunk_since = None;
                    true
                } else {
                    let since = *self.media.shrunk_since.get_or_insert(now);
                    now.duration_since(since) < settings.back_to_mesh_after
                }
            }
        };
        match (wanted, self.media.sfu) {
            (true, None) => self.start_sfu(),
            (false, Some(_)) => self.stop_sfu(),
            _ => {}
        }
    }

    /// Moves to SFU mode with a fresh SFU id: the driver starts the SFU's member first, then the members
    /// who speak SFU are told.
    fn start_sfu(&mut self) {
        let sfu = loop {
            let drawn = self.media.draw();
            if !self.members.contains_key(&drawn) && !self.lobby.contains_key(&drawn) {
                break drawn;
            }
        };
        self.media.sfu = Some(sfu);
        self.media.shrunk_since = None;
        tracing::info!(room = %crate::LogName::of(self.name()), size = self.roster.len(), "media mode: sfu");
        self.push(Output::StartSfu { sfu });
        self.tell_mode(ServerMessage::MediaMode { mode: MediaMode::Sfu, sfu: Some(sfu) });
    }

    /// Moves back to mesh: the members who speak SFU are told, then the driver stops the SFU's member.
    pub(crate) fn stop_sfu(&mut self) {
        let Some(sfu) = self.media.sfu.take() else { return };
        self.media.shrunk_since = None;
        tracing::info!(room = %crate::LogName::of(self.name()), size = self.roster.len(), "media mode: mesh");
        self.tell_mode(ServerMessage::MediaMode { mode: MediaMode::Mesh, sfu: None });
        self.push(Output::StopSfu { sfu });
    }

    /// Tells every member that speaks SFU (only they know the message), in join order.
    fn tell_mode(&mut self, message: ServerMessage) {
        let message = Arc::new(message);
        let told: Vec<PeerId> = self
            .roster
            .members()
            .iter()
            .map(|m| m.id)
            .filter(|id| self.members.get(id).is_some_and(|m| m.sfu))
            .collect();
        for to in told {
            self.push(Output::Deliver { to, message: Arc::clone(&message) });
        }
    }

    /// A member's request for the SFU: passed to it in SFU mode, `sfu_unavailable` in mesh. A signal must
    /// name the current SFU (`unknown_peer` otherwise) and pass the relay's rules (a viewer's sending offer
    /// is `forbidden`).
    pub(crate) fn ask_sfu(&mut self, from: PeerId, to: Option<PeerId>, request: SfuRequest) -> Result<(), Rejection> {
        let sender = self.roster.member(from).map(|m| m.role);
        let Some(sfu) = self.media.sfu.filter(|sfu| to.is_none_or(|to| to == *sfu)) else {
            if sender.is_none() {
                return Err(crate::roster::not_in_room());
            }
            return Err(match to {
                Some(to) => crate::roster::unknown_peer(to),
                None => Rejection::new(ErrorCode::SfuUnavailable, "this room is in mesh mode"),
            });
        };
        if let SfuRequest::Signal(data) = &request {
            crate::relay::check_signal(from, sender, sfu, true, data)?;
        } else if sender.is_none() {
            return Err(crate::roster::not_in_room());
        }
        self.push(Output::ToSfu { sfu, from, request: Box::new(request) });
        Ok(())
    }

    /// The SFU `sfu` heard `id` speak: everyone is told, if `sfu` is still the room's and `id` a member.
    pub(crate) fn speaker(&mut self, sfu: PeerId, id: PeerId) {
        if self.media.sfu == Some(sfu) && self.roster.contains(id) {
            self.push(Output::Broadcast { except: None, message: Arc::new(ServerMessage::Speaker { id }) });
        }
    }

    /// Whether `id` is the room's SFU now.
    pub fn is_sfu(&self, id: PeerId) -> bool {
        self.media.sfu == Some(id)
    }

    /// The room's SFU id, while it is in SFU mode.
    pub fn sfu(&self) -> Option<PeerId> {
        self.media.sfu
    }
}
