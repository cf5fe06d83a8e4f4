//! A fresh database with one site, per test.

use fanfare_protocol::api::Status;
use fanfare_server::domain::{Origin, SiteSlug};
use fanfare_server::service::{Service, ServiceSettings};
use fanfare_server::storage::media::MediaLocation;
use fanfare_server::storage::{self, DynStorage, NewSite, Site};
use fanfare_server::testing::TestDatabase;

pub struct World {
    pub storage: DynStorage,
    pub site: Site,
    // Dropped last: the database goes after everything using it.
    database: TestDatabase,
}

impl World {
    /// A webhook of the site `site_id` at `url`, stored directly (its secret is a placeholder:
    /// these tests never sign anything).
    pub async fn webhook(&self, site_id: i64, url: &str) {
        self.storage.add_webhook(site_id, url, "whsec_test", 1, 10).await.unwrap().expect("under the cap");
    }

    pub async fn new() -> Self {
        let database = TestDatabase::create().await.expect("a fresh database");
        let storage = storage::connect(&database.url).await.expect("a migrated database");
        let site = storage.create_site(new_site("acme"), 0).await.expect("a site");
        Self { storage, site, database }
    }

    pub async fn other_site(&self) -> Site {
        self.storage.create_site(new_site("globex"), 0).await.expect("a second site")
    }

    /// The database's URL, for SQL a test writes by hand (rows from an older version).
    pub fn url(&self) -> &str {
        &self.database.url
    }

    /// Where the service keeps this database's media.
    pub fn media_dir(&self) -> &std::path::Path {
        &self.database.media_dir
    }

    pub async fn service(&self) -> Service {
        self.service_on(self.database.media()).await.expect("the service opens")
    }

    /// The service over this database with its media in `media`.
    pub async fn service_on(&self, media: MediaLocation) -> anyhow::Result<Service> {
        let settings = ServiceSettings {
            public_url: "http://127.0.0.1:9".into(),
            mail: None,
            rate_limits: true,
            allow_private_network_webhooks: false,
            secret_key: self.database.secret_key.clone(),
            media,
        };
        Service::open(self.storage.clone(), &settings).await
    }

    /// A second server instance over the same database: its own connections, its own caches.
    pub async fn second_instance(&self) -> Service {
        let storage = storage::connect(&self.database.url).await.expect("a second connection");
        let settings = ServiceSettings {
            public_url: "http://127.0.0.1:9".into(),
            mail: None,
            rate_limits: true,
            allow_private_network_webhooks: false,
            secret_key: self.database.secret_key.clone(),
            media: self.database.media(),
        };
        Service::open(storage, &settings).await.expect("the second instance opens")
    }

    /// A stored testimonial of the site in `status`, written `created_at` ms after the epoch.
    pub async fn testimonial(&self, site: &Site, status: Status, rating: u8, created_at: i64) -> String {
        let record = record(site, status, rating, created_at);
        let id = record.id.clone();
        self.storage.insert_testimonial(record).await.expect("stored");
        id
    }
}

pub fn new_site(slug: &str) -> NewSite {
    NewSite {
        slug: SiteSlug::parse(slug).expect("a slug"),
        name: format!("{slug} Inc."),
        origins: vec![Origin::parse(&format!("https://{slug}.test")).expect("an origin")],
        consent_text: "You may publish this.".into(),
    }
}

/// The one literal of a new record the tests write (see `testing::new_testimonial`).
pub use fanfare_server::testing::new_testimonial as record;
