//! Micro-benchmarks of the protocol's hot path: parsing and validating client frames of the sizes that
//! dominate signaling (a ~200-byte candidate, a ~3 KB SDP), and serializing what the server relays.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ruang_proto::{IceCandidate, Limits, PeerId, ServerMessage, SignalData, parse_client_message};

fn candidate_frame() -> String {
    let candidate = "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 192.168.1.20 rport 46154 generation 0 ufrag EsAw network-id 1 network-cost 10";
    format!(
        r#"{{"type":"signal","to":"3f9a0c41d2b7e815","data":{{"kind":"candidate","candidate":{{"candidate":"{candidate}","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"EsAw"}}}}}}"#
    )
}

fn sdp() -> String {
    let mut sdp = String::from("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    while sdp.len() < 3000 {
        sdp.push_str("a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 transport-cc\r\n");
    }
    sdp
}

fn offer_frame() -> String {
    let sdp = serde_json::to_string(&sdp()).unwrap_or_default();
    format!(r#"{{"type":"signal","to":"3f9a0c41d2b7e815","data":{{"kind":"offer","sdp":{sdp}}}}}"#)
}

fn parsing(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("parse_client_message");
    for (name, frame) in [("candidate", candidate_frame()), ("offer_3kb", offer_frame())] {
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse_client_message(black_box(&frame), &limits)));
    }
    let garbage = r#"{"type":"signal","to":"3f9a0c41d2b7e815","data":{"kind":"offer","sdp":5}}"#;
    group.bench_function("invalid_field", |b| b.iter(|| parse_client_message(black_box(garbage), &limits)));
    group.finish();
}

fn serializing(c: &mut Criterion) {
    let from = PeerId::from_bits(0x3f9a_0c41_d2b7_e815);
    let candidate = ServerMessage::Signal {
        from,
        data: SignalData::Candidate {
            candidate: IceCandidate {
                candidate:
                    "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 192.168.1.20 rport 46154"
                        .into(),
                sdp_mid: Some("0".into()),
                sdp_m_line_index: Some(0),
                username_fragment: Some("EsAw".into()),
            },
        }
        .into(),
    };
    let offer = ServerMessage::Signal { from, data: SignalData::Offer { sdp: sdp() }.into() };
    let mut group = c.benchmark_group("serialize_server_message");
    group.bench_function("candidate", |b| b.iter(|| black_box(&candidate).to_json()));
    group.bench_function("offer_3kb", |b| b.iter(|| black_box(&offer).to_json()));
    group.finish();
}

criterion_group!(benches, parsing, serializing);
criterion_main!(benches);
