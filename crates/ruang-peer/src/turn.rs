//! A TURN client (RFC 8656) as a state machine with time passed in: str0m gathers no candidates, so
//! this is how the terminal gets a relayed one from the TURN server the room hands out (a relay-only room
//! offers nothing else). Over UDP it shares the peer's UDP socket: the driver sends what
//! [`TurnClient::poll_transmit`] gives to [`TurnClient::server`], and hands every datagram from there to
//! [`TurnClient::handle`], which returns what a peer sent us through the relay. Over TCP or TLS
//! ([`TurnClient::over_stream`]) the driver writes the same messages to its stream and hands `handle` the
//! frames [`crate::turn_framing`] cuts out of it; the relayed address is UDP either way. Long-term credentials (the room's TURN REST username and
//! password), Allocate, Refresh, CreatePermission per peer address, Send and Data indications.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytecodec::{DecodeExt as _, EncodeExt as _};
use stun_codec::rfc5389::attributes::{ErrorCode, MessageIntegrity, Nonce, Realm, Username};
use stun_codec::rfc5766::attributes::{Data, Lifetime, RequestedTransport, XorPeerAddress, XorRelayAddress};
use stun_codec::rfc5766::methods::{ALLOCATE, CREATE_PERMISSION, DATA, REFRESH, SEND};
use stun_codec::{
    Message, MessageClass, MessageDecoder, MessageEncoder, Method, TransactionId, define_attribute_enums,
};

define_attribute_enums!(
    Attribute,
    AttributeDecoder,
    AttributeEncoder,
    [
        Username,
        MessageIntegrity,
        ErrorCode,
        Realm,
        Nonce,
        Lifetime,
        XorPeerAddress,
        Data,
        XorRelayAddress,
        RequestedTransport
    ]
);

/// A permission is refreshed this often (it lasts 5 minutes).
const PERMISSION_EVERY: Duration = Duration::from_secs(240);
/// An unanswered request is sent again after this long, up to [`TRIES`] times.
const RETRY: Duration = Duration::from_millis(500);
/// The same over a stream, which loses nothing: only a server that does not answer is retried.
const RETRY_STREAM: Duration = Duration::from_secs(3);
/// Over a stream, the allocation is refreshed at least this often: TURN servers close a TCP connection
/// that stays quiet (ruang's after 60 s by default), and the allocation goes with it, while a receiver in a
/// relay-only room may wait long for anyone to connect.
const STREAM_KEEPALIVE: Duration = Duration::from_secs(20);
const TRIES: u32 = 7;
/// At most this many peer addresses get a permission (a peer trickling endless candidates gets no more).
const MAX_PERMISSIONS: usize = 256;

/// Where the allocation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnState {
    /// Asking for it.
    Allocating,
    /// We have this relayed address.
    Allocated(SocketAddr),
    /// The server refused or never answered.
    Failed,
}

struct Pending {
    method: Method,
    attributes: Vec<Attribute>,
    sent: Instant,
    tries: u32,
    peer: Option<IpAddr>,
    /// The request as last sent: a retransmission repeats it, transaction id and all (RFC 5389 §7.2.1), so
    /// that a server that did answer the first one (its answer lost, or slow) sees the same request again
    /// rather than a second Allocate, which it would refuse (437).
    bytes: Vec<u8>,
}

/// One allocation on one TURN server.
pub struct TurnClient {
    server: SocketAddr,
    username: String,
    password: String,
    realm: Option<String>,
    nonce: Option<String>,
    state: TurnState,
    refresh_at: Option<Instant>,
    permissions: HashMap<IpAddr, Instant>,
    pending: HashMap<TransactionId, Pending>,
    out: Vec<Vec<u8>>,
    retry: Duration,
    /// The longest time between two refreshes, whatever the lifetime.
    keepalive: Option<Duration>,
}

impl TurnClient {
    /// Starts allocating on `server` (over UDP) with these credentials.
    pub fn new(server: SocketAddr, username: String, password: String, now: Instant) -> Self {
        Self::start(server, username, password, (RETRY, None), now)
    }

    /// Starts allocating on `server` over a TCP or TLS connection to it that the driver owns.
    pub fn over_stream(server: SocketAddr, username: String, password: String, now: Instant) -> Self {
        Self::start(server, username, password, (RETRY_STREAM, Some(STREAM_KEEPALIVE)), now)
    }

