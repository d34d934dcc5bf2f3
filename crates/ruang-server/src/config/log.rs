//! The `[log]` settings: what the process logs and in which format. The binary reads them before it serves
//! (the server itself only logs through `tracing`).

use serde::{Deserialize, Serialize};

/// What the process logs (to stderr) and how (`[log]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing` filter: a level (`info`, `debug`) or per-module directives (`info,ruang_server=debug`).
    pub filter: String,
    /// `text` for people, `json` for log collectors (one JSON object per line).
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { filter: "info".to_owned(), format: LogFormat::Text }
    }
}

/// The log's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}
