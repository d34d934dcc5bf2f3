//! The process's log on stderr: a `tracing` filter and a format (`text` for people, `json` for log
//! collectors, one object per line with the event's fields at the top level), from `[log]` in the
//! configuration, `RUANG_LOG` / `--log` and `RUANG_LOG_FORMAT` / `--log-format`.

use anyhow::Context;
use ruang_server::config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;

/// The filter `config` names, or an error naming the setting.
pub fn filter(config: &LogConfig) -> anyhow::Result<EnvFilter> {
    EnvFilter::try_new(&config.filter)
        .with_context(|| format!("invalid log filter {:?} (--log, RUANG_LOG, log.filter)", config.filter))
}

/// Installs the subscriber for the whole process.
pub fn init(config: &LogConfig) -> anyhow::Result<()> {
    let filter = filter(config)?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let installed = match config.format {
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
    };
    installed.map_err(|err| anyhow::anyhow!("cannot set up logging: {err}"))
}