    fn start(
        server: SocketAddr,
        username: String,
        password: String,
        (retry, keepalive): (Duration, Option<Duration>),
        now: Instant,
    ) -> Self {
        let mut client = TurnClient {
            server,
            username,
            password,
            realm: None,
            nonce: None,
            state: TurnState::Allocating,
            refresh_at: None,
            permissions: HashMap::new(),
            pending: HashMap::new(),
            out: Vec::new(),
            retry,
            keepalive,
        };
        client.request(ALLOCATE, vec![RequestedTransport::new(17).into()], None, now);
        client
    }

    /// The TURN server's address.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// Where the allocation stands.
    pub fn state(&self) -> TurnState {
        self.state
    }

    /// The connection to the server is gone (a stream closed), and the allocation with it.
    pub fn lost(&mut self) {
        self.state = TurnState::Failed;
        self.pending.clear();
        self.out.clear();
    }

    /// New credentials (the room sends fresh ones before the old expire).
    pub fn set_credentials(&mut self, username: String, password: String) {
        self.username = username;
        self.password = password;
    }

    /// Sends `payload` to `peer` through the relay (a permission for its address is asked for first).
    pub fn send_to(&mut self, peer: SocketAddr, payload: &[u8], now: Instant) {
        if !matches!(self.state, TurnState::Allocated(_)) {
            return;
        }
        let full = self.permissions.len() >= MAX_PERMISSIONS;
        if let std::collections::hash_map::Entry::Vacant(entry) = self.permissions.entry(peer.ip())
            && !full
        {
            entry.insert(now + PERMISSION_EVERY);
            self.request(CREATE_PERMISSION, vec![XorPeerAddress::new(peer).into()], Some(peer.ip()), now);
        }
        let Ok(data) = Data::new(payload.to_vec()) else { return };
        let mut message = Message::<Attribute>::new(MessageClass::Indication, SEND, new_transaction());
        message.add_attribute(XorPeerAddress::new(peer));
        message.add_attribute(data);
        if let Ok(bytes) = MessageEncoder::new().encode_into_bytes(message) {
            self.out.push(bytes);
        }
    }

    /// A datagram from the TURN server: what a peer relayed to us, if it was that.
    pub fn handle(&mut self, datagram: &[u8], now: Instant) -> Option<(SocketAddr, Vec<u8>)> {
        let message = MessageDecoder::<Attribute>::new().decode_from_bytes(datagram).ok()?.ok()?;
        if message.class() == MessageClass::Indication && message.method() == DATA {
            let peer = message.get_attribute::<XorPeerAddress>()?.address();
            let data = message.get_attribute::<Data>()?.data().to_vec();
            return Some((peer, data));
        }
        let pending = self.pending.remove(&message.transaction_id())?;
        match message.class() {
            MessageClass::SuccessResponse => self.on_success(&pending, &message, now),
            MessageClass::ErrorResponse => {
                let code = message.get_attribute::<ErrorCode>().map(ErrorCode::code);
                // 401 (first request, or credentials) and 438 (stale nonce): sign with what the server gave
                let fresh = message.get_attribute::<Nonce>().map(|n| n.value().to_owned());
                if matches!(code, Some(401 | 438)) && fresh.is_some() && pending.tries < TRIES {
                    self.nonce = fresh;
                    self.realm = message.get_attribute::<Realm>().map(|r| r.text().to_owned()).or(self.realm.take());
                    self.resend(pending, now);
                } else {
                    if let (Some(403), Some(ip)) = (code, pending.peer) {
                        // a host or internal address the relay will not reach: expected, another pair is used
                        tracing::debug!(%ip, "turn: the relay does not relay to this address");
                    } else {
                        tracing::warn!(?code, method = ?pending.method, "turn: refused");
                    }
                    if pending.method == ALLOCATE {
                        self.state = TurnState::Failed;
                    }
                    if let Some(ip) = pending.peer {
                        self.permissions.remove(&ip);
                    }
                }
            }
            _ => {}
        }
        None
    }

