//! `fanfare demo` in-process: both origins on free loopback ports, over a fresh SQLite file.

use std::path::PathBuf;

use anyhow::{bail, Context};
use fanfare_protocol::api::{ModerationPage, ModerationTestimonial, Status, TestimonialPage};
use fanfare_protocol::referrals::{ModerationReferral, ReferralPage};
use fanfare_server::cli::demo::{Demo, DEMO_MODERATOR, DEMO_SITE};
use fanfare_server::config::{default_widget_dir, ServerSettings};
use fanfare_server::service::Service;
use fanfare_server::storage::{self, DynStorage};
use fanfare_server::testing::TestDatabase;

use crate::browser::wait_for;

pub struct RunningDemo {
    pub api_url: String,
    pub site_url: String,
    pub token: String,
    /// The demo owner's dashboard password (the email is `fanfare_server::cli::demo::DEMO_MODERATOR`).
    pub password: String,
    /// Content-Security-Policy violations the demo pages reported.
    pub csp_reports: fanfare_server::cli::demo::CspReports,
    pub storage: DynStorage,
    /// The running server's service, for setting up what a test needs beyond the seed.
    pub service: Service,
    http: reqwest::Client,
    // Declared last: the servers stop before their database goes away.
    _stop: tokio::sync::oneshot::Sender<()>,
    _database: TestDatabase,
}

/// The widget build the servers serve: `FANFARE_WIDGET_DIR` or the source tree's target/widget.
pub fn widget_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os("FANFARE_WIDGET_DIR").map(PathBuf::from).unwrap_or_else(default_widget_dir);
    if !dir.join("embed.js").exists() {
        bail!(
            "no widget build in {}: run `cargo xtask build` first (`cargo xtask test` does)",
            dir.display()
        );
    }
    Ok(dir)
}

/// The test-only widget with json.rs's readers and writers exported (`cargo xtask build
/// --wire-probe`): `FANFARE_WIRE_WIDGET_DIR` or the source tree's target/widget-wire.
pub fn wire_probe_widget_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os("FANFARE_WIRE_WIDGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| default_widget_dir().with_file_name("widget-wire"));
    if !dir.join("manifest.json").exists() {
        bail!(
            "no wire-probe widget build in {}: run `cargo xtask build --wire-probe` first (`cargo xtask test` does)",
            dir.display()
        );
    }
    Ok(dir)
}

