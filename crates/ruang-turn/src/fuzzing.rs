//! Entry points for the fuzz targets in `fuzz/` (not part of the API): a TURN gate as the server builds
//! it, with two live allocations and a bound channel, fed arbitrary frames.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytecodec::EncodeExt as _;
use medea_turn::attr::{Attribute, ChannelNumber, Lifetime, XorPeerAddress, XorRelayAddress};
use stun_codec::rfc5766::methods::{ALLOCATE, CHANNEL_BIND};
use stun_codec::{Message, MessageClass, MessageEncoder, TransactionId};

use crate::TurnSecret;
use crate::allocations::AllocationLimits;
use crate::gate::{Gate, GateConfig, Inbound, Outbound};
use crate::peers::PeerPolicy;
use crate::tcp::PROTO_TCP;
use crate::udp::PROTO_UDP;

/// The clients a fuzzed frame may come from: two with allocations (one over TCP), and a stranger.
const CLIENTS: [(u8, [u8; 4], u16); 3] =
    [(PROTO_UDP, [192, 0, 2, 1], 5000), (PROTO_TCP, [192, 0, 2, 2], 5000), (PROTO_UDP, [198, 51, 100, 7], 9)];

/// A gate with allocations relayed at 127.0.0.1:50000 and :50001, the first with channel 0x4000 bound to
/// the second.
pub struct Harness {
    gate: Gate,
    start: Instant,
}

impl Default for Harness {
    fn default() -> Self {
        let policy = PeerPolicy {
            allow_private: false,
            own_ips: vec!["127.0.0.1".parse().unwrap_or(LOOPBACK)],
            own_services: Vec::new(),
        };
        let config = GateConfig {
            policy,
            realm: "ruang".to_owned(),
            limits: AllocationLimits {
                max_bps: 1_000_000,
                permissions: 8,
                channels: 8,
                channel_lifetime: Duration::from_secs(600),
            },
            total_bps: 10_000_000,
            allocations_per_participant: 2,
            max_allocations: 4,
        };
        let harness = Harness { gate: Gate::new(config, TurnSecret::new("fuzz")), start: Instant::now() };
        for (n, relay_port) in [(0, 50000), (1, 50001)] {
            let client = client(n);
            let mut success = Message::new(MessageClass::SuccessResponse, ALLOCATE, TransactionId::new([n as u8; 12]));
            success.add_attribute(XorRelayAddress::new(SocketAddr::from(([127, 0, 0, 1], relay_port))));
            if let Ok(lifetime) = Lifetime::new(Duration::from_secs(600)) {
                success.add_attribute(lifetime);
            }
            harness.gate.outbound(client, &encode(success), harness.start);
        }
        let id = TransactionId::new([9; 12]);
        let mut bind = Message::new(MessageClass::Request, CHANNEL_BIND, id);
        if let Ok(number) = ChannelNumber::new(0x4000) {
            bind.add_attribute(number);
        }
        bind.add_attribute(XorPeerAddress::new(SocketAddr::from(([127, 0, 0, 1], 50001))));
        harness.gate.inbound(client(0), &encode(bind), harness.start, 0);
        harness.gate.outbound(
            client(0),
            &encode(Message::new(MessageClass::SuccessResponse, CHANNEL_BIND, id)),
            harness.start,
        );
        harness
    }
}

const LOOPBACK: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

impl Harness {
    /// Feeds `input` to the gate: its first byte picks the client, the time offset and the direction, the
    /// rest is the frame. Returns whether the gate let it through (passed, or answered).
    pub fn run(&self, input: &[u8]) -> bool {
        let Some((selector, frame)) = input.split_first() else { return false };
        let client = client(usize::from(selector % 3));
        let now = self.start + Duration::from_millis(u64::from(selector / 6) * 250);
        if selector & 0x80 != 0 && selector % 2 == 0 {
            return self.gate.outbound(client, frame, now) != Outbound::Drop;
        }
        !matches!(self.gate.inbound(client, frame, now, 1_000), Inbound::Drop)
    }
}

fn client(n: usize) -> (u8, SocketAddr) {
    let (proto, ip, port) = CLIENTS[n % CLIENTS.len()];
    (proto, SocketAddr::from((ip, port)))
}

fn encode(message: Message<Attribute>) -> Vec<u8> {
    MessageEncoder::new().encode_into_bytes(message).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz target's seed corpus, and every one-byte truncation and bit flip of each seed, pass
    /// through the gate without panicking (a bounded stand-in for the fuzzer on stable Rust).
    #[test]
    fn seeds_and_their_mutations_never_panic() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/turn_request");
        let seeds: Vec<Vec<u8>> = std::fs::read_dir(&corpus)
            .unwrap_or_else(|e| panic!("{}: {e}", corpus.display()))
            .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
            .collect();
        assert!(seeds.len() >= 5, "the seed corpus is in fuzz/corpus/turn_request");
        let harness = Harness::default();
        let mut passed = 0;
        for seed in &seeds {
            passed += usize::from(harness.run(seed));
            for cut in 0..seed.len() {
                harness.run(&seed[..cut]);
            }
            for bit in 0..seed.len() * 8 {
                let mut mutated = seed.clone();
                mutated[bit / 8] ^= 1 << (bit % 8);
                harness.run(&mutated);
            }
        }
        assert!(passed > 0, "some seeds get through the gate");
        let seed = |name: &str| std::fs::read(corpus.join(name)).unwrap();
        let fresh = Harness::default();
        assert!(fresh.run(&seed("channeldata_bound")), "ChannelData on the bound channel to a live relay");
        assert!(fresh.run(&seed("send_indication_relay")));
        assert!(!fresh.run(&seed("channeldata_unbound")));
        assert!(!fresh.run(&seed("outbound_data_indication")), "data from a loopback service");
        let Inbound::Pass(_) =
            fresh.gate.inbound(client(0), &seed("channel_bind_0x6001_signed")[1..], fresh.start, 1_000)
        else {
            panic!("a signed ChannelBind 0x6001 is renumbered and passed on");
        };
    }
}
