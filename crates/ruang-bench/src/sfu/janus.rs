//! The Janus baseline's process: a Janus 1.1 (Debian's `janus` package) started with a generated
//! configuration in a temporary directory — no STUN, the WebSocket transport on a loopback port, and only
//! the VideoRoom plugin — and stopped (and its directory removed) when dropped.
//!
//! Media cannot use loopback: Janus skips loopback interfaces when it gathers ICE candidates (ice.c,
//! `IFF_LOOPBACK`), so it gathers on one address of this machine only (`ice_enforce_list`), and its bots
//! bind there too. Datagrams to one's own address never leave the machine: the kernel routes them
//! through the loopback device, as it does 127.0.0.1.
//!
//! The minimal configuration set is `janus.jcfg` (folders, loopback ICE, everything but VideoRoom and
//! WebSockets disabled) `janus.transport.websockets.jcfg` and an empty `janus.plugin.videoroom.jcfg` (no static rooms: the bench
//! creates its room through the API). Debian installs the rest of /etc/janus for plugins
//! and transports the bench disables.

use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Where Debian's package puts Janus's plugins, transports, event handlers and loggers.
const LIB: &str = "/usr/lib/x86_64-linux-gnu/janus";

const DISABLED_PLUGINS: &str = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,\
libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,\
libjanus_videocall.so,libjanus_voicemail.so";
const DISABLED_TRANSPORTS: &str =
    "libjanus_http.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so";
const DISABLED_EVENTS: &str = "libjanus_gelfevh.so,libjanus_mqttevh.so,libjanus_nanomsgevh.so,\
libjanus_rabbitmqevh.so,libjanus_sampleevh.so,libjanus_wsevh.so";

/// A running Janus.
pub struct Janus {
    child: Child,
    dir: PathBuf,
    /// Its WebSocket API (`ws://127.0.0.1:<port>`).
    pub url: String,
}

impl Janus {
    /// Starts `binary` and waits (at most 10 s) until its WebSocket port accepts.
    pub fn start(binary: &Path, media_ip: IpAddr) -> anyhow::Result<Janus> {
        let dir = std::env::temp_dir().join(format!("ruang-bench-janus-{}-{}", std::process::id(), free_port()?));
        std::fs::create_dir_all(&dir)?;
        let port = free_port()?;
        write_config(&dir, port, media_ip)?;
        let log = std::fs::File::create(dir.join("janus.log"))?;
        let child = Command::new(binary)
            .arg("--config")
            .arg(dir.join("janus.jcfg"))
            .arg("--configs-folder")
            .arg(&dir)
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let mut janus = Janus { child, dir, url: format!("ws://127.0.0.1:{port}") };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            if Instant::now() > deadline || janus.child.try_wait()?.is_some() {
                bail!("janus did not start; see {}", janus.dir.join("janus.log").display());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(janus)
    }

    /// Its process id, for CPU and memory figures.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Janus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // RUANG_BENCH_KEEP_JANUS=1 keeps the configuration and log, to look into a failed run.
        if std::env::var_os("RUANG_BENCH_KEEP_JANUS").is_some() {
            eprintln!("janus configuration and log kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// This machine's address that routes outward (no datagram is sent: a UDP `connect` only picks a route).
pub fn host_ip() -> anyhow::Result<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0")?;
    socket
        .connect("203.0.113.1:9")
        .or_else(|_| socket.connect("10.255.255.255:9"))
        .context("no route to pick an address; pass --janus-ip")?;
    let ip = socket.local_addr()?.ip();
    if ip.is_loopback() || ip.is_unspecified() {
        bail!("no non-loopback address found; pass --janus-ip");
    }
    Ok(ip)
}

/// A TCP port free on loopback right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn write_config(dir: &Path, port: u16, media_ip: IpAddr) -> anyhow::Result<()> {
    let main = format!(
        r#"general: {{
	configs_folder = "{dir}"
	plugins_folder = "{LIB}/plugins"
	transports_folder = "{LIB}/transports"
	events_folder = "{LIB}/events"
	loggers_folder = "{LIB}/loggers"
	debug_level = 3
	debug_colors = false
	session_timeout = 0
	interface = "{media_ip}"
}}
media: {{
	ipv6 = false
}}
nat: {{
	ice_enforce_list = "{media_ip}"
	ignore_mdns = true
}}
plugins: {{
	disable = "{DISABLED_PLUGINS}"
}}
transports: {{
	disable = "{DISABLED_TRANSPORTS}"
}}
loggers: {{
	disable = "libjanus_jsonlog.so"
}}
events: {{
	broadcast = false
	disable = "{DISABLED_EVENTS}"
}}
"#,
        dir = dir.display()
    );
    let websockets = format!(
        r#"general: {{
	json = "plain"
	ws = true
	ws_port = {port}
	ws_ip = "127.0.0.1"
	wss = false
}}
admin: {{
	admin_ws = false
	admin_wss = false
}}
"#
    );
    std::fs::write(dir.join("janus.jcfg"), main)?;
    std::fs::write(dir.join("janus.transport.websockets.jcfg"), websockets)?;
    // No static rooms; the file only saves Janus an error line.
    std::fs::write(dir.join("janus.plugin.videoroom.jcfg"), "general: {\n}\n")?;
    Ok(())
}
