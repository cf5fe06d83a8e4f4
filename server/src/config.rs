//! Settings, resolved in this order: command-line flags, then `FANFARE_*` environment
//! variables (clap reads both), then `fanfare.toml`, then the defaults below.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use crate::secrets::SecretKey;
use crate::storage::media::MediaLocation;

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
    pub secret_key_file: Option<PathBuf>,
    /// Where photos and videos go: a directory or `s3://bucket/prefix`.
    pub media_url: Option<String>,
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
    /// SMTP for moderator notifications and customer invitations; `None`: notifications are
    /// logged as not sent and invitations wait in their queue.
    pub mail: Option<crate::service::notify::email::MailSettings>,
    /// Whether this server sends due invitations in the background (on unless a test drives
    /// the sender with a clock of its own).
    pub send_invitations: bool,
    /// Whether this server settles referral rewards in the background (tests turn it off and
    /// settle at times of their choosing).
    pub settle_rewards: bool,
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
    /// The operator's key, under which webhook secrets and the link-signing key are sealed.
    pub secret_key: SecretKey,
    pub timeouts: Timeouts,
    /// Where photos and videos are kept.
    pub media: MediaLocation,
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
    /// Settings for a server on `addr` sealing under `secret_key`, with everything else at its
    /// default.
    pub fn new(addr: SocketAddr, secret_key: SecretKey, media: MediaLocation) -> Self {
        Self {
            addr,
            public_url: None,
            widget_dir: default_widget_dir(),
            mail: None,
            send_invitations: true,
            settle_rewards: true,
            webhook_retry_base: DEFAULT_WEBHOOK_RETRY_BASE,
            webhook_timeout: crate::service::notify::webhooks::DEFAULT_REQUEST_TIMEOUT,
            rate_limits: true,
            trusted_proxies: Vec::new(),
            allow_private_network_webhooks: false,
            secret_key,
            timeouts: Timeouts::default(),
            media,
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

/// Where the operator's secret key comes from (see [`SecretKey`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretKeySource {
    /// `FANFARE_SECRET_KEY`: the key itself, for containers.
    Inline(String),
    /// `--secret-key-file`, `FANFARE_SECRET_KEY_FILE` or `secret_key_file` in fanfare.toml.
    File(PathBuf),
    /// Nothing given, SQLite: a key file beside the database, created at first start like an
    /// SSH host key.
    BesideDatabase(PathBuf),
}

/// The one sentence that tells an operator how to give the key; also used when PostgreSQL has
/// none.
pub const SECRET_KEY_HOWTO: &str = "create a key once with `openssl rand -hex 32 > /etc/fanfare/secret.key` \
     (mode 0600), then add `secret_key_file = \"/etc/fanfare/secret.key\"` to fanfare.toml, or set \
     FANFARE_SECRET_KEY_FILE=/etc/fanfare/secret.key (or pass --secret-key-file); every instance \
     and `fanfare` command on this database needs the same key";

/// Where the secret key comes from: the flag, then the environment (`env` looks a variable up),
/// then the settings file, then a file beside a SQLite database. PostgreSQL is shared by
/// instances on several machines, which must hold the same key, so it has no default.
pub fn secret_key_source(
    flag: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
    file: &FileSettings,
    database_url: &str,
) -> anyhow::Result<SecretKeySource> {
    if let Some(path) = flag {
        return Ok(SecretKeySource::File(path.to_owned()));
    }
    let env_key = env("FANFARE_SECRET_KEY").filter(|value| !value.is_empty());
    let env_file = env("FANFARE_SECRET_KEY_FILE").filter(|value| !value.is_empty());
    match (env_key, env_file) {
        (Some(_), Some(_)) => {
            anyhow::bail!("both FANFARE_SECRET_KEY and FANFARE_SECRET_KEY_FILE are set; set only one of them")
        }
        (Some(key), None) => return Ok(SecretKeySource::Inline(key)),
        (None, Some(path)) => return Ok(SecretKeySource::File(PathBuf::from(path))),
        (None, None) => {}
    }
    if let Some(path) = &file.secret_key_file {
        return Ok(SecretKeySource::File(path.clone()));
    }
    match sqlite_path(database_url) {
        Some(path) => {
            let mut name = path.into_os_string();
            name.push(".key");
            Ok(SecretKeySource::BesideDatabase(PathBuf::from(name)))
        }
        None => anyhow::bail!(
            "no secret key given: this server seals webhook secrets and its link-signing key with \
             a key kept outside the database, and PostgreSQL (unlike a SQLite file) has no place for a \
             default one; {SECRET_KEY_HOWTO}"
        ),
    }
}

/// Where media go: the flag (or `FANFARE_MEDIA_URL`), then the settings file, then a directory
/// beside a SQLite database (`PATH.media`), or `fanfare-media` in the working directory beside
/// PostgreSQL. Several instances must share one S3-compatible bucket instead.
pub fn media_location(
    flag: Option<&str>,
    file: &FileSettings,
    database_url: &str,
) -> anyhow::Result<MediaLocation> {
    if let Some(value) = flag.or(file.media_url.as_deref()) {
        return MediaLocation::parse(value).map_err(|problem| anyhow::anyhow!("--media-url: {problem}"));
    }
    Ok(MediaLocation::Directory(match sqlite_path(database_url) {
        Some(path) => {
            let mut name = path.into_os_string();
            name.push(".media");
            PathBuf::from(name)
        }
        None => PathBuf::from("fanfare-media"),
    }))
}

/// The file of a `sqlite://PATH` (or `sqlite:PATH`) URL, without its `?options`.
fn sqlite_path(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

/// A key as read, and the file made for it if there was none.
#[derive(Debug)]
pub struct LoadedKey {
    pub key: SecretKey,
    /// The key file created just now beside a SQLite database (its first start).
    pub created: Option<PathBuf>,
}

/// Reads the key from where `source` says; beside a SQLite database, creates it (mode 0600) if
/// it is not there yet. Errors name the file or the variable, never the key.
pub fn load_secret_key(source: &SecretKeySource) -> anyhow::Result<LoadedKey> {
    let read = |key| LoadedKey { key, created: None };
    match source {
        SecretKeySource::Inline(text) => SecretKey::parse(text)
            .map(read)
            .map_err(|problem| anyhow::anyhow!("FANFARE_SECRET_KEY {problem}")),
        SecretKeySource::File(path) => read_key_file(path).map(read),
        SecretKeySource::BesideDatabase(path) if path.exists() => read_key_file(path).map(read),
        SecretKeySource::BesideDatabase(path) => create_key_file(path),
    }
}

fn read_key_file(path: &Path) -> anyhow::Result<SecretKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the secret key file {}", path.display()))?;
    SecretKey::parse(&text)
        .map_err(|problem| anyhow::anyhow!("the secret key in {} {problem}", path.display()))
}

/// A new key in a new file, readable by its owner only. Two processes starting at once: the
/// one that loses the race reads the winner's key.
fn create_key_file(path: &Path) -> anyhow::Result<LoadedKey> {
    use std::io::Write;
    let key = SecretKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(key.to_file_text().as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing the secret key file {}", path.display()))?;
            tracing::info!(
                path = %path.display(),
                "created the secret key file; back it up apart from the database"
            );
            Ok(LoadedKey { key, created: Some(path.to_owned()) })
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            read_key_file(path).map(|key| LoadedKey { key, created: None })
        }
        Err(error) => Err(error).with_context(|| format!("creating the secret key file {}", path.display())),
    }
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

    #[test]
    fn the_secret_key_comes_from_flag_then_environment_then_file_then_beside_sqlite() {
        let none = |_: &str| None;
        let file = FileSettings { secret_key_file: Some("/etc/toml.key".into()), ..FileSettings::default() };
        let env_file = |name: &str| (name == "FANFARE_SECRET_KEY_FILE").then(|| "/run/env.key".to_owned());
        let sqlite = "sqlite://data/fanfare.db?mode=rwc";
        assert_eq!(
            secret_key_source(Some(Path::new("/flag.key")), env_file, &file, sqlite).unwrap(),
            SecretKeySource::File("/flag.key".into())
        );
        assert_eq!(
            secret_key_source(None, env_file, &file, sqlite).unwrap(),
            SecretKeySource::File("/run/env.key".into())
        );
        let env_key = |name: &str| (name == "FANFARE_SECRET_KEY").then(|| "abc".to_owned());
        assert_eq!(
            secret_key_source(None, env_key, &file, sqlite).unwrap(),
            SecretKeySource::Inline("abc".into())
        );
        let both = |_: &str| Some("x".to_owned());
        assert!(secret_key_source(None, both, &file, sqlite).unwrap_err().to_string().contains("only one"));
        assert_eq!(
            secret_key_source(None, none, &file, sqlite).unwrap(),
            SecretKeySource::File("/etc/toml.key".into())
        );
        let defaults = FileSettings::default();
        assert_eq!(
            secret_key_source(None, none, &defaults, sqlite).unwrap(),
            SecretKeySource::BesideDatabase("data/fanfare.db.key".into())
        );
        let refusal =
            secret_key_source(None, none, &defaults, "postgres://db/fanfare").unwrap_err().to_string();
        assert!(refusal.contains("secret_key_file = \"/etc/fanfare/secret.key\""), "{refusal}");
        assert!(refusal.contains("FANFARE_SECRET_KEY_FILE="), "{refusal}");
    }

    #[test]
    fn a_key_file_beside_sqlite_is_created_once_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fanfare.db.key");
        let source = SecretKeySource::BesideDatabase(path.clone());
        let created = load_secret_key(&source).unwrap();
        assert_eq!(created.created.as_deref(), Some(path.as_path()));
        let again = load_secret_key(&source).unwrap();
        assert_eq!((again.key.check_value(), again.created), (created.key.check_value(), None));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // A named file is never created: a mistyped path must not start a new key.
        let missing = SecretKeySource::File(dir.path().join("typo.key"));
        assert!(load_secret_key(&missing).unwrap_err().to_string().contains("typo.key"));
        std::fs::write(&path, "0011").unwrap();
        let error = load_secret_key(&source).unwrap_err().to_string();
        assert!(error.contains("is 2 bytes long") && !error.contains("0011"), "{error}");
        let inline = load_secret_key(&SecretKeySource::Inline("zz".into())).unwrap_err().to_string();
        assert!(inline.starts_with("FANFARE_SECRET_KEY ") && !inline.contains("zz"), "{inline}");
    }
}
