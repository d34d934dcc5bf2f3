//! What `deploy/` ships: the systemd unit passes `systemd-analyze verify` (with its ExecStart pointed at the
//! binary just built) and keeps its hardening, and the Dockerfile's image runs as a user that is not root.
//! Needs `systemd-analyze` (Debian's `systemd` package, installed by `scripts/test-all.sh`).

use std::path::PathBuf;
use std::process::Command;

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
    let dir = std::env::temp_dir().join(format!("ruang-unit-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("ruang.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/ruang", env!("CARGO_BIN_EXE_ruang"))).expect("write");
    let output = Command::new("systemd-analyze").arg("verify").arg(&path).output().expect(
        "systemd-analyze from Debian's systemd package is needed: run scripts/test-all.sh or apt-get install systemd",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let about_the_unit: Vec<&str> = stderr.lines().filter(|line| line.contains("ruang.service")).collect();
    assert!(output.status.success() && about_the_unit.is_empty(), "{:?}\n{stderr}", output.status);
    std::fs::remove_dir_all(dir).ok();
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
