//! Micro-benchmarks of routing inside a room: relaying one signal between two members of a full mesh
//! room, and a media-state broadcast, including draining the effects as the room task does.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ruang_proto::{IceCandidate, MediaState, PeerId, RoomName, SignalData, SignalPayload};
use ruang_room::{RoomConfig, Roster};

fn room_of(size: u64) -> Roster {
    let name = RoomName::parse("bench").unwrap_or_else(|| unreachable!());
    let mut room = Roster::new(
        name,
        RoomConfig {
            max_participants: size as usize,
            chat_history: 100,
            lobby: false,
            max_waiting: 8,
            first_is_host: true,
        },
    );
    for n in 0..size {
        let _ = room.join(PeerId::from_bits(n + 1), format!("p{n}"), MediaState::default(), None);
    }
    room.take_effects().for_each(drop);
    room
}

fn candidate() -> SignalData {
    SignalData::Candidate {
        candidate: IceCandidate {
            candidate: "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx".into(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: None,
        },
    }
}

fn routing(c: &mut Criterion) {
    let mut group = c.benchmark_group("room_signal");
    for size in [2u64, 8, 50] {
        let mut room = room_of(size);
        let (from, to) = (PeerId::from_bits(1), PeerId::from_bits(size));
        let payload = SignalPayload::from(candidate());
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            b.iter(|| {
                let _ = room.signal(from, black_box(to), payload.clone());
                room.take_effects().for_each(|effect| drop(black_box(effect)));
            })
        });
    }
    group.finish();
    let mut room = room_of(8);
    let mut toggle = false;
    c.bench_function("room_media_broadcast_8", |b| {
        b.iter(|| {
            toggle = !toggle;
            let _ = room.set_media(PeerId::from_bits(3), MediaState { audio: toggle, video: true, screen: false });
            room.take_effects().for_each(|effect| drop(black_box(effect)));
        })
    });
}

criterion_group!(benches, routing);
criterion_main!(benches);
