//! HTTP: the public and moderation APIs, the dashboard, the author's manage pages, the hosted
//! collection page and the widget files. Handlers parse the request, call one [`crate::service`]
//! operation, and map its answer; each route module exports `router()` and [`app`] puts them
//! together.

mod api;
mod assets;
mod collect;
mod cors;
pub mod dashboard;
mod embed;
mod encoding;
pub mod error;
pub mod extract;
mod health;
mod hooks;
mod manage;
mod media;
pub mod openapi;
pub mod page;
pub mod request;
mod revalidate;
pub mod session;
pub mod state;
mod unsubscribe;
pub mod widget_files;

use axum::Router;

use self::error::AppError;
use self::state::AppState;

/// Counts every response by status class for `/metrics`. Put around the whole router by the
/// server (see `startup`), not inside it: a layer of the router wraps each route, at the cost of
/// allocations on every request.
pub async fn count_response(
    service: crate::service::Service,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    service.metrics().count_response(response.status().as_u16());
    response
}

pub fn app(state: AppState) -> Router {
    let (api, document) = openapi::api_routes(state.clone());
    Router::new()
        .merge(openapi::with_document(api, &document))
        .merge(
            dashboard::router()
                .merge(manage::router())
                .merge(unsubscribe::router())
                .layer(axum::middleware::from_fn(page::security_headers)),
        )
        .merge(assets::router())
        .merge(collect::router())
        .merge(hooks::router())
        .fallback(|| async { AppError::NotFound("page") })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .with_state(state)
}
