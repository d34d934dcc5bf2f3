//! The media mode over real sockets: WebSocket clients that speak SFU (`"modes": ["mesh", "sfu"]`), an
//! `auto` room switching at its fourth member, and str0m clients in the test process that negotiate with
//! the room's SFU over the real signaling and exchange media through its real UDP port (port 0, loopback).
//! Loops are bounded in rounds and the whole exchange in time; nothing is asserted about timing.

mod common;

use std::time::Duration;

use common::TestServer;
use common::prometheus::{parse_prometheus, sample};
use common::sfu_media::{Media, exchange, join_sfu, sfu_id};
use ruang_server::client::{HttpUrl, Method, Trust, call};
use ruang_server::config::MediaPolicy;
use serde_json::json;

/// A server whose rooms all take `policy`.
async fn server(policy: MediaPolicy) -> TestServer {
    TestServer::with(|c| c.media_mode = policy).await
}

#[tokio::test]
async fn the_fourth_join_moves_an_auto_room_to_sfu_and_everyone_learns_its_id() {
    let server = server(MediaPolicy::Auto).await;
    let mut early = Vec::new();
    for name in ["a", "b", "c"] {
        let client = join_sfu(&server, "r", name).await;
        assert_eq!(client.welcome["media_mode"], "mesh", "{}", client.welcome);
        assert!(client.welcome.get("sfu").is_none());
        early.push(client);
    }
    let fourth = join_sfu(&server, "r", "d").await;
    assert_eq!(fourth.welcome["media_mode"], "sfu", "{}", fourth.welcome);
    assert_eq!(fourth.welcome["limits"]["max_participants"], 100);
    let sfu = sfu_id(&fourth.welcome);
    for client in &mut early {
        let switch = client.recv_type("media_mode").await;
        assert_eq!((switch["mode"].as_str(), sfu_id(&switch)), (Some("sfu"), sfu.clone()));
    }
    assert!(fourth.welcome["peers"].as_array().expect("peers").iter().all(|p| p["id"] != sfu.as_str()));
}

#[tokio::test]
async fn a_client_that_does_not_speak_sfu_sees_todays_welcome_and_keeps_the_room_mesh() {
    let server = server(MediaPolicy::Auto).await;
    let mesh_only = server.joined("r", "old").await;
    assert!(mesh_only.welcome.get("media_mode").is_none() && mesh_only.welcome.get("sfu").is_none());
    assert_eq!(mesh_only.welcome["limits"]["max_participants"], 8);
    let mut others = Vec::new();
    for name in ["a", "b", "c", "d"] {
        let client = join_sfu(&server, "r", name).await;
        assert_eq!(client.welcome["media_mode"], "mesh", "a mesh-only member keeps the room mesh");
        others.push(client);
    }
}

#[tokio::test]
async fn a_mesh_only_joiner_of_an_sfu_room_gets_sfu_required() {
    let server = server(MediaPolicy::Sfu).await;
    let first = join_sfu(&server, "r", "a").await;
    assert_eq!(first.welcome["media_mode"], "sfu");
    let mut mesh_only = server.client().await;
    mesh_only.send(json!({"type": "join", "room": "r", "name": "old", "req": 3})).await;
    let refused = mesh_only.expect_error("sfu_required").await;
    assert_eq!(refused["req"], 3);
    mesh_only.assert_alive().await;
}

#[tokio::test]
async fn a_viewers_sending_offer_to_the_sfu_is_forbidden() {
    let server = server(MediaPolicy::Sfu).await;
    let mut host = join_sfu(&server, "r", "host").await;
    let mut viewer = join_sfu(&server, "r", "viewer").await;
    let sfu = sfu_id(&viewer.welcome);
    let action = json!({"type": "moderate", "action": "set_role", "target": viewer.id, "role": "viewer"});
    host.send(action).await;
    let role = viewer.recv_type("role").await;
    assert_eq!(role["role"], "viewer");
    let sending = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n";
    viewer.send(json!({"type": "signal", "to": sfu, "data": {"kind": "offer", "sdp": sending}, "req": 5})).await;
    let refused = viewer.expect_error("forbidden").await;
    assert_eq!(refused["req"], 5);
}

