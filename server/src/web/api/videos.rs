//! Videos: sent in parts (a phone on a slow network resumes where it stopped), a poster frame,
//! and published videos with their poster and captions for anyone.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::options;
use axum::Json;
use fanfare_protocol::api::{ApiError, BeginUpload, UploadProgress, VideoUploaded};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::preflight;
use super::refusals::PublicWriteRefusals;
use crate::service::photos::MAX_UPLOAD_BYTES;
use crate::service::videos::uploads::PART_BYTES;
use crate::storage::MediaKind;
use crate::web::error::AppError;
use crate::web::extract::AppJson;
use crate::web::media::{image_response, media_response, Audience};
use crate::web::request::{ClientIp, SiteFromPath};
use crate::web::state::AppState;

/// The routes a visitor's browser calls; `api::router` puts them behind the site's CORS.
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(begin))
        .routes(routes!(put_part))
        .routes(routes!(progress))
        .routes(routes!(complete))
        .routes(routes!(poster))
        .route("/api/v1/sites/{site}/uploads/resumable", options(preflight))
        .route("/api/v1/sites/{site}/uploads/{id}/parts/{index}", options(preflight))
        .route("/api/v1/sites/{site}/uploads/{id}/parts", options(preflight))
        .route("/api/v1/sites/{site}/uploads/{id}/complete", options(preflight))
        .route("/api/v1/sites/{site}/uploads/{id}/poster", options(preflight))
}

/// Published videos, for anyone.
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(video)).routes(routes!(video_poster)).routes(routes!(captions))
}

