//! `embed.js` and the content-hashed widget files it loads.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::web::encoding::Encoding;
use crate::web::error::AppError;
use crate::web::revalidate::client_holds;
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/embed.js", get(embed_js)).route("/widget/{file}", get(widget_file))
}

/// The loader keeps a stable URL, so it is cached briefly: a new release reaches pages within
/// minutes.
async fn embed_js(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.assets.get("embed.js") {
        Some(asset) => serve(asset, &headers, "public, max-age=300"),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "The widget is not built. Run `cargo xtask build` and restart, or set FANFARE_WIDGET_DIR.\n",
        )
            .into_response(),
    }
}

/// The widget's stylesheet under a name that stays: the server-rendered fragments link it, so
/// a fragment pasted into a page, built into a static site or held by a CDN keeps its styles
/// across releases (a hashed name would be gone after the next one).
pub const STABLE_STYLESHEET: &str = "fanfare.css";

/// Hashed names change with their content, so they may be cached forever; the stable
/// stylesheet is revalidated after five minutes (its ETag is the hashed name).
async fn widget_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    if file == STABLE_STYLESHEET {
        let Some((name, asset)) =
            state.assets.stylesheet().and_then(|name| Some((name, state.assets.get(name)?)))
        else {
            return AppError::NotFound("file").into_response();
        };
        let etag = format!("\"{name}\"");
        if client_holds(&headers, &etag) {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
        }
        let mut response = serve(asset, &headers, "public, max-age=300");
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            response.headers_mut().insert(header::ETAG, etag);
        }
        return response;
    }
    match state.assets.get(&file).filter(|_| file != "embed.js") {
        Some(asset) => serve(asset, &headers, "public, max-age=31536000, immutable"),
        None => AppError::NotFound("file").into_response(),
    }
}

/// The smallest encoding the browser accepts: brotli, then gzip, then the file as it is.
fn serve(asset: &super::widget_files::Asset, request: &HeaderMap, cache: &'static str) -> Response {
    let available: Vec<Encoding> =
        [asset.brotli.as_ref().map(|_| Encoding::Brotli), asset.gzip.as_ref().map(|_| Encoding::Gzip)]
            .into_iter()
            .flatten()
            .collect();
    let encoding = Encoding::preferred(request, &available);
    let body = match encoding {
        Encoding::Brotli => asset.brotli.clone(),
        Encoding::Gzip => asset.gzip.clone(),
        Encoding::Identity => None,
    }
    .unwrap_or_else(|| asset.bytes.clone());
    let mut response = body.into_response();
    let headers = response.headers_mut();
    if let Some(encoding) = encoding.header() {
        headers.insert(header::CONTENT_ENCODING, encoding);
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The glue is an ES module and the wasm is fetched: both are CORS requests from the host
    // page's origin. These files are public and carry no credentials.
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
    // Lets host pages (and our benchmark) see the real transfer sizes in Resource Timing.
    headers.insert(header::HeaderName::from_static("timing-allow-origin"), HeaderValue::from_static("*"));
    response
}
