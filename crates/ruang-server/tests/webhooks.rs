//! Webhooks over real sockets: a test receiver on loopback gets every room and participant event, signed
//! with the configured secret; an event a receiver refuses is sent again; a receiver that never answers
//! holds up no room, and what its queue cannot hold is dropped and counted.

mod common;

use std::collections::HashMap;

use common::{TestServer, WAIT};
use ruang_server::client::{HttpUrl, Method, Trust, call};
use ruang_server::config::Secret;
use ruang_server::webhooks::signature;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const SECRET: &str = "a webhook secret for tests";

/// One POST as the receiver read it.
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A webhook receiver on loopback that answers every request with 200 and passes it on.
async fn receiver() -> (String, mpsc::Receiver<Received>) {
    refusing_receiver(0).await
}

/// A webhook receiver on loopback that answers its first `refusals` requests with 503, every later one
/// with 200, and passes each on.
async fn refusing_receiver(refusals: usize) -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hooks/ruang", listener.local_addr().expect("addr"));
    let (sender, received) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut requests = 0;
        while let Ok((stream, _)) = listener.accept().await {
            // The server POSTs one event at a time per receiver, so connections come in request order.
            requests += 1;
            let answer: &[u8] = match requests <= refusals {
                true => b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                false => b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            };
            let sender = sender.clone();
            tokio::spawn(async move {
                if let Some((request, mut stream)) = read_request(stream).await {
                    let _ = stream.write_all(answer).await;
                    let _ = sender.send(request).await;
                }
            });
        }
    });
    (url, received)
}

/// Reads one HTTP/1.1 request with a `content-length` body (bounded, as the test's own input).
async fn read_request<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) -> Option<(Received, S)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let read = tokio::time::timeout(WAIT, stream.read(&mut chunk)).await.ok()?.ok()?;
        if read == 0 || buffer.len() > 1 << 20 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.lines();
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length")?.parse().ok()?;
    while buffer.len() < head_end + length {
        let read = tokio::time::timeout(WAIT, stream.read(&mut chunk)).await.ok()?.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = buffer[head_end..head_end + length].to_vec();
    Some((Received { path, headers, body }, stream))
}

/// The next event, its signature checked; `(event, participant name or null)`.
async fn next_event(received: &mut mpsc::Receiver<Received>) -> Value {
    let request = tokio::time::timeout(WAIT, received.recv()).await.expect("an event in time").expect("receiver up");
    assert_eq!(request.path, "/hooks/ruang");
    assert_eq!(request.headers.get("content-type").map(String::as_str), Some("application/json"));
    let header = request.headers.get(signature::HEADER).expect("signed");
    let timestamp = signature::verify(SECRET.as_bytes(), header, &request.body).expect("a valid signature");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    assert!(timestamp.abs_diff(now) < 600, "a current timestamp");
    assert_eq!(signature::verify(b"another secret entirely", header, &request.body), None);
    serde_json::from_slice(&request.body).expect("JSON body")
}

fn webhooks_to(url: &str, queue: usize) -> impl FnOnce(&mut ruang_server::ServerConfig) + '_ {
    move |config| {
        config.webhooks.urls = vec![url.to_owned()];
        config.webhooks.secret = Some(Secret::new(SECRET));
        config.webhooks.queue = queue;
        config.api_key_sha256 = Some(key_sha256());
    }
}

fn key_sha256() -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b"key").iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn room_and_participant_events_arrive_signed() {
    let (url, mut received) = receiver().await;
    let server = TestServer::with(webhooks_to(&url, 64)).await;
    let mut a = server.joined("hooked", "Ayu").await;
    let started = next_event(&mut received).await;
    assert_eq!(started["event"], "room_started");
    assert_eq!(started["room"], "hooked");
    let joined = next_event(&mut received).await;
    assert_eq!(joined["event"], "participant_joined");
    assert_eq!(joined["participant"], json!({"id": a.id, "name": "Ayu", "role": "host"}));

    let mut b = server.joined("hooked", "Budi").await;
    let joined = next_event(&mut received).await;
    assert_eq!(
        (joined["event"].as_str(), joined["participant"]["name"].as_str()),
        (Some("participant_joined"), Some("Budi"))
    );
    a.recv_type("peer_joined").await;
    b.send(json!({"type": "leave"})).await;
    let left = next_event(&mut received).await;
    assert_eq!(
        (left["event"].as_str(), left["participant"]["id"].as_str()),
        (Some("participant_left"), Some(b.id.as_str()))
    );
    a.send(json!({"type": "leave"})).await;
    assert_eq!(next_event(&mut received).await["event"], "participant_left");
    let ended = next_event(&mut received).await;
    assert_eq!((ended["event"].as_str(), ended["room"].as_str()), (Some("room_ended"), Some("hooked")));
    assert!(ended["id"].as_str().is_some_and(|id| id.len() == 32) && ended["id"] != started["id"]);
}

