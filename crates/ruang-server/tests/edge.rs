//! The edge of the server: no connection is held open for free. Slow or idle HTTP clients are closed after
//! the request timeout, one address cannot take every connection, the listener answers 503 beyond its socket
//! budget instead of leaving clients in the accept queue, and `/healthz` keeps answering through each of it.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::{TestServer, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A TCP connection to `server` from the loopback address `from` (127.0.0.0/8 is all loopback on Linux).
async fn connect_from(from: [u8; 4], server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(IpAddr::from(from), 0)).expect("bind");
    tokio::time::timeout(WAIT, socket.connect(server)).await.expect("connect in time").expect("connect")
}

/// Sends `request` and reads the answer until the server closes (bounded by [`WAIT`]).
async fn exchange(stream: &mut TcpStream, request: &str) -> String {
    let _ = stream.write_all(request.as_bytes()).await;
    read_until_closed(stream).await
}

async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(WAIT, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server closed the connection in time");
    String::from_utf8_lossy(&answer).into_owned()
}

fn get(path: &str, server: SocketAddr) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n")
}

async fn health_status(server: &TestServer) -> String {
    let mut stream = connect_from([127, 0, 0, 1], server.addr).await;
    let answer = exchange(&mut stream, &get("/healthz", server.addr)).await;
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_client_sending_its_headers_slowly_is_closed_after_the_timeout() {
    let server = TestServer::with(|c| c.http_timeout_ms = 300).await;
    let mut slow = connect_from([127, 0, 0, 2], server.addr).await;
    slow.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    // One header line every 50 ms never finishes the request; the server must give up on it (bounded).
    let mut closed = false;
    for n in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if slow.write_all(format!("x-line-{n}: y\r\n").as_bytes()).await.is_err() {
            closed = true;
            break;
        }
        let mut byte = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(Duration::from_millis(1), slow.read(&mut byte)).await {
            closed = true;
            break;
        }
    }
    assert!(closed, "a request whose headers never end is closed");
    assert_eq!(health_status(&server).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_timeout() {
    let server = TestServer::with(|c| c.http_timeout_ms = 300).await;
    let mut idle = connect_from([127, 0, 0, 2], server.addr).await;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
    idle.write_all(request.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_request_body_sent_too_slowly_is_answered_408() {
    let server = TestServer::with(|c| {
        c.http_timeout_ms = 300;
        c.api_key_sha256 = Some("0".repeat(64));
    })
    .await;
    let mut slow = connect_from([127, 0, 0, 2], server.addr).await;
    let head = format!(
        "POST /api/invites HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{",
        server.addr
    );
    let answer = exchange(&mut slow, &head).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn one_address_gets_its_share_of_connections_and_others_are_still_served() {
    let server = TestServer::with(|c| c.max_connections_per_address = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from([127, 0, 0, 2], server.addr).await);
    }
    let mut fourth = connect_from([127, 0, 0, 2], server.addr).await;
    let answer = exchange(&mut fourth, &get("/", server.addr)).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    // Another address is served, and the page of the first address works again once it lets go.
    assert_eq!(health_status(&server).await, "HTTP/1.1 200 OK");
    held.pop();
    let mut again = connect_from([127, 0, 0, 2], server.addr).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let answer = exchange(&mut again, &get("/healthz", server.addr)).await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        // The server may not have seen the close yet.
        assert!(tokio::time::Instant::now() < deadline, "{answer}");
        tokio::time::sleep(Duration::from_millis(20)).await;
        again = connect_from([127, 0, 0, 2], server.addr).await;
    }
}

#[tokio::test]
async fn beyond_the_socket_budget_new_connections_get_503_at_once_and_healthz_answers_until_then() {
    // Two WebSocket places and the smallest room for plain HTTP (16 sockets) besides them.
    let server = TestServer::with(|c| {
        c.max_connections = 2;
        c.max_connections_per_address = 4;
    })
    .await;
    let _a = server.client().await;
    let _b = server.client().await;
    let refused = tokio_tungstenite::connect_async(server.ws_url()).await;
    assert!(matches!(refused, Err(tungstenite::Error::Http(ref r)) if r.status() == 503), "{refused:?}");
    assert_eq!(health_status(&server).await, "HTTP/1.1 200 OK", "plain HTTP has room while WebSockets are full");
    // Idle sockets from many addresses spend the rest of the budget; the next connection is answered 503.
    let mut idle = Vec::new();
    for n in 0..16u8 {
        idle.push(connect_from([127, 0, 1 + n / 4, 2 + n % 4], server.addr).await);
    }
    // (A socket of an earlier request may still be on its way out: then the next one takes its place.)
    let mut answers = Vec::new();
    for n in 0..3 {
        let mut over = connect_from([127, 0, 9, 9 + n], server.addr).await;
        let answer = exchange(&mut over, &get("/", server.addr)).await;
        if answer.starts_with("HTTP/1.1 503") {
            return;
        }
        answers.push(answer);
    }
    panic!("never refused with 503: {answers:?}");
}

#[tokio::test]
async fn websockets_through_a_trusted_proxy_count_against_the_forwarded_address() {
    let server = TestServer::with(|c| {
        c.trusted_proxies = vec![IpAddr::from([127, 0, 0, 1])];
        c.max_connections_per_address = 2;
    })
    .await;
    let through_proxy = |client: &'static str| {
        let mut request = server.ws_url().into_client_request().unwrap();
        request.headers_mut().insert("x-forwarded-for", client.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    let _one = through_proxy("198.51.100.7").await.expect("first");
    let _two = through_proxy("198.51.100.7").await.expect("second");
    let refused = through_proxy("198.51.100.7").await;
    assert!(matches!(refused, Err(tungstenite::Error::Http(ref r)) if r.status() == 429), "{refused:?}");
    let _other = through_proxy("198.51.100.8").await.expect("another client behind the proxy");
    // The proxy itself holds more than two connections and is not refused.
    assert_eq!(health_status(&server).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn a_foreign_host_name_is_refused_even_with_a_matching_origin() {
    let server = TestServer::with(|c| c.public_hosts = vec!["meet.example.org".into()]).await;
    let upgrade = |host: &'static str, origin: &'static str| {
        let mut request = server.ws_url().into_client_request().unwrap();
        request.headers_mut().insert("host", host.parse().unwrap());
        request.headers_mut().insert("origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    let rebound = upgrade("attacker.example", "http://attacker.example").await;
    assert!(matches!(rebound, Err(tungstenite::Error::Http(ref r)) if r.status() == 421), "{rebound:?}");
    let mut page = connect_from([127, 0, 0, 1], server.addr).await;
    let answer =
        exchange(&mut page, "GET / HTTP/1.1\r\nHost: attacker.example:8080\r\nConnection: close\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
    assert!(upgrade("meet.example.org", "https://meet.example.org").await.is_ok(), "a configured public host");
    assert!(upgrade("localhost:8080", "http://localhost:8080").await.is_ok(), "localhost");
}

#[tokio::test]
async fn a_request_head_larger_than_the_buffer_is_refused() {
    let server = TestServer::start().await;
    let mut big = connect_from([127, 0, 0, 2], server.addr).await;
    let request = format!("GET / HTTP/1.1\r\nHost: {}\r\nx-padding: {}\r\n\r\n", server.addr, "p".repeat(100_000));
    let answer = exchange(&mut big, &request).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{}", &answer[..answer.len().min(200)]);
}