    fn on_success(&mut self, pending: &Pending, message: &Message<Attribute>, now: Instant) {
        if pending.method == ALLOCATE || pending.method == REFRESH {
            let lifetime = message.get_attribute::<Lifetime>().map_or(Duration::from_secs(600), Lifetime::lifetime);
            let every = self.keepalive.map_or(lifetime / 2, |most| most.min(lifetime / 2));
            self.refresh_at = Some(now + every);
        }
        if pending.method == ALLOCATE {
            match message.get_attribute::<XorRelayAddress>() {
                Some(relay) => {
                    tracing::debug!(relay = %relay.address(), "turn: allocated");
                    self.state = TurnState::Allocated(relay.address());
                }
                None => self.state = TurnState::Failed,
            }
        }
    }

    /// Time passes: retries, refreshes.
    pub fn tick(&mut self, now: Instant) {
        let due: Vec<TransactionId> =
            self.pending.iter().filter(|(_, p)| now >= p.sent + self.retry).map(|(id, _)| *id).collect();
        for id in due {
            let Some(pending) = self.pending.remove(&id) else { continue };
            if pending.tries >= TRIES {
                tracing::warn!(method = ?pending.method, "turn: no answer");
                if pending.method == ALLOCATE {
                    self.state = TurnState::Failed;
                }
                continue;
            }
            self.retransmit(id, pending, now);
        }
        if let TurnState::Allocated(_) = self.state {
            if self.refresh_at.is_some_and(|at| now >= at) {
                self.refresh_at = None;
                self.request(REFRESH, vec![], None, now);
            }
            let stale: Vec<IpAddr> = self.permissions.iter().filter(|(_, at)| now >= **at).map(|(ip, _)| *ip).collect();
            for ip in stale {
                self.permissions.insert(ip, now + PERMISSION_EVERY);
                let peer = SocketAddr::new(ip, 0);
                self.request(CREATE_PERMISSION, vec![XorPeerAddress::new(peer).into()], Some(ip), now);
            }
        }
    }

    /// The next datagram for the TURN server.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.out.is_empty() { None } else { Some(self.out.remove(0)) }
    }

    fn request(&mut self, method: Method, attributes: Vec<Attribute>, peer: Option<IpAddr>, now: Instant) {
        self.resend(Pending { method, attributes, sent: now, tries: 0, peer, bytes: Vec::new() }, now);
    }

    /// Sends the unanswered request `id` again as it was.
    fn retransmit(&mut self, id: TransactionId, mut pending: Pending, now: Instant) {
        self.out.push(pending.bytes.clone());
        pending.sent = now;
        pending.tries += 1;
        self.pending.insert(id, pending);
    }

    /// Sends a request (signed once the server has given a nonce) under a new transaction id: a new request,
    /// or one signed again after a 401 or 438.
    fn resend(&mut self, mut pending: Pending, now: Instant) {
        let id = new_transaction();
        let mut message = Message::<Attribute>::new(MessageClass::Request, pending.method, id);
        for attribute in &pending.attributes {
            message.add_attribute(attribute.clone());
        }
        if let (Some(realm), Some(nonce)) = (&self.realm, &self.nonce)
            && let (Ok(username), Ok(realm), Ok(nonce)) =
                (Username::new(self.username.clone()), Realm::new(realm.clone()), Nonce::new(nonce.clone()))
        {
            message.add_attribute(username.clone());
            message.add_attribute(realm.clone());
            message.add_attribute(nonce);
            match MessageIntegrity::new_long_term_credential(&message, &username, &realm, &self.password) {
                Ok(integrity) => message.add_attribute(integrity),
                Err(err) => tracing::warn!("turn: cannot sign: {err}"),
            }
        }
        if let Ok(bytes) = MessageEncoder::new().encode_into_bytes(message) {
            self.out.push(bytes.clone());
            pending.bytes = bytes;
        }
        pending.sent = now;
        pending.tries += 1;
        self.pending.insert(id, pending);
    }
}

