//! Stored photos as responses: the public one of a published testimonial, and the moderators'.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::storage::Photo;

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
