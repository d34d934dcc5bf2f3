//! The flags of the operator's settings: the admin listener and webhooks (`[admin]`, `[webhooks]` in TOML).

use std::net::SocketAddr;

use ruang_server::ServerConfig;
use ruang_server::config::Secret;

/// `--admin-listen`, `--webhook-url`, `--webhook-secret`, `--webhook-queue`.
#[derive(Debug, clap::Args)]
pub struct OperationFlags {
    /// Address of a separate listener for /metrics (open there) and the admin API; unset: both on --listen,
    /// /metrics behind the API key [default: none].
    #[arg(long, env = "RUANG_ADMIN_LISTEN", value_name = "ADDR")]
    admin_listen: Option<SocketAddr>,
    /// http:// URL that receives webhook events (repeatable, or comma-separated).
    #[arg(long = "webhook-url", env = "RUANG_WEBHOOK_URLS", value_delimiter = ',', value_name = "URL")]
    webhook_urls: Vec<String>,
    /// Secret the webhook POSTs are signed with (HMAC-SHA256, at least 16 bytes).
    #[arg(long, env = "RUANG_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Webhook events queued per receiver before new ones are dropped [default: 1024].
    #[arg(long, env = "RUANG_WEBHOOK_QUEUE", value_name = "N")]
    webhook_queue: Option<usize>,
}

impl OperationFlags {
    /// Sets what the flags name.
    pub fn apply(&self, config: &mut ServerConfig) {
        if let Some(address) = self.admin_listen {
            config.admin.listen = Some(address);
        }
        if !self.webhook_urls.is_empty() {
            config.webhooks.urls = self.webhook_urls.clone();
        }
        if let Some(secret) = &self.webhook_secret {
            config.webhooks.secret = Some(Secret::new(secret.clone()));
        }
        if let Some(queue) = self.webhook_queue {
            config.webhooks.queue = queue;
        }
    }
}
