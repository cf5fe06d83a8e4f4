//! What a widget reads before it shows anything: the site's public settings and texts, and a
//! proof-of-work challenge when the site asks for one.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use fanfare_protocol::api::Challenge;
use serde::Deserialize;

use super::{preflight, with_cache};
use crate::service::sites::widget_config;
use crate::web::request::SiteFromPath;
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sites/{site}/widget", get(config).options(preflight))
        .route("/api/v1/sites/{site}/challenge", get(challenge).options(preflight))
}

#[derive(Deserialize)]
struct WidgetParams {
    lang: Option<String>,
}

async fn config(SiteFromPath(site): SiteFromPath, Query(params): Query<WidgetParams>) -> Response {
    let config = widget_config(&site, params.lang.as_deref().unwrap_or("en"));
    // Varies by `lang`, which is in the URL, so shared caches keep one copy per language.
    with_cache(Json(config).into_response(), "public, max-age=60")
}

async fn challenge(State(state): State<AppState>, SiteFromPath(site): SiteFromPath) -> Response {
    let body =
        Challenge { challenge: state.service.submission_challenge(&site), difficulty: site.proof_of_work };
    with_cache(Json(body).into_response(), "no-store")
}
