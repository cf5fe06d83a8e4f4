//! Uploading a photo or a whole video for a testimonial, and serving published photos.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::options;
use axum::Json;
use fanfare_protocol::api::{ApiError, UploadCreated};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::preflight;
use super::refusals::PublicWriteRefusals;
use crate::service::photos::MAX_UPLOAD_BYTES;
use crate::service::videos::probe::{self, MAX_VIDEO_BYTES};
use crate::storage::MediaKind;
use crate::web::error::AppError;
use crate::web::media::{media_response, Audience};
use crate::web::request::{ClientIp, SiteFromPath};
use crate::web::state::AppState;

/// The upload route; `api::router` puts it behind the site's CORS.
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(upload)).route("/api/v1/sites/{site}/uploads", options(preflight))
}

pub fn photo_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(published))
}

/// A photo or a video for a testimonial, as the raw body; its type is read from the bytes. A
/// photo is decoded, checked and re-encoded without metadata; a video (WebM or MP4, sent with a
/// `video/…` type: it may be up to 50 MiB) is read and checked, never re-encoded. Either is
/// kept a day for its testimonial. A phone on a slow network sends videos in parts instead
/// (`…/uploads/resumable`).
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/uploads",
    tag = "public",
    params(("site" = String, Path, description = "The site's slug")),
    request_body(content(("image/jpeg"), ("image/png"), ("image/webp"), ("video/webm"), ("video/mp4")), description = "The image (at most 5 MiB) or video (at most 50 MiB)"),
    responses(
        (status = 201, description = "Stored; send its `id` as the submission's `photo` (or `video`: the answer is then a `VideoUploaded`)", body = UploadCreated),
        (status = 413, description = "Over 5 MiB (an image) or 50 MiB (a video)", body = ApiError),
        (status = 415, description = "Not a JPEG, PNG or WebP image, nor a WebM or MP4 video", body = ApiError),
        (status = 422, description = "Damaged, incomplete or too many pixels (`fields.photo`); too long, empty, no picture (`fields.video`)", body = ApiError),
        PublicWriteRefusals,
        (status = 404, description = "No such site", body = ApiError),
    ),
)]
async fn upload(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    state.service.admit_upload(&site, ip)?;
    // What the body is comes from its bytes; the declared type only sets how much is read.
    let declares_video = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().to_ascii_lowercase().starts_with("video/"));
    let limit = if declares_video { MAX_VIDEO_BYTES } else { MAX_UPLOAD_BYTES };
    // Refused from the declared length alone, before a byte of the body is read.
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(AppError::TooLarge);
    }
    // A whole video is held in memory while it is checked: a slot first, then its bytes.
    let slot = if declares_video { Some(state.service.video_slot().await?) } else { None };
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| AppError::TooLarge)?;
    if declares_video || probe::sniff(&bytes).is_some() {
        let slot = match slot {
            Some(slot) => slot,
            None => state.service.video_slot().await?,
        };
        let uploaded = state.service.upload_video(&site, slot, bytes).await?;
        return Ok((StatusCode::CREATED, Json(uploaded)).into_response());
    }
    let id = state.service.upload_photo(&site, bytes).await?;
    Ok((StatusCode::CREATED, Json(UploadCreated { id })).into_response())
}

/// A published testimonial's photo, as JPEG.
#[utoipa::path(
    get,
    path = "/api/v1/photos/{id}",
    tag = "public",
    params(("id" = String, Path, description = "The photo's id, from a testimonial's `photo_url`")),
    responses(
        (status = 200, description = "The photo; cached five minutes, then revalidated by its `ETag`", content_type = "image/jpeg"),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 404, description = "No such published photo", body = ApiError),
    ),
)]
async fn published(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // Looked up on every request, revalidations too: a withdrawn or erased photo is 404 at once.
    let photo = state.service.published_media(&id, MediaKind::Photo).await?;
    media_response(&state.service, &photo.record, &headers, Audience::Public).await
}
