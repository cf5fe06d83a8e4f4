//! The release server on the big site, and what the measurements ask of it over loopback: timed
//! requests, its memory, the dashboard's export and erasure, and the CLI's export.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use fanfare_server::testing::TestDatabase;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;

/// The release server, stopped when dropped.
pub(super) struct Server {
    child: Child,
    pub(super) base: String,
    pub(super) client: reqwest::Client,
    _log: tempfile::NamedTempFile,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command that runs `fanfare` on the database, as the bench's other parts run it.
pub(super) fn fanfare(binary: &Path, database: &TestDatabase) -> Command {
    let mut command = Command::new(binary);
    // PostgreSQL keeps no key file or media directory beside the database: given as the tests do.
    let (key_name, key) = database.secret_key_env();
    let (media_name, media) = database.media_env();
    command
        .args(["--database", &database.url])
        .env("FANFARE_RATE_LIMITS", "off")
        .env("FANFARE_LOG", "warn")
        .env(key_name, key)
        .env(media_name, media);
    command
}

impl Server {
    /// Starts the server and waits for `/healthz`; returns it and how long that took.
    pub(super) async fn start(binary: &Path, database: &TestDatabase) -> anyhow::Result<(Self, f64)> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = tempfile::NamedTempFile::new().context("creating the server's log file")?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .context("building the HTTP client")?;
        let started = Instant::now();
        let child = fanfare(binary, database)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(log.reopen().context("opening the server's log file")?)
            .spawn()
            .context("starting the release server")?;
        let server = Self { child, base, client, _log: log };
        // Polled often: the figure is the time to the first answer, to a few milliseconds.
        for _ in 0..6000 {
            if server
                .client
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok((server, started.elapsed().as_secs_f64() * 1000.0));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let said = std::fs::read_to_string(server._log.path()).unwrap_or_default();
        bail!("the release server did not answer /healthz within 30 s; it said: {}", said.trim())
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// GETs `path` (with the token, when given) and reads the whole body: milliseconds.
    pub(super) async fn time_get(&self, path: &str, token: Option<&str>) -> anyhow::Result<f64> {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let started = Instant::now();
        let response = request.send().await.with_context(|| format!("GET {path}"))?;
        let status = response.status();
        let body = response.bytes().await.with_context(|| format!("reading GET {path}"))?;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        if !status.is_success() {
            bail!("GET {path} answered {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(elapsed)
    }

    /// The public list's cache misses so far, from `/metrics`.
    pub(super) async fn cache_misses(&self) -> anyhow::Result<u64> {
        let metrics = self.client.get(format!("{}/metrics", self.base)).send().await?.text().await?;
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("fanfare_public_list_cache_misses_total "))
            .and_then(|value| value.trim().parse().ok())
            .context("no fanfare_public_list_cache_misses_total in /metrics")
    }

    /// Signs in to the dashboard: the session cookie, and the CSRF token its forms carry.
    pub(super) async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<Session> {
        let response = self
            .client
            .post(format!("{}/admin/login", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(&[("email", email), ("password", password), ("next", "/admin")]))
            .send()
            .await
            .context("signing in")?;
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|value| value.split(';').next().filter(|pair| pair.contains("fanfare_session=")))
            .map(str::to_owned)
            .with_context(|| format!("signing in answered {} without a session cookie", response.status()))?;
        let page = self
            .client
            .get(format!("{}/admin/sites/{}/data", self.base, super::seed::SLUG))
            .header(COOKIE, &cookie)
            .send()
            .await?
            .text()
            .await?;
        let marker = "name=\"csrf\" value=\"";
        let csrf = page
            .split_once(marker)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(token, _)| token.to_owned())
            .context("no CSRF token on the Data page")?;
        Ok(Session { cookie, csrf })
    }

    /// Downloads the JSON export from the dashboard, reading it as it arrives: seconds and bytes.
    pub(super) async fn download_export(&self, session: &Session) -> anyhow::Result<(f64, u64)> {
        let path = format!("/admin/sites/{}/export.json", super::seed::SLUG);
        let started = Instant::now();
        let mut response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &session.cookie)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        if !response.status().is_success() {
            bail!("GET {path} answered {}", response.status());
        }
        let mut bytes = 0;
        while let Some(chunk) = response.chunk().await.with_context(|| format!("reading {path}"))? {
            bytes += chunk.len() as u64;
        }
        Ok((started.elapsed().as_secs_f64(), bytes))
    }

    /// Erases an address through the dashboard's Data page: milliseconds.
    pub(super) async fn erase(&self, session: &Session, email: &str) -> anyhow::Result<f64> {
        let path = format!("/admin/sites/{}/erase", super::seed::SLUG);
        let started = Instant::now();
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &session.cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(&[("csrf", &session.csrf), ("email", email)]))
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let page = response.text().await?;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        if !status.is_success() {
            bail!("erasing {email} answered {status}");
        }
        if !page.contains("testimonial") {
            bail!("erasing {email} did not say what it erased");
        }
        Ok(elapsed)
    }
}

pub(super) struct Session {
    cookie: String,
    csrf: String,
}

fn form(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(name, value)| format!("{name}={}", encode(value))).collect::<Vec<_>>().join("&")
}

/// Percent-encodes everything but letters, digits and `-._~`.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A process's memory high-water mark (`VmHWM`), in MB.
pub(super) fn peak_rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).context("no VmHWM")?;
    let kb: f64 =
        line.split_whitespace().nth(1).and_then(|kb| kb.parse().ok()).context("VmHWM unreadable")?;
    Ok(kb / 1024.0)
}

/// Starts a new high-water mark at the process's present memory (Linux's `clear_refs`), so
/// the next [`peak_rss_mb`] covers only what follows.
pub(super) fn reset_peak_rss(pid: u32) -> anyhow::Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .with_context(|| format!("resetting the peak RSS of {pid}"))
}

/// Runs `fanfare export` to a file: seconds, bytes written and the command's peak RSS in MB
/// (polled: the kernel forgets it once the process has exited).
pub(super) async fn cli_export(binary: &Path, database: &TestDatabase) -> anyhow::Result<(f64, u64, f64)> {
    let dir = tempfile::tempdir().context("a directory for the export")?;
    let file = dir.path().join("export.json");
    let log = tempfile::NamedTempFile::new().context("creating the export's log file")?;
    let started = Instant::now();
    let mut child = fanfare(binary, database)
        .args(["export", "--site", super::seed::SLUG, "--output"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(log.reopen().context("opening the export's log file")?)
        .spawn()
        .context("running fanfare export")?;
    let pid = child.id();
    let mut peak: f64 = 0.0;
    let status = loop {
        if let Ok(mb) = peak_rss_mb(pid) {
            peak = peak.max(mb);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        let said = std::fs::read_to_string(log.path()).unwrap_or_default();
        bail!("fanfare export failed ({status}): {}", said.trim());
    }
    let bytes = std::fs::metadata(&file).with_context(|| format!("reading {}", file.display()))?.len();
    Ok((seconds, bytes, peak))
}
