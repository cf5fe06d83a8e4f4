//! What a widget reads before it shows anything: the site's public settings and texts, and a
//! proof-of-work challenge when the site asks for one.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::options;
use axum::Json;
use fanfare_protocol::api::{ApiError, Challenge, WidgetConfig};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{preflight, with_cache};
use crate::service::sites::widget_config;
use crate::web::request::SiteFromPath;
use crate::web::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(config))
        .route("/api/v1/sites/{site}/widget", options(preflight))
        .routes(routes!(challenge))
        .route("/api/v1/sites/{site}/challenge", options(preflight))
}

#[derive(Deserialize)]
struct WidgetParams {
    lang: Option<String>,
}

/// The site's public settings and texts: name, theme, texts, enabled modes.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site}/widget",
    tag = "public",
    params(("site" = String, Path, description = "The site's slug"), ("lang" = Option<String>, Query, description = "Language of the texts, e.g. `de`; `en` by default")),
    responses((status = 200, description = "The widget's configuration", body = WidgetConfig), (status = 404, description = "No such site", body = ApiError)),
)]
async fn config(SiteFromPath(site): SiteFromPath, Query(params): Query<WidgetParams>) -> Response {
    let config = widget_config(&site, params.lang.as_deref().unwrap_or("en"));
    // Varies by `lang`, which is in the URL, so shared caches keep one copy per language.
    with_cache(Json(config).into_response(), "public, max-age=60")
}

/// A proof-of-work puzzle for the next submission (difficulty 0 when the site asks for none).
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site}/challenge",
    tag = "public",
    params(("site" = String, Path, description = "The site's slug")),
    responses((status = 200, description = "A fresh challenge", body = Challenge), (status = 404, description = "No such site", body = ApiError)),
)]
async fn challenge(State(state): State<AppState>, SiteFromPath(site): SiteFromPath) -> Response {
    let body =
        Challenge { challenge: state.service.submission_challenge(&site), difficulty: site.proof_of_work };
    with_cache(Json(body).into_response(), "no-store")
}
