use std::sync::Arc;

use crate::assets::WidgetAssets;
use crate::storage::DynStorage;

/// What every handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub storage: DynStorage,
    /// Base URL for links handed to visitors, without a trailing slash.
    pub public_url: Arc<str>,
    pub assets: Arc<WidgetAssets>,
}
