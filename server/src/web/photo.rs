//! Stored photos as responses: the public one of a published testimonial, and the moderators'.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::storage::Photo;
use crate::web::revalidate::client_holds;

/// A stored photo as an image response that no browser will run or sniff as anything else.
pub fn photo_response(photo: Photo, cache: &'static str) -> Response {
    let mut response = photo.data.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// How long caches may show a published photo without asking again. Its author can withdraw it
/// (and the address's owner have it erased) at any time: after this, caches revalidate, and a
/// photo no longer published answers 404.
pub const PUBLISHED_PHOTO_CACHE: &str = "public, max-age=300, must-revalidate";

/// A published photo, with an ETag so that revalidating an unchanged photo costs a 304 and no
/// bytes. Photos never change under their id, so the id is the tag.
pub fn published_photo_response(photo: Photo, request: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", photo.id);
    let mut response = if client_holds(request, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        photo_response(photo, PUBLISHED_PHOTO_CACHE)
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLISHED_PHOTO_CACHE));
    // Ids are letters and digits, so the tag is always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}
