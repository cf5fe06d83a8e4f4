//! The dashboard's stylesheet and script, compiled into the binary.

use axum::http::header;
use axum::routing::get;
use axum::Router;

use crate::web::state::AppState;

const ADMIN_CSS: &str = include_str!("../../../admin/admin.css");
const ADMIN_JS: &str = include_str!("../../../admin/admin.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/static/admin.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
                    ADMIN_CSS,
                )
            }),
        )
        .route(
            "/admin/static/admin.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    ADMIN_JS,
                )
            }),
        )
}
