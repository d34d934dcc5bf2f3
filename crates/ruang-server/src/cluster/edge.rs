//! The edge's side: a session on this node in a room owned by another node. [`EdgeRoom`] is the session's
//! handle to it (commands and signals go onto the bus to the owner), and [`Edges`] keeps this node's
//! connections in remote rooms by connection number, to hand them what the owners send back: deliveries,
//! disconnects, roles and answers, checked for gaps per link.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use ruang_cluster::NodeId;
use ruang_cluster::sequence::{Arrival, Expecting};
use ruang_member::{DeliveryError, Disconnect, Frame, Link};
use ruang_proto::{ErrorCode, PeerId, Rejection, RoomName, ServerMessage, SignalPayload};
use ruang_room::{Input, Refusal};
use tokio::sync::oneshot;

use super::Cluster;
use super::wire::{Envelope, ToEdge, ToOwner, encode};
use crate::access::Access;
use crate::rooms::{Answer, Entering, RemoteRoom, RoomCommand};

/// How long a session waits for the owner's answer before trying again (the owner may have died).
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// This node's connections in rooms owned elsewhere, and the questions waiting for an owner's answer.
#[derive(Default)]
pub(super) struct Edges {
    links: HashMap<u64, EdgeLink>,
    answers: HashMap<u64, oneshot::Sender<Answer>>,
    access: HashMap<u64, AccessQuestion>,
    next_req: u64,
}

/// A session's question about a room's access, waiting for its owner's answer.
struct AccessQuestion {
    room: RoomName,
    owner: NodeId,
    reply: oneshot::Sender<Access>,
}

struct EdgeLink {
    link: Link,
    expecting: Expecting,
    /// The room, and the node that owns it, as this connection entered it.
    room: RoomName,
    owner: NodeId,
}

/// A room owned by another node, as a session here reaches it.
#[derive(Debug)]
pub(super) struct EdgeRoom {
    pub(super) room: RoomName,
    pub(super) owner: NodeId,
    pub(super) cluster: Arc<Cluster>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("node", &self.node).finish_non_exhaustive()
    }
}

impl EdgeRoom {
    fn publish(&self, message: ToOwner, body: &[u8]) -> bool {
        encode(&Envelope::Owner(message), body).is_some_and(|bytes| self.cluster.bus.send(self.owner, bytes).is_ok())
    }
}

impl RemoteRoom for EdgeRoom {
    fn send(&self, command: RoomCommand) -> Result<(), RoomCommand> {
        let (room, from) = (self.room.clone(), self.cluster.node);
        match command {
            RoomCommand::Access { reply } => {
                let (sender, answer) = oneshot::channel();
                let req = self.cluster.edges(|edges| {
                    edges.next_req += 1;
                    let (room, owner) = (self.room.clone(), self.owner);
                    edges.access.insert(edges.next_req, AccessQuestion { room, owner, reply: sender });
                    edges.next_req
                });
                if !self.publish(ToOwner::Access { room, from, req }, &[]) {
                    self.cluster.edges(|edges| edges.access.remove(&req));
                    return Err(RoomCommand::Access { reply });
                }
                let cluster = Arc::clone(&self.cluster);
                tokio::spawn(async move {
                    if let Ok(Ok(access)) = tokio::time::timeout(ANSWER_WITHIN, answer).await {
                        let _ = reply.send(access);
                    }
                    cluster.edges(|edges| edges.access.remove(&req));
                });
                Ok(())
            }
            RoomCommand::Enter(entering) => {
                let Entering { input, proof, link, reply } = *entering;
                let conn = link.conn;
                let (sender, answer) = oneshot::channel();
                self.cluster.edges(|edges| {
                    let (room, owner) = (self.room.clone(), self.owner);
                    edges.links.insert(conn, EdgeLink { link, expecting: Expecting::default(), room, owner });
                    edges.answers.insert(conn, sender);
                });
                if !self.publish(ToOwner::Enter { room, from, conn, input, proof }, &[]) {
                    self.cluster.edges(|edges| {
                        edges.links.remove(&conn);
                        edges.answers.remove(&conn);
                    });
                    let _ = reply.send(Err(Refusal::Closed));
                    return Ok(());
                }
                let cluster = Arc::clone(&self.cluster);
                tokio::spawn(async move {
                    let answer = tokio::time::timeout(ANSWER_WITHIN, answer).await.ok().and_then(Result::ok);
                    let answer = answer.unwrap_or(Err(Refusal::Closed));
                    if answer.is_err() {
                        cluster.edges(|edges| {
                            edges.links.remove(&conn);
                            edges.answers.remove(&conn);
                        });
                    }
                    let _ = reply.send(answer);
                });
                Ok(())
            }
            RoomCommand::Input(input) => {
                // The connection's last word: nothing the owner sends it afterwards matters.
                if let Input::Leave { conn, .. } | Input::Lost { conn, .. } = &input {
                    let conn = *conn;
                    self.cluster.edges(|edges| edges.links.remove(&conn));
                }
                match self.publish(ToOwner::Input { room, input: input.clone() }, &[]) {
                    true => Ok(()),
                    false => Err(RoomCommand::Input(input)),
                }
            }
            // The admin API acts on the rooms this node owns (it lists only those); a room owned by another
            // node is administered through that node.
            command @ (RoomCommand::Inspect { .. } | RoomCommand::Administer { .. }) => Err(command),
        }
    }

