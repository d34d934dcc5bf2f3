//! The gate every TURN datagram passes, in both directions, before the TURN library sees it or after it
//! answered: sans-IO (bytes and addresses in, a verdict out), so it is unit-tested and fuzzed on its own.
//!
//! Towards peers it checks every path that moves data (Send indications, ChannelData, CreatePermission
//! and ChannelBind requests) against the [`PeerPolicy`], with the exact relayed addresses of live
//! allocations as the only exception; it bounds permissions and channels per allocation and bandwidth per
//! allocation and for the whole server; it refuses allocations over the participant quota (486), requests
//! it cannot parse (400, never silence) and expired or unknown credentials (401). Towards clients it learns
//! allocations, refreshes and channels from the library's answers, drops data from peers the policy denies,
//! and counts bandwidth.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytecodec::{DecodeExt as _, EncodeExt as _};
use medea_turn::attr::{
    Attribute, ChannelNumber, Data, ErrorCode, Lifetime, MessageIntegrity, Nonce, Realm, Username, XorPeerAddress,
    XorRelayAddress,
};
use medea_turn::transport::Request;
use stun_codec::rfc5389::errors::{BadRequest, Unauthorized};
use stun_codec::rfc5389::methods::BINDING;
use stun_codec::rfc5766::errors::{AllocationQuotaReached, Forbidden, InsufficientCapacity};
use stun_codec::rfc5766::methods::{ALLOCATE, CHANNEL_BIND, CREATE_PERMISSION, REFRESH, SEND};
use stun_codec::{Message, MessageClass, MessageDecoder, MessageEncoder, Method, TransactionId};

use crate::TurnSecret;
use crate::allocations::{AllocationLimits, Allocations, ClientKey};
use crate::bandwidth::Bucket;
use crate::peers::PeerPolicy;
use crate::quota::{OverQuota, Quota};
use crate::renumber::{Renumber, renumber};

/// STUN message types (the first two bytes) of the answers and indications the gate looks at.
const ALLOCATE_SUCCESS: u16 = 0x0103;
const ALLOCATE_ERROR: u16 = 0x0113;
const REFRESH_SUCCESS: u16 = 0x0104;
const CHANNEL_BIND_SUCCESS: u16 = 0x0109;
const CHANNEL_BIND_ERROR: u16 = 0x0119;
const DATA_INDICATION: u16 = 0x0017;
const MAGIC_COOKIE: u32 = 0x2112_a442;
const XOR_PEER_ADDRESS: u16 = 0x0012;

/// An allocation's lifetime when an answer does not say (RFC 8656 section 2.2).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(600);

/// What happens to a datagram from a client.
#[derive(Debug)]
pub enum Inbound {
    /// Hand this request to the TURN library (ChannelData arrives as the equivalent Send indication).
    Pass(Request),
    /// Send these bytes back to the client, and nothing else.
    Answer(Vec<u8>),
    /// Drop it silently (not a request, or data the rules do not let through).
    Drop,
}

/// What happens to a frame the TURN library sends to a client.
#[derive(Debug, PartialEq, Eq)]
pub enum Outbound {
    /// Send it as it is.
    Send,
    /// Send it with this channel number (ChannelData on a channel the client numbered 0x5000-0x7FFF).
    Renumber(u16),
    /// Drop it.
    Drop,
}

impl From<bool> for Outbound {
    fn from(send: bool) -> Self {
        if send { Outbound::Send } else { Outbound::Drop }
    }
}

/// Settings of the gate.
#[derive(Clone, Debug)]
pub struct GateConfig {
    /// Which peers data may go to.
    pub policy: PeerPolicy,
    /// The TURN realm, for 401 answers.
    pub realm: String,
    /// Per-allocation limits.
    pub limits: AllocationLimits,
    /// Relay bandwidth of the whole server in each direction, bits per second (0: unlimited).
    pub total_bps: u64,
    /// Live allocations one participant may hold.
    pub allocations_per_participant: usize,
    /// Live allocations the whole server may hold.
    pub max_allocations: usize,
}

