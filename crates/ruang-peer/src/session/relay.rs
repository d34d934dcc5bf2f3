//! The room's TURN server for the session: the routes to it the room hands out (`turn:` over UDP, then
//! `turn:` over TCP, then `turns:`, each the first of its kind with credentials), the TURN client on the
//! first that works (a stream route's connection: `turn_stream`), and handing the relayed candidate to
//! every connection once the allocation is there.
//!
//! A route is given up when its allocation fails (over UDP: seven unanswered tries, 3.5 s; over a stream:
//! the connection fails or closes, or the server refuses) before it ever allocated; the next one is tried.
//! The relayed address is UDP whatever the route (RFC 8656 §3.1), so str0m sees no difference. An
//! allocation lost later (its stream closed) is not replaced: the connections that use it fail as they would
//! with a TURN server gone.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ruang_proto::{IceServer, SignalData};
use tokio::net::UdpSocket;

use super::Session;
use super::turn_stream::Stream;
use crate::Event;
use crate::tls::Trust;
use crate::turn::{TurnClient, TurnState};

/// How long looking up the TURN server's name may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// How a route reaches the TURN server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Transport {
    Udp,
    Tcp,
    Tls,
}

/// One way to the room's TURN server, with its credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Route {
    pub transport: Transport,
    pub url: String,
    /// A name or an IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
}

/// A TURN URL's transport, host and port (RFC 7065): `turn:` is UDP unless `?transport=tcp`, `turns:` is
/// TLS on TCP; the default ports are 3478 and 5349. `None` for what we cannot use (`stun:`, DTLS, junk).
pub(super) fn parse_url(url: &str) -> Option<(Transport, String, u16)> {
    let (scheme, rest) = url.split_once(':')?;
    let (address, query) = rest.split_once('?').unwrap_or((rest, ""));
    let tcp = match query {
        "" => None,
        "transport=udp" => Some(false),
        "transport=tcp" => Some(true),
        _ => return None,
    };
    let transport = match (scheme.to_ascii_lowercase().as_str(), tcp) {
        ("turn", None | Some(false)) => Transport::Udp,
        ("turn", Some(true)) => Transport::Tcp,
        ("turns", None | Some(true)) => Transport::Tls,
        _ => return None,
    };
    let default_port = if transport == Transport::Tls { 5349 } else { 3478 };
    let (host, port) = match address.rsplit_once(':') {
        // (an IPv6 address without a port ends with ']')
        Some((host, port)) if !port.ends_with(']') => (host, port.parse().ok()?),
        _ => (address, default_port),
    };
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if host.is_empty() || host.contains(['[', ']', '/', '@']) {
        return None;
    }
    Some((transport, host.to_owned(), port))
}

/// The routes to try, in order: the first `turn:` over UDP with credentials, then over TCP, then `turns:`.
pub(super) fn routes(servers: &[IceServer]) -> Vec<Route> {
    let all: Vec<Route> = servers
        .iter()
        .filter_map(|server| Some((server, server.username.as_ref()?, server.credential.as_ref()?)))
        .flat_map(|(server, username, password)| {
            server.urls.iter().filter_map(move |url| {
                let (transport, host, port) = parse_url(url)?;
                Some(Route {
                    transport,
                    url: url.clone(),
                    host,
                    port,
                    username: username.clone(),
                    password: password.clone(),
                })
            })
        })
        .collect();
    [Transport::Udp, Transport::Tcp, Transport::Tls]
        .iter()
        .filter_map(|t| all.iter().find(|r| r.transport == *t).cloned())
        .collect()
}

/// The TURN client on the route in use.
pub(super) struct Relay {
    pub client: TurnClient,
    route: Route,
    stream: Option<Stream>,
    /// The room's latest list (fresh credentials), and how many of its routes were tried.
    servers: Vec<IceServer>,
    tried: usize,
    allocated_once: bool,
    trust: Trust,
    /// The address family our UDP socket can reach (a UDP route must be of it).
    ipv4: bool,
}

