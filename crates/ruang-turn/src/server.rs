//! The built-in STUN/TURN server: UDP and TCP listeners, REST-credential authentication, the peer filter,
//! and the URLs clients are given. Built on `medea-turn`; see the crate's commit for why.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use medea_turn::{AuthHandler, relay::Allocator};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use crate::TurnSecret;
use crate::allocations::AllocationLimits;
use crate::gate::{Gate, GateConfig, TurnStats};
use crate::peers::PeerPolicy;
use crate::tcp::GatedTcp;
use crate::udp::GatedUdp;

/// How long a channel binding lasts (RFC 8656 section 12).
const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);

/// Distinct peer IPs one allocation may hold permissions for (508 beyond); a call needs a handful.
const PERMISSIONS_PER_ALLOCATION: usize = 64;

/// Channels one allocation may bind (508 beyond).
const CHANNELS_PER_ALLOCATION: usize = 64;

/// Settings of the built-in STUN/TURN server (`[turn]` in the TOML file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TurnConfig {
    /// Run it.
    pub enabled: bool,
    /// Address for UDP and TCP; `None` means the HTTP listen address with port 3478.
    pub listen: Option<SocketAddr>,
    /// The address clients reach it at; `None` detects it (the listen address, or on a wildcard listen
    /// address the address of the interface with the default route).
    pub public_ip: Option<IpAddr>,
    /// Lowest relay port.
    pub relay_port_min: u16,
    /// Highest relay port.
    pub relay_port_max: u16,
    /// Relay to private and link-local peers too (LAN deployments only; loopback and the server itself
    /// stay refused).
    pub allow_private_peers: bool,
    /// Shared secret for credentials; `None` makes a random one at start (credentials then do not survive a
    /// restart). Set it to share credentials with other nodes or an external coturn.
    pub secret: Option<String>,
    /// The TURN realm.
    pub realm: String,
    /// Live relay allocations one participant may hold.
    pub allocations_per_participant: usize,
    /// Live relay allocations the whole server may hold (508 beyond), like coturn's `total-quota`; each
    /// holds a UDP socket, so keep it well under the process's open-file limit.
    pub max_allocations: usize,
    /// Address for TURN over TLS (`turns:`, usually port 5349); needs the server's TLS certificate.
    pub tls_listen: Option<SocketAddr>,
    /// Host name for `turns:` URLs, matching the certificate [default: the public IP].
    pub tls_host: Option<String>,
    /// Relay bandwidth of one allocation in each direction, bits per second (0: unlimited); datagrams
    /// beyond it are dropped. Like coturn's `max-bps`.
    pub max_bps: u64,
    /// Relay bandwidth of the whole server in each direction, bits per second (0: unlimited). Like
    /// coturn's `bps-capacity`.
    pub total_bps: u64,
    /// Seconds a TURN-over-TCP (or TLS) connection may stay idle, nothing received or sent, before it is
    /// closed.
    pub tcp_idle_timeout_secs: u64,
    /// Exact addresses of this host's media services to relay to (the SFU's advertised address and port),
    /// set by the server, not the configuration file.
    #[serde(skip)]
    pub own_services: Vec<SocketAddr>,
}

impl Default for TurnConfig {
    fn default() -> Self {
        TurnConfig {
            enabled: true,
            listen: None,
            public_ip: None,
            relay_port_min: 49152,
            relay_port_max: 65535,
            allow_private_peers: false,
            secret: None,
            realm: "ruang".to_owned(),
            allocations_per_participant: 10,
            max_allocations: 1000,
            tls_listen: None,
            tls_host: None,
            max_bps: 5_000_000,
            total_bps: 1_000_000_000,
            tcp_idle_timeout_secs: 60,
            own_services: Vec::new(),
        }
    }
}

/// The TURN server could not start.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    /// A listener could not bind.
    #[error(
        "cannot listen for STUN/TURN on {addr}: {source} (choose another address with --turn-listen, or --no-turn)"
    )]
    Bind {
        /// Where.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The relay port range is empty or takes every port.
    #[error("the TURN relay port range is empty or includes port 0")]
    EmptyPortRange,
    /// The TCP idle timeout is zero.
    #[error("turn.tcp_idle_timeout_secs must be at least 1")]
    ZeroIdleTimeout,
    /// No random source for the secret.
    #[error("no random source for the TURN secret")]
    Random,
    /// TURN over TLS was asked for without a certificate.
    #[error("TURN over TLS needs the server's TLS certificate (--tls-cert/--tls-key or --tls-self-signed)")]
    TlsWithoutCertificate,
}

