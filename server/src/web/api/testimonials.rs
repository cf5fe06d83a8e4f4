//! The public testimonial list every embedding page reads, and the submission it sends.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::options;
use axum::Json;
use fanfare_protocol::api::{ApiError, TestimonialCreated, TestimonialPage};
use fanfare_protocol::SubmitTestimonial;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::preflight;
use super::refusals::PublicWriteRefusals;
use crate::service::reach::Seen;
use crate::service::submissions::Submitted;
use crate::web::error::AppError;
use crate::web::extract::AppJson;
use crate::web::request::{query_params, shown_as, ClientIp, ListParams, SiteFromPath};
use crate::web::revalidate::revalidated;
use crate::web::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list_testimonials, submit_testimonial))
        .route("/api/v1/sites/{site}/testimonials", options(preflight))
}

/// Approved testimonials, newest first, with the honest summary of every moderated rating.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site}/testimonials",
    tag = "public",
    params(
        ("site" = String, Path, description = "The site's slug"),
        ("limit" = Option<u32>, Query, description = "Items per page, 1 to 50 (20 by default)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("tag" = Option<String>, Query, description = "Only testimonials with this tag"),
    ),
    responses(
        (status = 200, description = "One page of approved testimonials", body = TestimonialPage),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 422, description = "A parameter is invalid; `fields` names it", body = ApiError),
        (status = 404, description = "No such site", body = ApiError),
    ),
)]
async fn list_testimonials(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    query: Result<Query<ListParams>, QueryRejection>,
    // Last and whole, to read its headers without the copy a `HeaderMap` argument makes.
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    let headers = request.headers();
    let query = query_params(query)?.parse()?;
    let cached = state.service.public_page(&site, &query, shown_as(headers, Seen::List)).await?;
    // Revalidated every time (a moderation decision must show on the next view), cheaply: a
    // CDN or browser holding the same ETag gets 304 without a body.
    Ok(revalidated(cached, headers, "application/json", "public, no-cache"))
}

/// A visitor's testimonial: stored as pending (or approved when the site publishes high
/// consenting ratings at once). An `Idempotency-Key` header makes a retry return the first answer.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/testimonials",
    tag = "public",
    params(
        ("site" = String, Path, description = "The site's slug"),
        ("Idempotency-Key" = Option<String>, Header,
            description = "A random value such as a UUID (1 to 255 visible ASCII characters); \
                           a retry with the same key and body within a day gets the first answer"),
    ),
    request_body = SubmitTestimonial,
    responses(
        (status = 201, description = "Stored", body = TestimonialCreated),
        (status = 400, description = "Not JSON", body = ApiError),
        (status = 413, description = "Body too large", body = ApiError),
        (status = 409, description = "The first request with this `Idempotency-Key` is still being handled", body = ApiError),
        (status = 415, description = "Not `application/json`", body = ApiError),
        (status = 422, description = "Fields are invalid; `fields` names each", body = ApiError),
        PublicWriteRefusals,
        (status = 404, description = "No such site", body = ApiError),
    ),
)]
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
