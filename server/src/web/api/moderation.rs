//! The moderation API: bearer-token access to one site's queue.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::Json;
use fanfare_protocol::api::{ApiError, ModerationPage, ModerationTestimonial, Status};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::refusals::{ModeratorRefusals, ModeratorWriteRefusals};
use crate::secrets;
use crate::service::moderation::Action;
use crate::service::testimonials::{moderation_view, next_cursor};
use crate::service::Actor;
use crate::storage::{Site, User};
use crate::web::error::AppError;
use crate::web::request::{query_params, site_in_path, ListParams};
use crate::web::session::{check_same_origin, current_session};
use crate::web::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(spam))
}

/// A person allowed to moderate the site in the path, by bearer token or dashboard session.
///
/// Bad or missing credentials are 401. Valid credentials of someone with no role on the site
/// get the same 404 as a site that does not exist, so nobody learns what others host. A
/// session used for a write must also pass the dashboard's CSRF checks (`X-CSRF-Token`).
pub struct Moderator {
    pub user: User,
    pub site: Site,
}

impl FromRequestParts<AppState> for Moderator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = match bearer(parts) {
            Some(token) => state.service.user_by_token(token).await?.ok_or(AppError::Unauthenticated)?,
            None => {
                let session =
                    current_session(&parts.headers, state).await?.ok_or(AppError::Unauthenticated)?;
                if parts.method != Method::GET && parts.method != Method::HEAD {
                    check_same_origin(&parts.headers)?;
                    let token = parts.headers.get("x-csrf-token").and_then(|value| value.to_str().ok());
                    if !token.is_some_and(|token| secrets::same_secret(token, &session.csrf_token)) {
                        return Err(AppError::CrossSite);
                    }
                }
                session.user
            }
        };
        let site = site_in_path(parts, state).await?;
        state.service.role_on(&user, &site).await?;
        Ok(Self { user, site: Site::clone(&site) })
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

/// The site's testimonials in one status, newest first, with what only moderators see.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site}/moderation/testimonials",
    tag = "moderation",
    security(("bearer" = []), ("session" = [])),
    params(
        ("site" = String, Path, description = "The site's slug"),
        ("status" = Option<String>, Query, description = "`pending` (default), `approved`, `rejected`, `spam` or `withdrawn`"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<u32>, Query, description = "Items per page, 1 to 50"),
        ("q" = Option<String>, Query, description = "Words in the name or text"),
        ("rating" = Option<u8>, Query, description = "Only this star rating"),
    ),
    responses(
        (status = 200, description = "One page of the queue", body = ModerationPage),
        (status = 422, description = "A parameter is invalid; `fields` names it", body = ApiError),
        ModeratorRefusals,
    ),
)]
async fn list(
    State(state): State<AppState>,
    moderator: Moderator,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ModerationPage>, AppError> {
    let params = query_params(query)?;
    let status = params.status()?;
    let query = params.parse_moderation()?;
    let items = state.service.queue(&moderator.site, status, &query).await?;
    Ok(Json(ModerationPage {
        next_cursor: next_cursor(&items, query.limit),
        items: items.iter().map(|item| moderation_view(item, state.service.public_url())).collect(),
    }))
}

/// Publishes a testimonial; refused (409) when its author did not consent.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/moderation/testimonials/{id}/approve",
    tag = "moderation",
    security(("bearer" = []), ("session" = [])),
    params(("site" = String, Path, description = "The site's slug"), ("id" = String, Path, description = "The testimonial's id")),
    responses(
        (status = 200, description = "The testimonial as it is now", body = ModerationTestimonial),
        (status = 409, description = "The author did not consent to publication, or withdrew it", body = ApiError),
        ModeratorRefusals,
        ModeratorWriteRefusals,
    ),
)]
async fn approve(
    state: State<AppState>,
    moderator: Moderator,
    id: Path<(String, String)>,
) -> Result<Json<ModerationTestimonial>, AppError> {
    decide(state, moderator, id, Status::Approved).await
}

/// Keeps a testimonial unpublished; its rating still counts in the summary.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/moderation/testimonials/{id}/reject",
    tag = "moderation",
    security(("bearer" = []), ("session" = [])),
    params(("site" = String, Path, description = "The site's slug"), ("id" = String, Path, description = "The testimonial's id")),
    responses(
        (status = 200, description = "The testimonial as it is now", body = ModerationTestimonial),
        (status = 409, description = "The author withdrew it", body = ApiError),
        ModeratorRefusals,
        ModeratorWriteRefusals,
    ),
)]
async fn reject(
    state: State<AppState>,
    moderator: Moderator,
    id: Path<(String, String)>,
) -> Result<Json<ModerationTestimonial>, AppError> {
    decide(state, moderator, id, Status::Rejected).await
}

/// Marks a testimonial as spam: unpublished and left out of the summary.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/moderation/testimonials/{id}/spam",
    tag = "moderation",
    security(("bearer" = []), ("session" = [])),
    params(("site" = String, Path, description = "The site's slug"), ("id" = String, Path, description = "The testimonial's id")),
    responses(
        (status = 200, description = "The testimonial as it is now", body = ModerationTestimonial),
        (status = 409, description = "The author withdrew it", body = ApiError),
        ModeratorRefusals,
        ModeratorWriteRefusals,
    ),
)]
async fn spam(
    state: State<AppState>,
    moderator: Moderator,
    id: Path<(String, String)>,
) -> Result<Json<ModerationTestimonial>, AppError> {
    decide(state, moderator, id, Status::Spam).await
}

async fn decide(
    State(state): State<AppState>,
    moderator: Moderator,
    Path((_site, id)): Path<(String, String)>,
    status: Status,
) -> Result<Json<ModerationTestimonial>, AppError> {
    let actor = Actor::Member(&moderator.user);
    let testimonial = state.service.moderate(&moderator.site, actor, &id, Action::Decide(status)).await?;
    Ok(Json(moderation_view(&testimonial, state.service.public_url())))
}
