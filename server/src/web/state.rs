//! The state every handler reaches: the service, and what only HTTP needs.

use std::sync::Arc;

use super::widget_files::WidgetAssets;
use crate::domain::IpCidr;
use crate::service::Service;

/// What every handler may reach: the service, and what only HTTP needs. Cloned for every
/// request (by each extractor and layer), so it is one pointer: a profile of the public GET
/// showed 13 % of the time spent cloning and dropping the fields one by one.
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
    pub service: Service,
    pub assets: WidgetAssets,
    /// Session cookies are `Secure` when the public URL is https.
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Arc<[IpCidr]>,
}