/// An event the receiver refuses (503) is sent again, with the same id and a valid signature, and counted
/// as delivered once taken.
#[tokio::test]
async fn a_refused_event_is_sent_again_until_it_is_taken() {
    let (url, mut received) = refusing_receiver(2).await;
    let server = TestServer::with(webhooks_to(&url, 64)).await;
    let _a = server.joined("retried", "a").await;
    let first = next_event(&mut received).await;
    assert_eq!(first["event"], "room_started");
    // Retried after 1 s and 3 s more (deliver.rs): the same event, while the room goes on.
    for _ in 0..2 {
        let again = next_event(&mut received).await;
        assert_eq!((&again["event"], &again["id"]), (&first["event"], &first["id"]), "the same event again");
    }
    assert_eq!(next_event(&mut received).await["event"], "participant_joined");
    let url = HttpUrl::parse(&format!("http://{}/metrics", server.addr)).expect("url");
    let (_, body) = call(&Trust::default(), Method::GET, &url, Some("key"), None, WAIT).await.expect("metrics");
    let text = String::from_utf8_lossy(&body);
    assert!(text.lines().any(|line| line == "ruang_webhooks_failed_total 0"), "nothing given up:\n{text}");
    // room_started was taken before participant_joined was sent (one event at a time).
    let delivered = text.lines().find_map(|line| line.strip_prefix("ruang_webhooks_delivered_total "));
    assert!(delivered.and_then(|value| value.parse::<f64>().ok()).is_some_and(|n| n >= 1.0), "{text}");
}

/// A receiver that accepts connections and never answers (nor reads).
async fn stuck_receiver() -> (String, mpsc::Receiver<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/stuck", listener.local_addr().expect("addr"));
    let (held, connections) = mpsc::channel(64);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            // Kept open and unread until the test ends.
            if held.send(stream).await.is_err() {
                return;
            }
        }
    });
    (url, connections)
}

#[tokio::test]
async fn a_stuck_receiver_never_holds_up_a_room_and_its_overflow_is_counted() {
    let (url, mut connections) = stuck_receiver().await;
    let server = TestServer::with(webhooks_to(&url, 2)).await;
    let mut a = server.joined("busy", "a").await;
    // The delivery task is now waiting on the stuck receiver with the first event.
    let _stuck = tokio::time::timeout(WAIT, connections.recv()).await.expect("the webhook connects").expect("open");
    // Everything a room does goes on: joins, chat, leaves, more joins than the queue holds events for.
    let mut others = Vec::new();
    for name in ["b", "c", "d", "e"] {
        let mut other = server.joined("busy", name).await;
        a.recv_type("peer_joined").await;
        other.send(json!({"type": "chat", "text": format!("hello from {name}")})).await;
        assert_eq!(a.recv_type("chat").await["text"], format!("hello from {name}"));
        others.push(other);
    }
    for mut other in others {
        other.send(json!({"type": "leave"})).await;
        a.recv_type("peer_left").await;
    }
    a.assert_alive().await;
    // 1 room_started + 5 joins + 4 leaves: one is being delivered, two wait, the rest were dropped.
    let url = HttpUrl::parse(&format!("http://{}/metrics", server.addr)).expect("url");
    let (_, body) = call(&Trust::default(), Method::GET, &url, Some("key"), None, WAIT).await.expect("metrics");
    let text = String::from_utf8_lossy(&body);
    let dropped = text
        .lines()
        .find_map(|line| line.strip_prefix("ruang_webhooks_dropped_total "))
        .and_then(|value| value.parse::<f64>().ok())
        .expect("the dropped counter");
    assert!(dropped >= 7.0, "dropped {dropped}:\n{text}");
}

/// A webhook receiver over TLS on `localhost`, with a certificate of its own; returns its URL, the
/// certificate as PEM (the CA file to trust it by), and what it receives.
async fn tls_receiver() -> (String, String, mpsc::Receiver<Received>) {
    use tokio_rustls::rustls;
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("https://localhost:{}/hooks/ruang", listener.local_addr().expect("addr").port());
    let (sender, received) = mpsc::channel(64);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (sender, acceptor) = (sender.clone(), acceptor.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else { return };
                if let Some((request, mut stream)) = read_request(stream).await {
                    let _ =
                        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                    let _ = stream.shutdown().await;
                    let _ = sender.send(request).await;
                }
            });
        }
    });
    (url, certified.cert.pem(), received)
}

#[tokio::test]
async fn an_https_receiver_trusted_by_the_configured_ca_gets_signed_events() {
    let (url, pem, mut received) = tls_receiver().await;
    // removed, passed or failed, when dropped at the end
    let ca = tempfile::Builder::new().prefix("ruang-webhook-ca-").suffix(".pem").tempfile().expect("CA file");
    std::fs::write(ca.path(), pem).expect("write the CA file");
    let server = TestServer::with({
        let ca = ca.path().to_owned();
        move |config| {
            webhooks_to(&url, 64)(config);
            config.webhooks.ca = Some(ca);
        }
    })
    .await;
    let _a = server.joined("over-tls", "Ayu").await;
    let started = next_event(&mut received).await;
    assert_eq!((started["event"].as_str(), started["room"].as_str()), (Some("room_started"), Some("over-tls")));
    assert_eq!(next_event(&mut received).await["event"], "participant_joined");
}

#[test]
fn a_webhook_ca_file_that_holds_no_certificate_is_a_configuration_error() {
    // removed, passed or failed, when dropped at the end
    let not_pem = tempfile::Builder::new().prefix("ruang-webhook-not-ca-").suffix(".pem").tempfile().expect("file");
    std::fs::write(not_pem.path(), "not a certificate").expect("write");
    let mut config = ruang_server::webhooks::WebhookConfig {
        urls: vec!["https://hooks.example.test/ruang".into()],
        secret: Some(Secret::new(SECRET)),
        ..Default::default()
    };
    assert_eq!(config.check(), Ok(()));
    config.ca = Some(not_pem.path().to_owned());
    let error = config.check().expect_err("refused");
    assert!(error.starts_with("webhooks.ca:") && error.contains("no certificate"), "{error}");
}
