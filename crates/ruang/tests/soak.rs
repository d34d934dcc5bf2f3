//! Soak: 200 clients join, signal, chat, leave, drop and resume at random against the real binary, for a
//! bounded time (`RUANG_SOAK_SECS`, default 120) split in two halves. After each half everyone stops, and the
//! server must be back to nothing: no room, connection, room task or session. Memory after the second half
//! must not exceed memory after the first by more than a small margin: a leak grows with activity, while
//! the allocator's high-water mark from the first half is reused in the second.
//!
//! Run with `--nocapture` to see the numbers (operations per kind, resident memory after each half).
//! The same clients against three nodes of a cluster: `cluster_soak.rs`.
mod soak_clients;

use soak_clients::{Counters, Soak, half, rss_kib, start_server};

const CLIENTS: u64 = 200;
const ROOMS: u64 = 40;
/// Resident memory the second half may add over the first without counting as a leak.
const RSS_MARGIN_KIB: u64 = 8 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_joining_leaving_dropping_and_resuming_leak_nothing() {
    let seconds: u64 = std::env::var("RUANG_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(120);
    let (mut child, base) = start_server(&[]).await;
    let pid = child.id().expect("pid");
    let soak = Soak::new(vec![base], ROOMS);
    let counters = &soak.counters;
    println!("{CLIENTS} clients, {ROOMS} rooms, {seconds} s; server RSS at start {} KiB", rss_kib(pid));
    let mut rss = Vec::new();
    for round in 0..2u64 {
        let health = half(&soak, CLIENTS, round, seconds / 2).await;
        let resident = rss_kib(pid);
        println!(
            "after half {} (totals so far): {} | health {} | server RSS {resident} KiB",
            round + 1,
            counters.summary(),
            health[0]
        );
        rss.push(resident);
    }
    assert_eq!(Counters::get(&counters.unexpected), 0, "{}", counters.summary());
    assert!(Counters::get(&counters.resumes) > CLIENTS / 4, "resumes happened: {}", counters.summary());
    assert!(Counters::get(&counters.resumes_refused) > 0, "some outlived the grace period");
    assert!(
        rss[1] <= rss[0] + RSS_MARGIN_KIB,
        "server memory grew from {} KiB to {} KiB between two equal halves",
        rss[0],
        rss[1]
    );
    let _ = child.kill().await;
}
