//! The configuration tells one truth: the defaults in code (`ServerConfig::default()`), the real binary's
//! `--help` and `ruang config print`, and the README's configuration table show the same values; every
//! setting can be found from `--help`; layering is flag over environment over file over default; and
//! `ruang config check` names a bad key by its full path.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use ruang_server::ServerConfig;
use ruang_server::config::lookup;
use tempfile::TempDir;
use toml::{Table, Value};

/// Runs the real binary with a clean environment (no RUANG_* of the caller's) and `env`.
fn ruang(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ruang"));
    command.env_clear().args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run ruang")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

/// `ruang config print` (after `args`), parsed.
fn printed(args: &[&str], env: &[(&str, &str)]) -> Table {
    let mut all = args.to_vec();
    all.extend(["config", "print"]);
    stdout(&ruang(&all, env)).parse().expect("config print is TOML")
}

/// A scratch file `name` holding `text`, in a new directory removed (passed or failed) when the `TempDir`
/// is dropped: keep it as long as the file is used.
fn scratch(name: &str, text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::Builder::new().prefix("ruang-config-test-").tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    (dir, path)
}

/// A value as a flag or the README writes it.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Every `[toml: key]` in `--help` with the `[default: …]` of the same entry.
fn help_entries(help: &str) -> BTreeMap<String, Option<String>> {
    let mut entries = BTreeMap::new();
    let mut entry = String::new();
    let mut flush = |entry: &str| {
        if let Some(key) = bracketed(entry, "[toml: ") {
            let key = key.split(" = ").next().unwrap_or_default().to_owned();
            entries.insert(key, bracketed(entry, "[default: "));
        }
    };
    for line in help.lines() {
        if line.trim_start().starts_with('-') {
            flush(&entry);
            entry.clear();
        }
        entry.push_str(line.trim());
        entry.push(' ');
    }
    flush(&entry);
    entries
}

fn bracketed(text: &str, opening: &str) -> Option<String> {
    let start = text.find(opening)? + opening.len();
    let end = text[start..].find(']')? + start;
    Some(text[start..end].to_owned())
}

/// The leaf keys of a table, dotted, with their values.
fn leaves(table: &Table, prefix: &str, out: &mut BTreeMap<String, Value>) {
    for (key, value) in table {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            Value::Table(inner) => leaves(inner, &path, out),
            other => {
                out.insert(path, other.clone());
            }
        }
    }
}

#[test]
fn config_print_shows_the_defaults_in_code() {
    let defaults = ServerConfig::default();
    let table = printed(&[], &[]);
    assert_eq!(table, defaults.to_table());
    assert_eq!(ServerConfig::from_table(table, "printed").expect("it reads back"), defaults);
    // What TOML cannot show (a setting left unset) is said in a comment, and goes once it is set.
    let text = stdout(&ruang(&["config", "print"], &[]));
    assert!(text.contains("#   sfu_listen (--sfu-listen): the --listen IP, port 3479"), "{text}");
    let text = stdout(&ruang(&["--sfu-listen", "127.0.0.1:4000", "config", "print"], &[]));
    assert!(!text.contains("#   sfu_listen") && text.contains("sfu_listen = \"127.0.0.1:4000\""), "{text}");
}

#[test]
fn help_shows_the_defaults_in_code_and_names_every_key() {
    let help = stdout(&ruang(&["--help"], &[]));
    let entries = help_entries(&help);
    let defaults = ServerConfig::default().to_table();
    assert!(entries.len() >= 60, "every flag names its key: {entries:?}");
    for (key, shown) in &entries {
        match (lookup(&defaults, key), shown) {
            // Switches (on/off) show no default; the key's value is their opposite.
            (Some(Value::Boolean(_)), _) => {}
            (Some(Value::Array(items)), Some(shown)) if items.is_empty() => assert_eq!(shown, "none", "{key}"),
            (Some(value), Some(shown)) => assert_eq!(shown, &plain(value), "--help's default of {key}"),
            (Some(value), None) => panic!("--help shows no default for {key} (code: {value})"),
            (None, Some(shown)) => {
                assert!(shown.parse::<f64>().is_err(), "{key} is unset in code but --help shows {shown}")
            }
            (None, None) => panic!("--help shows no default for {key}, unset in code: say what unset means"),
        }
    }
    // The heartbeat defaults once disagreed (help 5000/15000, server 3000/9000).
    assert_eq!(entries["limits.heartbeat_interval_ms"].as_deref(), Some("3000"));
    assert_eq!(entries["limits.heartbeat_timeout_ms"].as_deref(), Some("9000"));
    let mut keys = BTreeMap::new();
    leaves(&defaults, "", &mut keys);
    for key in keys.keys() {
        assert!(help.contains(key.as_str()), "{key} cannot be found from --help");
    }
    for word in ["rooms.<name>", "ice_servers", "relay_only.rooms", "RUANG_LOG", "RUANG_LOG_FORMAT", "config print"] {
        assert!(help.contains(word), "--help does not mention {word}");
    }
}

