//! The embedded web client over a real socket: gzip when the browser takes it, the same bytes when
//! decompressed, an `ETag` that turns a returning browser's request into a bodiless 304, and the page with
//! its module preloads.

mod common;

use std::io::Read;

use common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One GET with `extra` header lines; the status, the headers (lower-case names) and the body.
async fn get(server: &TestServer, path: &str, extra: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    tokio::time::timeout(common::WAIT, stream.read_to_end(&mut raw)).await.expect("in time").expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers, raw[split..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// A `Transfer-Encoding: chunked` body, unchunked (hyper chunks what it streams).
fn unchunk(headers: &[(String, String)], body: Vec<u8>) -> Vec<u8> {
    if header(headers, "transfer-encoding") != Some("chunked") {
        return body;
    }
    let (mut out, mut rest) = (Vec::new(), &body[..]);
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..end]).expect("size"), 16).expect("hex size");
        if size == 0 {
            break;
        }
        out.extend_from_slice(&rest[end + 2..end + 2 + size]);
        rest = &rest[end + 2 + size + 2..];
    }
    out
}

#[tokio::test]
async fn javascript_comes_gzipped_to_a_browser_that_takes_it_and_plain_to_one_that_does_not() {
    let server = TestServer::start().await;
    let (status, plain_headers, plain) = get(&server, "/js/app.js", "").await;
    assert_eq!(status, 200);
    assert_eq!(header(&plain_headers, "content-encoding"), None);
    let plain = unchunk(&plain_headers, plain);
    assert!(String::from_utf8_lossy(&plain).contains("import"), "the module itself");

    let (status, headers, body) = get(&server, "/js/app.js", "Accept-Encoding: gzip, deflate, br\r\n").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(header(&headers, "vary"), Some("Accept-Encoding"));
    let body = unchunk(&headers, body);
    assert!(body.len() * 2 < plain.len(), "{} compressed of {}", body.len(), plain.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut unzipped).expect("gzip");
    assert_eq!(unzipped, plain, "the same module");
    assert_eq!(header(&headers, "etag"), header(&plain_headers, "etag"), "one tag for one content");
}

#[tokio::test]
async fn a_returning_browser_revalidates_with_its_etag_and_gets_a_304_without_a_body() {
    let server = TestServer::start().await;
    let (_, headers, _) = get(&server, "/r/standup", "").await;
    let etag = header(&headers, "etag").expect("an ETag").to_owned();
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"), "always revalidated");
    let (status, again, body) = get(&server, "/r/other-room", &format!("If-None-Match: {etag}\r\n")).await;
    assert_eq!(status, 304, "the page is the same for every room");
    assert_eq!(header(&again, "etag"), Some(etag.as_str()));
    assert!(body.is_empty());
    let (status, _, _) = get(&server, "/js/app.js", &format!("If-None-Match: {etag}\r\n")).await;
    assert_eq!(status, 200, "another file's tag does not match");
    let (status, _, _) = get(&server, "/js/nope.js", "").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_page_loads_the_client_as_one_script_and_one_stylesheet() {
    let server = TestServer::start().await;
    let (status, headers, body) = get(&server, "/r/standup", "").await;
    assert_eq!(status, 200);
    let page = String::from_utf8(unchunk(&headers, body)).expect("UTF-8");
    assert_eq!(page.matches("<script").count(), 1, "{page}");
    assert!(page.contains("<script type=\"module\" src=\"/js/app.linked.js\"></script>"), "{page}");
    assert_eq!(page.matches("rel=\"stylesheet\"").count(), 1, "{page}");
    assert!(page.contains("<link rel=\"stylesheet\" href=\"/css/app.bundle.css\">"), "{page}");
    let (status, headers, body) = get(&server, "/js/app.linked.js", "").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("text/javascript; charset=utf-8"));
    let script = String::from_utf8(unchunk(&headers, body)).expect("UTF-8");
    assert!(script.contains("__ruang.define('/js/ui/call.js'") && script.ends_with("__ruang.run('/js/app.js');\n"));
    let (status, headers, body) = get(&server, "/css/app.bundle.css", "").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("text/css; charset=utf-8"));
    assert!(String::from_utf8(unchunk(&headers, body)).is_ok_and(|css| css.starts_with("/* /css/base.css */")));
    // the modules themselves are still served (the client is plain modules: the source works unlinked)
    let (status, _, _) = get(&server, "/js/ui/call.js", "").await;
    assert_eq!(status, 200);
}
