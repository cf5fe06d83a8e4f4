//! `GET /api/v1/sites/{site}/moderation/overview`: the numbers behind the dashboard's Overview.

use axum::extract::State;
use axum::Json;
use fanfare_protocol::overview::SiteOverview;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::moderation::Moderator;
use super::refusals::ModeratorRefusals;
use crate::clock::now_ms;
use crate::web::error::AppError;
use crate::web::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(overview))
}

/// Testimonials per week, the rating distribution, time to moderate, open follow-ups, the
/// referral and invitation funnels and the widget's reach per day, as the Overview shows them.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site}/moderation/overview",
    tag = "moderation",
    security(("bearer" = []), ("session" = [])),
    params(("site" = String, Path, description = "The site's slug")),
    responses(
        (status = 200, description = "The site's activity", body = SiteOverview),
        ModeratorRefusals,
    ),
)]
async fn overview(
    State(state): State<AppState>,
    moderator: Moderator,
) -> Result<Json<SiteOverview>, AppError> {
    Ok(Json(state.service.overview(&moderator.site, now_ms()).await?))
}
