use std::path::Path;

use fanfare_protocol::api::{ModerationPage, TestimonialCreated, TestimonialPage};
use fanfare_server::config::ServerSettings;
use fanfare_server::domain::{Origin, Role, SiteSlug};
use fanfare_server::service::sites::OwnedWebhook;
use fanfare_server::service::{Actor, Service, ServiceSettings};
use fanfare_server::startup::Application;
use fanfare_server::storage::{self, DynStorage, NewSite};
use fanfare_server::testing::{self, TestDatabase};
use serde_json::{json, Value};
use tempfile::TempDir;

pub const SITE: &str = "acme";
pub const ORIGIN: &str = "https://acme.test";
pub const OTHER_SITE: &str = "globex";
pub const OTHER_ORIGIN: &str = "https://globex.test";

pub struct TestApp {
    pub address: String,
    pub storage: DynStorage,
    /// The running server's service, for arranging what a test needs without HTTP.
    pub service: Service,
    pub client: reqwest::Client,
    pub dir: TempDir,
    /// SQLite or PostgreSQL, as `FANFARE_TEST_BACKEND` says; dropped with the app.
    pub database: TestDatabase,
}

/// A server on a free port over a fresh database holding two sites, `acme` and `globex`.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// [`spawn_app`] with changed settings (SMTP, webhook retry pauses).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut ServerSettings)) -> TestApp {
    capture_logs();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let widget_dir = dir.path().join("widget");
    write_fake_build(&widget_dir);
    let database = TestDatabase::create().await.expect("a fresh database");
    let storage = storage::connect(&database.url).await.expect("a migrated database");
    for (slug, origin) in [(SITE, ORIGIN), (OTHER_SITE, OTHER_ORIGIN)] {
        let site = NewSite {
            slug: SiteSlug::parse(slug).unwrap(),
            name: format!("{slug} Inc."),
            origins: vec![Origin::parse(origin).unwrap()],
            consent_text: "You may publish this.".into(),
        };
        storage.create_site(site, 0).await.expect("a site");
    }
    let mut settings = ServerSettings {
        widget_dir,
        ..ServerSettings::new("127.0.0.1:0".parse().unwrap(), database.secret_key.clone(), database.media())
    };
    adjust(&mut settings);
    let app = Application::build(storage.clone(), &settings).await.expect("the server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let service = app.service().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    // Redirects are part of what the dashboard answers, so tests see them instead of following.
    let client =
        testing::http_client(&settings.timeouts).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { address, storage, service, client, dir, database }
}

/// Everything every server in this test binary has logged, as `fanfare serve` would write it.
static LOG: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends the log of every server this binary starts into [`LOG`], at every level of our own
/// code. Tests run in parallel in one process, so a test looks for strings only it produced.
fn capture_logs() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info,fanfare_server=trace"))
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .try_init();
    });
}

/// What the servers have logged so far (see [`capture_logs`]).
pub fn captured_log() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
}

