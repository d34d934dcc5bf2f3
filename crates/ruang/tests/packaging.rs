//! What `deploy/` ships: the systemd unit passes `systemd-analyze verify` (with its ExecStart pointed at the
//! binary just built) and keeps its hardening, the reverse-proxy examples pass `nginx -t` and
//! `caddy validate`, and the Dockerfile's image runs as a user that is not root. Needs `systemd-analyze`,
//! `nginx` and `caddy` (Debian's `systemd`, `nginx` and `caddy` packages, installed by `scripts/test-all.sh`).

use std::path::PathBuf;
use std::process::Command;

use tempfile::TempDir;

fn deploy(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let unit = deploy("ruang.service");
    for directive in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=",
        "SystemCallFilter=@system-service",
        "StateDirectory=ruang",
        "ExecStartPre=/usr/local/bin/ruang config check",
    ] {
        assert!(unit.contains(directive), "the unit lacks {directive:?}");
    }
    let dir = scratch("unit");
    let path = dir.path().join("ruang.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/ruang", env!("CARGO_BIN_EXE_ruang"))).expect("write");
    let output = Command::new("systemd-analyze").arg("verify").arg(&path).output().expect(
        "systemd-analyze from Debian's systemd package is needed: run scripts/test-all.sh or apt-get install systemd",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let about_the_unit: Vec<&str> = stderr.lines().filter(|line| line.contains("ruang.service")).collect();
    assert!(output.status.success() && about_the_unit.is_empty(), "{:?}\n{stderr}", output.status);
}

/// A scratch directory for one test, removed (passed or failed) when dropped.
fn scratch(name: &str) -> TempDir {
    tempfile::Builder::new().prefix(&format!("ruang-{name}-test-")).tempdir().expect("temp dir")
}

/// The nginx example as nginx reads it: the site inside an `http` block, a throwaway certificate in place
/// of Let's Encrypt's (nginx -t loads it). Debian 12's nginx 1.22 once refused its `http2 on;`.
#[test]
fn the_nginx_example_passes_nginx_t() {
    let tmp = scratch("nginx");
    let dir = tmp.path().to_owned();
    let certified = rcgen::generate_simple_self_signed(vec!["meet.example.org".to_owned()]).expect("certificate");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).expect("write");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write");
    let site = deploy("nginx.conf")
        .replace("/etc/letsencrypt/live/meet.example.org/fullchain.pem", cert.to_str().expect("UTF-8"))
        .replace("/etc/letsencrypt/live/meet.example.org/privkey.pem", key.to_str().expect("UTF-8"));
    std::fs::write(dir.join("site.conf"), site).expect("write");
    let main = format!(
        "pid {0}/nginx.pid;\nerror_log {0}/error.log;\nevents {{}}\nhttp {{\n  access_log off;\n  include {0}/site.conf;\n}}\n",
        dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), main).expect("write");
    let output = Command::new("nginx")
        .args(["-t", "-c"])
        .arg(dir.join("nginx.conf"))
        .arg("-p")
        .arg(&dir)
        .output()
        .expect("nginx from Debian's nginx package is needed: run scripts/test-all.sh or apt-get install nginx");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// The Caddy examples (one node, and the cluster kit's) as Caddy reads them. Debian 12's Caddy 2.6 once
/// refused their `stream_timeout`.
#[test]
fn the_caddy_examples_pass_caddy_validate() {
    let tmp = scratch("caddy");
    let dir = tmp.path().to_owned();
    for file in ["Caddyfile", "cluster/Caddyfile.cluster"] {
        let output = Command::new("caddy")
            .args(["validate", "--adapter", "caddyfile", "--config"])
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy").join(file))
            .env("HOME", &dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .output()
            .expect("caddy from Debian's caddy package is needed: run scripts/test-all.sh or apt-get install caddy");
        assert!(output.status.success(), "{file}: {}", String::from_utf8_lossy(&output.stderr));
    }
}

#[test]
fn the_container_image_runs_as_a_user_that_is_not_root() {
    let dockerfile = deploy("Dockerfile");
    let last_stage = dockerfile.rsplit("\nFROM ").next().expect("a final stage");
    let user = last_stage.lines().find_map(|line| line.strip_prefix("USER ")).expect("a USER in the final stage");
    assert!(!user.starts_with('0') && !user.starts_with("root"), "USER {user}");
    assert!(last_stage.contains("ENTRYPOINT [\"/usr/local/bin/ruang\"]"), "{last_stage}");
    assert!(dockerfile.contains("--locked"), "the image builds what Cargo.lock says");
}

/// The three-node kit: every node shares Redis and the secrets, no two nodes share a port or relay range,
/// the proxy sends to exactly the nodes' listeners, and every port the README tells operators to open or
/// scrape is the compose file's.
#[test]
fn the_cluster_kit_gives_each_node_its_own_ports_and_the_proxy_all_of_them() {
    let compose = deploy("cluster/compose.yaml");
    let caddy = deploy("cluster/Caddyfile.cluster");
    let readme = deploy("cluster/README.md");
    let commands: Vec<&str> =
        compose.lines().filter(|l| l.trim_start().starts_with("command: [\"--listen\"")).collect();
    assert_eq!(commands.len(), 3, "three nodes");
    let mut seen = std::collections::HashSet::new();
    let mut listeners = Vec::new();
    for node in 1..=3 {
        let start = compose.find(&format!("  ruang{node}:")).expect("the node's service");
        let service: String =
            compose[start..].lines().skip(1).take_while(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(" ");
        assert!(service.contains("<<: *ruang"), "ruang{node} takes the shared settings");
        let values: Vec<String> =
            service.split('"').enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, v)| v.to_owned()).collect();
        let value =
            |flag: &str| values.iter().position(|v| v == flag).and_then(|i| values.get(i + 1)).cloned().expect(flag);
        for flag in ["--listen", "--admin-listen", "--turn-listen", "--sfu-listen"] {
            let port = value(flag).rsplit(':').next().expect("a port").to_owned();
            assert!(seen.insert(port.clone()), "ruang{node}: {flag} port {port} is another's");
            assert!(readme.contains(&port), "the README's table names port {port}");
        }
        let (min, max) = (value("--turn-relay-port-min"), value("--turn-relay-port-max"));
        assert!(seen.insert(min.clone()) && readme.contains(&format!("{min}–{max}")), "ruang{node}'s relay range");
        listeners.push(value("--listen"));
    }
    let upstreams = caddy.lines().find(|l| l.trim_start().starts_with("reverse_proxy")).expect("reverse_proxy");
    for listener in &listeners {
        assert!(upstreams.contains(listener.as_str()), "Caddy sends to {listener}");
    }
    for shared in [
        "RUANG_REDIS_URL",
        "RUANG_SECRET",
        "RUANG_TURN_SECRET",
        "RUANG_TURN_PUBLIC_IP",
        "RUANG_SFU_PUBLIC_IP",
        "RUANG_TRUSTED_PROXIES",
    ] {
        assert!(compose.contains(&format!("    {shared}: ")), "every node gets {shared}");
    }
    assert!(caddy.contains("health_uri /healthz"), "a lost or draining node gets no new connections");
}
