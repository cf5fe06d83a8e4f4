//! The HTTP surface. Each module exports `router()`; `app()` puts them together.

mod assets;
mod cors;
mod health;
mod moderation;
mod public;
mod request;

use axum::Router;

use crate::error::AppError;
use crate::state::AppState;

pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(public::router(state.clone()))
        .merge(moderation::router())
        .merge(assets::router())
        .merge(health::router())
        .fallback(|| async { AppError::NotFound("page") })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .with_state(state)
}