/// The gate of one server, shared by all its transports.
pub struct Gate {
    policy: PeerPolicy,
    realm: String,
    secret: TurnSecret,
    quota: Quota,
    state: Mutex<State>,
}

struct State {
    allocations: Allocations,
    total_up: Bucket,
    total_down: Bucket,
    /// What was counted for the server's metrics.
    stats: TurnStats,
}

/// What a TURN server has done, for metrics: counters since it started, and its live allocations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TurnStats {
    /// Allocations live now (as counted against the quota).
    pub allocations: usize,
    /// Allocations granted since the start.
    pub allocations_created: u64,
    /// Bytes relayed from clients to their peers (payloads admitted).
    pub relayed_up_bytes: u64,
    /// Bytes relayed from peers to clients (frames admitted).
    pub relayed_down_bytes: u64,
}

impl Gate {
    /// A gate checking credentials against `secret`.
    pub fn new(config: GateConfig, secret: TurnSecret) -> Self {
        let state = State {
            allocations: Allocations::new(config.limits),
            total_up: Bucket::new(config.total_bps),
            total_down: Bucket::new(config.total_bps),
            stats: TurnStats::default(),
        };
        Gate {
            policy: config.policy,
            realm: config.realm,
            secret,
            quota: Quota::new(config.allocations_per_participant, config.max_allocations),
            state: Mutex::new(state),
        }
    }

    /// Judges `frame` (one datagram, or one framed message on TCP) from `client` at `now` (`unix_secs`
    /// for credential expiry).
    pub fn inbound(&self, client: ClientKey, frame: &[u8], now: Instant, unix_secs: u64) -> Inbound {
        match frame.first() {
            Some(byte) if byte & 0xc0 == 0x40 => self.channel_data(client, frame, now),
            Some(byte) if byte & 0xc0 == 0 => self.stun(client, frame, now, unix_secs),
            _ => Inbound::Drop,
        }
    }