impl Relay {
    /// A TURN client on the first route of `servers` that can be started, if any.
    pub async fn start(servers: &[IceServer], local: SocketAddr, trust: &Trust, now: Instant) -> Option<Relay> {
        let routes = routes(servers);
        for (i, route) in routes.iter().enumerate() {
            if let Some((client, stream)) = open(route, local.is_ipv4(), trust, now).await {
                return Some(Relay {
                    client,
                    route: route.clone(),
                    stream,
                    servers: servers.to_vec(),
                    tried: i + 1,
                    allocated_once: false,
                    trust: trust.clone(),
                    ipv4: local.is_ipv4(),
                });
            }
        }
        None
    }

    /// The TURN server's address if the route is UDP: datagrams from it are for the client.
    pub fn udp_server(&self) -> Option<SocketAddr> {
        (self.route.transport == Transport::Udp).then(|| self.client.server())
    }

    /// New credentials from the room (`ice_servers`), for the route in use and those not tried yet.
    pub fn set_credentials(&mut self, servers: &[IceServer]) {
        if let Some(route) = routes(servers).into_iter().find(|r| r.url == self.route.url) {
            self.client.set_credentials(route.username, route.password);
        }
        self.servers = servers.to_vec();
    }

    /// Sends what the client has for the server: on the shared UDP socket, or into the stream (dropped when
    /// its queue is full, as a datagram would be).
    pub async fn flush(&mut self, socket: &UdpSocket) {
        let server = self.client.server();
        while let Some(message) = self.client.poll_transmit() {
            match &self.stream {
                Some(stream) => stream.send(message),
                None => {
                    let _ = socket.send_to(&message, server).await;
                }
            }
        }
    }

    /// The next frame from the stream; pending forever over UDP. `None`: the stream is closed.
    pub async fn next_frame(relay: &mut Option<Relay>) -> Option<Vec<u8>> {
        match relay.as_mut().and_then(|r| r.stream.as_mut()) {
            Some(stream) => stream.next_frame().await,
            None => std::future::pending().await,
        }
    }

    /// The stream closed: the allocation on it is gone.
    pub fn stream_closed(&mut self) {
        tracing::warn!(url = %self.route.url, "turn: the connection to the TURN server closed");
        self.stream = None;
        self.client.lost();
    }

