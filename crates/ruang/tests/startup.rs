//! Starting the real binary: every listener (HTTP, STUN/TURN, the SFU) is bound before "ruang is running"
//! is printed, so a taken port is one clear line on stderr naming the flag that moves it, exit status 1,
//! and no announcement; and two servers started with only `--listen 127.0.0.1:0` run side by side.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const WAIT: Duration = Duration::from_secs(20);

fn ruang(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ruang"));
    command
        .env_clear()
        .env("RUANG_LOG", "error")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs ruang to its exit (bounded by [`WAIT`]) and returns its status, stdout and stderr.
async fn run_to_exit(args: &[&str]) -> (Option<i32>, String, String) {
    let child = ruang(args).spawn().expect("start ruang");
    let output = tokio::time::timeout(WAIT, child.wait_with_output()).await.expect("exits in time").expect("output");
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    (output.status.code(), text(output.stdout), text(output.stderr))
}

fn assert_clear_failure(result: (Option<i32>, String, String), flag: &str, address: SocketAddr) {
    let (code, stdout, stderr) = result;
    assert_eq!(code, Some(1), "stdout: {stdout}\nstderr: {stderr}");
    assert!(!stdout.contains("running"), "announced before failing: {stdout}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("ruang: "), "{stderr}");
    assert!(lines[0].contains(flag), "names {flag}: {stderr}");
    assert!(lines[0].contains(&address.to_string()), "names {address}: {stderr}");
    assert_eq!(lines[0].matches("os error").count(), 1, "the cause once, not repeated: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
}

#[tokio::test]
async fn a_taken_http_port_names_listen_and_announces_nothing() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().unwrap();
    let listen = address.to_string();
    let result =
        run_to_exit(&["--listen", &listen, "--turn-listen", "127.0.0.1:0", "--sfu-listen", "127.0.0.1:0"]).await;
    assert_clear_failure(result, "--listen", address);
}

#[tokio::test]
async fn a_taken_turn_port_names_turn_listen_and_announces_nothing() {
    let taken = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().unwrap();
    let turn = address.to_string();
    let result = run_to_exit(&["--listen", "127.0.0.1:0", "--turn-listen", &turn, "--sfu-listen", "127.0.0.1:0"]).await;
    assert_clear_failure(result, "--turn-listen", address);
}

#[tokio::test]
async fn a_taken_sfu_port_names_sfu_listen_and_announces_nothing() {
    let taken = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().unwrap();
    let sfu = address.to_string();
    let result = run_to_exit(&["--listen", "127.0.0.1:0", "--turn-listen", "127.0.0.1:0", "--sfu-listen", &sfu]).await;
    assert_clear_failure(result, "--sfu-listen", address);
}

/// Starts ruang and reads what it announces up to the SFU line; the process keeps running.
async fn start_announced(args: &[&str]) -> (Child, Vec<String>) {
    let mut child = ruang(args).spawn().expect("start ruang");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut lines = Vec::new();
    while lines.len() < 3 {
        match tokio::time::timeout(WAIT, stdout.next_line()).await.expect("announces in time").expect("read") {
            Some(line) => lines.push(line),
            None => panic!("ruang exited after {lines:?}"),
        }
    }
    (child, lines)
}

/// The port in an announced line's `<ip>:<port>` address.
fn announced_port(lines: &[String], prefix: &str) -> u16 {
    let line = lines.iter().find(|line| line.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix}: {lines:?}"));
    let address = line
        .split_whitespace()
        .find_map(|word| word.trim_end_matches('/').rsplit("//").next()?.parse::<SocketAddr>().ok());
    address.unwrap_or_else(|| panic!("an address in {line}")).port()
}

#[tokio::test]
async fn two_servers_given_only_listen_port_0_run_side_by_side_on_free_ports() {
    let (first, first_lines) = start_announced(&["--listen", "127.0.0.1:0"]).await;
    let (second, second_lines) = start_announced(&["--listen", "127.0.0.1:0"]).await;
    for prefix in ["ruang is running", "built-in STUN/TURN on", "SFU media on"] {
        let (a, b) = (announced_port(&first_lines, prefix), announced_port(&second_lines, prefix));
        assert!(a != b && a != 0 && b != 0, "{prefix}: {a} and {b}");
    }
    assert_ne!(announced_port(&first_lines, "built-in STUN/TURN on"), 3478, "no fixed port with --listen port 0");
    drop((first, second));
}
