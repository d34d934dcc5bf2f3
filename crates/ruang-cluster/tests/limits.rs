//! The cluster-wide limits against a real `redis-server`: several connections (standing for nodes) count
//! together, atomically, and every count expires with its window.

use std::time::Duration;

use ruang_cluster::limits::{self, AttemptLimits};
use ruang_cluster::test_support::RedisServer;
use ruang_cluster::{ConnectionManager, connect};

const LIMITS: AttemptLimits = AttemptLimits {
    per_address: 3,
    per_room_fresh: 3,
    per_room_others: 2,
    window: Duration::from_secs(60),
    pending: Duration::from_secs(30),
};

async fn nodes(redis: &RedisServer, n: usize) -> Vec<ConnectionManager> {
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(connect(&redis.url).await.unwrap().1);
    }
    nodes
}

#[tokio::test]
async fn concurrent_attempts_from_one_address_on_several_nodes_never_exceed_its_limit() {
    let redis = RedisServer::start();
    let nodes = nodes(&redis, 3).await;
    // Twelve attempts at once, four through each node, at twelve rooms: the address's limit (3) holds.
    let attempts = (0..12).map(|i| {
        let mut node = nodes[i % 3].clone();
        async move { limits::reserve_attempt(&mut node, "192.0.2.1", &format!("room{i}"), &LIMITS).await.unwrap() }
    });
    let answers = futures_util::future::join_all(attempts).await;
    assert_eq!(answers.iter().filter(|a| a.is_some()).count(), 3);
    assert_eq!(answers.iter().filter(|a| **a == Some(true)).count(), 1, "only the first one was fresh");
    let mut node = nodes[0].clone();
    assert_eq!(limits::reserve_attempt(&mut node, "192.0.2.2", "room0", &LIMITS).await.unwrap(), Some(true));
}

#[tokio::test]
async fn a_right_password_gives_its_place_back_and_a_wrong_one_keeps_it_for_the_window() {
    let redis = RedisServer::start();
    let mut nodes = nodes(&redis, 2).await;
    for _ in 0..5 {
        let fresh = limits::reserve_attempt(&mut nodes[0], "192.0.2.1", "r", &LIMITS).await.unwrap();
        assert_eq!(fresh, Some(true));
        limits::settle_attempt(&mut nodes[1], "192.0.2.1", "r", true, false).await.unwrap();
    }
    for _ in 0..3 {
        let fresh = limits::reserve_attempt(&mut nodes[1], "192.0.2.1", "r", &LIMITS).await.unwrap();
        assert!(fresh.is_some());
        limits::settle_attempt(&mut nodes[0], "192.0.2.1", "r", fresh == Some(true), true).await.unwrap();
    }
    assert_eq!(limits::reserve_attempt(&mut nodes[0], "192.0.2.1", "r", &LIMITS).await.unwrap(), None);
    let ttl: i64 = redis::cmd("PTTL")
        .arg(ruang_cluster::keys::password_address("192.0.2.1"))
        .query_async(&mut nodes[0])
        .await
        .unwrap();
    assert!(ttl > 30_000 && ttl <= 60_000, "the count expires with its window: {ttl}");
}

#[tokio::test]
async fn failed_addresses_cannot_use_up_the_fresh_budget_of_a_room() {
    let redis = RedisServer::start();
    let mut node = nodes(&redis, 1).await.remove(0);
    for address in ["192.0.2.1", "192.0.2.2"] {
        let fresh = limits::reserve_attempt(&mut node, address, "other", &LIMITS).await.unwrap();
        assert_eq!(fresh, Some(true));
    }
    for address in ["192.0.2.1", "192.0.2.2"] {
        assert_eq!(limits::reserve_attempt(&mut node, address, "r", &LIMITS).await.unwrap(), Some(false));
    }
    assert_eq!(limits::reserve_attempt(&mut node, "192.0.2.1", "r", &LIMITS).await.unwrap(), None, "others spent");
    assert_eq!(limits::reserve_attempt(&mut node, "192.0.2.9", "r", &LIMITS).await.unwrap(), Some(true));
}

#[tokio::test]
async fn a_reservation_late_in_its_window_keeps_its_count_until_it_can_be_settled() {
    let redis = RedisServer::start();
    let mut node = nodes(&redis, 1).await.remove(0);
    let limits = AttemptLimits { window: Duration::from_millis(200), pending: Duration::from_secs(30), ..LIMITS };
    assert!(limits::reserve_attempt(&mut node, "192.0.2.1", "r", &limits).await.unwrap().is_some());
    let ttl: i64 = redis::cmd("PTTL")
        .arg(ruang_cluster::keys::password_address("192.0.2.1"))
        .query_async(&mut node)
        .await
        .unwrap();
    assert!(ttl > 1_000, "a pending reservation outlives a short window: {ttl}");
}

#[tokio::test]
async fn events_per_address_are_counted_across_nodes_and_given_back() {
    let redis = RedisServer::start();
    let nodes = nodes(&redis, 2).await;
    let window = Duration::from_secs(60);
    let takes = (0..6).map(|i| {
        let mut node = nodes[i % 2].clone();
        async move { limits::take(&mut node, "rooms", "2001:db8::", 4, window).await.unwrap() }
    });
    let taken = futures_util::future::join_all(takes).await;
    assert_eq!(taken.iter().filter(|t| **t).count(), 4);
    let mut node = nodes[0].clone();
    assert!(limits::take(&mut node, "rooms", "192.0.2.1", 4, window).await.unwrap(), "another address has its own");
    let short = Duration::from_millis(100);
    assert!(limits::take(&mut node, "rooms", "192.0.2.2", 1, short).await.unwrap());
    assert!(!limits::take(&mut node, "rooms", "192.0.2.2", 1, short).await.unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(limits::take(&mut node, "rooms", "192.0.2.2", 1, short).await.unwrap(), "a new window");
    assert!(limits::take(&mut node, "api-keys", "192.0.2.2", 1, window).await.unwrap(), "another kind");
    limits::give_back(&mut node, "api-keys", "192.0.2.2").await.unwrap();
    assert!(limits::take(&mut node, "api-keys", "192.0.2.2", 1, window).await.unwrap(), "given back");
    assert!(!limits::take(&mut node, "api-keys", "192.0.2.2", 1, window).await.unwrap());
}

#[tokio::test]
async fn a_participant_of_a_previous_instance_is_claimed_once_across_nodes() {
    let redis = RedisServer::start();
    let nodes = nodes(&redis, 3).await;
    let ttl = Duration::from_secs(60);
    let claims = (0..9).map(|i| {
        let mut node = nodes[i % 3].clone();
        async move { limits::claim_restored(&mut node, "00000000000000aa", ttl).await.unwrap() }
    });
    let won = futures_util::future::join_all(claims).await;
    assert_eq!(won.iter().filter(|w| **w).count(), 1);
    let mut node = nodes[0].clone();
    assert!(limits::claim_restored(&mut node, "00000000000000bb", ttl).await.unwrap());
    let left: i64 = redis::cmd("PTTL").arg("ruang:restored:00000000000000aa").query_async(&mut node).await.unwrap();
    assert!(left > 0 && left <= 60_000, "a claim is kept for its TTL: {left}");
}