/// The README's configuration table: `(TOML keys, default)` of every row.
fn readme_rows() -> Vec<(Vec<String>, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let section = readme.split("## Configuration").nth(1).expect("a configuration section");
    section
        .lines()
        .take_while(|line| !line.starts_with("## "))
        .filter(|line| line.starts_with("| ") || line.starts_with("| |"))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (keys, default) = (cells.get(3)?, cells.get(4)?);
            let keys: Vec<String> = keys.split('`').skip(1).step_by(2).map(str::to_owned).collect();
            (!keys.is_empty() && *keys.first()? != "TOML key").then(|| (keys, default.to_string()))
        })
        .collect()
}

#[test]
fn the_readme_table_shows_the_defaults_in_code_and_every_flag() {
    let defaults = ServerConfig::default().to_table();
    let rows = readme_rows();
    let mut checked = 0;
    for (keys, default) in &rows {
        let [key] = keys.as_slice() else { continue };
        if key.contains('<') {
            continue;
        }
        let first = default.split(" (").next().unwrap_or_default().trim_matches('`');
        match lookup(&defaults, key) {
            Some(Value::Boolean(on)) => assert_eq!(first, if *on { "on" } else { "off" }, "README default of {key}"),
            Some(Value::Array(items)) if items.is_empty() => assert_eq!(first, "none", "README default of {key}"),
            Some(value) => assert_eq!(first, plain(value), "README default of {key}"),
            None => assert!(first.parse::<f64>().is_err() && !default.starts_with('`'), "{key}: unset in code"),
        }
        checked += 1;
    }
    assert!(checked >= 55, "only {checked} README rows checked");
    let in_readme: Vec<&String> = rows.iter().flat_map(|(keys, _)| keys).collect();
    let help = stdout(&ruang(&["--help"], &[]));
    for key in help_entries(&help).keys() {
        assert!(in_readme.contains(&key), "{key} is in --help but not in the README's table");
    }
}

#[test]
fn a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() {
    let (_dir, file) = scratch("layers.toml", "max_rooms = 3\n[limits]\nmax_chat_bytes = 100\n");
    let file = file.to_str().unwrap();
    let max_rooms = |table: &Table| lookup(table, "max_rooms").and_then(Value::as_integer);
    assert_eq!(max_rooms(&printed(&[], &[])), Some(10_000));
    assert_eq!(max_rooms(&printed(&["--config", file], &[])), Some(3));
    let env = [("RUANG_MAX_ROOMS", "4")];
    let table = printed(&["--config", file], &env);
    assert_eq!(max_rooms(&table), Some(4));
    assert_eq!(lookup(&table, "limits.max_chat_bytes").and_then(Value::as_integer), Some(100), "the file's other keys");
    assert_eq!(max_rooms(&printed(&["--config", file, "--max-rooms", "5"], &env)), Some(5));
    let config_env = [("RUANG_CONFIG", file), ("RUANG_NO_TURN", "1"), ("RUANG_LOG_FORMAT", "json")];
    let table = printed(&["--trusted-proxy", "10.0.0.1,10.0.0.2"], &config_env);
    assert_eq!(max_rooms(&table), Some(3), "RUANG_CONFIG names the file");
    assert_eq!(lookup(&table, "turn.enabled"), Some(&Value::Boolean(false)));
    assert_eq!(lookup(&table, "log.format"), Some(&Value::from("json")));
    assert_eq!(plain(lookup(&table, "trusted_proxies").unwrap()), "10.0.0.1,10.0.0.2");
}

#[test]
fn config_print_redacts_secrets() {
    let secret = "a server secret of more than sixteen bytes";
    let (_dir, file) = scratch("secrets.toml", "[turn]\nsecret = \"the turn secret\"\n");
    let output = ruang(&["--config", file.to_str().unwrap(), "config", "print"], &[("RUANG_SECRET", secret)]);
    let text = stdout(&output);
    assert!(!text.contains(secret) && !text.contains("the turn secret"), "{text}");
    let table: Table = text.parse().unwrap();
    assert_eq!(lookup(&table, "secret"), Some(&Value::from("<redacted>")));
    assert_eq!(lookup(&table, "turn.secret"), Some(&Value::from("<redacted>")));
}

#[test]
fn config_check_names_a_bad_key_by_its_path_and_fails() {
    let (_dir, good) = scratch("good.toml", "max_rooms = 3\n[rooms.board]\nmedia_mode = \"sfu\"\n");
    let output = ruang(&["config", "check", good.to_str().unwrap()], &[]);
    assert!(stdout(&output).contains("ok"));
    for (name, text, named) in [
        ("unknown.toml", "[rooms.foo]\nmedia_mod = \"sfu\"\n", "rooms.foo.media_mod: unknown key"),
        ("top.toml", "max_roms = 3\n", "max_roms: unknown key"),
        ("type.toml", "[limits]\nmax_participants = \"eight\"\n", "limits.max_participants"),
        ("range.toml", "sfu_threshold = 1\n", "sfu_threshold must be at least 2"),
        ("syntax.toml", "max_rooms = \n", "line 1"),
        ("log.toml", "[log]\nfilter = \"info,[[\"\n", "log.filter"),
    ] {
        let (_dir, file) = scratch(name, text);
        let output = ruang(&["config", "check", file.to_str().unwrap()], &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(named), "{name}: {stderr}");
        assert!(stderr.contains(file.to_str().unwrap()), "{name} names the file: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
