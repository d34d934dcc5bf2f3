//! The open-file limit: every connection is a descriptor, so the soft limit is raised to the hard limit at
//! start, and `max_connections` is lowered to what that limit allows (with room for plain HTTP and the rest
//! of the process), so the server answers 503 at its limit instead of failing to accept.

use ruang_server::ServerConfig;

/// Raises the soft `RLIMIT_NOFILE` to its hard limit and fits `config.max_connections` to it.
pub fn raise_and_fit(config: &mut ServerConfig) {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(err) => {
            tracing::warn!(%err, "cannot raise the open-file limit");
            match rlimit::getrlimit(rlimit::Resource::NOFILE) {
                Ok((soft, _hard)) => soft,
                Err(_) => return,
            }
        }
    };
    match config.fit_to_descriptors(limit) {
        Some(configured) => tracing::warn!(
            open_file_limit = limit,
            configured,
            max_connections = config.max_connections,
            "max_connections lowered to fit the open-file limit; raise the hard limit (ulimit -Hn, LimitNOFILE=) \
             to allow more"
        ),
        None => tracing::info!(open_file_limit = limit, max_connections = config.max_connections, "connection limits"),
    }
}
