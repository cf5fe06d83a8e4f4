//! The moderation API: bearer-token access to one site's queue.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use fanfare_protocol::api::{ModerationPage, ModerationTestimonial, Status};

use super::public::{next_cursor, public_view, query_params};
use super::request::{site_in_path, ListParams};
use crate::clock::now_ms;
use crate::domain::Role;
use crate::error::AppError;
use crate::secrets;
use crate::state::AppState;
use crate::storage::{Moderated, Site, Testimonial, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sites/{site}/moderation/testimonials", get(list))
        .route("/api/v1/sites/{site}/moderation/testimonials/{id}/approve", post(approve))
        .route("/api/v1/sites/{site}/moderation/testimonials/{id}/reject", post(reject))
        .route("/api/v1/sites/{site}/moderation/testimonials/{id}/spam", post(spam))
}

/// A person allowed to moderate the site in the path.
///
/// Bad or missing credentials are 401. A valid token for someone with no role on the site
/// gets the same 404 as a site that does not exist, so nobody learns what others host.
pub struct Moderator {
    pub user: User,
    /// Owners and moderators may both moderate; owner-only actions come with site settings.
    #[allow(dead_code)]
    pub role: Role,
    pub site: Site,
}

impl FromRequestParts<AppState> for Moderator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(AppError::Unauthenticated)?;
        let user = state
            .storage
            .user_by_token(&secrets::hash_token(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let site = site_in_path(parts, state).await?;
        let role = state.storage.role_on_site(user.id, site.id).await?.ok_or(AppError::NotFound("site"))?;
        Ok(Self { user, role, site })
    }
}

async fn list(
    State(state): State<AppState>,
    moderator: Moderator,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ModerationPage>, AppError> {
    let params = query_params(query)?;
    let status = match params.status.as_deref() {
        None | Some("") => Status::Pending,
        Some(raw) => Status::parse(raw).ok_or_else(|| {
            AppError::field("status", "must be pending, approved, rejected, spam or withdrawn")
        })?,
    };
    let query = params.parse_moderation()?;
    let items = state.storage.list_by_status(moderator.site.id, status, &query).await?;
    Ok(Json(ModerationPage {
        next_cursor: next_cursor(&items, query.limit),
        items: items.iter().map(moderation_view).collect(),
    }))
}

async fn approve(
    state: State<AppState>,
    moderator: Moderator,
    id: Path<(String, String)>,
) -> Result<Json<ModerationTestimonial>, AppError> {
    decide(state, moderator, id, Status::Approved).await
}

async fn reject(
    state: State<AppState>,
    moderator: Moderator,
    id: Path<(String, String)>,
) -> Result<Json<ModerationTestimonial>, AppError> {
    decide(state, moderator, id, Status::Rejected).await
}

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
    match state.storage.moderate(moderator.site.id, &id, status, now_ms()).await? {
        Moderated::Done(testimonial) => {
            tracing::info!(site = %moderator.site.slug, testimonial = %id, %status, user = %moderator.user.email, "moderated");
            Ok(Json(moderation_view(&testimonial)))
        }
        Moderated::NotFound => Err(AppError::NotFound("testimonial")),
        Moderated::NoConsent => Err(AppError::Conflict {
            code: "consent_missing",
            message: "The author did not consent to publication, so this testimonial cannot be approved."
                .into(),
        }),
        Moderated::Withdrawn => Err(AppError::Conflict {
            code: "withdrawn",
            message: "The author withdrew this testimonial.".into(),
        }),
    }
}

pub fn moderation_view(testimonial: &Testimonial) -> ModerationTestimonial {
    ModerationTestimonial {
        public: public_view(testimonial),
        status: testimonial.status,
        email: testimonial.email.clone(),
        consent: testimonial.consent,
        follow_up: testimonial.follow_up,
        page_url: testimonial.page_url.clone(),
    }
}
