//! The owner's side: what a node does with the inputs other nodes send for the rooms it owns, and
//! [`RemoteMember`], the link through which its rooms reach a member connected to another node.
//!
//! A member on another node is just a member: its post, stream and numbering live here, in the room's
//! member table, like any local member's; only its link forwards what the room delivers onto the bus, in
//! the order the room (or a relay) delivered it, numbered per link so a loss is noticed.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use ruang_cluster::NodeId;
use ruang_cluster::bus::Publisher;
use ruang_cluster::sequence::Numbering;
use ruang_member::{DeliveryError, Disconnect, Frame, Link, Member};
use ruang_proto::{ClientMessage, Role, ServerMessage, parse_client_message};
use ruang_room::Refusal;
use tokio::sync::oneshot;

use super::Cluster;
use super::wire::{Envelope, ToEdge, ToOwner, encode};
use crate::rooms::{Entering, RoomCommand};

/// How long the owner waits for its room to answer a join or an access question for another node.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// A connection on node `node`, as a room on this node reaches it.
pub struct RemoteMember {
    node: NodeId,
    conn: u64,
    bus: Publisher,
    /// Numbers what goes out on this link; locked across numbering and queueing, so the numbers follow
    /// the queue's order.
    numbering: Mutex<Numbering>,
}

impl RemoteMember {
    fn new(node: NodeId, conn: u64, bus: Publisher) -> Self {
        RemoteMember { node, conn, bus, numbering: Mutex::new(Numbering::default()) }
    }

    fn send(&self, message: impl FnOnce(u64) -> ToEdge, body: &[u8]) -> Result<(), DeliveryError> {
        let mut numbering = self.numbering.lock().unwrap_or_else(PoisonError::into_inner);
        let envelope = Envelope::Edge(message(numbering.take()));
        let bytes = encode(&envelope, body).ok_or(DeliveryError::Gone)?;
        self.bus.send(self.node, bytes).map_err(|_| DeliveryError::Full)
    }
}

impl Member for RemoteMember {
    fn deliver(&self, frame: &Frame, n: Option<u64>) -> Result<(), DeliveryError> {
        let conn = self.conn;
        self.send(|seq| ToEdge::Deliver { conn, seq, n }, &frame.json())
    }

    fn disconnect(&self, why: Disconnect) {
        let conn = self.conn;
        let _ = self.send(|seq| ToEdge::Disconnect { conn, seq, why }, &[]);
    }

    fn violated(&self) {
        let conn = self.conn;
        let _ = self.send(|seq| ToEdge::Violated { conn, seq }, &[]);
    }

    fn set_role(&self, role: Role) {
        let conn = self.conn;
        let _ = self.send(|seq| ToEdge::Role { conn, seq, role }, &[]);
    }
}

impl Cluster {
    /// Handles a message for a room this node owns, in arrival order: inputs are queued in the room's
    /// mailbox one after the other (waiting while it is full), so a participant's inputs reach its room in
    /// the order its session sent them.
    pub(super) async fn to_owner(self: &Arc<Self>, message: ToOwner, body: Bytes) {
        match message {
            ToOwner::Access { room, from, req } => {
                let Some(handle) = self.owned_room(&room).await else {
                    return self.answer(from, ToEdge::Access { req, access: None });
                };
                let (reply, answer) = oneshot::channel();
                if handle.send(RoomCommand::Access { reply }).await.is_err() {
                    return self.answer(from, ToEdge::Access { req, access: None });
                }
                let cluster = Arc::clone(self);
                tokio::spawn(async move {
                    let access = tokio::time::timeout(ANSWER_WITHIN, answer).await.ok().and_then(Result::ok);
                    cluster.answer(from, ToEdge::Access { req, access: access.as_ref().map(Into::into) });
                });
            }
            ToOwner::Enter { room, from, conn, input, proof } => {
                let Some(handle) = self.owned_room(&room).await else {
                    return self.answer(from, ToEdge::Answer { conn, answer: Err(Refusal::Closed) });
                };
                let member = Arc::new(RemoteMember::new(from, conn, self.bus.clone()));
                let (reply, answer) = oneshot::channel();
                let entering = Entering { input, proof, link: Link { conn, member }, reply };
                if handle.send(RoomCommand::Enter(Box::new(entering))).await.is_err() {
                    return self.answer(from, ToEdge::Answer { conn, answer: Err(Refusal::Closed) });
                }
                let cluster = Arc::clone(self);
                tokio::spawn(async move {
                    let answer = tokio::time::timeout(ANSWER_WITHIN, answer).await.ok().and_then(Result::ok);
                    cluster.answer(from, ToEdge::Answer { conn, answer: answer.unwrap_or(Err(Refusal::Closed)) });
                });
            }
            ToOwner::Input { room, input } => {
                if let Some(handle) = self.rooms.get(&room) {
                    let _ = handle.send(RoomCommand::Input(input)).await;
                }
            }
            ToOwner::Signal { room, sender, conn, to } => {
                let Some(handle) = self.rooms.get(&room) else { return };
                let members = handle.members();
                let relayed = self
                    .signal_data(to, &body)
                    .and_then(|data| crate::session::relay::signal(members, &self.limits, sender, to, data));
                if let Err(rejection) = relayed {
                    // Answered on the sender's link, as its own session would have answered it.
                    let link = members.read().get(sender).and_then(|entry| entry.post.link());
                    if let Some(link) = link.filter(|link| link.conn == conn) {
                        let violation = rejection.code.is_violation();
                        let _ = link.member.deliver(&Frame::single(ServerMessage::error(rejection)), None);
                        if violation {
                            link.member.violated();
                        }
                    }
                }
            }
        }
    }

    /// The signal's data, read again as strictly as the sender's node read it.
    fn signal_data(
        &self,
        to: ruang_proto::PeerId,
        body: &[u8],
    ) -> Result<ruang_proto::SignalPayload, ruang_proto::Rejection> {
        let data = std::str::from_utf8(body).map_err(|_| internal())?;
        let to = serde_json::to_string(&to).map_err(|_| internal())?;
        let frame = format!(r#"{{"type":"signal","to":{to},"data":{data}}}"#);
        match parse_client_message(&frame, &self.read_limits)? {
            ClientMessage::Signal { data, .. } => Ok(data),
            _ => Err(internal()),
        }
    }

    fn answer(&self, to: NodeId, message: ToEdge) {
        if let Some(bytes) = encode(&Envelope::Edge(message), &[])
            && self.bus.send(to, bytes).is_err()
        {
            tracing::warn!(node = %to, "cluster bus full: an answer was dropped");
        }
    }
}

fn internal() -> ruang_proto::Rejection {
    ruang_proto::Rejection::new(ruang_proto::ErrorCode::Internal, "the signal could not be relayed")
}
