//! The collection page's stylesheet and script, compiled into the binary and revalidated by
//! their ETag (a few bytes per page view once cached).

use std::sync::LazyLock;

use axum::http::HeaderMap;
use axum::response::Response;

use crate::service::cache::{etag, Cached};
use crate::web::revalidate::revalidated;

const CSS: &str = include_str!("../../../collect/collect.css");
const JS: &str = include_str!("../../../collect/collect.js");

static CSS_ETAG: LazyLock<String> = LazyLock::new(|| etag(CSS.as_bytes()));
static JS_ETAG: LazyLock<String> = LazyLock::new(|| etag(JS.as_bytes()));

pub async fn stylesheet(headers: HeaderMap) -> Response {
    let cached = Cached { etag: CSS_ETAG.clone(), body: CSS.into() };
    revalidated(cached, &headers, "text/css; charset=utf-8", "no-cache")
}

pub async fn script(headers: HeaderMap) -> Response {
    let cached = Cached { etag: JS_ETAG.clone(), body: JS.into() };
    revalidated(cached, &headers, "text/javascript; charset=utf-8", "no-cache")
}
