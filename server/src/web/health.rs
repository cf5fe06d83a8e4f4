use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::request::ClientIp;
use crate::web::error::AppError;
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(|| async { "ok" })).route("/metrics", get(metrics))
}

/// Prometheus counters, for the machine itself and the configured proxies only: counts of
/// submissions and moderation are the business's own affair.
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
