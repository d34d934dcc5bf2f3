//! How a room reaches its members, whatever they are: a WebSocket client today, a server-side media peer
//! (SFU) or a member on another node later. Nothing here knows about sockets, tasks or a clock (time is
//! passed in), so an SFU crate or a cluster crate can depend on it without the HTTP server.
//!
//! - [`Frame`]: a server message on its way, typed, beside its serialized form shared by all recipients.
//! - [`Member`]: the one interface through which a room delivers to a member (never blocking), tells it
//!   to let go of its connection ([`Disconnect`]), or reports a violation.
//! - [`Stream`]: a member's numbered messages, kept for replay after it resumes on a new connection.
//! - [`Post`]: one member's stream and its current link, behind one short lock: what anyone who sends to
//!   the member (the room, or another member's connection relaying a signal) pushes into.
//! - [`MemberTable`]: the posts of a room's members by id, published by the room and read by relays.

#![deny(missing_docs)]

mod frame;
mod member;
mod post;
mod stream;
mod table;

pub use frame::Frame;
pub use member::{DeliveryError, Disconnect, Member};
pub use post::{Connected, Link, Post};
pub use stream::{ReplayLimits, Stream};
pub use table::{Entry, MemberTable, TableRead, TableWrite};