/// Stands in for `cargo xtask build`'s output: the server serves whatever files are there.
fn write_fake_build(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("embed.js"), "/* loader */").unwrap();
    std::fs::write(dir.join("fanfare-0123abcd_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("fanfare-0123abcd.js"), "export default 1;").unwrap();
    std::fs::write(dir.join("fanfare-0123abcd.css"), ".fanfare{}").unwrap();
    let manifest =
        r#"{"glue":"fanfare-0123abcd.js","wasm":"fanfare-0123abcd_bg.wasm","css":"fanfare-0123abcd.css"}"#;
    std::fs::write(dir.join("manifest.json"), manifest).unwrap();
    // Stand-ins for the precompressed copies: what matters is which one is sent.
    std::fs::write(dir.join("fanfare-0123abcd_bg.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(dir.join("fanfare-0123abcd_bg.wasm.gz"), b"gzip bytes").unwrap();
}

pub fn valid_submission() -> Value {
    json!({
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "role": "Analyst",
        "company": "Engines Ltd",
        "rating": 5,
        "text": "The beans are wonderful and arrive fresh.",
        "consent": true,
    })
}

impl TestApp {
    pub async fn site(&self, slug: &str) -> fanfare_server::storage::Site {
        self.service.find_site(slug).await.unwrap()
    }

    pub async fn acme(&self) -> fanfare_server::storage::Site {
        self.site(SITE).await
    }

    /// A new site key of the site, as `fanfare key create` makes.
    pub async fn site_key(&self, slug: &str) -> String {
        let site = self.site(slug).await;
        self.service.create_site_key(&site, Actor::CommandLine, "order system").await.unwrap().secret
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A webhook of `acme` stored as `fanfare webhook add --allow-private-network-webhooks`
    /// stores it (its secret sealed under this database's key), whatever this server allows.
    pub async fn add_webhook_as_operator(&self, url: &str) -> OwnedWebhook {
        let settings = ServiceSettings {
            public_url: self.address.clone(),
            mail: None,
            rate_limits: false,
            allow_private_network_webhooks: true,
            secret_key: self.database.secret_key.clone(),
            media: self.database.media(),
        };
        let operator = Service::open(self.storage.clone(), &settings).await.expect("the service opens");
        let site = operator.find_site(SITE).await.expect("the site");
        let added = operator.add_webhook(&site, Actor::CommandLine, url).await.expect("the webhook is added");
        // Another service (as the CLI is): this server's cached site learns of the webhook
        // within FRESH_FOR, as README promises, and events before that queue nothing.
        tokio::time::sleep(fanfare_server::service::cache::FRESH_FOR).await;
        added
    }

    /// POSTs a testimonial from the site's own origin, as the widget does.
    pub async fn submit(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/sites/{SITE}/testimonials")))
            .header("Origin", ORIGIN)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn submit_ok(&self, body: &Value) -> TestimonialCreated {
        let response = self.submit(body).await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        response.json().await.expect("a created body")
    }

    pub async fn public_page(&self, query: &str) -> TestimonialPage {
        let response = self
            .client
            .get(self.url(&format!("/api/v1/sites/{SITE}/testimonials{query}")))
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), 200);
        response.json().await.expect("a page")
    }

    /// A bearer token for a new moderator of `site`.
    /// `GET …/moderation/referrals` of the first site with a moderator's token: the leaderboard.
    pub async fn referral_board(&self) -> Value {
        let token = self.moderator_token(SITE).await;
        let response = self
            .client
            .get(self.url(&format!("/api/v1/sites/{SITE}/moderation/referrals")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn moderator_token(&self, site: &str) -> String {
        let email = format!("mod-{site}@example.com");
        self.add_user(&email, site, Role::Moderator, None).await;
        self.service.create_token_for(&email).await.expect("a token")
    }

    pub async fn moderate(&self, token: &str, site: &str, id: &str, action: &str) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/sites/{site}/moderation/testimonials/{id}/{action}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn queue(&self, token: &str, status: &str) -> ModerationPage {
        let response = self
            .client
            .get(self.url(&format!("/api/v1/sites/{SITE}/moderation/testimonials?status={status}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), 200);
        response.json().await.expect("a moderation page")
    }

    /// Every testimonial of `acme` in any status: what "nothing stored changed" is checked on.
    pub async fn everything_stored(&self) -> Vec<fanfare_server::storage::Testimonial> {
        let site = self.storage.site_by_slug(SITE).await.unwrap().unwrap();
        let mut all = Vec::new();
        for status in fanfare_protocol::api::Status::ALL {
            let query = fanfare_server::storage::ListQuery { limit: 1000, ..Default::default() };
            all.extend(self.storage.list_by_status(site.id, status, &query).await.unwrap());
        }
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }
}

/// Reads an error body and returns `(error code, fields)`.
pub async fn error_of(response: reqwest::Response) -> (String, Value) {
    let body: Value = response.json().await.expect("an error body");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "errors carry a message: {body}");
    (body["error"].as_str().unwrap_or_default().to_owned(), body["fields"].clone())
}

pub const PASSWORD: &str = "correct horse battery";

/// A signed-in dashboard session: the cookie to send and the CSRF token its forms carry.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl TestApp {
    /// A person with a password and `role` on `site`.
    pub async fn dashboard_user(&self, email: &str, site: &str, role: Role) {
        self.add_user(email, site, role, Some(PASSWORD.into())).await;
    }

    /// Gives the person a role on the site, as `fanfare user add` does.
    pub async fn add_user(&self, email: &str, site: &str, role: Role, password: Option<String>) {
        let site = self.storage.site_by_slug(site).await.expect("storage").expect("the site exists");
        self.service.add_member(&site, Actor::CommandLine, email, role, password).await.expect("a user");
    }

    /// POSTs the sign-in form as a browser on our own origin does.
    pub async fn login_response(&self, email: &str, password: &str, next: &str) -> reqwest::Response {
        self.client
            .post(self.url("/admin/login"))
            .header("Origin", &self.address)
            .form(&[("email", email), ("password", password), ("next", next)])
            .send()
            .await
            .expect("request sent")
    }

    pub async fn login(&self, email: &str) -> Session {
        let response = self.login_response(email, PASSWORD, "/admin").await;
        assert_eq!(response.status(), 303, "{:?}", response.text().await);
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|value| value.strip_prefix("fanfare_session="))
            .and_then(|value| value.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let cookie = format!("fanfare_session={cookie}");
        let page = self.get_page(&cookie, "/admin/tokens").await;
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a CSRF token in the page")
            .to_owned();
        Session { cookie, csrf }
    }

    /// GETs a dashboard page that must answer 200, returning its HTML.
    pub async fn get_page(&self, cookie: &str, path: &str) -> String {
        let response =
            self.client.get(self.url(path)).header("Cookie", cookie).send().await.expect("request sent");
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.expect("a page")
    }

    /// POSTs a dashboard form from our own origin with the session's CSRF token.
    pub async fn post_form(
        &self,
        session: &Session,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = vec![("csrf", session.csrf.as_str())];
        form.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .header("Cookie", &session.cookie)
            .header("Origin", &self.address)
            .form(&form)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn stored(&self, site: &str, id: &str) -> fanfare_server::storage::Testimonial {
        let site = self.storage.site_by_slug(site).await.unwrap().unwrap();
        self.storage.testimonial(site.id, id).await.unwrap().expect("the testimonial is stored")
    }
}

/// A field a dashboard form refused, as the page shows it again.
pub struct RefusedField {
    /// The field's opening tag, with the value typed into an input.
    pub tag: String,
    /// What stands in a text box or select, as it is in the page.
    pub inner: String,
    /// The message right under the field.
    pub message: String,
}

/// The field with the element id `id` in a re-shown dashboard page, after checking the
/// dashboard's rule for a refusal: the field is `aria-invalid="true"`, described by
/// `{id}-error`, and that message (`p.error`) comes right after it.
pub fn refused_field(page: &str, id: &str) -> RefusedField {
    let at = page.find(&format!(" id=\"{id}\"")).unwrap_or_else(|| panic!("no field #{id} in {page}"));
    let start = page[..at].rfind('<').expect("the field's tag");
    let end = at + page[at..].find('>').expect("the end of the field's tag");
    let tag = page[start..=end].to_owned();
    let name: String = tag[1..].chars().take_while(char::is_ascii_alphabetic).collect();
    assert!(tag.contains(r#" aria-invalid="true""#), "#{id} is not marked invalid: {tag}");
    let described = tag
        .split_once(" aria-describedby=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(ids, _)| ids)
        .unwrap_or_else(|| panic!("#{id} is described by nothing: {tag}"));
    assert!(described.split(' ').any(|one| one == format!("{id}-error")), "#{id} described by {described}");
    let (inner, after) = if name == "input" {
        ("", &page[end + 1..])
    } else {
        let close = format!("</{name}>");
        let length = page[end + 1..].find(&close).unwrap_or_else(|| panic!("no {close} after #{id}"));
        (&page[end + 1..end + 1 + length], &page[end + 1 + length + close.len()..])
    };
    let opening = format!(r#"<p class="error" id="{id}-error">"#);
    let message = after
        .strip_prefix(&opening)
        .and_then(|rest| rest.split_once("</p>"))
        .map(|(message, _)| message.to_owned())
        .unwrap_or_else(|| {
            panic!("no {opening} right under #{id}: {}", after.chars().take(300).collect::<String>())
        });
    RefusedField { tag, inner: inner.to_owned(), message }
}
