//! The HTTP surface. Each module exports `router()`; `app()` puts them together.

mod assets;
mod cors;
mod health;
mod manage;
mod moderation;
mod photos;
mod public;
mod referrals;
pub mod request;

use axum::Router;

pub use self::moderation::{moderation_view, Moderator};
pub use self::photos::photo_response;
use crate::admin;
use crate::error::AppError;
use crate::state::AppState;

pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(public::router(state.clone()))
        .merge(moderation::router())
        .merge(referrals::moderation_routes())
        .merge(photos::photo_routes())
        .merge(
            admin::router().merge(manage::router()).layer(axum::middleware::from_fn(admin::security_headers)),
        )
        .merge(assets::router())
        .merge(health::router())
        .fallback(|| async { AppError::NotFound("page") })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .with_state(state)
}
