//! The ruang signaling server: HTTP and WebSocket on one port, rooms as tasks, the embedded web client.
//!
//! [`run`] serves on a listener you bind until a shutdown token is cancelled, exactly as the binary does
//! and as the tests do on an ephemeral port.
//!
//! - [`http`] routes requests: `/ws`, `/healthz`, the web client.
//! - [`session`] runs one WebSocket connection: validation, limits, and its outgoing queue.
//! - [`rooms`] finds rooms by name and runs one task per room, the only owner of that room's state.
//! - [`config`] holds every setting and limit.
//! - [`address`] groups client addresses for the per-address limits.
//! - [`claims`] signs and checks the claims clients bring back: invitations ([`access`]) and resume tokens
//!   ([`resume`]).
//! - [`ice`] decides the STUN/TURN servers and policy each participant gets.
//! - [`numbers`] hands out connection numbers.
//! - [`conn`] accepts connections and bounds what each may hold before a request is read.
//! - [`tls`] sets up HTTPS/WSS with rustls.
//! - [`metrics`] counts for `/metrics`; [`webhooks`] tells the operator's URLs what happens to rooms;
//!   [`client`] is the small HTTP client they (and `ruang ctl`) send with.
//! - [`sfu`] makes the SFU a member of the rooms in SFU mode: its driver, signals and events.

#![deny(missing_docs)]

pub mod access;
pub mod address;
pub mod admin;
pub mod claims;
pub mod client;
mod clock;
pub mod cluster;
pub mod config;
pub mod conn;
pub mod http;
pub mod ice;
pub mod metrics;
pub mod numbers;
pub mod resume;
pub mod rooms;
mod server;
pub mod session;
pub mod sfu;
pub mod state;
pub mod store;
mod tally;
pub mod tls;
pub mod warn_every;
pub mod webhooks;

pub use config::{ConfigError, ServerConfig};
pub use ruang_proto as proto;
pub use server::{ServerError, Started, run, serve, serve_with_admin, start, start_with_admin};