    /// Whether `frame`, which the TURN library sends to `client`, may go out; learns allocations,
    /// refreshes and channels from the answers.
    pub fn outbound(&self, client: ClientKey, frame: &[u8], now: Instant) -> Outbound {
        let Some(kind) = frame.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])) else { return Outbound::Drop };
        if kind & 0xc000 == 0x4000 {
            let mut state = self.lock();
            let channel = state.allocations.server_channel(client, kind, now);
            if channel.is_some_and(|(_, peer)| !self.allows(&state, peer, now)) {
                return Outbound::Drop;
            }
            if !state.admit_down(client, frame.len(), now) {
                return Outbound::Drop;
            }
            return match channel {
                Some((number, _)) if number != kind => Outbound::Renumber(number),
                _ => Outbound::Send,
            };
        }
        match kind {
            DATA_INDICATION => {
                let mut state = self.lock();
                let allowed = xor_peer_address(frame).is_some_and(|peer| self.allows(&state, peer, now));
                (allowed && state.admit_down(client, frame.len(), now)).into()
            }
            ALLOCATE_SUCCESS | ALLOCATE_ERROR | REFRESH_SUCCESS | CHANNEL_BIND_SUCCESS | CHANNEL_BIND_ERROR => {
                self.learn(client, frame, now);
                Outbound::Send
            }
            _ => Outbound::Send,
        }
    }

    /// What the server has done so far.
    pub fn stats(&self) -> TurnStats {
        let allocations = self.quota.live();
        TurnStats { allocations, ..self.lock().stats }
    }

    /// `client`'s TCP connection closed: its allocation can no longer be used.
    pub fn disconnected(&self, client: ClientKey) {
        self.lock().allocations.remove(client);
    }

    /// The TURN library closed the allocation of `client` for `username`.
    pub fn allocation_closed(&self, username: &str, client: SocketAddr) {
        self.quota.closed(username, client);
    }

    fn channel_data(&self, client: ClientKey, frame: &[u8], now: Instant) -> Inbound {
        let (Some(header), Some(rest)) = (frame.get(..4), frame.get(4..)) else { return Inbound::Drop };
        let number = u16::from_be_bytes([header[0], header[1]]);
        let Some(payload) = rest.get(..usize::from(u16::from_be_bytes([header[2], header[3]]))) else {
            return Inbound::Drop;
        };
        let mut state = self.lock();
        let Some(peer) = state.allocations.channel_peer(client, number, now) else { return Inbound::Drop };
        if !self.allows(&state, peer, now) || !state.admit_up(client, payload.len(), now) {
            return Inbound::Drop;
        }
        drop(state);
        let Ok(data) = Data::new(payload.to_vec()) else { return Inbound::Drop };
        let mut send = Message::new(MessageClass::Indication, SEND, TransactionId::new([0; 12]));
        send.add_attribute(XorPeerAddress::new(peer));
        send.add_attribute(data);
        Inbound::Pass(Request::Message(send))
    }

    fn stun(&self, client: ClientKey, frame: &[u8], now: Instant, unix_secs: u64) -> Inbound {
        let message = match MessageDecoder::<Attribute>::new().decode_from_bytes(frame) {
            Ok(Ok(message)) => message,
            Ok(Err(broken)) if broken.class() == MessageClass::Request => {
                if broken.method() == CHANNEL_BIND {
                    match renumber(frame, &self.secret, unix_secs) {
                        Renumber::Done { frame, number, server_number } => {
                            if let Ok(Ok(message)) = MessageDecoder::<Attribute>::new().decode_from_bytes(&frame) {
                                let numbers = Some((number, server_number));
                                return self.request(client, message, numbers, now, unix_secs);
                            }
                        }
                        Renumber::Unauthorized => return self.unauthorized(broken.method(), broken.transaction_id()),
                        Renumber::Malformed => {}
                    }
                }
                tracing::debug!("TURN: answered a request it cannot parse with 400");
                return answer(broken.method(), broken.transaction_id(), ErrorCode::from(BadRequest), &[]);
            }
            _ => return Inbound::Drop,
        };
        match (message.class(), message.method()) {
            (MessageClass::Indication, SEND) => self.send_indication(client, message, now),
            (MessageClass::Request, BINDING) => Inbound::Pass(Request::Message(message)),
            (MessageClass::Request, _) => self.request(client, message, None, now, unix_secs),
            _ => Inbound::Drop,
        }
    }

    /// A TURN request, passed on unless refused; `numbers` are the client's and the library's channel
    /// numbers of a renumbered ChannelBind.
    fn request(
        &self,
        client: ClientKey,
        message: Message<Attribute>,
        numbers: Option<(u16, u16)>,
        now: Instant,
        unix_secs: u64,
    ) -> Inbound {
        match self.refusal(client, &message, numbers, now, unix_secs) {
            Some(refusal) => refusal,
            None => Inbound::Pass(Request::Message(message)),
        }
    }

    fn send_indication(&self, client: ClientKey, message: Message<Attribute>, now: Instant) -> Inbound {
        let (Some(peer), Some(data)) = (message.get_attribute::<XorPeerAddress>(), message.get_attribute::<Data>())
        else {
            return Inbound::Drop;
        };
        let mut state = self.lock();
        if !self.allows(&state, peer.address(), now) || !state.admit_up(client, data.data().len(), now) {
            return Inbound::Drop;
        }
        Inbound::Pass(Request::Message(message))
    }

    /// The answer the gate gives itself to request `message`, if it refuses it.
    fn refusal(
        &self,
        client: ClientKey,
        message: &Message<Attribute>,
        numbers: Option<(u16, u16)>,
        now: Instant,
        unix_secs: u64,
    ) -> Option<Inbound> {
        let (method, id) = (message.method(), message.transaction_id());
        let username = message.get_attribute::<Username>();
        if let Some(username) = username
            && message.get_attribute::<MessageIntegrity>().is_some()
            && self.secret.check(username.name(), unix_secs).is_err()
        {
            tracing::debug!("TURN: refused unknown or expired credentials");
            return Some(self.unauthorized(method, id));
        }
        let refuse = |code: ErrorCode| Some(answer(method, id, code, &[]));
        let peers: Vec<SocketAddr> = message
            .attributes()
            .filter_map(|a| match a {
                Attribute::XorPeerAddress(peer) => Some(peer.address()),
                _ => None,
            })
            .collect();
        let mut state = self.lock();
        if peers.iter().any(|peer| !self.allows(&state, *peer, now)) {
            tracing::info!("TURN: refused a permission or channel to a denied peer");
            return refuse(Forbidden.into());
        }
        let full = match method {
            ALLOCATE => {
                let name = username.map(Username::name);
                match name.map(|name| self.quota.request(name, client.1, *id.as_bytes(), now)) {
                    Some(Err(OverQuota::Participant)) => {
                        tracing::info!("TURN: refused an allocation over the participant's quota");
                        return refuse(AllocationQuotaReached.into());
                    }
                    Some(Err(OverQuota::Server)) => {
                        tracing::warn!("TURN: refused an allocation over the server's quota (turn.max_allocations)");
                        return refuse(InsufficientCapacity.into());
                    }
                    _ => false,
                }
            }
            CREATE_PERMISSION => {
                let ips: Vec<IpAddr> = peers.iter().map(SocketAddr::ip).collect();
                state.allocations.permit(client, &ips, now).is_err()
            }
            CHANNEL_BIND => {
                let numbers =
                    numbers.or_else(|| message.get_attribute::<ChannelNumber>().map(|n| (n.value(), n.value())));
                match (numbers, peers.first()) {
                    (Some(numbers), Some(peer)) => {
                        state.allocations.bind_requested(*id.as_bytes(), client, numbers, *peer, now).is_err()
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        full.then(|| answer(method, id, InsufficientCapacity.into(), &[]))
    }

    fn unauthorized(&self, method: Method, id: TransactionId) -> Inbound {
        let mut extra = Vec::new();
        if let Ok(nonce) = Nonce::new(random_nonce()) {
            extra.push(Attribute::from(nonce));
        }
        if let Ok(realm) = Realm::new(self.realm.clone()) {
            extra.push(Attribute::from(realm));
        }
        answer(method, id, Unauthorized.into(), &extra)
    }

    fn learn(&self, client: ClientKey, frame: &[u8], now: Instant) {
        let Ok(Ok(message)) = MessageDecoder::<Attribute>::new().decode_from_bytes(frame) else { return };
        let id = *message.transaction_id().as_bytes();
        let lifetime = message.get_attribute::<Lifetime>().map(Lifetime::lifetime);
        let mut state = self.lock();
        match (message.class(), message.method()) {
            (MessageClass::SuccessResponse, ALLOCATE) => {
                let lifetime = lifetime.unwrap_or(DEFAULT_LIFETIME);
                self.quota.answered(id, Some(lifetime), now);
                if let Some(relay) = message.get_attribute::<XorRelayAddress>() {
                    state.allocations.created(client, relay.address(), lifetime, now);
                }
                state.stats.allocations_created += 1;
            }
            (MessageClass::ErrorResponse, ALLOCATE) => self.quota.answered(id, None, now),
            (MessageClass::SuccessResponse, CHANNEL_BIND) => state.allocations.bind_granted(id, now),
            (MessageClass::ErrorResponse, CHANNEL_BIND) => state.allocations.bind_refused(id),
            (MessageClass::SuccessResponse, REFRESH) => {
                if let Some(lifetime) = lifetime {
                    state.allocations.refreshed(client, lifetime, now);
                    self.quota.refreshed(client.1, lifetime, now);
                }
            }
            _ => {}
        }
    }

    fn allows(&self, state: &State, peer: SocketAddr, now: Instant) -> bool {
        self.policy.allows(peer, |peer| state.allocations.is_live_relay(peer, now))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn admit_up(&mut self, client: ClientKey, bytes: usize, now: Instant) -> bool {
        let admitted = self.allocations.admit_up(client, bytes, now) && self.total_up.admit(bytes, now);
        if admitted {
            self.stats.relayed_up_bytes += bytes as u64;
        }
        admitted
    }

    fn admit_down(&mut self, client: ClientKey, bytes: usize, now: Instant) -> bool {
        let admitted = self.allocations.admit_down(client, bytes, now) && self.total_down.admit(bytes, now);
        if admitted {
            self.stats.relayed_down_bytes += bytes as u64;
        }
        admitted
    }
}

/// An error answer to request `id` of `method`.
fn answer(method: Method, id: TransactionId, code: ErrorCode, extra: &[Attribute]) -> Inbound {
    let mut message = Message::<Attribute>::new(MessageClass::ErrorResponse, method, id);
    message.add_attribute(code);
    for attribute in extra {
        message.add_attribute(attribute.clone());
    }
    match MessageEncoder::new().encode_into_bytes(message) {
        Ok(bytes) => Inbound::Answer(bytes),
        Err(_) => Inbound::Drop,
    }
}

fn random_nonce() -> String {
    let mut bytes = [0u8; 12];
    // Without randomness the nonce is still valid, merely predictable; the TURN library issues its own.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The XOR-PEER-ADDRESS of a Data indication, read without decoding the whole message.
fn xor_peer_address(frame: &[u8]) -> Option<SocketAddr> {
    let mut offset = 20;
    while let Some(header) = frame.get(offset..offset + 4) {
        let kind = u16::from_be_bytes([header[0], header[1]]);
        let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
        let value = frame.get(offset + 4..offset + 4 + length)?;
        if kind == XOR_PEER_ADDRESS {
            return decode_xor_address(value, frame.get(4..20)?);
        }
        offset += 4 + length.div_ceil(4) * 4;
    }
    None
}

fn decode_xor_address(value: &[u8], cookie_and_id: &[u8]) -> Option<SocketAddr> {
    let port = u16::from_be_bytes([*value.get(2)?, *value.get(3)?]) ^ (MAGIC_COOKIE >> 16) as u16;
    let ip = match (value.get(1)?, value.get(4..)?) {
        (0x01, address) if address.len() == 4 => {
            let raw = u32::from_be_bytes([address[0], address[1], address[2], address[3]]) ^ MAGIC_COOKIE;
            IpAddr::from(raw.to_be_bytes())
        }
        (0x02, address) if address.len() == 16 => {
            let mut raw = [0u8; 16];
            for (i, byte) in raw.iter_mut().enumerate() {
                *byte = address[i] ^ cookie_and_id[i];
            }
            IpAddr::from(raw)
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use stun_codec::rfc5766::methods::REFRESH;

    use super::*;
    use crate::udp::PROTO_UDP;

    const ALICE: ClientKey = (PROTO_UDP, SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)), 5000));
    const BOB: ClientKey = (PROTO_UDP, SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2)), 5000));

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn gate(max_bps: u64) -> Gate {
        let config = GateConfig {
            policy: PeerPolicy {
                allow_private: false,
                own_ips: vec!["127.0.0.1".parse().unwrap()],
                own_services: Vec::new(),
            },
            realm: "ruang".into(),
            limits: AllocationLimits {
                max_bps,
                permissions: 4,
                channels: 4,
                channel_lifetime: Duration::from_secs(600),
            },
            total_bps: 0,
            allocations_per_participant: 10,
            max_allocations: 100,
        };
        Gate::new(config, TurnSecret::new("secret"))
    }

    fn encode(message: Message<Attribute>) -> Vec<u8> {
        MessageEncoder::new().encode_into_bytes(message).unwrap()
    }

    fn id(n: u8) -> TransactionId {
        TransactionId::new([n; 12])
    }

    /// `client` gets an allocation relayed at `relay`, as the library's answer tells the gate.
    fn allocated(gate: &Gate, client: ClientKey, relay: &str, now: Instant) {
        let mut success = Message::new(MessageClass::SuccessResponse, ALLOCATE, id(200));
        success.add_attribute(XorRelayAddress::new(addr(relay)));
        success.add_attribute(Lifetime::new(Duration::from_secs(600)).unwrap());
        assert!(sends(gate.outbound(client, &encode(success), now)));
    }

    fn send_indication(peer: &str, payload: usize) -> Vec<u8> {
        let mut send = Message::new(MessageClass::Indication, SEND, id(1));
        send.add_attribute(XorPeerAddress::new(addr(peer)));
        send.add_attribute(Data::new(vec![7; payload]).unwrap());
        encode(send)
    }

    fn request(method: Method, n: u8, peers: &[&str], channel: Option<u16>) -> Vec<u8> {
        let mut message = Message::new(MessageClass::Request, method, id(n));
        if let Some(channel) = channel {
            message.add_attribute(ChannelNumber::new(channel).unwrap());
        }
        for peer in peers {
            message.add_attribute(XorPeerAddress::new(addr(peer)));
        }
        encode(message)
    }

    fn error_code(inbound: Inbound) -> Option<u16> {
        let Inbound::Answer(bytes) = inbound else { return None };
        let message = MessageDecoder::<Attribute>::new().decode_from_bytes(&bytes).unwrap().unwrap();
        message.get_attribute::<ErrorCode>().map(ErrorCode::code)
    }

    fn sends(outbound: Outbound) -> bool {
        outbound != Outbound::Drop
    }

    fn passes(inbound: &Inbound) -> bool {
        matches!(inbound, Inbound::Pass(_))
    }

    #[test]
    fn send_indications_reach_only_public_peers_and_exact_live_relays() {
        let (gate, now) = (gate(0), Instant::now());
        allocated(&gate, ALICE, "127.0.0.1:50000", now);
        allocated(&gate, BOB, "127.0.0.1:50001", now);
        assert!(passes(&gate.inbound(ALICE, &send_indication("127.0.0.1:50001", 10), now, 0)));
        assert!(passes(&gate.inbound(ALICE, &send_indication("8.8.8.8:53", 10), now, 0)));
        for denied in
            ["127.0.0.1:6379", "127.0.0.1:50002", "[::ffff:127.0.0.1]:6379", "10.0.0.1:53", "[2002:7f00:1::]:9"]
        {
            assert!(matches!(gate.inbound(ALICE, &send_indication(denied, 10), now, 0), Inbound::Drop), "{denied}");
        }
    }

    #[test]
    fn permissions_and_channels_to_other_ports_of_the_relay_address_are_forbidden() {
        let (gate, now) = (gate(0), Instant::now());
        allocated(&gate, ALICE, "127.0.0.1:50000", now);
        allocated(&gate, BOB, "127.0.0.1:50001", now);
        assert!(passes(&gate.inbound(ALICE, &request(CREATE_PERMISSION, 1, &["127.0.0.1:50001"], None), now, 0)));
        let mixed = request(CREATE_PERMISSION, 2, &["8.8.8.8:1", "127.0.0.1:6379"], None);
        assert_eq!(error_code(gate.inbound(ALICE, &mixed, now, 0)), Some(403));
        let bind = request(CHANNEL_BIND, 3, &["127.0.0.1:6379"], Some(0x4000));
        assert_eq!(error_code(gate.inbound(ALICE, &bind, now, 0)), Some(403));
    }

    #[test]
    fn channel_data_stops_when_the_relay_it_is_bound_to_closes() {
        let (gate, now) = (gate(0), Instant::now());
        allocated(&gate, ALICE, "127.0.0.1:50000", now);
        allocated(&gate, BOB, "127.0.0.1:50001", now);
        let bind = request(CHANNEL_BIND, 3, &["127.0.0.1:50001"], Some(0x4001));
        assert!(passes(&gate.inbound(ALICE, &bind, now, 0)));
        let channel_data = [0x40, 0x01, 0x00, 0x02, 0xaa, 0xbb, 0, 0];
        assert!(matches!(gate.inbound(ALICE, &channel_data, now, 0), Inbound::Drop), "not bound until granted");
        assert!(sends(gate.outbound(
            ALICE,
            &encode(Message::new(MessageClass::SuccessResponse, CHANNEL_BIND, id(3))),
            now
        )));
        let Inbound::Pass(Request::Message(send)) = gate.inbound(ALICE, &channel_data, now, 0) else {
            panic!("bound channel data passes as a Send indication")
        };
        assert_eq!(send.get_attribute::<XorPeerAddress>().map(XorPeerAddress::address), Some(addr("127.0.0.1:50001")));
        assert_eq!(send.get_attribute::<Data>().map(Data::data), Some(&[0xaa, 0xbb][..]));
        let mut closing = Message::new(MessageClass::SuccessResponse, REFRESH, id(4));
        closing.add_attribute(Lifetime::new(Duration::ZERO).unwrap());
        assert!(sends(gate.outbound(BOB, &encode(closing), now)));
        assert!(matches!(gate.inbound(ALICE, &channel_data, now, 0), Inbound::Drop));
        assert!(matches!(gate.inbound(ALICE, &send_indication("127.0.0.1:50001", 2), now, 0), Inbound::Drop));
    }

    #[test]
    fn data_from_denied_peers_does_not_reach_the_client() {
        let (gate, now) = (gate(0), Instant::now());
        allocated(&gate, ALICE, "127.0.0.1:50000", now);
        let data_from = |peer: &str| {
            let mut data = Message::new(MessageClass::Indication, stun_codec::rfc5766::methods::DATA, id(5));
            data.add_attribute(XorPeerAddress::new(addr(peer)));
            data.add_attribute(Data::new(vec![1, 2, 3]).unwrap());
            encode(data)
        };
        assert!(sends(gate.outbound(ALICE, &data_from("8.8.8.8:53"), now)));
        assert!(sends(gate.outbound(ALICE, &data_from("[2001:4860::8888]:53"), now)));
        assert!(!sends(gate.outbound(ALICE, &data_from("127.0.0.1:6379"), now)));
    }

    #[test]
    fn relayed_bandwidth_is_capped_per_allocation() {
        let (gate, now) = (gate(80_000), Instant::now()); // 10 kB per second
        allocated(&gate, ALICE, "127.0.0.1:50000", now);
        let passed =
            (0..20).filter(|_| passes(&gate.inbound(ALICE, &send_indication("8.8.8.8:53", 1000), now, 0))).count();
        assert_eq!(passed, 10);
        let later = now + Duration::from_secs(1);
        assert!(passes(&gate.inbound(ALICE, &send_indication("8.8.8.8:53", 1000), later, 0)));
    }

    #[test]
    fn unparsable_channel_numbers_get_400_not_silence() {
        let gate = gate(0);
        let mut bind = request(CHANNEL_BIND, 6, &["8.8.8.8:53"], Some(0x4000));
        // Rewrite the number to 0x5000: coturn's clients pick up to 0x7FFF; RFC 8656 says 400.
        let at = bind.windows(4).position(|w| w == [0x00, 0x0c, 0x00, 0x04]).unwrap() + 4;
        bind[at] = 0x50;
        assert_eq!(error_code(gate.inbound(ALICE, &bind, Instant::now(), 0)), Some(400));
    }

    fn signed(method: Method, attributes: Vec<Attribute>, username: &str, password: &str) -> Vec<u8> {
        let mut message = Message::new(MessageClass::Request, method, id(7));
        for attribute in attributes {
            message.add_attribute(attribute);
        }
        let username = Username::new(username.to_owned()).unwrap();
        let realm = Realm::new("ruang".to_owned()).unwrap();
        message.add_attribute(username.clone());
        message.add_attribute(realm.clone());
        message.add_attribute(Nonce::new("n".to_owned()).unwrap());
        let integrity = MessageIntegrity::new_long_term_credential(&message, &username, &realm, password).unwrap();
        message.add_attribute(integrity);
        encode(message)
    }

    #[test]
    fn channel_numbers_of_rfc_5766_clients_are_mapped_into_the_librarys_range() {
        let (gate, now) = (gate(0), Instant::now());
        allocated(&gate, ALICE, "127.0.0.1:50000", now);
        let credential = TurnSecret::new("secret").issue("alice", 1_000, 600);
        let peer = XorPeerAddress::new(addr("8.8.8.8:53"));
        // A ChannelNumber of 0x6123 cannot be built with the codec: sign 0x4123, then rewrite and re-sign.
        let mut bind = signed(
            CHANNEL_BIND,
            vec![peer.clone().into(), ChannelNumber::new(0x4123).unwrap().into()],
            &credential.username,
            &credential.password,
        );
        let at = bind.windows(4).position(|w| w == [0x00, 0x0c, 0x00, 0x04]).unwrap() + 4;
        bind[at] = 0x61;
        assert_eq!(error_code(gate.inbound(ALICE, &bind, now, 1_000)), Some(401), "its signature no longer matches");
        let resigned = |frame: &[u8], password: &str| {
            let username = Username::new(credential.username.clone()).unwrap();
            let realm = Realm::new("ruang".to_owned()).unwrap();
            let mi_at = frame.windows(4).position(|w| w == [0x00, 0x08, 0x00, 0x14]).unwrap();
            let mut signed = frame[..mi_at + 24].to_vec();
            let key = md5::compute(format!("{}:{}:{password}", username.name(), realm.text()));
            let mut mac = <hmac::Hmac<sha1::Sha1> as hmac::Mac>::new_from_slice(&key.0).unwrap();
            hmac::Mac::update(&mut mac, &signed[..mi_at]);
            signed[mi_at + 4..mi_at + 24].copy_from_slice(&hmac::Mac::finalize(mac).into_bytes());
            signed
        };
        assert_eq!(error_code(gate.inbound(ALICE, &resigned(&bind, "wrong"), now, 1_000)), Some(401));
        let Inbound::Pass(Request::Message(passed)) =
            gate.inbound(ALICE, &resigned(&bind, &credential.password), now, 1_000)
        else {
            panic!("a correctly signed ChannelBind 0x6123 is passed on");
        };
        assert_eq!(passed.get_attribute::<ChannelNumber>().map(|n| n.value()), Some(0x4123));
        let username = Username::new(credential.username.clone()).unwrap();
        let realm = Realm::new("ruang".to_owned()).unwrap();
        let integrity = passed.get_attribute::<MessageIntegrity>().unwrap();
        assert!(integrity.check_long_term_credential(&username, &realm, &credential.password).is_ok(), "re-signed");
        assert!(sends(gate.outbound(
            ALICE,
            &encode(Message::new(MessageClass::SuccessResponse, CHANNEL_BIND, id(7))),
            now
        )));
        assert_eq!(gate.outbound(ALICE, &[0x41, 0x23, 0, 1, 9, 0, 0, 0], now), Outbound::Renumber(0x6123));
        let Inbound::Pass(Request::Message(send)) = gate.inbound(ALICE, &[0x61, 0x23, 0, 1, 9, 0, 0, 0], now, 1_000)
        else {
            panic!("ChannelData on 0x6123 is relayed");
        };
        assert_eq!(send.get_attribute::<XorPeerAddress>().map(XorPeerAddress::address), Some(addr("8.8.8.8:53")));
    }

    #[test]
    fn expired_or_unknown_credentials_get_401() {
        let gate = gate(0);
        let secret = TurnSecret::new("secret");
        let signed = |username: &str, password: &str| {
            let mut message = Message::new(MessageClass::Request, ALLOCATE, id(7));
            let username = Username::new(username.to_owned()).unwrap();
            let realm = Realm::new("ruang".to_owned()).unwrap();
            message.add_attribute(username.clone());
            message.add_attribute(realm.clone());
            message.add_attribute(Nonce::new("n".to_owned()).unwrap());
            let integrity = MessageIntegrity::new_long_term_credential(&message, &username, &realm, password).unwrap();
            message.add_attribute(integrity);
            encode(message)
        };
        let expired = secret.issue("alice", 1_000, 60);
        assert_eq!(
            error_code(gate.inbound(ALICE, &signed(&expired.username, &expired.password), Instant::now(), 2_000)),
            Some(401)
        );
        assert_eq!(error_code(gate.inbound(ALICE, &signed("nobody", "x"), Instant::now(), 2_000)), Some(401));
        let valid = secret.issue("alice", 1_000, 60);
        assert!(passes(&gate.inbound(ALICE, &signed(&valid.username, &valid.password), Instant::now(), 1_010)));
    }

    #[test]
    fn garbage_is_dropped() {
        let gate = gate(0);
        for frame in [&[][..], &[0xff; 40], &[0x40, 0x00, 0xff, 0xff], &[0x00, 0x01, 0x00, 0x00]] {
            assert!(matches!(gate.inbound(ALICE, frame, Instant::now(), 0), Inbound::Drop));
            let _ = sends(gate.outbound(ALICE, frame, Instant::now()));
        }
    }
}