/// A running STUN/TURN server; dropping it stops it.
pub struct RunningTurn {
    _server: medea_turn::Server,
    /// Where UDP listens.
    pub udp: SocketAddr,
    /// Where TCP listens.
    pub tcp: SocketAddr,
    /// The address given to clients.
    pub public_ip: IpAddr,
    /// The secret credentials are signed with.
    pub secret: TurnSecret,
    /// Where TURN over TLS listens, and the host name for its URL.
    pub tls: Option<(SocketAddr, String)>,
    tls_task: Option<tokio::task::JoinHandle<()>>,
    stats: TurnStatsSource,
}

/// Where a running TURN server's [`TurnStats`] are read, for metrics (cheap to clone).
#[derive(Clone)]
pub struct TurnStatsSource(Arc<Gate>);

impl TurnStatsSource {
    /// The numbers now.
    pub fn read(&self) -> TurnStats {
        self.0.stats()
    }
}

impl Drop for RunningTurn {
    fn drop(&mut self) {
        if let Some(task) = self.tls_task.take() {
            task.abort();
        }
    }
}

impl RunningTurn {
    /// Where its numbers are read, for metrics.
    pub fn stats(&self) -> TurnStatsSource {
        self.stats.clone()
    }

    /// The STUN URL for clients.
    pub fn stun_url(&self) -> String {
        format!("stun:{}:{}", self.host(), self.udp.port())
    }

    /// The TURN URLs for clients: over UDP, then over TCP for networks that block UDP.
    pub fn turn_urls(&self) -> Vec<String> {
        let host = self.host();
        let mut urls = vec![
            format!("turn:{host}:{}?transport=udp", self.udp.port()),
            format!("turn:{host}:{}?transport=tcp", self.tcp.port()),
        ];
        if let Some((addr, tls_host)) = &self.tls {
            urls.push(format!("turns:{tls_host}:{}?transport=tcp", addr.port()));
        }
        urls
    }

    fn host(&self) -> String {
        host_of(self.public_ip)
    }
}

/// Checks TURN REST usernames (`expiry:participant`) against the secret and the clock.
struct RestAuth {
    secret: TurnSecret,
}

impl AuthHandler for RestAuth {
    fn auth_handle(
        &self,
        username: &str,
        _realm: &str,
        _source: SocketAddr,
    ) -> Result<SecretString, medea_turn::Error> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        match self.secret.check(username, now) {
            Ok(password) => Ok(password.into()),
            Err(err) => {
                tracing::debug!(%err, "TURN: refused credentials");
                Err(medea_turn::Error::NoSuchUser)
            }
        }
    }
}

/// Starts the server. `default_ip` is the HTTP listen address's IP, used when `config.listen` is unset;
/// `tls` is the server's certificate, needed for TURN over TLS.
pub async fn start(
    config: &TurnConfig,
    default_ip: IpAddr,
    tls: Option<TlsAcceptor>,
) -> Result<RunningTurn, TurnError> {
    if config.relay_port_min > config.relay_port_max || config.relay_port_min == 0 {
        return Err(TurnError::EmptyPortRange);
    }
    if config.tcp_idle_timeout_secs == 0 {
        return Err(TurnError::ZeroIdleTimeout);
    }
    let listen = config.listen.unwrap_or(SocketAddr::new(default_ip, 3478));
    let secret = match &config.secret {
        Some(secret) => TurnSecret::new(secret.as_bytes()),
        None => TurnSecret::new(random_secret()?),
    };
    let public_ip = config.public_ip.unwrap_or_else(|| detect_public_ip(listen.ip()));
    let mut own_ips = vec![public_ip];
    if !listen.ip().is_unspecified() {
        own_ips.push(listen.ip());
    }
    own_ips.extend(crate::host::interface_addresses());
    let own_services = config.own_services.clone();
    let policy = PeerPolicy { allow_private: config.allow_private_peers, own_ips, own_services };
    let gate = Arc::new(Gate::new(gate_config(config, policy), secret.clone()));
    let (udp, tcp_listener, tcp_addr) = bind_pair(listen).await?;
    let udp_addr = tcp_addr;
    let bind_error = |source| TurnError::Bind { addr: tcp_addr, source };
    let udp = GatedUdp::new(udp, Arc::clone(&gate)).map_err(bind_error)?;
    let idle = Duration::from_secs(config.tcp_idle_timeout_secs);
    let tcp = GatedTcp::new(tcp_listener, Arc::clone(&gate), idle).map_err(bind_error)?;
    let allocator = Allocator {
        relay_address: public_ip,
        address: listen.ip().to_string(),
        min_port: config.relay_port_min,
        max_port: config.relay_port_max,
        max_retries: 20,
    };
    let (closed, closures) = mpsc::channel(256);
    tokio::spawn(forget_closed(closures, Arc::clone(&gate)));
    let server = medea_turn::Server::new(medea_turn::ServerConfig {
        connections: vec![Arc::new(udp), Arc::new(tcp)],
        turn: Some(medea_turn::TurnConfig {
            relay_addr_generator: allocator,
            realm: config.realm.clone(),
            auth_handler: Arc::new(RestAuth { secret: secret.clone() }),
            channel_bind_lifetime: CHANNEL_LIFETIME,
            alloc_close_notify: Some(closed),
        }),
    });
    tracing::info!(port = udp_addr.port(), %public_ip, "STUN/TURN listening on UDP and TCP");
    let (tls, tls_task) = match (config.tls_listen, tls) {
        (Some(addr), Some(acceptor)) => {
            let listener = TcpListener::bind(addr).await.map_err(|source| TurnError::Bind { addr, source })?;
            let addr = listener.local_addr().map_err(|source| TurnError::Bind { addr, source })?;
            let local_tcp = SocketAddr::new(loopback_of(tcp_addr.ip()), tcp_addr.port());
            let task = tokio::spawn(crate::tls::serve(listener, acceptor, local_tcp));
            let host = config.tls_host.clone().unwrap_or_else(|| host_of(public_ip));
            tracing::info!(port = addr.port(), "TURN over TLS listening");
            (Some((addr, host)), Some(task))
        }
        (Some(_), None) => return Err(TurnError::TlsWithoutCertificate),
        (None, _) => (None, None),
    };
    let stats = TurnStatsSource(gate);
    Ok(RunningTurn { _server: server, udp: udp_addr, tcp: tcp_addr, public_ip, secret, tls, tls_task, stats })
}

