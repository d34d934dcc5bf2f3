//! The room's TURN server for the session: which one (the first `turn:` URL over UDP with credentials),
//! its client, and handing the relayed candidate to every connection once the allocation is there.

use std::net::SocketAddr;
use std::time::Instant;

use ruang_proto::{IceServer, SignalData};

use super::Session;
use crate::turn::{TurnClient, TurnState};

/// The first TURN server over UDP in the room's list, with its credentials: `(url, username, password)`.
pub(super) fn turn_server(servers: &[IceServer]) -> Option<(String, String, String)> {
    servers.iter().find_map(|server| {
        let url = server
            .urls
            .iter()
            .find(|u| u.starts_with("turn:") && (!u.contains("?transport=") || u.ends_with("?transport=udp")))?;
        Some((url.clone(), server.username.clone()?, server.credential.clone()?))
    })
}

/// A TURN client for the room's first usable TURN server (the address family of our socket).
pub(super) async fn turn_client(servers: &[IceServer], local: SocketAddr, now: Instant) -> Option<TurnClient> {
    let (url, username, password) = turn_server(servers)?;
    let host_port = url.trim_start_matches("turn:").split('?').next().unwrap_or_default().to_owned();
    let host_port = if host_port.rsplit_once(':').is_some_and(|(_, p)| !p.ends_with(']')) {
        host_port
    } else {
        format!("{host_port}:3478")
    };
    let addresses = tokio::net::lookup_host(host_port.as_str()).await.ok()?;
    let server = addresses.into_iter().find(|a| a.is_ipv4() == local.is_ipv4())?;
    tracing::debug!(%server, "turn: allocating");
    Some(TurnClient::new(server, username, password, now))
}

impl Session {
    /// Once the TURN allocation is there: every connection gets the relayed candidate (trickled to the peer).
    pub(super) fn use_relay(&mut self) {
        let Some(TurnState::Allocated(relay)) = self.turn.as_ref().map(TurnClient::state) else { return };
        if self.candidates.relay.is_some() {
            return;
        }
        self.candidates.relay = Some(relay);
        for link in self.links.values_mut() {
            if let Some(candidate) = link.add_relay(relay, self.candidates.local) {
                self.outbox.push((link.peer, SignalData::Candidate { candidate }));
            }
        }
    }
}
