//! What nodes say to each other on the bus: a room's inputs on their way to its owner ([`ToOwner`]), and
//! the owner's answers and deliveries on their way to a member's connection on another node ([`ToEdge`]).
//!
//! A message is a JSON header, a newline, and a body of raw bytes: a relayed signal's data or a delivered
//! message's JSON text, carried as they are rather than escaped into the header. Only nodes sharing the
//! cluster's Redis send these; they are still read strictly, and one that does not decode is dropped.

use bytes::{BufMut, Bytes, BytesMut};
use ruang_cluster::NodeId;
use ruang_member::Disconnect;
use ruang_proto::{PeerId, Role, RoomName};
use ruang_room::Input;
use serde::{Deserialize, Serialize};

use crate::access::{Access, Proof};
use crate::rooms::Answer;

/// To a room's owner, from the node a participant is connected to.
#[derive(Debug, Serialize, Deserialize)]
pub enum ToOwner {
    /// How is the room entered now? (`RoomCommand::Access`)
    Access {
        /// The room.
        room: RoomName,
        /// The asking node.
        from: NodeId,
        /// The question's number, for the answer.
        req: u64,
    },
    /// A join or resume on connection `conn` (`RoomCommand::Enter`).
    Enter {
        /// The room.
        room: RoomName,
        /// The connection's node.
        from: NodeId,
        /// The connection.
        conn: u64,
        /// `Input::Join` or `Input::Resume`.
        input: Input,
        /// What the joiner proved.
        proof: Option<Proof>,
    },
    /// Any other input (`RoomCommand::Input`).
    Input {
        /// The room.
        room: RoomName,
        /// The input.
        input: Input,
    },
    /// A signal from `sender` on connection `conn` to `to`; the body is the signal's `data` as JSON.
    Signal {
        /// The room.
        room: RoomName,
        /// The sender.
        sender: PeerId,
        /// The sender's connection.
        conn: u64,
        /// The target.
        to: PeerId,
    },
}

/// To the node a connection is on, from the owner of its room. `seq` numbers what the connection's link on
/// the owner sent, from 1 ([`ruang_cluster::sequence`]).
#[derive(Debug, Serialize, Deserialize)]
pub enum ToEdge {
    /// The answer to [`ToOwner::Access`]; `None` when the room is not open there.
    Access {
        /// The question's number.
        req: u64,
        /// The room's access.
        access: Option<AccessWire>,
    },
    /// The answer to [`ToOwner::Enter`].
    Answer {
        /// The connection.
        conn: u64,
        /// The room's answer.
        answer: Answer,
    },
    /// A message for the connection; the body is its JSON text without `n`.
    Deliver {
        /// The connection.
        conn: u64,
        /// The link's sequence number.
        seq: u64,
        /// Its number in the member's stream, if numbered.
        n: Option<u64>,
    },
    /// `Member::disconnect`.
    Disconnect {
        /// The connection.
        conn: u64,
        /// The link's sequence number.
        seq: u64,
        /// Why.
        why: Disconnect,
    },
    /// `Member::violated`.
    Violated {
        /// The connection.
        conn: u64,
        /// The link's sequence number.
        seq: u64,
    },
    /// `Member::set_role`.
    Role {
        /// The connection.
        conn: u64,
        /// The link's sequence number.
        seq: u64,
        /// The role.
        role: Role,
    },
}

/// A room's access on the bus (the password's hash travels between nodes of one cluster, never to clients).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum AccessWire {
    /// [`Access::Open`].
    Open,
    /// [`Access::Password`].
    Password {
        /// The argon2id PHC string.
        hash: String,
        /// The password's version.
        version: u32,
    },
    /// [`Access::Invite`].
    Invite,
}

impl From<&Access> for AccessWire {
    fn from(access: &Access) -> Self {
        match access {
            Access::Open => AccessWire::Open,
            Access::Password { hash, version } => AccessWire::Password { hash: hash.to_string(), version: *version },
            Access::Invite => AccessWire::Invite,
        }
    }
}

impl From<AccessWire> for Access {
    fn from(access: AccessWire) -> Self {
        match access {
            AccessWire::Open => Access::Open,
            AccessWire::Password { hash, version } => Access::Password { hash: hash.into(), version },
            AccessWire::Invite => Access::Invite,
        }
    }
}

/// Any message on the bus.
#[derive(Debug, Serialize, Deserialize)]
pub enum Envelope {
    /// For a room this node owns.
    Owner(ToOwner),
    /// For a connection on this node.
    Edge(ToEdge),
}

/// A message ready to publish: the header, a newline, the body.
pub fn encode(envelope: &Envelope, body: &[u8]) -> Option<Bytes> {
    let header = serde_json::to_vec(envelope).ok()?;
    let mut bytes = BytesMut::with_capacity(header.len() + 1 + body.len());
    bytes.put_slice(&header);
    bytes.put_u8(b'\n');
    bytes.put_slice(body);
    Some(bytes.freeze())
}

/// A received message and its body; `None` if it is not one.
pub fn decode(message: &Bytes) -> Option<(Envelope, Bytes)> {
    let split = message.iter().position(|byte| *byte == b'\n')?;
    let envelope = serde_json::from_slice(&message[..split]).ok()?;
    Some((envelope, message.slice(split + 1..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_and_its_body_come_back_as_sent() {
        let room = RoomName::parse("standup").unwrap();
        let envelope =
            Envelope::Owner(ToOwner::Signal { room, sender: PeerId::from_bits(1), conn: 7, to: PeerId::from_bits(2) });
        let body = br#"{"type":"offer","sdp":"v=0\r\n"}"#;
        let bytes = encode(&envelope, body).unwrap();
        let (decoded, decoded_body) = decode(&bytes).unwrap();
        assert!(matches!(decoded, Envelope::Owner(ToOwner::Signal { conn: 7, .. })));
        assert_eq!(&decoded_body[..], body);
    }

    #[test]
    fn what_is_not_a_message_is_refused() {
        assert!(decode(&Bytes::from_static(b"no newline")).is_none());
        assert!(decode(&Bytes::from_static(b"{\"Nope\":1}\nbody")).is_none());
        assert!(decode(&Bytes::from_static(b"\xff\n")).is_none());
    }
}