    /// Time passes: the client's retries and refreshes; a route that failed before allocating gives way to
    /// the next.
    pub async fn tick(&mut self, now: Instant) {
        self.client.tick(now);
        match self.client.state() {
            TurnState::Allocated(_) => self.allocated_once = true,
            TurnState::Failed if !self.allocated_once => {
                let routes = routes(&self.servers);
                while let Some(route) = routes.get(self.tried) {
                    self.tried += 1;
                    tracing::debug!(failed = %self.route.url, next = %route.url, "turn: trying the next route");
                    if let Some((client, stream)) = open(route, self.ipv4, &self.trust, now).await {
                        self.client = client;
                        self.stream = stream;
                        self.route = route.clone();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
}

/// A TURN client on `route`: over UDP, the server's address of our family; over TCP or TLS, a task that
/// connects (in the background: the client's first message waits in the queue) and carries the stream.
async fn open(route: &Route, ipv4: bool, trust: &Trust, now: Instant) -> Option<(TurnClient, Option<Stream>)> {
    let addresses = tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((route.host.as_str(), route.port)))
        .await
        .ok()?
        .ok()?;
    let (username, password) = (route.username.clone(), route.password.clone());
    if route.transport == Transport::Udp {
        let server = addresses.into_iter().find(|a| a.is_ipv4() == ipv4)?;
        tracing::debug!(%server, "turn: allocating over UDP");
        return Some((TurnClient::new(server, username, password, now), None));
    }
    let server = addresses.into_iter().next()?;
    tracing::debug!(%server, transport = ?route.transport, "turn: allocating over a stream");
    let tls = (route.transport == Transport::Tls).then(|| (route.host.clone(), trust.clone()));
    Some((TurnClient::over_stream(server, username, password, now), Some(Stream::connect(server, tls))))
}

impl Session {
    /// A message from the TURN server: what a peer relayed to us goes to its connection, as sent from the
    /// peer to our relayed address.
    pub(super) fn on_turn_message(&mut self, message: &[u8], now: Instant) {
        let Some(turn) = self.relay.as_mut() else { return };
        let (Some((peer, payload)), Some(relay)) = (turn.client.handle(message, now), self.candidates.relay) else {
            return;
        };
        if let Some(link) = self.links.values_mut().find(|l| l.accepts(now, peer, relay, &payload)) {
            link.receive(now, peer, relay, &payload);
        }
    }

    /// Once the TURN allocation is there: every connection gets the relayed candidate (trickled to the peer);
    /// the event that says so, the first time.
    pub(super) fn use_relay(&mut self) -> Option<Event> {
        let turn = self.relay.as_ref()?;
        let TurnState::Allocated(relay) = turn.client.state() else { return None };
        if self.candidates.relay.is_some() {
            return None;
        }
        let url = turn.route.url.clone();
        self.candidates.relay = Some(relay);
        for link in self.links.values_mut() {
            if let Some(candidate) = link.add_relay(relay, self.candidates.local) {
                self.outbox.push((link.peer, SignalData::Candidate { candidate }));
            }
        }
        Some(Event::Relayed { url, address: relay })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_urls_as_rfc_7065_writes_them() {
        let t = parse_url;
        assert_eq!(t("turn:10.0.0.1:3479?transport=udp"), Some((Transport::Udp, "10.0.0.1".into(), 3479)));
        assert_eq!(t("turn:turn.example"), Some((Transport::Udp, "turn.example".into(), 3478)));
        assert_eq!(t("turn:[::1]:4000?transport=tcp"), Some((Transport::Tcp, "::1".into(), 4000)));
        assert_eq!(t("turn:[::1]?transport=tcp"), Some((Transport::Tcp, "::1".into(), 3478)));
        assert_eq!(t("turns:turn.example"), Some((Transport::Tls, "turn.example".into(), 5349)));
        assert_eq!(t("turns:turn.example:443?transport=tcp"), Some((Transport::Tls, "turn.example".into(), 443)));
        for bad in [
            "stun:stun.example:3478",
            "turns:turn.example?transport=udp",
            "turn:host:3478?transport=sctp",
            "turn:host:port",
            "turn::3478",
            "turn:[::1",
            "turn:user@host",
            "",
        ] {
            assert_eq!(parse_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn routes_go_udp_then_tcp_then_tls_and_need_credentials() {
        let server = |urls: &[&str], creds: bool| IceServer {
            urls: urls.iter().map(|u| (*u).to_owned()).collect(),
            username: creds.then(|| "u".to_owned()),
            credential: creds.then(|| "p".to_owned()),
        };
        let servers = [
            server(&["turn:a:1?transport=udp"], false),
            server(&["stun:s:3478"], false),
            server(&["turns:t:5349?transport=tcp", "turn:t:3478?transport=tcp", "turn:t:3478?transport=udp"], true),
            server(&["turn:later:3478"], true),
        ];
        let got: Vec<(Transport, String)> = routes(&servers).into_iter().map(|r| (r.transport, r.url)).collect();
        assert_eq!(
            got,
            vec![
                (Transport::Udp, "turn:t:3478?transport=udp".to_owned()),
                (Transport::Tcp, "turn:t:3478?transport=tcp".to_owned()),
                (Transport::Tls, "turns:t:5349?transport=tcp".to_owned()),
            ]
        );
        assert!(routes(&[server(&["stun:s"], true)]).is_empty());
    }
}