/// Starts a video upload in parts (every part 256 KiB but the last).
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/uploads/resumable",
    tag = "public",
    params(("site" = String, Path, description = "The site's slug")),
    request_body = BeginUpload,
    responses(
        (status = 201, description = "Send the parts, then complete it", body = UploadProgress),
        (status = 422, description = "Empty, or over 50 MiB (`fields.video`)", body = ApiError),
        PublicWriteRefusals,
        (status = 404, description = "No such site", body = ApiError),
    ),
)]
async fn begin(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    ClientIp(ip): ClientIp,
    AppJson(body): AppJson<BeginUpload>,
) -> Result<(StatusCode, Json<UploadProgress>), AppError> {
    state.service.admit_upload(&site, ip)?;
    let started = state.service.begin_video_upload(&site, body.size).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// One part of a video, as raw bytes: part `index` covers bytes `index × part_bytes` onwards.
/// Sending a part again replaces it.
#[utoipa::path(
    put,
    path = "/api/v1/sites/{site}/uploads/{id}/parts/{index}",
    tag = "public",
    params(
        ("site" = String, Path, description = "The site's slug"),
        ("id" = String, Path, description = "The upload's id"),
        ("index" = u32, Path, description = "The part's index, from 0"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 204, description = "Kept"),
        (status = 409, description = "The upload is finished already", body = ApiError),
        (status = 413, description = "Over 256 KiB", body = ApiError),
        (status = 422, description = "Not the part's length, or past the end (`fields.part`)", body = ApiError),
        (status = 404, description = "No such site or upload", body = ApiError),
    ),
)]
async fn put_part(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    Path((_, id, index)): Path<(String, String, u32)>,
    body: Body,
) -> Result<StatusCode, AppError> {
    let bytes = axum::body::to_bytes(body, PART_BYTES as usize).await.map_err(|_| AppError::TooLarge)?;
    state.service.put_video_part(&site, &id, index, bytes).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which parts the server holds, to resume after a dropped connection or a reload.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site}/uploads/{id}/parts",
    tag = "public",
    params(
        ("site" = String, Path, description = "The site's slug"),
        ("id" = String, Path, description = "The upload's id"),
    ),
    responses(
        (status = 200, description = "The parts received", body = UploadProgress),
        (status = 409, description = "The upload is finished already", body = ApiError),
        (status = 404, description = "No such site or upload", body = ApiError),
    ),
)]
async fn progress(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<UploadProgress>, AppError> {
    Ok(Json(state.service.video_upload_progress(&site, &id).await?))
}

/// Puts the parts together and checks the video: WebM or MP4 by its bytes, at most 2 minutes,
/// at most 3840 pixels a side, with a video track. Refused, nothing of it is kept.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/uploads/{id}/complete",
    tag = "public",
    params(
        ("site" = String, Path, description = "The site's slug"),
        ("id" = String, Path, description = "The upload's id"),
    ),
    responses(
        (status = 201, description = "Kept; send its `id` as the submission's `video`", body = VideoUploaded),
        (status = 409, description = "The upload is finished already", body = ApiError),
        (status = 415, description = "Not a WebM or MP4 video", body = ApiError),
        (status = 422, description = "Parts missing, too long, empty, too many pixels, damaged, no picture (`fields.video`)", body = ApiError),
        (status = 404, description = "No such site or upload", body = ApiError),
    ),
)]
async fn complete(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    Path((_, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<VideoUploaded>), AppError> {
    let uploaded = state.service.finish_video_upload(&site, &id).await?;
    Ok((StatusCode::CREATED, Json(uploaded)))
}

/// The poster frame the browser drew from the video, as an image (checked and re-encoded like
/// a photo); allowed until a testimonial uses the video.
#[utoipa::path(
    put,
    path = "/api/v1/sites/{site}/uploads/{id}/poster",
    tag = "public",
    params(
        ("site" = String, Path, description = "The site's slug"),
        ("id" = String, Path, description = "The video upload's id"),
    ),
    request_body(content(("image/jpeg"), ("image/png"), ("image/webp")), description = "The frame, at most 5 MiB"),
    responses(
        (status = 204, description = "Kept"),
        (status = 409, description = "A testimonial uses this video already", body = ApiError),
        (status = 413, description = "Over 5 MiB", body = ApiError),
        (status = 422, description = "Not an image we take, or damaged (`fields.poster`)", body = ApiError),
        (status = 404, description = "No such site or video upload", body = ApiError),
    ),
)]
async fn poster(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    Path((_, id)): Path<(String, String)>,
    body: Body,
) -> Result<StatusCode, AppError> {
    let bytes = axum::body::to_bytes(body, MAX_UPLOAD_BYTES).await.map_err(|_| AppError::TooLarge)?;
    state.service.set_video_poster(&site, &id, bytes).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A published testimonial's video, as it was recorded (WebM or MP4), with `Range`.
#[utoipa::path(
    get,
    path = "/api/v1/videos/{id}",
    tag = "public",
    params(("id" = String, Path, description = "The video's id, from a testimonial's `video_url`")),
    responses(
        (status = 200, description = "The whole video; cached five minutes, then revalidated by its `ETag`"),
        (status = 206, description = "The range asked for with `Range: bytes=…`"),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 404, description = "No such published video", body = ApiError),
        (status = 416, description = "The range starts past the end", body = ApiError),
    ),
)]
async fn video(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let video = state.service.published_media(&id, MediaKind::Video).await?;
    media_response(&state.service, &video.record, &headers, Audience::Public).await
}

/// A published video's poster frame, as JPEG.
#[utoipa::path(
    get,
    path = "/api/v1/videos/{id}/poster.jpg",
    tag = "public",
    params(("id" = String, Path, description = "The video's id")),
    responses(
        (status = 200, description = "The poster", content_type = "image/jpeg"),
        (status = 404, description = "No such published video, or it has no poster", body = ApiError),
    ),
)]
async fn video_poster(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let video = state.service.published_media(&id, MediaKind::Video).await?;
    let bytes = state.service.poster_bytes(&video.record).await?;
    Ok(image_response(bytes, &format!("\"{id}.poster\""), &headers, Audience::Public))
}

/// A published video's transcript, timed, as WebVTT captions.
#[utoipa::path(
    get,
    path = "/api/v1/videos/{id}/captions.vtt",
    tag = "public",
    params(("id" = String, Path, description = "The video's id")),
    responses(
        (status = 200, description = "WebVTT", content_type = "text/vtt"),
        (status = 404, description = "No such published video, or its transcript is not timed", body = ApiError),
    ),
)]
async fn captions(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let vtt = state.service.published_captions(&id).await?;
    let mut response = vtt.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/vtt; charset=utf-8"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Captions change when a moderator re-times them: revalidated, not kept.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(response)
}
