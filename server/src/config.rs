//! Settings, resolved in this order: command-line flags, then `FANFARE_*` environment
//! variables (clap reads both), then `fanfare.toml`, then the defaults below.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://fanfare.db";
pub const DEFAULT_DEMO_DATABASE_URL: &str = "sqlite://fanfare-demo.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DEMO_SITE_ADDR: &str = "127.0.0.1:8081";

/// The keys `fanfare.toml` may hold; an unknown key is an error so typos do not pass silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub database: Option<String>,
    pub addr: Option<String>,
    pub public_url: Option<String>,
    pub widget_dir: Option<PathBuf>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub rate_limits: Option<String>,
    pub trusted_proxies: Option<Vec<String>>,
    pub allow_private_network_webhooks: Option<bool>,
}

impl FileSettings {
    /// Reads `path` if given, else `fanfare.toml` in the working directory if it exists.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let (path, required) = match path {
            Some(path) => (path.to_owned(), true),
            None => (PathBuf::from("fanfare.toml"), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| format!("reading settings from {}", path.display()))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && !required => Ok(Self::default()),
            Err(error) => Err(error).with_context(|| format!("reading settings from {}", path.display())),
        }
    }
}

/// What a running server needs to know.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub addr: SocketAddr,
    /// Where visitors reach this server, for links it hands out (manage links). `None` means
    /// `http://` plus the bound address.
    pub public_url: Option<String>,
    /// The output of `cargo xtask build` (`embed.js` and the hashed widget files).
    pub widget_dir: PathBuf,
    /// SMTP for moderator notifications; `None` logs only that one was not sent (to whom, subject).
    pub mail: Option<crate::service::notify::email::MailSettings>,
    /// The first pause before a failed webhook delivery is retried; later pauses grow.
    pub webhook_retry_base: Duration,
    /// How long one webhook request may take (10 s).
    pub webhook_timeout: Duration,
    /// Off only for load tests and benchmarks.
    pub rate_limits: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<crate::domain::IpCidr>,
    /// Webhooks may reach loopback, private and other non-public addresses (the operator's own
    /// receivers); off by default, so a site owner cannot probe the operator's network.
    pub allow_private_network_webhooks: bool,
    pub timeouts: Timeouts,
}

/// How long a client may take: slow clients must not hold connections open.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// To send the request headers.
    pub header_read: Duration,
    /// From the headers to our answer, body upload included.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { header_read: Duration::from_secs(10), request: Duration::from_secs(30) }
    }
}

pub const DEFAULT_WEBHOOK_RETRY_BASE: Duration = Duration::from_secs(30);

impl ServerSettings {
    /// Settings for a server on `addr` with everything else at its default.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            public_url: None,
            widget_dir: default_widget_dir(),
            mail: None,
            webhook_retry_base: DEFAULT_WEBHOOK_RETRY_BASE,
            webhook_timeout: crate::service::notify::webhooks::DEFAULT_REQUEST_TIMEOUT,
            rate_limits: true,
            trusted_proxies: Vec::new(),
            allow_private_network_webhooks: false,
            timeouts: Timeouts::default(),
        }
    }
}

pub fn parse_addr(raw: &str) -> anyhow::Result<SocketAddr> {
    raw.parse().with_context(|| format!("--addr {raw:?} must be an address like 127.0.0.1:8080"))
}

/// The widget build output: `FANFARE_WIDGET_DIR`, else `target/widget` in the source tree the
/// binary was built from (so `cargo xtask build` then `cargo run` just works).
pub fn default_widget_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/widget")
}

/// Checks a public URL and drops a trailing slash.
pub fn parse_public_url(raw: &str) -> anyhow::Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let ok = (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
        && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
    anyhow::ensure!(ok, "--public-url {raw:?} must be an http(s) URL like https://reviews.example.com");
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_files_refuse_unknown_keys() {
        let error = toml::from_str::<FileSettings>("databse = 'x'").unwrap_err();
        assert!(error.to_string().contains("databse"), "{error}");
        let settings: FileSettings = toml::from_str("database = 'sqlite://x.db'").unwrap();
        assert_eq!(settings.database.as_deref(), Some("sqlite://x.db"));
    }

    #[test]
    fn public_urls_are_http_without_trailing_slash() {
        assert_eq!(parse_public_url("https://reviews.example.com/").unwrap(), "https://reviews.example.com");
        assert!(parse_public_url("reviews.example.com").is_err());
    }
}
