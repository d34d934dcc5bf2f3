//! The Redis operations against a real `redis-server` on a free loopback port, started and killed here.

use std::time::Duration;

use bytes::Bytes;
use ruang_cluster::lease::{self, Owner};
use ruang_cluster::registry::{self, NodeInfo};
use ruang_cluster::test_support::RedisServer;
use ruang_cluster::{NodeId, bus, connect};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_lease_has_one_holder_until_released() {
    let redis = RedisServer::start();
    let (_, mut conn) = connect(&redis.url).await.unwrap();
    let (a, b) = (NodeId(1), NodeId(2));
    assert_eq!(lease::take(&mut conn, "room", a).await.unwrap(), Owner::Me);
    assert_eq!(lease::take(&mut conn, "room", b).await.unwrap(), Owner::Other(a));
    assert_eq!(lease::take(&mut conn, "room", a).await.unwrap(), Owner::Me, "taking it again is holding it");
    assert!(lease::renew(&mut conn, "room", a).await.unwrap());
    assert!(!lease::renew(&mut conn, "room", b).await.unwrap(), "only the holder renews");
    lease::release(&mut conn, "room", b).await.unwrap();
    assert_eq!(lease::take(&mut conn, "room", b).await.unwrap(), Owner::Other(a), "only the holder releases");
    lease::release(&mut conn, "room", a).await.unwrap();
    assert_eq!(lease::take(&mut conn, "room", b).await.unwrap(), Owner::Me);
    let ttl: i64 = redis::cmd("PTTL").arg("ruang:room:room:owner").query_async(&mut conn).await.unwrap();
    let most = i64::try_from(ruang_cluster::keys::LEASE_TTL.as_millis()).unwrap();
    assert!(ttl > 0 && ttl <= most, "the lease has a short TTL: {ttl}");
}

