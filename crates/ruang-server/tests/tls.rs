//! HTTPS and WSS with rustls: a certificate from files serves the app and the WebSocket, and a
//! self-signed certificate made at start is served with the fingerprint the server reports.

mod common;

use std::sync::Arc;

use common::TestServer;
use futures_util::{SinkExt, StreamExt};
use ruang_server::client::{HttpUrl, Method, Trust, call};
use ruang_server::tls::TlsConfig;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::{TlsConnector, rustls};
use tokio_tungstenite::tungstenite::Message;

struct CertFiles {
    dir: std::path::PathBuf,
    der: CertificateDer<'static>,
    /// Removes `dir` when dropped, passed or failed.
    _tmp: tempfile::TempDir,
}

fn write_cert(tag: &str) -> CertFiles {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let tmp = tempfile::Builder::new().prefix(&format!("ruang-tls-{tag}-")).tempdir().unwrap();
    let dir = tmp.path().to_owned();
    std::fs::write(dir.join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    CertFiles { dir, der: certified.cert.der().clone(), _tmp: tmp }
}

async fn tls_connect(
    addr: std::net::SocketAddr,
    trusted: &CertificateDer<'static>,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(config)).connect(name, tcp).await.expect("TLS handshake with the trusted certificate")
}

#[tokio::test]
async fn https_serves_the_app_and_wss_carries_the_protocol() {
    let files = write_cert("files");
    let (cert, key) = (files.dir.join("cert.pem"), files.dir.join("key.pem"));
    let server =
        TestServer::with(move |c| c.tls = TlsConfig { cert: Some(cert), key: Some(key), ..TlsConfig::default() }).await;

    let mut https = tls_connect(server.addr, &files.der).await;
    https.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    https.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{}", &response[..response.len().min(200)]);
    assert!(response.to_ascii_lowercase().contains("content-security-policy: default-src 'self'"));
    assert!(response.contains("<html"), "the web client's page is served");

    let wss = tls_connect(server.addr, &files.der).await;
    let (mut ws, _) = tokio_tungstenite::client_async("wss://localhost/ws", wss).await.expect("WebSocket over TLS");
    ws.send(Message::text(r#"{"type":"join","room":"secure","name":"t"}"#)).await.unwrap();
    let Some(Ok(Message::Text(welcome))) = ws.next().await else { panic!("no welcome") };
    assert!(welcome.contains(r#""type":"welcome""#), "{welcome}");
}

#[tokio::test]
async fn a_plain_client_cannot_talk_to_a_tls_port() {
    let files = write_cert("plain");
    let (cert, key) = (files.dir.join("cert.pem"), files.dir.join("key.pem"));
    let server =
        TestServer::with(move |c| c.tls = TlsConfig { cert: Some(cert), key: Some(key), ..TlsConfig::default() }).await;
    let plain = tokio_tungstenite::connect_async(server.ws_url()).await;
    assert!(plain.is_err(), "plain ws:// to a TLS port must fail");
    // The server still serves TLS clients after the garbage handshake.
    let _ = tls_connect(server.addr, &files.der).await;
}

#[tokio::test]
async fn a_self_signed_server_serves_the_app_and_wss_under_its_printed_fingerprint() {
    let tls = ruang_server::tls::prepare(&TlsConfig { self_signed: true, ..TlsConfig::default() }).unwrap().unwrap();
    let fingerprint = tls.fingerprint.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ruang_server::ServerConfig::default();
    config.turn.enabled = false;
    config.sfu_listen = Some("127.0.0.1:0".parse().expect("address"));
    let shutdown = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(ruang_server::serve(listener, config, Some(tls), shutdown.clone()));

    // Believed by its printed fingerprint alone, as a person comparing it with the browser's warning would.
    let client = Trust::pinned(&fingerprint).unwrap().client_config().unwrap();
    let connector = TlsConnector::from(client);
    let name = ServerName::try_from("localhost").unwrap();

    let mut https = connector.connect(name.clone(), TcpStream::connect(addr).await.unwrap()).await.unwrap();
    https.write_all(b"GET /r/lan-room HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    https.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200") && response.contains("<html"),
        "{}",
        &response[..response.len().min(200)]
    );

    let wss = connector.connect(name, TcpStream::connect(addr).await.unwrap()).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async("wss://localhost/ws", wss).await.unwrap();
    ws.send(Message::text(r#"{"type":"join","room":"lan","name":"t"}"#)).await.unwrap();
    let Some(Ok(Message::Text(welcome))) = ws.next().await else { panic!("no welcome") };
    assert!(welcome.contains(r#""type":"welcome""#), "{welcome}");
    shutdown.cancel();
    drop(ws);
    server.await.unwrap().unwrap();
}

#[test]
fn a_self_signed_certificate_is_made_with_a_fingerprint() {
    let tls = ruang_server::tls::prepare(&TlsConfig { self_signed: true, ..TlsConfig::default() }).unwrap().unwrap();
    assert!(tls.self_signed);
    assert_eq!(tls.fingerprint.len(), 32 * 3 - 1, "{}", tls.fingerprint);
    let half = TlsConfig { cert: Some("cert.pem".into()), ..TlsConfig::default() };
    assert!(ruang_server::tls::prepare(&half).is_err(), "a certificate without a key is an error");
    assert!(ruang_server::tls::prepare(&TlsConfig::default()).unwrap().is_none());
}

fn tls_files_config(files: &CertFiles) -> TlsConfig {
    TlsConfig { cert: Some(files.dir.join("cert.pem")), key: Some(files.dir.join("key.pem")), ..TlsConfig::default() }
}

async fn silent_socket_from(from: [u8; 4], server: std::net::SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::from((from, 0))).unwrap();
    socket.connect(server).await.unwrap()
}

#[tokio::test]
async fn sockets_that_never_send_a_hello_do_not_hold_up_anyone_elses_handshake() {
    let files = write_cert("silent");
    let config = tls_files_config(&files);
    // A long deadline: the silent sockets are not closed by it during the test.
    let server = TestServer::with(move |c| {
        c.tls = config;
        c.http_timeout_ms = 60_000;
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..520 {
        silent.push(silent_socket_from([127, 0, 0, 2], server.addr).await);
    }
    let handshake = tokio::time::timeout(std::time::Duration::from_secs(5), tls_connect(server.addr, &files.der)).await;
    assert!(handshake.is_ok(), "another address completes its handshake while 520 sockets stay silent");
}

#[tokio::test]
async fn silent_sockets_from_many_addresses_do_not_hold_up_a_newcomers_handshake() {
    let files = write_cert("silent-many");
    let config = tls_files_config(&files);
    let server = TestServer::with(move |c| {
        c.tls = config;
        c.http_timeout_ms = 60_000;
    })
    .await;
    // 65 addresses with 8 silent sockets each: more than the 512 handshake slots.
    let mut silent = Vec::new();
    for n in 0..520u32 {
        silent.push(silent_socket_from([127, 0, 2, 1 + (n / 8) as u8], server.addr).await);
    }
    let handshake = tokio::time::timeout(std::time::Duration::from_secs(5), tls_connect(server.addr, &files.der)).await;
    assert!(handshake.is_ok(), "a newcomer takes a slot from an address holding several");
}

#[tokio::test]
async fn a_silent_socket_is_closed_at_the_handshake_deadline() {
    let files = write_cert("deadline");
    let config = tls_files_config(&files);
    let server = TestServer::with(move |c| {
        c.tls = config;
        c.http_timeout_ms = 300;
    })
    .await;
    let mut silent = silent_socket_from([127, 0, 0, 2], server.addr).await;
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), silent.read(&mut byte)).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "closed at the deadline: {read:?}");
}

#[tokio::test]
async fn a_plain_http_page_cannot_open_a_session_over_tls() {
    let files = write_cert("scheme");
    let config = tls_files_config(&files);
    let server = TestServer::with(move |c| c.tls = config).await;
    let upgrade = |origin: &'static str| {
        let der = files.der.clone();
        async move {
            let wss = tls_connect(server.addr, &der).await;
            let mut request =
                tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request("wss://localhost/ws")
                    .unwrap();
            request.headers_mut().insert("origin", origin.parse().unwrap());
            tokio_tungstenite::client_async(request, wss).await.map(|_| ())
        }
    };
    let refused = upgrade("http://localhost").await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 403),
        "{refused:?}"
    );
    assert!(upgrade("https://localhost").await.is_ok(), "the https page of the same host may");
}

#[tokio::test]
async fn the_client_believes_an_https_server_by_a_ca_file_or_a_pinned_fingerprint_and_nothing_else() {
    let files = write_cert("client");
    let server = TestServer::with({
        let config = tls_files_config(&files);
        move |c| c.tls = config
    })
    .await;
    let by_name = HttpUrl::parse(&format!("https://localhost:{}/healthz", server.addr.port())).unwrap();
    let by_ip = HttpUrl::parse(&format!("https://{}/healthz", server.addr)).unwrap();
    let get =
        |trust: Trust, url: HttpUrl| async move { call(&trust, Method::GET, &url, None, None, common::WAIT).await };

    let ca_file = files.dir.join("cert.pem");
    let (status, body) =
        get(Trust::system(Some(&ca_file)).unwrap(), by_name.clone()).await.expect("trusted by the CA file");
    assert_eq!(status.as_u16(), 200, "{body:?}");
    use sha2::Digest;
    let fingerprint: String = sha2::Sha256::digest(files.der.as_ref()).iter().map(|b| format!("{b:02X}")).collect();
    let (status, _) = get(Trust::pinned(&fingerprint).unwrap(), by_ip.clone()).await.expect("pinned");
    assert_eq!(status.as_u16(), 200);

    let unknown = get(Trust::system(None).unwrap(), by_name.clone()).await;
    assert!(matches!(&unknown, Err(ruang_server::client::ClientError::Tls(_))), "{unknown:?}");
    let wrong = get(Trust::pinned(&"AB".repeat(32)).unwrap(), by_ip.clone()).await;
    assert!(matches!(&wrong, Err(ruang_server::client::ClientError::Tls(why)) if why.contains("pinned")), "{wrong:?}");
    let plain_only = get(Trust::default(), by_ip).await;
    assert!(matches!(&plain_only, Err(ruang_server::client::ClientError::Tls(_))), "{plain_only:?}");
    assert!(Trust::system(Some(&files.dir.join("key.pem"))).is_err(), "a key file is not a CA file");
}