impl RunningDemo {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_serving(widget_dir()?).await
    }

    /// The demo serving the widget build in `widget_dir`.
    pub async fn start_serving(widget_dir: PathBuf) -> anyhow::Result<Self> {
        // SQLite or PostgreSQL, as FANFARE_TEST_BACKEND says: the flow runs on both.
        let database = TestDatabase::create().await?;
        let storage = storage::connect(&database.url).await?;
        let settings = ServerSettings {
            widget_dir,
            ..ServerSettings::new("127.0.0.1:0".parse()?, database.secret_key.clone(), database.media())
        };
        let demo = Demo::start(storage.clone(), settings, "127.0.0.1:0".parse()?).await?;
        let (api_url, site_url, token) = (demo.api_url.clone(), demo.site_url.clone(), demo.token.clone());
        let password = demo.moderator_password.clone();
        let csp_reports = demo.csp_reports.clone();
        let service = demo.service().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(demo.serve(async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            csp_reports,
            api_url,
            site_url,
            token,
            password,
            storage,
            service,
            // Lets go of idle connections before the server closes them (see `http_client`).
            http: fanfare_server::testing::http_client(&fanfare_server::config::Timeouts::default())
                .build()?,
            _database: database,
            _stop: stop,
        })
    }

    /// The moderation queue of the demo site for `status`, through the bearer API.
    pub async fn queue(&self, status: Status) -> anyhow::Result<ModerationPage> {
        let url =
            format!("{}/api/v1/sites/{DEMO_SITE}/moderation/testimonials?status={status}", self.api_url);
        let response = self.http.get(url).bearer_auth(&self.token).send().await?;
        if !response.status().is_success() {
            bail!("listing the {status} queue failed: {}", response.status());
        }
        response.json().await.context("reading the moderation queue")
    }

    /// Every testimonial of the demo site in `status`, page after page, through the bearer API.
    pub async fn all_in(&self, status: Status) -> anyhow::Result<Vec<ModerationTestimonial>> {
        let mut items = Vec::new();
        let mut cursor = String::new();
        loop {
            let url = format!(
                "{}/api/v1/sites/{DEMO_SITE}/moderation/testimonials?status={status}&cursor={cursor}",
                self.api_url
            );
            let page: ModerationPage = self.get_as_moderator(&url).await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = next,
                None => return Ok(items),
            }
        }
    }

    /// Every advocate on the demo site's referral leaderboard, through the bearer API.
    pub async fn all_advocates(&self) -> anyhow::Result<Vec<ModerationReferral>> {
        let mut items = Vec::new();
        let mut cursor = String::new();
        loop {
            let url =
                format!("{}/api/v1/sites/{DEMO_SITE}/moderation/referrals?cursor={cursor}", self.api_url);
            let page: ReferralPage = self.get_as_moderator(&url).await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = next,
                None => return Ok(items),
            }
        }
    }

    /// A moderation API answer, read as `T`.
    pub async fn get_as_moderator<T: serde::de::DeserializeOwned>(&self, url: &str) -> anyhow::Result<T> {
        let response = self.http.get(url).bearer_auth(&self.token).send().await?;
        if !response.status().is_success() {
            bail!("GET {url} failed: {}", response.status());
        }
        response.json().await.with_context(|| format!("reading {url}"))
    }

    /// Signs the browser in to the dashboard as the demo's owner.
    pub async fn sign_in(&self, page: &crate::webdriver::Session) -> anyhow::Result<()> {
        self.sign_in_as(page, DEMO_MODERATOR, &self.password).await
    }

    /// Signs the browser in to the dashboard with the sign-in form.
    pub async fn sign_in_as(
        &self,
        page: &crate::webdriver::Session,
        email: &str,
        password: &str,
    ) -> anyhow::Result<()> {
        page.goto(&format!("{}/admin/login", self.api_url)).await?;
        let email_field =
            wait_for("the sign-in form", || async { page.find("form.login input#email").await }).await?;
        page.send_keys(&email_field, email).await?;
        let password_field = page.find("input#password").await?.context("a password field")?;
        page.send_keys(&password_field, password).await?;
        page.click(&page.find("form.login button[type=submit]").await?.context("a sign-in button")?).await?;
        wait_for("signed in", || async { page.find("form[action='/admin/logout']").await }).await.map(drop)
    }

    /// The first page of the demo site's published testimonials, as the widget fetches it.
    pub async fn wall(&self) -> anyhow::Result<TestimonialPage> {
        let url = format!("{}/api/v1/sites/{DEMO_SITE}/testimonials", self.api_url);
        let response = self.http.get(url).send().await?;
        if !response.status().is_success() {
            bail!("listing the published testimonials failed: {}", response.status());
        }
        response.json().await.context("reading the published testimonials")
    }

    pub async fn approve(&self, id: &str) -> anyhow::Result<()> {
        let url = format!("{}/api/v1/sites/{DEMO_SITE}/moderation/testimonials/{id}/approve", self.api_url);
        let response = self.http.post(url).bearer_auth(&self.token).send().await?;
        if !response.status().is_success() {
            bail!("approving {id} failed: {}", response.status());
        }
        Ok(())
    }

    /// Submits a testimonial from the demo website's origin, as its widget would; returns the id.
    pub async fn submit(&self, name: &str, text: &str) -> anyhow::Result<String> {
        let url = format!("{}/api/v1/sites/{DEMO_SITE}/testimonials", self.api_url);
        let body = serde_json::json!({
            "name": name, "email": "visitor@example.com", "rating": 5, "text": text, "consent": true,
        });
        let response = self.http.post(url).header("Origin", &self.site_url).json(&body).send().await?;
        if response.status() != 201 {
            bail!("submitting failed: {} {}", response.status(), response.text().await?);
        }
        let created: serde_json::Value = response.json().await?;
        created["id"].as_str().map(str::to_owned).context("the created testimonial has an id")
    }

    /// Submits a video testimonial from the demo website's origin, as the recorder and the
    /// widget would (the recording of Chromium's stand-in camera, whole, with a poster frame);
    /// returns the testimonial's id and the video's.
    pub async fn submit_video(&self, name: &str, text: &str) -> anyhow::Result<(String, String)> {
        let api = format!("{}/api/v1/sites/{DEMO_SITE}", self.api_url);
        let recording = fanfare_server::video_samples::fixture("fake-camera.webm");
        let response = self
            .http
            .post(format!("{api}/uploads"))
            .header("Origin", &self.site_url)
            .header("Content-Type", "video/webm")
            .body(recording)
            .send()
            .await?;
        if response.status() != 201 {
            bail!("uploading the video failed: {} {}", response.status(), response.text().await?);
        }
        let uploaded: serde_json::Value = response.json().await?;
        let video = uploaded["id"].as_str().context("the upload has an id")?.to_owned();
        let frame =
            image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
        let mut poster = Vec::new();
        frame.write_to(&mut std::io::Cursor::new(&mut poster), image::ImageFormat::Jpeg)?;
        let response = self
            .http
            .put(format!("{api}/uploads/{video}/poster"))
            .header("Origin", &self.site_url)
            .header("Content-Type", "image/jpeg")
            .body(poster)
            .send()
            .await?;
        if response.status() != 204 {
            bail!("sending the poster failed: {}", response.status());
        }
        let body = serde_json::json!({
            "name": name, "email": "visitor@example.com", "rating": 5, "text": text, "consent": true,
            "video": video,
        });
        let response = self
            .http
            .post(format!("{api}/testimonials"))
            .header("Origin", &self.site_url)
            .json(&body)
            .send()
            .await?;
        if response.status() != 201 {
            bail!("submitting failed: {} {}", response.status(), response.text().await?);
        }
        let created: serde_json::Value = response.json().await?;
        let id = created["id"].as_str().context("the created testimonial has an id")?.to_owned();
        Ok((id, video))
    }

    /// A testimonial's current status, read from the database.
    pub async fn status_of(&self, id: &str) -> anyhow::Result<Status> {
        let site = self.storage.site_by_slug(DEMO_SITE).await?.context("the demo site exists")?;
        Ok(self.storage.testimonial(site.id, id).await?.context("the testimonial exists")?.status)
    }
}