/// The fencing rule: an owner that stops renewing (dead, cut off, or too busy) counts its lease as no longer
/// certainly its own before any other node can take it.
#[tokio::test]
async fn an_owner_stops_counting_on_a_lease_it_did_not_renew_before_another_node_can_take_it() {
    use ruang_cluster::lease::LeaseBook;
    let redis = RedisServer::start();
    let (_, mut conn) = connect(&redis.url).await.unwrap();
    let (a, b) = (NodeId(1), NodeId(2));
    let mut book = LeaseBook::default();
    let sent = std::time::Instant::now();
    assert_eq!(lease::take(&mut conn, "room", a).await.unwrap(), Owner::Me);
    book.confirm("room", sent);
    assert!(book.is_safe("room", std::time::Instant::now()));
    // A does not renew; B tries every 20 ms (bounded) until the lease is free.
    let deadline = std::time::Instant::now() + ruang_cluster::keys::LEASE_TTL * 4;
    loop {
        let asked = std::time::Instant::now();
        assert!(asked < deadline, "the lease expires");
        if lease::take(&mut conn, "room", b).await.unwrap() == Owner::Me {
            assert!(!book.is_safe("room", asked), "A still counted on the lease when B could take it");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_renewal_takes_back_a_lease_that_expired_while_nobody_held_it() {
    let redis = RedisServer::start();
    let (_, mut conn) = connect(&redis.url).await.unwrap();
    assert_eq!(lease::take(&mut conn, "room", NodeId(1)).await.unwrap(), Owner::Me);
    let _: () = redis::cmd("DEL").arg("ruang:room:room:owner").query_async(&mut conn).await.unwrap();
    assert!(lease::renew(&mut conn, "room", NodeId(1)).await.unwrap());
    assert_eq!(lease::take(&mut conn, "room", NodeId(2)).await.unwrap(), Owner::Other(NodeId(1)));
}

#[tokio::test]
async fn live_nodes_are_listed_and_a_node_that_left_is_not() {
    let redis = RedisServer::start();
    let (_, mut conn) = connect(&redis.url).await.unwrap();
    let info = |id| NodeInfo {
        id: NodeId(id),
        listen: "127.0.0.1:1".into(),
        public_hosts: vec![],
        rooms: id as usize,
        connections: 0,
    };
    for id in [3, 1, 2] {
        registry::register(&mut conn, &info(id), 1_000).await.unwrap();
    }
    let nodes = registry::live_nodes(&mut conn, 1_000).await.unwrap();
    assert_eq!(nodes, vec![info(1), info(2), info(3)]);
    registry::unregister(&mut conn, NodeId(2)).await.unwrap();
    let ids: Vec<NodeId> = registry::live_nodes(&mut conn, 1_000).await.unwrap().iter().map(|n| n.id).collect();
    assert_eq!(ids, vec![NodeId(1), NodeId(3)]);
    assert!(registry::live_nodes(&mut conn, 1_000 + 10_001).await.unwrap().is_empty(), "entries expire");
}

#[tokio::test]
async fn the_bus_delivers_one_publishers_messages_in_order() {
    let redis = RedisServer::start();
    let (client, conn) = connect(&redis.url).await.unwrap();
    let shutdown = CancellationToken::new();
    let mut inbox = bus::subscribe(client, NodeId(7), 4096, shutdown.clone()).await.unwrap();
    let publisher = bus::Publisher::start(conn, 4096, shutdown.clone());
    for i in 0..2000u32 {
        publisher.send(NodeId(7), Bytes::from(i.to_string())).unwrap();
        publisher.send(NodeId(8), Bytes::from_static(b"elsewhere")).unwrap();
    }
    for i in 0..2000u32 {
        let message = tokio::time::timeout(Duration::from_secs(10), inbox.recv()).await.unwrap().unwrap();
        assert_eq!(message, Bytes::from(i.to_string()));
    }
    shutdown.cancel();
}

#[tokio::test]
async fn a_record_is_written_only_while_the_lease_is_the_writers_or_free() {
    use ruang_cluster::records;
    let redis = RedisServer::start();
    let (_, mut conn) = connect(&redis.url).await.unwrap();
    let (a, b) = (NodeId(1), NodeId(2));
    let ttl = Duration::from_secs(30);
    assert!(records::write(&mut conn, "room", a, Some(b"free"), ttl).await.unwrap(), "nobody holds the lease");
    assert_eq!(lease::take(&mut conn, "room", a).await.unwrap(), Owner::Me);
    assert!(records::write(&mut conn, "room", a, Some(b"mine"), ttl).await.unwrap());
    assert!(!records::write(&mut conn, "room", b, Some(b"not yours"), ttl).await.unwrap());
    assert_eq!(records::read(&mut conn, "room").await.unwrap().as_deref(), Some(&b"mine"[..]));
    let pttl = redis.cli(&["PTTL", "ruang:room:room:record"]).parse::<i64>().unwrap();
    assert!(pttl > 0 && pttl <= 30_000, "{pttl}");
    records::touch(&mut conn, &["room".to_owned(), "nothing".to_owned()], Duration::from_secs(90)).await.unwrap();
    let pttl = redis.cli(&["PTTL", "ruang:room:room:record"]).parse::<i64>().unwrap();
    assert!(pttl > 30_000, "renewed: {pttl}");
    assert_eq!(redis.cli(&["EXISTS", "ruang:room:nothing:record"]), "0", "touching creates nothing");
    let rooms = ["nothing".to_owned(), "room".to_owned()];
    assert_eq!(records::present(&mut conn, &rooms).await.unwrap(), [false, true]);
    assert!(records::write(&mut conn, "room", a, None, ttl).await.unwrap());
    assert_eq!(records::read(&mut conn, "room").await.unwrap(), None, "deleted");
    assert_eq!(records::present(&mut conn, &rooms).await.unwrap(), [false, false]);
    assert_eq!(lease::holders(&mut conn, &["room".to_owned(), "other".to_owned()]).await.unwrap(), [Some(a), None]);
    lease::release(&mut conn, "room", a).await.unwrap();
    assert_eq!(lease::renewal(&mut conn, "room", a).await.unwrap(), lease::Renewal::Retaken, "nobody held it");
    assert_eq!(lease::renewal(&mut conn, "room", a).await.unwrap(), lease::Renewal::Renewed);
    assert_eq!(lease::renewal(&mut conn, "room", b).await.unwrap(), lease::Renewal::Lost);
}
