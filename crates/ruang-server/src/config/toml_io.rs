//! The configuration as TOML: reading a file into a table, laying tables over each other (the file, then
//! environment variables and flags), turning the result into a [`ServerConfig`] with errors that name the
//! offending key by its full path (`rooms.board.media_mod`), and printing the effective configuration back
//! with its secrets redacted. The defaults are never written here: they are `ServerConfig::default()`.

use std::path::Path;

use toml::{Table, Value};

use super::{ConfigError, ServerConfig};

/// What a secret's value is printed as.
pub const REDACTED: &str = "<redacted>";

impl ServerConfig {
    /// Reads a TOML file into a table (a syntax error names its line); nothing is checked against the
    /// configuration's keys yet ([`ServerConfig::from_table`] does).
    pub fn read_table(path: &Path) -> Result<Table, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
        text.parse::<Table>().map_err(|source| ConfigError::Parse { path: shown, source: Box::new(source) })
    }

    /// The configuration a table describes, every key it leaves out at its default. `origin` says where
    /// the table came from, for the error. An unknown key or a value of the wrong type is an error naming
    /// the key's full path.
    pub fn from_table(table: Table, origin: &str) -> Result<Self, ConfigError> {
        serde_path_to_error::deserialize(Value::Table(table)).map_err(|err| {
            let path = err.path().to_string();
            // The first line: toml adds the key's table on a line of its own, which the path says already.
            let message = err.into_inner().to_string().lines().next().unwrap_or_default().to_owned();
            let (key, message) = match unknown_field(&message) {
                // The path ends at the unknown key when the table was read as a map, at its table otherwise.
                Some((field, rest)) if path.rsplit('.').next() == Some(field) => (path, format!("unknown key{rest}")),
                Some((field, rest)) => (join(&path, field), format!("unknown key{rest}")),
                None => (path, message),
            };
            ConfigError::Key { origin: origin.to_owned(), key, message }
        })
    }

    /// The configuration as a TOML table (secrets included as [`REDACTED`] where their type hides them).
    pub fn to_table(&self) -> Table {
        match Value::try_from(self) {
            Ok(Value::Table(table)) => table,
            // Every field is a table, string, integer, boolean or array of them: serializing cannot fail.
            _ => Table::new(),
        }
    }

    /// The configuration as a TOML document, every secret's value replaced by [`REDACTED`].
    pub fn to_redacted_toml(&self) -> String {
        let mut table = self.to_table();
        redact(&mut table);
        toml::to_string(&table).unwrap_or_default()
    }
}

/// Lays `over` onto `base`: tables merge key by key, any other value (arrays included) replaces.
pub fn merge(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(below)), Value::Table(above)) => merge(below, above),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// The value at a dotted path (`turn.listen`), if the table has one.
pub fn lookup<'a>(table: &'a Table, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = table.get(parts.next()?)?;
    for part in parts {
        value = value.as_table()?.get(part)?;
    }
    Some(value)
}

/// Sets the value at a dotted path, making the tables on the way.
pub fn insert(table: &mut Table, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            table.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = table.entry(head.to_owned()).or_insert_with(|| Value::Table(Table::new()));
            if !entry.is_table() {
                *entry = Value::Table(Table::new());
            }
            if let Value::Table(inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

/// Whether a key holds a secret (or what an attacker could test guesses against offline): server and TURN
/// secrets, TURN credentials, password hashes, the API key's hash, and anything named `*_secret`.
pub fn is_secret_key(key: &str) -> bool {
    matches!(key, "secret" | "credential" | "api_key_sha256") || key.ends_with("_secret") || key.ends_with("_hash")
}

/// Replaces every secret's value, at any depth, with [`REDACTED`].
fn redact(table: &mut Table) {
    for (key, value) in table.iter_mut() {
        if is_secret_key(key) {
            *value = Value::String(REDACTED.to_owned());
            continue;
        }
        match value {
            Value::Table(inner) => redact(inner),
            Value::Array(items) => items.iter_mut().filter_map(Value::as_table_mut).for_each(redact),
            _ => {}
        }
    }
}

/// Splits serde's "unknown field `x`, expected …" into the field and the rest.
fn unknown_field(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    Some((field, rest))
}

/// `parent.child`, or `child` at the top (serde_path_to_error shows the top as `.`).
fn join(parent: &str, child: &str) -> String {
    match parent {
        "" | "." => child.to_owned(),
        _ => format!("{parent}.{child}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.parse().unwrap()
    }

    fn key_error(text: &str) -> String {
        match ServerConfig::from_table(table(text), "test.toml") {
            Err(ConfigError::Key { key, .. }) => key,
            other => panic!("expected a key error, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_or_mistyped_key_is_named_by_its_full_path() {
        assert_eq!(key_error("max_roms = 3"), "max_roms");
        assert_eq!(key_error("[rooms.foo]\nmedia_mod = \"sfu\""), "rooms.foo.media_mod");
        assert_eq!(key_error("[limits]\nmax_participants = \"many\""), "limits.max_participants");
        assert_eq!(key_error("[turn]\nrelay_port_min = 70000"), "turn.relay_port_min");
        let message = ServerConfig::from_table(table("[turn]\nlisten_on = 1"), "x.toml").unwrap_err().to_string();
        assert!(message.contains("x.toml") && message.contains("turn.listen_on: unknown key"), "{message}");
    }

    #[test]
    fn the_defaults_round_trip_through_toml() {
        let defaults = ServerConfig::default();
        assert_eq!(ServerConfig::from_table(defaults.to_table(), "defaults").unwrap(), defaults);
    }

    #[test]
    fn tables_merge_and_other_values_replace() {
        let mut base = table("max_rooms = 3\n[limits]\nmax_participants = 4\nmax_chat_bytes = 100\n");
        merge(&mut base, table("allowed_origins = [\"https://a\"]\n[limits]\nmax_participants = 6\n"));
        let config = ServerConfig::from_table(base, "merged").unwrap();
        assert_eq!((config.max_rooms, config.limits.max_participants, config.limits.max_chat_bytes), (3, 6, 100));
        assert_eq!(config.allowed_origins, vec!["https://a"]);
    }

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let text = "secret = \"sixteen bytes at least\"\napi_key_sha256 = \"ab\"\n[turn]\nsecret = \"turn secret\"\n\
                    [[ice_servers]]\nurls = [\"turn:x\"]\ncredential = \"pw\"\n\
                    [rooms.board]\naccess = \"password\"\npassword_hash = \"$argon2id$x\"\n";
        let mut config = ServerConfig::from_table(table(text), "test").unwrap();
        config.api_key_sha256 = Some("a".repeat(64));
        let printed = config.to_redacted_toml();
        for secret in ["sixteen bytes", "turn secret", "\"pw\"", "argon2id", "aaaa"] {
            assert!(!printed.contains(secret), "{secret} printed in:\n{printed}");
        }
        assert_eq!(printed.matches(REDACTED).count(), 5, "{printed}");
        assert_eq!(lookup(&printed.parse().unwrap(), "rooms.board.access"), Some(&Value::from("password")));
    }
}
