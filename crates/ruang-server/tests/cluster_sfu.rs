//! SFU rooms in a cluster (issue 17, item 5): a room's SFU runs on its owner node, and participants
//! connected to other nodes negotiate with it over the cluster's signaling and send their media straight to
//! the owner's SFU port. Three nodes on 127.0.0.1 share a real `redis-server`; str0m clients publish and
//! receive synthetic video through the owner's real UDP port.

mod common;

use common::TestServer;
use common::prometheus::{parse_prometheus, sample};
use common::sfu_media::{Media, exchange, join_sfu, sfu_id};
use ruang_cluster::test_support::RedisServer;
use ruang_server::client::{HttpUrl, Method, Trust, call};
use ruang_server::config::MediaPolicy;

const KEY: &str = "cluster-sfu-metrics-key";

fn key_sha256() -> String {
    use sha2::Digest;
    sha2::Sha256::digest(KEY.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `ruang_sfu_participants` of `node`.
async fn sfu_participants(node: &TestServer) -> f64 {
    let url = HttpUrl::parse(&format!("http://{}/metrics", node.addr)).expect("url");
    let (status, body) =
        call(&Trust::default(), Method::GET, &url, Some(KEY), None, common::WAIT).await.expect("/metrics");
    assert_eq!(status.as_u16(), 200);
    sample(&parse_prometheus(&String::from_utf8_lossy(&body)), "ruang_sfu_participants")
}

#[tokio::test]
async fn members_on_other_nodes_send_and_receive_through_the_owners_sfu() {
    let redis = RedisServer::start();
    let nodes = TestServer::cluster(&redis.url, 3, |c| {
        c.media_mode = MediaPolicy::Sfu;
        c.api_key_sha256 = Some(key_sha256());
    })
    .await;
    // The first join makes node 0 the room's owner; the others join through nodes 1 and 2.
    let host = join_sfu(&nodes[0], "town-hall", "Ayu").await;
    let publisher = join_sfu(&nodes[1], "town-hall", "Bima").await;
    let subscriber = join_sfu(&nodes[2], "town-hall", "Citra").await;
    let sfu = sfu_id(&host.welcome);
    assert_eq!(sfu_id(&publisher.welcome), sfu, "one SFU for the room, whichever node one is connected to");
    assert_eq!(sfu_id(&subscriber.welcome), sfu);

    let mut clients = [Media::offer(publisher, true).await, Media::offer(subscriber, false).await];
    exchange(&mut clients, 10).await;
    let [publisher, subscriber] = &clients;
    assert!(publisher.connected && subscriber.connected, "both reached an SFU");
    assert!(subscriber.frames[0].is_keyframe(), "the subscriber starts on a key frame");

    // The media went through the owner's SFU: it holds both sessions, the other nodes' SFUs none.
    assert_eq!(sfu_participants(&nodes[0]).await, 2.0, "the owner's SFU carries the room");
    assert_eq!(sfu_participants(&nodes[1]).await, 0.0);
    assert_eq!(sfu_participants(&nodes[2]).await, 0.0);
    drop(host);
}
