//! The members of one room by id, each with its [`Post`] and role, as the room publishes them for relays.
//!
//! The ordering rule that makes relaying outside the room safe: the room changes the table and pushes the
//! messages of that change (a newcomer's `welcome`, the others' `peer_joined`, `peer_left`) while holding
//! the write lock, and a relay holds the read lock across looking up its target and pushing to it. So a
//! member is in the table before anyone is introduced to it, and out of it before anyone is told it left:
//! a relayed message never reaches a member before the introduction of its sender, nor after `peer_left`.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ruang_proto::{PeerId, Role};

use crate::Post;

/// One member as the table lists it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Where its messages go.
    pub post: Arc<Post>,
    /// Its role, as the room last set it (a relay may depend on it).
    pub role: Role,
    /// Whether it is the room's SFU, to which an SDP may be larger (`max_sfu_sdp_bytes`).
    pub sfu: bool,
}

/// The members of one room.
#[derive(Debug, Default)]
pub struct MemberTable {
    entries: RwLock<HashMap<PeerId, Entry>>,
}

/// A reader's view of the table; while it is held, the room cannot change the table or push the messages
/// of a change.
pub struct TableRead<'a>(RwLockReadGuard<'a, HashMap<PeerId, Entry>>);

/// The room's hold on the table, taken while it changes the membership and pushes what that change says.
pub struct TableWrite<'a>(RwLockWriteGuard<'a, HashMap<PeerId, Entry>>);

impl MemberTable {
    /// An empty table.
    pub fn new() -> Self {
        MemberTable::default()
    }

    /// Takes the read lock, for a lookup and the pushes that depend on it. Never held across an `.await`.
    pub fn read(&self) -> TableRead<'_> {
        // The table stays consistent even if a holder panicked: every change is a single map operation.
        TableRead(self.entries.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Takes the write lock, for a change of membership and the pushes that announce it.
    pub fn write(&self) -> TableWrite<'_> {
        TableWrite(self.entries.write().unwrap_or_else(PoisonError::into_inner))
    }
}

impl TableRead<'_> {
    /// The member `id`, if it is in the room.
    pub fn get(&self, id: PeerId) -> Option<&Entry> {
        self.0.get(&id)
    }

    /// Every member, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.0.values()
    }
}

impl TableWrite<'_> {
    /// The member `id`, if it is in the room.
    pub fn get(&self, id: PeerId) -> Option<&Entry> {
        self.0.get(&id)
    }

    /// Lists a member that entered the room (or replaces its entry).
    pub fn insert(&mut self, id: PeerId, post: Arc<Post>, role: Role) {
        self.0.insert(id, Entry { post, role, sfu: false });
    }

    /// Adds the room's SFU as the member `id`.
    pub fn insert_sfu(&mut self, id: PeerId, post: Arc<Post>) {
        self.0.insert(id, Entry { post, role: Role::Participant, sfu: true });
    }

    /// Keeps only the members for which `keep` says so.
    pub fn retain(&mut self, mut keep: impl FnMut(PeerId) -> bool) {
        self.0.retain(|&id, _| keep(id));
    }

    /// Takes everyone out (the room closed).
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Takes out a member that left the room.
    pub fn remove(&mut self, id: PeerId) -> Option<Entry> {
        self.0.remove(&id)
    }

    /// Records a member's new role.
    pub fn set_role(&mut self, id: PeerId, role: Role) {
        if let Some(entry) = self.0.get_mut(&id) {
            entry.role = role;
        }
    }

    /// How many members are listed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nobody is listed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use ruang_proto::{LeaveReason, MediaState, PeerInfo, ServerMessage};

    use super::*;
    use crate::post::tests::{Recorder, limits};
    use crate::{Frame, Link, Member};

    fn id(bits: u64) -> PeerId {
        PeerId::from_bits(bits)
    }

    /// What a relay does: look up the target under the read lock and push while holding it.
    fn relay(table: &MemberTable, from: PeerId, to: PeerId, now: Instant) -> bool {
        let members = table.read();
        let Some(target) = members.get(to) else { return false };
        let signal = ServerMessage::PeerReconnected { id: from };
        target.post.push(&Frame::single(signal), now).is_ok()
    }

    fn member(table: &MemberTable, bits: u64, recorder: &Arc<Recorder>) -> Arc<Post> {
        let post = Arc::new(Post::new(limits()));
        let link = Link { conn: bits, member: Arc::clone(recorder) as Arc<dyn Member> };
        post.connect(link, None, |_| Frame::from(ServerMessage::Pong { req: None }));
        table.write().insert(id(bits), Arc::clone(&post), Role::Participant);
        post
    }

    #[test]
    fn a_relay_waits_for_the_change_the_room_is_announcing() {
        let now = Instant::now();
        let table = Arc::new(MemberTable::new());
        let a = Arc::new(Recorder::default());
        let a_post = member(&table, 1, &a);
        let b_post = Arc::new(Post::new(limits()));
        let mut change = table.write();
        change.insert(id(2), Arc::clone(&b_post), Role::Participant);
        let relayed = std::thread::scope(|scope| {
            // B relays to A as soon as the table lets it: only after A was told that B joined.
            let relay = scope.spawn(|| relay(&table, id(2), id(1), now));
            std::thread::sleep(std::time::Duration::from_millis(20));
            let peer = PeerInfo {
                id: id(2),
                name: "b".into(),
                media: MediaState::default(),
                role: Role::Participant,
                hand: false,
                reconnecting: false,
            };
            let joined = ServerMessage::PeerJoined { peer };
            a_post.push(&Frame::from(joined), now).unwrap();
            drop(change);
            relay.join().unwrap()
        });
        assert!(relayed);
        let kinds: Vec<ServerMessage> = a.received().into_iter().skip(1).map(|(_, m)| m).collect();
        assert!(matches!(kinds[0], ServerMessage::PeerJoined { .. }), "{kinds:?}");
        assert_eq!(kinds[1], ServerMessage::PeerReconnected { id: id(2) });
    }

    #[test]
    fn nothing_is_relayed_to_a_member_after_it_left() {
        let now = Instant::now();
        let table = MemberTable::new();
        let a = Arc::new(Recorder::default());
        let b = Arc::new(Recorder::default());
        member(&table, 1, &a);
        let b_post = member(&table, 2, &b);
        assert!(relay(&table, id(1), id(2), now));
        {
            let mut change = table.write();
            change.remove(id(2));
            let left = ServerMessage::PeerLeft { id: id(2), reason: LeaveReason::Left };
            change.get(id(1)).unwrap().post.push(&Frame::from(left), now).unwrap();
        }
        assert!(!relay(&table, id(1), id(2), now), "B is out of the table");
        assert_eq!(b_post.numbering().0, 1, "B got the one relayed message only");
    }
}
