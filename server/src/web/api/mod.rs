//! The JSON API under `/api/v1`: what embedding pages call (behind the site's CORS and a small
//! body limit), and what moderators call with a token.

mod invitations;
mod moderation;
mod overview;
mod referrals;
mod refusals;
mod testimonials;
mod uploads;
mod videos;
mod widget;

use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;

use super::cors::site_cors;
use super::state::AppState;

/// Public bodies are small; anything bigger is not a testimonial.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// The API's routes with the OpenAPI document of each, from the handlers' own annotations.
pub fn router(state: AppState) -> OpenApiRouter<AppState> {
    let public = OpenApiRouter::default()
        .merge(widget::router())
        .merge(testimonials::router())
        .merge(referrals::public_routes())
        .merge(uploads::upload_routes())
        .merge(videos::upload_routes())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state, site_cors));
    OpenApiRouter::default()
        .merge(public)
        .merge(moderation::router())
        .merge(invitations::router())
        .merge(referrals::moderation_routes())
        .merge(overview::router())
        .merge(uploads::photo_routes())
        .merge(videos::public_routes())
}

/// Preflights are answered by [`site_cors`]; this only gives OPTIONS a route to run on.
async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// The response with how long shared caches and browsers may keep it.
fn with_cache(mut response: Response, cache: &'static str) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
