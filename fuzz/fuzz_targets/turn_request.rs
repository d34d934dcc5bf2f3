//! Arbitrary bytes as a TURN frame from (or, by the first byte's choice, to) a client, through ruang's
//! TURN gate: STUN decoding, credential checks, the peer policy with live relays, channel tracking,
//! permission and channel bounds, bandwidth buckets. Nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ruang_turn::fuzzing::Harness;

fuzz_target!(|data: &[u8]| {
    // A fresh gate per input keeps runs reproducible; building one costs a few encodings.
    let _ = Harness::default().run(data);
});
