//! The room's side of its SFU: [`SfuMember`], the member under the SFU's id in the room's member table
//! (relayed signals reach it like any member), and [`SfuRoom`], which the room's driver keeps to start and
//! stop SFU periods and to tell the SFU who left, whose role changed and what members asked of it.
//!
//! Nothing here blocks or waits: commands go to the room's worker task over a bounded queue, and a full
//! queue drops the command and counts it (the client's negotiation times out and re-offers, as after a lost
//! mesh signal). The SFU member never reports [`DeliveryError::Full`], which would make the room treat the
//! SFU as a slow member.

use std::sync::Arc;
use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};

use ruang_member::{DeliveryError, Disconnect, Frame, Member, MemberTable};
use ruang_proto::{PeerId, Role, ServerMessage, SignalPayload};
use ruang_room::SfuRequest;
use tokio::sync::mpsc;

use super::SfuService;
use crate::rooms::RoomCommand;

/// Commands a room's SFU worker may have queued: signaling rate, for one room.
const COMMAND_QUEUE: usize = 256;

/// What a room tells its SFU worker.
#[derive(Debug)]
pub enum SfuCommand {
    /// A new SFU period under id `sfu`.
    Start {
        /// The SFU's id for the period.
        sfu: PeerId,
    },
    /// The period of `sfu` ended: its participants leave the SFU.
    Stop {
        /// The SFU's id for the period.
        sfu: PeerId,
    },
    /// A member's signal to the SFU.
    Signal {
        /// The member.
        from: PeerId,
        /// What it sent.
        data: SignalPayload,
    },
    /// A member's `layers`, `tiles` or `pin`.
    Request {
        /// The member.
        from: PeerId,
        /// What it asks.
        request: Box<SfuRequest>,
    },
    /// A member left the room.
    Left {
        /// Who.
        id: PeerId,
    },
    /// A signal of the SFU of period `sfu` for member `to` (an offer, or `reset` after lost media).
    FromSfu {
        /// The SFU's id of the period it belongs to.
        sfu: PeerId,
        /// The member.
        to: PeerId,
        /// What the SFU sends.
        data: ruang_proto::SignalData,
    },
    /// A member's role changed (a viewer may not publish).
    Role {
        /// Whose.
        id: PeerId,
        /// The new role.
        role: Role,
    },
}

/// Sends commands to one room's SFU worker without waiting.
#[derive(Clone, Debug)]
struct Commands {
    queue: mpsc::Sender<SfuCommand>,
    dropped: Arc<AtomicU64>,
}

impl Commands {
    fn send(&self, command: SfuCommand) {
        if self.queue.try_send(command).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(dropped, "SFU command queue full or closed: command dropped");
        }
    }
}

/// The SFU as a member of one room: what is pushed into its post (signals from members) goes to the worker.
pub struct SfuMember {
    commands: Commands,
}

impl Member for SfuMember {
    fn deliver(&self, frame: &Frame, _n: Option<u64>) -> Result<(), DeliveryError> {
        if let ServerMessage::Signal { from, data } = frame.message() {
            self.commands.send(SfuCommand::Signal { from: *from, data: data.clone() });
        }
        Ok(())
    }

    fn disconnect(&self, _why: Disconnect) {}

    fn violated(&self) {}
}

/// A room's handle on its SFU worker, kept by the room's driver.
pub struct SfuRoom {
    commands: Commands,
}

impl SfuRoom {
    /// Spawns the worker of a room whose members are `table` and whose mailbox is `mailbox`. It ends when
    /// this handle and every [`SfuMember`] made from it are gone.
    pub fn new(service: Arc<SfuService>, table: Weak<MemberTable>, mailbox: mpsc::WeakSender<RoomCommand>) -> Self {
        let (queue, inbox) = mpsc::channel(COMMAND_QUEUE);
        tokio::spawn(super::worker::run(service, table, mailbox, queue.downgrade(), inbox));
        SfuRoom { commands: Commands { queue, dropped: Arc::default() } }
    }

    /// The member to put in the room's table under the SFU's id.
    pub fn member(&self) -> Arc<SfuMember> {
        Arc::new(SfuMember { commands: self.commands.clone() })
    }

    /// Queues a command for the worker (dropped, and counted, if its queue is full).
    pub fn send(&self, command: SfuCommand) {
        self.commands.send(command);
    }
}
