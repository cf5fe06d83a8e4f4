use std::sync::Arc;

use tokio::sync::{OnceCell, Semaphore};

use crate::assets::WidgetAssets;
use crate::cache::{PublicCache, SiteCache};
use crate::domain::IpCidr;
use crate::limits::RateLimiter;
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::storage::DynStorage;

/// What every handler may reach. Cloned for every request (by each extractor and layer), so
/// it is one pointer: a profile of the public GET showed 13 % of the time spent cloning and
/// dropping the fields one by one.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub storage: DynStorage,
    /// Base URL for links handed to visitors, without a trailing slash.
    pub public_url: Arc<str>,
    pub assets: Arc<WidgetAssets>,
    /// Public lists in memory, invalidated by every change this instance makes.
    pub public_cache: Arc<PublicCache>,
    pub sites: Arc<SiteCache>,
    pub metrics: Metrics,
    pub notify: Notifier,
    /// Session cookies are `Secure` when the public URL is https.
    pub secure_cookies: bool,
    /// Caps concurrent password hashing: argon2id is built to be expensive, and a burst of
    /// logins must not starve the rest of the server.
    pub password_work: Arc<Semaphore>,
    /// A hash to verify against when the email is unknown, so both failures take as long.
    pub dummy_password_hash: Arc<OnceCell<String>>,
    /// Caps concurrent image decoding, which is memory- and CPU-hungry.
    pub photo_work: Arc<Semaphore>,
    pub limits: Arc<RateLimiter>,
    /// Reverse proxies whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Arc<[IpCidr]>,
}