/// The gate's settings from the server's.
fn gate_config(config: &TurnConfig, policy: PeerPolicy) -> GateConfig {
    GateConfig {
        policy,
        realm: config.realm.clone(),
        limits: AllocationLimits {
            max_bps: config.max_bps,
            permissions: PERMISSIONS_PER_ALLOCATION,
            channels: CHANNELS_PER_ALLOCATION,
            channel_lifetime: CHANNEL_LIFETIME,
        },
        total_bps: config.total_bps,
        allocations_per_participant: config.allocations_per_participant,
        max_allocations: config.max_allocations,
    }
}

/// Takes closed allocations off the quota until the server is dropped.
async fn forget_closed(mut closures: mpsc::Receiver<medea_turn::AllocationInfo>, gate: Arc<Gate>) {
    while let Some(info) = closures.recv().await {
        gate.allocation_closed(info.username.name(), info.five_tuple.src_addr);
    }
}

/// An IP address as the host part of a URL.
fn host_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// Where to reach a listener bound to `ip` from this machine: loopback for a wildcard address.
fn loopback_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        other => other,
    }
}

fn random_secret() -> Result<Vec<u8>, TurnError> {
    let mut secret = vec![0u8; 32];
    getrandom::fill(&mut secret).map_err(|_| TurnError::Random)?;
    Ok(secret)
}

/// The address clients should use: the listen address, or for a wildcard listen address the local address
/// of the interface that routes to the internet (found without sending anything). The SFU's address is
/// detected the same way.
pub fn detect_public_ip(listen: IpAddr) -> IpAddr {
    if !listen.is_unspecified() {
        return listen;
    }
    let probe = || -> std::io::Result<IpAddr> {
        let socket = StdUdpSocket::bind(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0))?;
        socket.connect(SocketAddr::new(Ipv4Addr::new(192, 0, 2, 1).into(), 9))?;
        Ok(socket.local_addr()?.ip())
    };
    probe().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// How many ports are drawn when `listen` has port 0 and the one UDP got is taken for TCP.
const PORT_DRAWS: usize = 8;

/// A UDP socket and a TCP listener on the same port: `listen`'s, or, for port 0, one free for both (a port
/// drawn for UDP may already be taken for TCP, so it is drawn again).
async fn bind_pair(listen: SocketAddr) -> Result<(UdpSocket, TcpListener, SocketAddr), TurnError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let bind_error = |source| TurnError::Bind { addr: listen, source };
        let udp = UdpSocket::bind(listen).await.map_err(bind_error)?;
        let tcp_addr = SocketAddr::new(listen.ip(), udp.local_addr().map_err(bind_error)?.port());
        match TcpListener::bind(tcp_addr).await {
            Ok(tcp) => return Ok((udp, tcp, tcp_addr)),
            Err(_) if listen.port() == 0 && attempts < PORT_DRAWS => continue,
            Err(source) => return Err(TurnError::Bind { addr: tcp_addr, source }),
        }
    }
}
