//! STUN/TURN for ruang: short-lived TURN credentials in the TURN REST scheme (also understood by coturn's
//! `use-auth-secret`), and the built-in STUN/TURN server that checks them and refuses to relay into
//! internal networks.

#![deny(missing_docs)]

mod allocations;
mod bandwidth;
mod credentials;
mod gate;
mod host;
mod peers;
mod quota;
mod renumber;
mod server;
mod slots;
mod tcp;
mod tls;
mod udp;

pub use credentials::{CredentialError, TurnCredential, TurnSecret};
pub use peers::{PeerPolicy, is_public};

#[doc(hidden)]
pub mod fuzzing;
pub use gate::TurnStats;
pub use server::{RunningTurn, TurnConfig, TurnError, TurnStatsSource, detect_public_ip, start};
