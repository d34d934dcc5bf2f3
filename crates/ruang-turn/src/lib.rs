//! STUN/TURN for ruang: short-lived TURN credentials in the TURN REST scheme (also understood by coturn's
//! `use-auth-secret`), and the built-in STUN/TURN server that checks them and refuses to relay into
//! internal networks.

#![deny(missing_docs)]

mod credentials;
mod filter;
mod peers;
mod quota;
mod server;
mod tls;

pub use credentials::{CredentialError, TurnCredential, TurnSecret};
pub use peers::{PeerPolicy, is_public};
pub use server::{RunningTurn, TurnConfig, TurnError, start};
