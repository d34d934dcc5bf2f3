//! A ruang server the bench starts itself: the given binary on a free loopback port with the SFU on
//! loopback and every room in SFU mode, stopped when dropped.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::janus::free_port;

/// A running ruang.
pub struct RuangServer {
    child: Child,
    /// Its HTTP/WebSocket address.
    pub addr: SocketAddr,
}

impl RuangServer {
    /// Starts `binary` with `extra` arguments after the bench's own and waits (at most 10 s) until it accepts.
    pub fn start(binary: &Path, extra: &[String]) -> anyhow::Result<RuangServer> {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let child = Command::new(binary)
            .args(["--listen", &addr.to_string(), "--no-turn", "--media-mode", "sfu"])
            .args(["--sfu-listen", "127.0.0.1:0", "--sfu-public-ip", "127.0.0.1"])
            .args(["--messages-per-second", "100000", "--message-burst", "100000"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let mut server = RuangServer { child, addr };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            if Instant::now() > deadline || server.child.try_wait()?.is_some() {
                bail!("ruang did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RuangServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
