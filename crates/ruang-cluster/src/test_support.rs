//! For tests only (feature `test-support`): a real `redis-server` of one test, on a free loopback port,
//! killed when dropped. It can be killed abruptly and started again on the same port, as a Redis restart.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `redis-server` of one test, killed when dropped. Nothing is saved to disk: a restart starts empty.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    /// `redis://127.0.0.1:<port>/`.
    pub url: String,
}

impl RedisServer {
    /// Starts one on a free loopback port and waits (bounded) until it accepts connections.
    ///
    /// # Panics
    /// If `redis-server` is not installed or does not come up.
    pub fn start() -> RedisServer {
        let free = std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr());
        let port = free.unwrap_or_else(|err| panic!("no free port: {err}")).port();
        let mut server = RedisServer { child: None, port, url: format!("redis://127.0.0.1:{port}/") };
        server.run();
        server
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills it with SIGKILL (no shutdown, nothing saved) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty, after [`RedisServer::kill`].
    ///
    /// # Panics
    /// If it does not come up.
    pub fn restart(&mut self) {
        self.kill();
        self.run();
    }

    fn run(&mut self) {
        let port = self.port.to_string();
        let child = Command::new("redis-server")
            .args(["--port", &port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("redis-server is installed (apt-get install redis-server): {err}"));
        // Killed and waited for when dropped, also if it does not come up.
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start");
    }

    /// Runs `redis-cli` against it and returns its answer, trimmed.
    ///
    /// # Panics
    /// If `redis-cli` cannot be run.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new("redis-cli")
            .args(["-u", &self.url])
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("redis-cli: {err}"));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
