//! ICE servers in `welcome`: fixed servers pass through, TURN REST servers get per-participant credentials
//! that are renewed before they expire, and relay-only rooms say so.

mod common;

use common::TestServer;
use ruang_server::ice::{IceServerConfig, RelayOnlyConfig};
use ruang_turn::TurnSecret;

fn servers() -> Vec<IceServerConfig> {
    vec![
        IceServerConfig { urls: vec!["stun:192.0.2.1:3478".into()], ..IceServerConfig::default() },
        IceServerConfig {
            urls: vec!["turn:192.0.2.1:3478?transport=udp".into()],
            secret: Some("shared-secret".into()),
            ..IceServerConfig::default()
        },
    ]
}

#[tokio::test]
async fn welcome_carries_per_participant_turn_credentials_renewed_before_expiry() {
    let server = TestServer::with(|c| {
        c.ice_servers = servers();
        c.turn_credential_ttl_secs = 2;
    })
    .await;
    let mut client = server.joined("r", "a").await;
    let ice = client.welcome["ice_servers"].as_array().unwrap().clone();
    assert_eq!(ice[0], serde_json::json!({"urls": ["stun:192.0.2.1:3478"]}));
    let username = ice[1]["username"].as_str().unwrap().to_owned();
    let (expiry, participant) = username.split_once(':').unwrap();
    assert_eq!(participant, client.id);
    let secret = TurnSecret::new("shared-secret");
    assert_eq!(ice[1]["credential"].as_str().unwrap(), secret.password_for(&username));
    assert_eq!(client.welcome["ice_transport_policy"], "all");

    let renewed = client.recv_type("ice_servers").await;
    let new_username = renewed["ice_servers"][1]["username"].as_str().unwrap();
    let new_expiry: u64 = new_username.split_once(':').unwrap().0.parse().unwrap();
    assert!(new_expiry > expiry.parse::<u64>().unwrap(), "{new_username} renews {username}");
    assert_eq!(renewed["ice_servers"][1]["credential"].as_str().unwrap(), secret.password_for(new_username));
}

#[tokio::test]
async fn relay_only_rooms_tell_their_participants() {
    let server = TestServer::with(|c| {
        c.ice_servers = servers();
        c.relay_only = RelayOnlyConfig { all_rooms: false, rooms: vec!["private".into()] };
    })
    .await;
    let private = server.joined("private", "a").await;
    assert_eq!(private.welcome["ice_transport_policy"], "relay");
    let open = server.joined("open", "b").await;
    assert_eq!(open.welcome["ice_transport_policy"], "all");
}
