//! Connection slots for the TURN TCP and TLS listeners: at most so many connections at once, and at most
//! so many from one IP address, so one address cannot take them all. Loopback counts only towards the
//! total: the TLS listener reaches the TCP one over loopback and holds its own slots per client address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Connections served at once by one listener.
pub const MAX_CONNECTIONS: usize = 4096;

/// Connections one IP address may hold on one listener (a NAT'd office shares one).
pub const MAX_PER_IP: usize = 128;

/// The connections a listener holds.
#[derive(Clone)]
pub struct Slots {
    max: usize,
    per_ip: usize,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One held connection slot; dropping it frees the slot.
pub struct Slot {
    ip: IpAddr,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Slots {
    /// At most `max` connections, `per_ip` from one address.
    pub fn new(max: usize, per_ip: usize) -> Self {
        Slots { max, per_ip, held: Arc::default() }
    }

    /// A slot for a connection from `ip`, if there is room.
    pub fn take(&self, ip: IpAddr) -> Option<Slot> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let total: usize = held.values().sum();
        let from_ip = held.get(&ip).copied().unwrap_or(0);
        // The TLS listener forwards its connections over loopback; it bounds them per address itself.
        let per_ip = if ip.is_loopback() { self.max } else { self.per_ip };
        if total >= self.max || from_ip >= per_ip {
            return None;
        }
        held.insert(ip, from_ip + 1);
        Some(Slot { ip, held: Arc::clone(&self.held) })
    }
}

/// The next connection on `listener` that `slots` has room for. A failing accept (out of descriptors) waits a
/// moment instead of spinning; a connection beyond the limits is closed at once.
pub async fn accept(listener: &TcpListener, slots: &Slots, what: &'static str) -> (TcpStream, SocketAddr, Slot) {
    loop {
        let Ok((stream, remote)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        match slots.take(remote.ip()) {
            Some(slot) => return (stream, remote, slot),
            None => tracing::debug!("TURN over {what}: refused a connection beyond the limits"),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_connections_in_total_and_per_address() {
        let slots = Slots::new(3, 2);
        let (a, b) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let first = slots.take(a).unwrap();
        let _second = slots.take(a).unwrap();
        assert!(slots.take(a).is_none(), "per address");
        let _third = slots.take(b).unwrap();
        assert!(slots.take(b).is_none(), "in total");
        drop(first);
        assert!(slots.take(a).is_some(), "a closed connection frees its slot");
        let local = Slots::new(3, 1);
        let loopback = "127.0.0.1".parse().unwrap();
        let held: Vec<Slot> = (0..3).filter_map(|_| local.take(loopback)).collect();
        assert_eq!(held.len(), 3, "loopback is bounded by the total only");
    }
}
