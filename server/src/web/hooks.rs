//! `POST /hooks/stripe/{site}`: Stripe's events for a site, verified with the site's signing
//! secret before anything is read. The answer is what Stripe's dashboard shows: 200 for an event
//! handled (or knowingly ignored), 400 for a signature that does not hold.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::error::AppError;
use super::state::AppState;
use crate::clock::now_ms;

/// Stripe's events are a few kilobytes; a Checkout Session with many line items stays far below.
const MAX_EVENT_BYTES: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/hooks/stripe/{site}", post(stripe).layer(DefaultBodyLimit::max(MAX_EVENT_BYTES)))
}

async fn stripe(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let site = state.service.cached_site(&slug).await?;
    let signature = headers.get("stripe-signature").and_then(|value| value.to_str().ok());
    let outcome = state.service.stripe_event(&site, signature, &body, now_ms()).await?;
    Ok(Json(json!({ "received": true, "outcome": outcome.name() })))
}
