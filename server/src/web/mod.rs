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

/// Counts every response by status class for `/metrics`.
async fn count_response(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    state.metrics.count_response(response.status().as_u16());
    response
}

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
        .layer(axum::middleware::from_fn_with_state(state.clone(), count_response))
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .with_state(state)
}
