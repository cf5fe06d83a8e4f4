//! Operations: is the process up, and its Prometheus counters.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use fanfare_protocol::api::ApiError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::request::ClientIp;
use crate::web::error::AppError;
use crate::web::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(health)).routes(routes!(metrics))
}

/// `ok` while the process serves requests.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The process is serving", body = String, content_type = "text/plain")),
)]
async fn health() -> &'static str {
    "ok"
}

/// Prometheus counters, for the machine itself and the configured proxies only: counts of
/// submissions and moderation are the business's own affair.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 404, description = "Asked from elsewhere than loopback or a trusted proxy", body = ApiError),
    ),
)]
async fn metrics(State(state): State<AppState>, ClientIp(ip): ClientIp) -> Result<Response, AppError> {
    let allowed =
        ip.is_some_and(|ip| ip.is_loopback() || state.trusted_proxies.iter().any(|proxy| proxy.contains(ip)));
    if !allowed {
        return Err(AppError::NotFound("page"));
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.service.metrics().render(),
    )
        .into_response())
}
