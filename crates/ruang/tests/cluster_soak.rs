//! Soak against three nodes of a cluster: the soak's clients (`soak_clients`) against three `ruang` processes
//! sharing one real `redis-server` (started on a free loopback port by the test), each connection to a node
//! chosen at random, so members of one room are spread over the nodes, resume through other nodes than the
//! one they left, and replace their own connection through another node (which must end the old one with
//! 4004). For a bounded time (`RUANG_CLUSTER_SOAK_SECS`, default 20, split in two halves) with
//! `RUANG_CLUSTER_SOAK_CLIENTS` clients (default 60) over 12 rooms: small enough for CI, longer by hand.
//! After each half every node must be back to nothing (no room, connection, room task or session), and
//! nothing unexpected may have happened: no message out of order, no refused resume within the grace, no
//! unexpected error.
//!
//! Run with `--nocapture` to see the numbers.
mod soak_clients;

use ruang_cluster::test_support::RedisServer;
use soak_clients::{Counters, Soak, half, rss_kib, start_server};

const ROOMS: u64 = 12;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_across_three_nodes_leave_nothing_behind_and_see_nothing_unexpected() {
    let seconds = setting("RUANG_CLUSTER_SOAK_SECS", 20);
    let clients = setting("RUANG_CLUSTER_SOAK_CLIENTS", 60);
    let redis = RedisServer::start();
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(start_server(&["--redis", &redis.url]).await);
    }
    let soak = Soak::new(nodes.iter().map(|(_, base)| base.clone()).collect(), ROOMS);
    let counters = &soak.counters;
    println!("{clients} clients, {ROOMS} rooms, 3 nodes, {seconds} s");
    for round in 0..2u64 {
        let health = half(&soak, clients, round, seconds / 2).await;
        let resident: Vec<u64> = nodes.iter().filter_map(|(child, _)| child.id()).map(rss_kib).collect();
        println!("after half {} (totals so far): {}", round + 1, counters.summary());
        println!("  nodes' health {}; RSS {resident:?} KiB", serde_json::Value::from(health));
    }
    assert_eq!(Counters::get(&counters.unexpected), 0, "{}", counters.summary());
    assert!(Counters::get(&counters.resumes) > clients / 4, "resumes happened: {}", counters.summary());
    assert!(Counters::get(&counters.resumes_refused) > 0, "some outlived the grace period");
    assert_eq!(redis.cli(&["ZCARD", "ruang:nodes"]), "3", "the three nodes were one cluster");
    for (mut child, _) in nodes {
        let _ = child.kill().await;
    }
}