#[tokio::test]
async fn a_signal_to_a_stale_sfu_id_is_an_unknown_peer_and_layers_in_mesh_are_sfu_unavailable() {
    let server = server(MediaPolicy::Sfu).await;
    let mut gone = join_sfu(&server, "r", "a").await;
    let stale = sfu_id(&gone.welcome);
    gone.send(json!({"type": "leave"})).await;
    gone.expect_close().await;
    // The room closed with its last member: the next one opens a new room, with a new SFU period.
    let mut next = join_sfu(&server, "r", "b").await;
    assert_ne!(sfu_id(&next.welcome), stale);
    next.send(json!({"type": "signal", "to": stale, "data": {"kind": "reset"}, "req": 2})).await;
    next.expect_error("unknown_peer").await;

    let mesh = self::server(MediaPolicy::Mesh).await;
    let mut client = join_sfu(&mesh, "r", "a").await;
    client.send(json!({"type": "layers", "layers": [{"rid": "l", "height": 180, "bitrate": 150000}], "req": 4})).await;
    assert_eq!(client.expect_error("sfu_unavailable").await["req"], 4);
    client.assert_alive().await;
}

#[tokio::test]
async fn media_from_one_client_reaches_another_through_the_sfu_over_the_real_signaling() {
    let server = TestServer::with(|c| {
        c.media_mode = MediaPolicy::Sfu;
        c.api_key_sha256 = Some(sha256_hex(METRICS_KEY));
    })
    .await;
    let publisher = join_sfu(&server, "r", "pub").await;
    let subscriber = join_sfu(&server, "r", "sub").await;
    let mut clients = [Media::offer(publisher, true).await, Media::offer(subscriber, false).await];
    exchange(&mut clients, 10).await;
    let [publisher, subscriber] = &clients;
    assert!(publisher.connected && subscriber.connected, "both clients reached the SFU's UDP port");
    assert!(subscriber.frames[0].is_keyframe(), "the subscriber starts on a key frame");
    assert!(subscriber.frames.iter().all(|f| f.data.len() >= 5), "whole frames arrive");

    // What the operator sees of it: the SFU's series at /metrics.
    let url = HttpUrl::parse(&format!("http://{}/metrics", server.addr)).expect("url");
    let (status, body) =
        call(&Trust::default(), Method::GET, &url, Some(METRICS_KEY), None, common::WAIT).await.expect("/metrics");
    assert_eq!(status.as_u16(), 200, "{body:?}");
    let samples = parse_prometheus(&String::from_utf8_lossy(&body));
    assert_eq!(sample(&samples, "ruang_sfu_participants"), 2.0);
    assert_eq!(sample(&samples, "ruang_sfu_rooms"), 1.0);
    assert!(sample(&samples, r#"ruang_sfu_streams{direction="in"}"#) >= 1.0, "the publisher's video is a stream in");
    assert!(sample(&samples, r#"ruang_sfu_streams{direction="out"}"#) >= 1.0, "the subscriber's copy is a stream out");
    let forwarded = sample(&samples, r#"ruang_sfu_frames_total{direction="out"}"#);
    let received = sample(&samples, r#"ruang_sfu_frames_total{direction="in"}"#);
    assert!(forwarded >= 10.0 && received >= forwarded, "received {received}, forwarded {forwarded}");
    assert!(sample(&samples, r#"ruang_sfu_frame_bytes_total{direction="out"}"#) >= 50.0);
    for direction in ["in", "out"] {
        let bytes = sample(&samples, &format!(r#"ruang_sfu_bytes_total{{direction="{direction}"}}"#));
        let frame_bytes = sample(&samples, &format!(r#"ruang_sfu_frame_bytes_total{{direction="{direction}"}}"#));
        assert!(bytes > frame_bytes, "{direction}: the wire carries more than the payload ({bytes} vs {frame_bytes})");
        assert!(sample(&samples, &format!(r#"ruang_sfu_packets_total{{direction="{direction}"}}"#)) > 0.0);
    }
}

const METRICS_KEY: &str = "sfu-metrics-key";

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn an_answer_the_sfu_cannot_take_makes_it_tell_the_client_to_start_anew() {
    let server = server(MediaPolicy::Sfu).await;
    let ws = join_sfu(&server, "r", "a").await;
    let mut media = Media::offer(ws, false).await;
    let answer = media.ws.recv().await;
    assert_eq!(answer["data"]["kind"], "answer", "the SFU answers the first offer: {answer}");
    // None of the SFU's offers is outstanding, so an answer of this connection cannot be taken.
    let sfu = media.sfu.clone();
    media.ws.signal(&sfu, json!({"kind": "answer", "sdp": media.last_offer.clone()})).await;
    let reset = media.ws.recv().await;
    assert_eq!(reset["type"], "signal", "{reset}");
    assert_eq!(reset["from"], sfu.as_str(), "{reset}");
    assert_eq!(reset["data"]["kind"], "reset", "the client is told to start anew: {reset}");
}

#[tokio::test]
async fn an_answer_of_another_client_connection_is_ignored() {
    let server = server(MediaPolicy::Sfu).await;
    let ws = join_sfu(&server, "r", "a").await;
    let mut media = Media::offer(ws, false).await;
    let answer = media.ws.recv().await;
    assert_eq!(answer["data"]["kind"], "answer", "{answer}");
    // The SFU's own answer stands in for one made by an earlier connection (its ICE ufrag is not ours).
    let stale = answer["data"]["sdp"].as_str().expect("an SDP").to_owned();
    let sfu = media.sfu.clone();
    media.ws.signal(&sfu, json!({"kind": "answer", "sdp": stale})).await;
    // The SFU takes signals in order: had the stale answer cost the session, `reset` would come first.
    media.ws.signal(&sfu, json!({"kind": "offer", "sdp": media.last_offer.clone()})).await;
    let next = media.ws.recv().await;
    assert_eq!(next["data"]["kind"], "answer", "the session goes on: {next}");
}

#[tokio::test]
async fn an_offer_of_a_new_client_connection_replaces_its_sfu_session() {
    let server = server(MediaPolicy::Sfu).await;
    let ws = join_sfu(&server, "r", "a").await;
    let mut first = Media::offer(ws, false).await;
    let answer = first.ws.recv().await;
    assert_eq!(answer["data"]["kind"], "answer", "{answer}");
    // A client told `reset` twice opens a connection each time: the SFU must take the last one's offer as
    // a new session, not as a renegotiation of the one before.
    let mut second = Media::offer(first.ws, false).await;
    let answer = second.ws.recv().await;
    assert_eq!(answer["data"]["kind"], "answer", "the new connection is answered: {answer}");
    second.on_message(answer).await;
    let mut buffer = vec![0u8; 2048];
    let connect = async {
        for _ in 0..10_000 {
            second.drain().await;
            if second.connected {
                return;
            }
            tokio::select! {
                r = second.socket.recv_from(&mut buffer) => {
                    let (len, from) = r.expect("a loopback receive");
                    second.receive(from, &buffer[..len]);
                }
                m = second.ws.recv() => second.on_message(m).await,
                () = tokio::time::sleep_until(second.timeout.into()) => second.fire_timer(),
            }
        }
        panic!("not connected in 10000 rounds");
    };
    tokio::time::timeout(Duration::from_secs(30), connect).await.expect("the new connection reaches the SFU");
}

#[tokio::test]
async fn an_answer_names_the_offer_it_answers_and_an_offer_of_an_ended_connection_is_ignored() {
    let server = server(MediaPolicy::Sfu).await;
    let ws = join_sfu(&server, "r", "a").await;
    let mut first = Media::offer(ws, false).await;
    let first_ufrag = ufrag_of(&first.last_offer);
    let answer = first.ws.recv().await;
    assert_eq!(answer["data"]["kind"], "answer", "{answer}");
    let sdp = answer["data"]["sdp"].as_str().expect("an SDP");
    assert!(
        sdp.contains(&format!("\r\na=ruang-answers:{first_ufrag}\r\nm=")),
        "names our offer, before the media: {sdp}"
    );
    // The client ends that connection; an offer of it that crossed the `reset` comes after.
    let sfu = first.sfu.clone();
    first.ws.signal(&sfu, json!({"kind": "reset"})).await;
    first.ws.signal(&sfu, json!({"kind": "offer", "sdp": first.last_offer.clone()})).await;
    let mut second = Media::offer(first.ws, false).await;
    let next = second.ws.recv().await;
    assert_eq!(next["data"]["kind"], "answer", "{next}");
    let sdp = next["data"]["sdp"].as_str().expect("an SDP");
    assert!(
        sdp.contains(&format!("a=ruang-answers:{}", ufrag_of(&second.last_offer))),
        "the ended connection's offer got no session and no answer: the next answer is the new one's: {sdp}"
    );
}

fn ufrag_of(sdp: &str) -> String {
    sdp.lines().find_map(|l| l.trim_end().strip_prefix("a=ice-ufrag:")).expect("an ICE ufrag").to_owned()
}

#[tokio::test]
async fn after_a_restart_a_client_that_speaks_sfu_is_restored_into_the_sfu_room_as_one() {
    const SECRET: &str = "a test secret that is long enough";
    let start = || {
        TestServer::with(|c| {
            c.secret = Some(ruang_server::config::Secret::new(SECRET));
            c.media_mode = MediaPolicy::Sfu;
        })
    };
    let first = start().await;
    let mut client = join_sfu(&first, "r", "a").await;
    let before = sfu_id(&client.welcome);
    first.shutdown.cancel();
    assert_eq!(client.expect_close().await, 1001);
    first.task.await.expect("server task").expect("server ran");
    let second = start().await;
    let (_back, resumed) = client.resume_on(&second.ws_url(), &client.token()).await;
    assert_eq!(resumed["type"], "resumed", "{resumed}");
    assert_eq!(resumed["media_mode"], "sfu", "the token says the client speaks SFU: {resumed}");
    assert_ne!(sfu_id(&resumed), before, "a new server, a new SFU period");
}

/// An SDP-shaped answer of about `bytes` bytes: an audio section per mid, as an answer to the SFU in a large
/// room carries two per other participant.
fn large_answer(bytes: usize) -> String {
    let mut sdp = String::from("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    let mut mid = 0;
    while sdp.len() < bytes {
        sdp.push_str(&format!("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\na=recvonly\r\n"));
        mid += 1;
    }
    sdp
}

#[tokio::test]
async fn an_sdp_over_max_sdp_bytes_reaches_the_sfu_but_not_a_peer() {
    let server = server(MediaPolicy::Sfu).await;
    let mut a = join_sfu(&server, "r", "a").await;
    let b = join_sfu(&server, "r", "b").await;
    let sfu = sfu_id(&a.welcome);
    let limits = &a.welcome["limits"];
    assert_eq!((limits["max_sdp_bytes"].as_u64(), limits["max_sfu_sdp_bytes"].as_u64()), (Some(32_768), Some(262_144)));
    let sdp = large_answer(100_000);
    assert!(sdp.len() > 32_768 * 3);
    a.send(json!({"type": "signal", "to": sfu, "data": {"kind": "answer", "sdp": sdp}, "req": 5})).await;
    a.send(json!({"type": "ping", "req": 6})).await;
    // The size is checked before the relay hands the signal on, so any refusal for size comes before the pong;
    // the SFU may refuse the answer itself later (it made no offer), which is not this test's concern.
    loop {
        let message = a.recv().await;
        if message["type"] == "pong" && message["req"] == 6 {
            break;
        }
        let code = message["code"].as_str().unwrap_or_default();
        assert!(!matches!(code, "field_too_large" | "frame_too_large"), "{message}");
    }
    a.send(json!({"type": "signal", "to": b.id, "data": {"kind": "answer", "sdp": sdp}, "req": 7})).await;
    // The SFU's own messages (its offer, its word on the answer) may come first.
    let refused = loop {
        let message = a.recv().await;
        if message["req"] == 7 {
            break message;
        }
    };
    assert_eq!((refused["type"].as_str(), refused["code"].as_str()), (Some("error"), Some("field_too_large")));
}
