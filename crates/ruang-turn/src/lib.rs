//! STUN/TURN for ruang: short-lived TURN credentials in the TURN REST scheme (also understood by coturn's
//! `use-auth-secret`), and the ICE server list each participant is given.

#![deny(missing_docs)]

mod credentials;

pub use credentials::{CredentialError, TurnCredential, TurnSecret};
