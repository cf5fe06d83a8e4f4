//! Stored photos and videos as responses: typed from their record, never sniffed or run as
//! anything else (`nosniff`, a sandbox CSP), and answering `Range` requests, which Safari sends
//! before it plays a video at all.

use std::ops::Range;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use fanfare_protocol::api::ApiError;

use crate::service::Service;
use crate::storage::MediaRecord;
use crate::web::error::AppError;
use crate::web::revalidate::client_holds;

/// Who a response is for: anyone (a published medium, cached and revalidated by its id), or
/// the site's moderators (never cached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Moderators,
}

/// How long caches may keep a published medium without asking again. Its author can withdraw
/// it (and the address's owner have it erased) at any time: after this, caches revalidate, and
/// a medium no longer published answers 404.
pub const PUBLISHED_MEDIA_CACHE: &str = "public, max-age=300, must-revalidate";

impl Audience {
    fn cache(self) -> &'static str {
        match self {
            Self::Public => PUBLISHED_MEDIA_CACHE,
            Self::Moderators => "private, no-store",
        }
    }
}

/// The answer to a GET of a medium: whole, a range of it (206), 304 when the client holds it
/// (media never change under their id, so the id is the tag), or 416.
pub async fn media_response(
    service: &Service,
    record: &MediaRecord,
    request: &HeaderMap,
    audience: Audience,
) -> Result<Response, AppError> {
    let etag = format!("\"{}\"", record.id);
    if audience == Audience::Public && client_holds(request, &etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        media_headers(response.headers_mut(), "", &etag, audience);
        return Ok(response);
    }
    let size = record.byte_size;
    let (status, range) = match requested_range(request, size) {
        Ok(None) => (StatusCode::OK, None),
        Ok(Some(range)) => (StatusCode::PARTIAL_CONTENT, Some(range)),
        Err(Unsatisfiable) => {
            let refusal = ApiError {
                error: "range_not_satisfiable".into(),
                message: format!("The range starts past the end ({size} bytes)."),
                fields: Default::default(),
            };
            let mut response = (StatusCode::RANGE_NOT_SATISFIABLE, axum::Json(refusal)).into_response();
            insert(response.headers_mut(), header::CONTENT_RANGE, &format!("bytes */{size}"));
            media_headers(response.headers_mut(), "", &etag, audience);
            return Ok(response);
        }
    };
    let bytes = service.media_bytes(record, range.clone()).await?;
    let mut response = Response::new(Body::from_stream(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let length = range.as_ref().map_or(size, |range| range.end - range.start);
    insert(headers, header::CONTENT_LENGTH, &length.to_string());
    if let Some(range) = &range {
        insert(headers, header::CONTENT_RANGE, &format!("bytes {}-{}/{size}", range.start, range.end - 1));
    }
    media_headers(headers, &record.content_type, &etag, audience);
    Ok(response)
}

/// A small stored image (a poster frame) as a response, with the same protections.
pub fn image_response(bytes: bytes::Bytes, etag: &str, request: &HeaderMap, audience: Audience) -> Response {
    let mut response = if audience == Audience::Public && client_holds(request, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.into_response()
    };
    media_headers(response.headers_mut(), "image/jpeg", etag, audience);
    response
}

fn media_headers(headers: &mut HeaderMap, content_type: &str, etag: &str, audience: Audience) {
    if !content_type.is_empty() {
        insert(headers, header::CONTENT_TYPE, content_type);
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(audience.cache()));
    insert(headers, header::ETAG, etag);
    if audience == Audience::Public {
        // Published media are shown on the site's own pages, another origin: a `<video
        // crossorigin>` with a captions track needs this, and nothing here is private.
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
        // The host page's own measurements (Resource Timing) may see sizes and times.
        headers.insert("timing-allow-origin", HeaderValue::from_static("*"));
    }
}

/// Ids, sizes and types are plain ASCII; a value that is not a header value is left out.
fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// A range that starts past the end.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsatisfiable;

/// The one byte range a request asks for, within an object of `size` bytes: `None` for no
/// `Range` header or one we answer whole (several ranges, another unit, a malformed value: a
/// server may always send the whole object), an error when it starts past the end.
pub fn requested_range(request: &HeaderMap, size: u64) -> Result<Option<Range<u64>>, Unsatisfiable> {
    let Some(value) = request.get(header::RANGE).and_then(|value| value.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else { return Ok(None) };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        // The last N bytes.
        let Ok(suffix) = last.parse::<u64>() else { return Ok(None) };
        if suffix == 0 || size == 0 {
            return Err(Unsatisfiable);
        }
        size.saturating_sub(suffix)..size
    } else {
        let Ok(start) = first.parse::<u64>() else { return Ok(None) };
        let end = if last.is_empty() {
            size
        } else {
            let Ok(last) = last.parse::<u64>() else { return Ok(None) };
            if last < start {
                return Ok(None);
            }
            last.saturating_add(1).min(size)
        };
        if start >= size {
            return Err(Unsatisfiable);
        }
        start..end
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, size: u64) -> Result<Option<Range<u64>>, Unsatisfiable> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        requested_range(&headers, size)
    }

    #[test]
    fn byte_ranges_are_read_as_browsers_send_them() {
        assert_eq!(requested_range(&HeaderMap::new(), 100), Ok(None));
        assert_eq!(range("bytes=0-1", 100), Ok(Some(0..2)), "Safari's first probe");
        assert_eq!(range("bytes=0-", 100), Ok(Some(0..100)));
        assert_eq!(range("bytes=90-200", 100), Ok(Some(90..100)), "clamped to the end");
        assert_eq!(range("bytes=-10", 100), Ok(Some(90..100)));
        assert_eq!(range("bytes=-500", 100), Ok(Some(0..100)));
        assert_eq!(range("bytes=100-", 100), Err(Unsatisfiable));
        assert_eq!(range("bytes=-0", 100), Err(Unsatisfiable));
        for whole in ["bytes=0-1,5-6", "items=0-1", "bytes=5-2", "bytes=x-", "bytes", "bytes=-"] {
            assert_eq!(range(whole, 100), Ok(None), "{whole}");
        }
    }
}
