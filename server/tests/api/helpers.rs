use std::path::Path;

use fanfare_protocol::api::{ModerationPage, TestimonialCreated, TestimonialPage};
use fanfare_server::commands::{add_user, create_token};
use fanfare_server::config::ServerSettings;
use fanfare_server::domain::{Origin, Role, SiteSlug};
use fanfare_server::startup::Application;
use fanfare_server::storage::{self, DynStorage, NewSite};
use serde_json::{json, Value};
use tempfile::TempDir;

pub const SITE: &str = "acme";
pub const ORIGIN: &str = "https://acme.test";
pub const OTHER_SITE: &str = "globex";
pub const OTHER_ORIGIN: &str = "https://globex.test";

pub struct TestApp {
    pub address: String,
    pub storage: DynStorage,
    pub client: reqwest::Client,
    pub dir: TempDir,
}

/// A server on a free port over a fresh database holding two sites, `acme` and `globex`.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let widget_dir = dir.path().join("widget");
    write_fake_build(&widget_dir);
    let database_url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
    let storage = storage::connect(&database_url).await.expect("a fresh database");
    for (slug, origin) in [(SITE, ORIGIN), (OTHER_SITE, OTHER_ORIGIN)] {
        let site = NewSite {
            slug: SiteSlug::parse(slug).unwrap(),
            name: format!("{slug} Inc."),
            origins: vec![Origin::parse(origin).unwrap()],
            consent_text: "You may publish this.".into(),
        };
        storage.create_site(site, 0).await.expect("a site");
    }
    let settings = ServerSettings { addr: "127.0.0.1:0".parse().unwrap(), public_url: None, widget_dir };
    let app = Application::build(storage.clone(), &settings).await.expect("the server builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp { address, storage, client: reqwest::Client::new(), dir }
}

/// Stands in for `cargo xtask build`'s output: the server serves whatever files are there.
fn write_fake_build(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("embed.js"), "/* loader */").unwrap();
    std::fs::write(dir.join("fanfare-0123abcd_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("fanfare-0123abcd.js"), "export default 1;").unwrap();
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
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
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
    pub async fn moderator_token(&self, site: &str) -> String {
        let email = format!("mod-{site}@example.com");
        add_user(&self.storage, &email, site, Role::Moderator, None).await.expect("a moderator");
        create_token(&self.storage, &email).await.expect("a token")
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
