//! Uploading a photo for a testimonial, and serving published photos.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use fanfare_protocol::api::UploadCreated;

use super::preflight;
use crate::service::photos::MAX_UPLOAD_BYTES;
use crate::web::error::AppError;
use crate::web::photo::published_photo_response;
use crate::web::request::{ClientIp, SiteFromPath};
use crate::web::state::AppState;

/// The upload route; `api::router` puts it behind the site's CORS.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/sites/{site}/uploads",
        post(upload).options(preflight).layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
    )
}

pub fn photo_routes() -> Router<AppState> {
    Router::new().route("/api/v1/photos/{id}", get(published))
}

async fn upload(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<UploadCreated>), AppError> {
    state.service.admit_upload(&site, ip)?;
    // Refused from the declared length alone, before a byte of the body is read.
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_UPLOAD_BYTES) {
        return Err(AppError::TooLarge);
    }
    let bytes = axum::body::to_bytes(body, MAX_UPLOAD_BYTES).await.map_err(|_| AppError::TooLarge)?;
    let id = state.service.upload_photo(&site, bytes).await?;
    Ok((StatusCode::CREATED, Json(UploadCreated { id })))
}

async fn published(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // Looked up on every request, revalidations too: a withdrawn or erased photo is 404 at once.
    let photo = state.service.published_photo(&id).await?;
    Ok(published_photo_response(photo, &headers))
}