fn new_transaction() -> TransactionId {
    let mut bytes = [0u8; 12];
    let _ = getrandom::fill(&mut bytes);
    TransactionId::new(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "192.0.2.1:3478";
    const RELAY: &str = "192.0.2.1:50000";

    /// The next message the client sends: its class, method and transaction.
    fn sent(client: &mut TurnClient) -> (MessageClass, Method, TransactionId) {
        let bytes = client.poll_transmit().expect("a message for the server");
        let message = MessageDecoder::<Attribute>::new().decode_from_bytes(&bytes).unwrap().unwrap();
        (message.class(), message.method(), message.transaction_id())
    }

    /// The server's success for `id`: an allocation (relayed address, lifetime) or a refresh.
    fn success(method: Method, id: TransactionId, lifetime: Duration) -> Vec<u8> {
        let mut message = Message::<Attribute>::new(MessageClass::SuccessResponse, method, id);
        if method == ALLOCATE {
            message.add_attribute(XorRelayAddress::new(RELAY.parse().unwrap()));
        }
        message.add_attribute(Lifetime::new(lifetime).unwrap());
        MessageEncoder::new().encode_into_bytes(message).unwrap()
    }

    /// An allocated client (the server skips the 401 here) and the time it was allocated.
    fn allocated(client: &mut TurnClient, now: Instant) {
        let (class, method, id) = sent(client);
        assert_eq!((class, method), (MessageClass::Request, ALLOCATE));
        assert_eq!(client.handle(&success(ALLOCATE, id, Duration::from_secs(600)), now), None);
        assert_eq!(client.state(), TurnState::Allocated(RELAY.parse().unwrap()));
    }

    #[test]
    fn over_a_stream_the_allocation_is_refreshed_before_the_server_finds_the_connection_idle() {
        let now = Instant::now();
        let mut client = TurnClient::over_stream(SERVER.parse().unwrap(), "u".into(), "p".into(), now);
        allocated(&mut client, now);
        client.tick(now + STREAM_KEEPALIVE - Duration::from_millis(1));
        assert!(client.poll_transmit().is_none(), "nothing before the keepalive is due");
        let later = now + STREAM_KEEPALIVE;
        client.tick(later);
        let (class, method, id) = sent(&mut client);
        assert_eq!((class, method), (MessageClass::Request, REFRESH));
        // and again after the next one
        client.handle(&success(REFRESH, id, Duration::from_secs(600)), later);
        client.tick(later + STREAM_KEEPALIVE);
        assert_eq!(sent(&mut client).1, REFRESH);
    }

    #[test]
    fn an_unanswered_request_is_sent_again_with_the_same_transaction_and_bytes() {
        let now = Instant::now();
        let mut client = TurnClient::new(SERVER.parse().unwrap(), "u".into(), "p".into(), now);
        let first = client.poll_transmit().expect("the allocate request");
        client.tick(now + client.retry);
        let again = client.poll_transmit().expect("sent again");
        assert_eq!(again, first, "a retransmission is the same request (RFC 5389 7.2.1)");
        // and the server's answer to it is taken
        let id = MessageDecoder::<Attribute>::new().decode_from_bytes(&first).unwrap().unwrap().transaction_id();
        assert_eq!(client.handle(&success(ALLOCATE, id, Duration::from_secs(600)), now), None);
        assert_eq!(client.state(), TurnState::Allocated(RELAY.parse().unwrap()));
    }

    #[test]
    fn over_udp_the_allocation_is_refreshed_at_half_its_lifetime() {
        let now = Instant::now();
        let mut client = TurnClient::new(SERVER.parse().unwrap(), "u".into(), "p".into(), now);
        allocated(&mut client, now);
        client.tick(now + Duration::from_secs(299));
        assert!(client.poll_transmit().is_none());
        client.tick(now + Duration::from_secs(300));
        assert_eq!(sent(&mut client).1, REFRESH);
    }

    #[test]
    fn a_lost_stream_fails_the_allocation_and_what_was_queued() {
        let now = Instant::now();
        let mut client = TurnClient::over_stream(SERVER.parse().unwrap(), "u".into(), "p".into(), now);
        allocated(&mut client, now);
        client.send_to("198.51.100.7:4000".parse().unwrap(), b"hello", now);
        client.lost();
        assert_eq!(client.state(), TurnState::Failed);
        assert!(client.poll_transmit().is_none());
        client.send_to("198.51.100.7:4000".parse().unwrap(), b"hello", now);
        assert!(client.poll_transmit().is_none(), "nothing is sent without an allocation");
    }
}
