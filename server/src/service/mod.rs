//! What Fanfare does, whoever asks: the widget's API, the dashboard, an email link, the command
//! line. Each operation checks its rules and owns its side effects (the public cache, the audit
//! log, notifications, metrics), so a new front end calls the operation and cannot forget one.
//!
//! Reads are operations too (a queue, a leaderboard, the audit log): `web/` and `cli/` reach
//! the data only through here, so storage can change behind one layer.

pub mod accounts;
mod audit;
pub mod authors;
pub mod cache;
pub mod consent;
pub mod data_rights;
mod error;
pub mod export;
mod instances;
pub mod invitations;
pub mod limits;
pub mod media;
pub mod media_transfer;
pub mod metrics;
pub mod moderation;
pub mod notify;
pub mod overview;
pub mod photos;
pub mod pow;
pub mod reach;
pub mod referrals;
pub mod retention;
pub mod rewards;
mod sealed;
pub mod site_keys;
pub mod sites;
pub mod submissions;
pub mod testimonials;
pub mod videos;

use std::sync::Arc;

use tokio::sync::{Notify, OnceCell, Semaphore};

pub use self::audit::Actor;
use self::cache::{PublicCache, SiteCache};
pub use self::error::{ServiceError, ServiceResult};
use self::limits::{RateLimiter, Rule};
use self::metrics::Metrics;
use self::notify::email::{MailSettings, Mailer};
use self::notify::links::LinkSigner;
use self::notify::webhooks::{DeliveryTiming, WebhookWorker};
use self::notify::Notifier;
pub use self::sealed::AnotherKey;
use crate::secrets::SecretKey;
use crate::storage::media::{MediaLocation, MediaStore};
use crate::storage::{DynStorage, Site};

/// What the service needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Base URL for links handed to people (manage links, photos, email links), without a
    /// trailing slash.
    pub public_url: String,
    /// SMTP for moderator notifications and customer invitations; `None`: notifications are
    /// logged as not sent (to whom, subject) and invitations wait in their queue.
    pub mail: Option<MailSettings>,
    /// Off only for load tests and benchmarks.
    pub rate_limits: bool,
    /// The operator's override: webhooks may be saved for, and delivered to, loopback, private
    /// and other non-public addresses (receivers on the operator's own network).
    pub allow_private_network_webhooks: bool,
    /// The operator's key, under which the secrets the server must use again are sealed.
    pub secret_key: SecretKey,
    /// Where photos and videos are kept: a directory, or S3-compatible object storage.
    pub media: MediaLocation,
}

/// The service: cheap to clone (one pointer), shared by every request and command.
#[derive(Clone)]
pub struct Service(Arc<Shared>);

impl std::ops::Deref for Service {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What the operations share. Private to `service/`: a front end cannot write to storage or the
/// caches behind an operation's back.
pub struct Shared {
    storage: DynStorage,
    /// The bytes of photos and videos (their records are in `storage`).
    media: MediaStore,
    public_url: Arc<str>,
    /// Public lists in memory, invalidated by every operation of this instance that changes them.
    public_cache: PublicCache,
    /// Showings of each site's public testimonials, not stored yet.
    reach: reach::ReachCounter,
    sites: SiteCache,
    /// Names this instance in announcements to the others on the same database.
    instance: String,
    metrics: Metrics,
    notify: Notifier,
    limits: RateLimiter,
    /// Caps concurrent password hashing: argon2id is built to be expensive, and a burst of
    /// logins must not starve the rest of the server.
    password_work: Semaphore,
    /// A hash to verify against when the email is unknown, so both failures take as long.
    dummy_password_hash: OnceCell<String>,
    /// Caps concurrent image decoding, which is memory- and CPU-hungry.
    photo_work: Arc<Semaphore>,
    /// Caps the videos held whole in memory (50 MB each) to two.
    video_work: Arc<Semaphore>,
    /// See [`ServiceSettings::allow_private_network_webhooks`].
    allow_private_network_webhooks: bool,
    /// See [`ServiceSettings::secret_key`].
    secret_key: SecretKey,
    /// Wakes the invitation sender when invitations are queued.
    invitations_wake: Arc<Notify>,
}

impl Service {
    /// Opens the service over `storage`: refuses a secret key other than the one the database
    /// was sealed with, seals what an earlier version stored in plain text, and reads (or
    /// creates) the key that signs email links.
    pub async fn open(storage: DynStorage, settings: &ServiceSettings) -> anyhow::Result<Self> {
        let mailer = settings.mail.as_ref().map(Mailer::new).transpose()?;
        let link_key = sealed::prepare(&storage, &settings.secret_key).await?;
        let public_url: Arc<str> = settings.public_url.as_str().into();
        let media = MediaStore::open(&settings.media)?;
        media::check_media_owner(&storage, &media).await?;
        let notify = Notifier::new(storage.clone(), mailer, LinkSigner::new(&link_key), public_url.clone());
        let service = Self(Arc::new(Shared {
            storage,
            media,
            public_url,
            public_cache: PublicCache::default(),
            reach: reach::ReachCounter::default(),
            sites: SiteCache::default(),
            instance: crate::secrets::nonce(),
            metrics: Metrics::default(),
            notify,
            limits: RateLimiter::new(settings.rate_limits),
            password_work: Semaphore::new(2),
            dummy_password_hash: OnceCell::new(),
            photo_work: Arc::new(Semaphore::new(2)),
            video_work: Arc::new(Semaphore::new(2)),
            allow_private_network_webhooks: settings.allow_private_network_webhooks,
            secret_key: settings.secret_key.clone(),
            invitations_wake: Arc::new(Notify::new()),
        }));
        service.move_photos_out_of_database().await?;
        Ok(service)
    }

    /// The background worker that sends the webhook deliveries this service queues.
    pub fn webhook_worker(&self, timing: DeliveryTiming) -> anyhow::Result<WebhookWorker> {
        WebhookWorker::new(
            self.storage.clone(),
            self.notify.webhook_wake(),
            timing,
            self.allow_private_network_webhooks,
            self.secret_key.clone(),
        )
    }

    /// The site with this slug for the public API, which asks on every request: kept in memory
    /// for a second (see [`cache::SiteCache`]); unknown sites are not found.
    pub async fn cached_site(&self, slug: &str) -> ServiceResult<Arc<Site>> {
        self.sites.site(&self.storage, slug).await?.ok_or(ServiceError::NotFound("site"))
    }

    /// The counters `GET /metrics` shows.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Whether this server can send email at all (SMTP is configured): without it, invitations
    /// wait in their queue.
    pub fn sends_email(&self) -> bool {
        self.notify.can_email()
    }

    /// Where people reach this server, for links handed to them.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Admits one more attempt under every rule, or says when to come back.
    pub fn admit(&self, checks: &[(Rule, &str)]) -> ServiceResult<()> {
        self.limits.admit(checks).map_err(|retry_after_secs| ServiceError::RateLimited { retry_after_secs })
    }
}
