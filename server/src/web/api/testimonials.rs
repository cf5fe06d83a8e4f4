//! The public testimonial list every embedding page reads, and the submission it sends.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use fanfare_protocol::SubmitTestimonial;

use super::{preflight, with_cache};
use crate::service::submissions::Submitted;
use crate::web::error::AppError;
use crate::web::extract::AppJson;
use crate::web::request::{query_params, ClientIp, ListParams, SiteFromPath};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/sites/{site}/testimonials",
        get(list_testimonials).post(submit_testimonial).options(preflight),
    )
}

async fn list_testimonials(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    headers: HeaderMap,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = query_params(query)?.parse()?;
    let cached = state.service.public_page(&site, &query).await?;
    // Revalidated every time (a moderation decision must show on the next view), cheaply: a
    // CDN or browser holding the same ETag gets 304 without a body.
    let etag = HeaderValue::from_str(&cached.etag).map_err(|error| AppError::Internal(error.into()))?;
    let fresh = headers.get(header::IF_NONE_MATCH).is_some_and(|sent| sent.as_bytes() == etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], cached.body).into_response()
    };
    response.headers_mut().insert(header::ETAG, etag);
    Ok(with_cache(response, "public, no-cache"))
}

async fn submit_testimonial(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    AppJson(submission): AppJson<SubmitTestimonial>,
) -> Result<Response, AppError> {
    let key = headers.get("idempotency-key").map(HeaderValue::as_bytes);
    match state.service.submit(&site, ip, submission, key).await? {
        Submitted::Created(created) => Ok((StatusCode::CREATED, Json(created)).into_response()),
        Submitted::Replayed { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            let mut response = (status, body).into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Ok(response)
        }
    }
}