    fn signal(&self, from: PeerId, conn: u64, to: PeerId, data: &SignalPayload) -> Result<(), Rejection> {
        let message = ToOwner::Signal { room: self.room.clone(), sender: from, conn, to };
        match self.publish(message, data.json().as_bytes()) {
            true => Ok(()),
            false => Err(Rejection::new(ErrorCode::Internal, "the room cannot be reached now; try again")),
        }
    }
}

impl Edges {
    /// The rooms owned elsewhere that this node's connections are in, each with its owner, once.
    pub(super) fn remote_rooms(&self) -> Vec<(RoomName, NodeId)> {
        let links = self.links.values().map(|edge| (edge.room.clone(), edge.owner));
        let questions = self.access.values().map(|question| (question.room.clone(), question.owner));
        let mut rooms: Vec<(RoomName, NodeId)> = links.chain(questions).collect();
        rooms.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
        rooms.dedup();
        rooms
    }
}

impl Cluster {
    /// `owner` no longer runs `room`: this node's connections in it are ended with close 4003 (resume to
    /// continue), and a join or resume still waiting for that owner's answer (to its access question or its
    /// entry) is answered now as by a room that closed: the session looks the room up again. Returns how many
    /// connections were ended.
    pub(super) fn owner_lost(&self, room: &RoomName, owner: NodeId) -> usize {
        let ended: Vec<Link> = self.edges(|edges| {
            let conns: Vec<u64> = edges
                .links
                .iter()
                .filter(|(_, edge)| edge.owner == owner && edge.room == *room)
                .map(|(conn, _)| *conn)
                .collect();
            // Dropping a question's sender answers it: the session asks the room's new owner.
            edges.access.retain(|_, question| question.owner != owner || question.room != *room);
            let mut ended = Vec::new();
            for conn in conns {
                let edge = edges.links.remove(&conn);
                // Dropping the answer's sender answers the waiting session `Closed`.
                let waiting = edges.answers.remove(&conn).is_some();
                if let Some(edge) = edge.filter(|_| !waiting) {
                    ended.push(edge.link);
                }
            }
            ended
        });
        for link in &ended {
            link.member.disconnect(Disconnect::Slow);
        }
        ended.len()
    }

    pub(super) fn edges<T>(&self, f: impl FnOnce(&mut Edges) -> T) -> T {
        f(&mut self.edges.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Hands what an owner sent to the connection it is for; a link that finds a gap is ended, so its
    /// client resumes and the owner replays what was lost.
    pub(super) fn to_edge(&self, message: ToEdge, body: &Bytes) {
        let (conn, seq) = match &message {
            ToEdge::Access { req, access } => {
                if let Some(question) = self.edges(|edges| edges.access.remove(req))
                    && let Some(access) = access
                {
                    let _ = question.reply.send(Access::from(access.clone()));
                }
                return;
            }
            ToEdge::Answer { conn, answer } => {
                let reply = self.edges(|edges| {
                    if answer.is_err() {
                        edges.links.remove(conn);
                    }
                    edges.answers.remove(conn)
                });
                if let Some(reply) = reply {
                    let _ = reply.send(*answer);
                }
                return;
            }
            ToEdge::Deliver { conn, seq, .. }
            | ToEdge::Disconnect { conn, seq, .. }
            | ToEdge::Violated { conn, seq }
            | ToEdge::Role { conn, seq, .. } => (*conn, *seq),
        };
        let arrival = self.edges(|edges| {
            let edge = edges.links.get_mut(&conn)?;
            let arrival = edge.expecting.arrive(seq);
            let link = edge.link.clone();
            let ends = matches!(message, ToEdge::Disconnect { .. }) || arrival == Arrival::Gap;
            if ends {
                edges.links.remove(&conn);
            }
            Some((arrival, link))
        });
        let Some((arrival, link)) = arrival else { return };
        match arrival {
            Arrival::Stale => return,
            Arrival::Gap => {
                tracing::warn!(conn, "cluster bus: a message to this connection was lost; it must resume");
                link.member.disconnect(Disconnect::Slow);
                return;
            }
            Arrival::InOrder => {}
        }
        match message {
            ToEdge::Deliver { n, .. } => {
                let Ok(message) = serde_json::from_slice::<ServerMessage>(body) else {
                    tracing::warn!(conn, "cluster bus: a delivery did not decode; the connection must resume");
                    link.member.disconnect(Disconnect::Slow);
                    return;
                };
                if link.member.deliver(&Frame::new(Arc::new(message)), n) == Err(DeliveryError::Full) {
                    link.member.disconnect(Disconnect::Slow);
                }
            }
            ToEdge::Disconnect { why, .. } => link.member.disconnect(why),
            ToEdge::Violated { .. } => link.member.violated(),
            ToEdge::Role { role, .. } => link.member.set_role(role),
            ToEdge::Access { .. } | ToEdge::Answer { .. } => {}
        }
    }
}
