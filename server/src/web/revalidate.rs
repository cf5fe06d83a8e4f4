//! Conditional GETs: an answer that did not change since the client's copy costs a 304 and no
//! bytes. One reading of `If-None-Match` for every cached answer (lists, fragments, photos).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::service::cache::Cached;
use crate::web::error::AppError;

/// Whether the request's `If-None-Match` names `etag`: a list, tags weak or strong, or `*`, as
/// browsers and CDNs send them.
pub fn client_holds(request: &HeaderMap, etag: &str) -> bool {
    request.get_all(header::IF_NONE_MATCH).iter().filter_map(|value| value.to_str().ok()).any(|tags| {
        tags.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
    })
}

/// `cached` as the answer, with its ETag, type and cache policy; a 304 without the body when
/// the client already holds it.
pub fn revalidated(
    cached: Cached,
    request: &HeaderMap,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let Ok(etag) = HeaderValue::from_str(&cached.etag) else {
        return AppError::Internal(anyhow::anyhow!("an ETag that is not a header value")).into_response();
    };
    let mut response = if client_holds(request, &cached.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        cached.body.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::ETAG, etag);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_held_tag_is_found_in_any_form_a_client_sends() {
        let tag = "\"abc\"";
        for held in ["\"abc\"", "W/\"abc\"", "\"x\", \"abc\"", "*"] {
            assert!(client_holds(&asking(held), tag), "{held}");
        }
        for other in ["\"abcd\"", "abc", ""] {
            assert!(!client_holds(&asking(other), tag), "{other}");
        }
        assert!(!client_holds(&HeaderMap::new(), tag));
    }
}
