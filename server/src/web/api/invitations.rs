//! The invitations API: an order system invites the customer it just served (with a site key or
//! an owner's token); moderators read who was asked and who answered.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use fanfare_protocol::api::ApiError;
use fanfare_protocol::invitations::{
    Invitation as InvitationView, InvitationCreated, InvitationPage, InvitationStatus, InviteCustomer,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::moderation::{bearer, Moderator};
use super::refusals::{ModeratorRefusals, ModeratorWriteRefusals};
use crate::clock::rfc3339;
use crate::domain::Role;
use crate::service::site_keys::is_site_key;
use crate::service::Actor;
use crate::storage::{Invitation, Invited, Site, User};
use crate::web::error::AppError;
use crate::web::extract::AppJson;
use crate::web::request::{query_params, site_in_path};
use crate::web::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(invite, list))
}

/// Who may invite: a site key of the site in the path, or one of its owners (token or session).
/// A moderator's credentials are refused (403): inviting sends email in the business's name.
pub enum Inviter {
    Key { site: Site, label: String },
    Owner { site: Site, user: User },
}

impl Inviter {
    fn site(&self) -> &Site {
        match self {
            Inviter::Key { site, .. } | Inviter::Owner { site, .. } => site,
        }
    }

    fn actor(&self) -> Actor<'_> {
        match self {
            Inviter::Key { label, .. } => Actor::SiteKey(label),
            Inviter::Owner { user, .. } => Actor::Member(user),
        }
    }
}

impl FromRequestParts<AppState> for Inviter {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(secret) = bearer(parts).filter(|token| is_site_key(token)) {
            let secret = secret.to_owned();
            let site = site_in_path(parts, state).await?;
            let key = state.service.site_key(&site, &secret).await?.ok_or(AppError::Unauthenticated)?;
            return Ok(Inviter::Key { site: Site::clone(&site), label: key.label });
        }
        let Moderator { user, site } = Moderator::from_request_parts(parts, state).await?;
        if state.service.role_on(&user, &site).await? != Role::Owner {
            return Err(AppError::Forbidden(
                "Only the site's owners and its site keys may invite customers.",
            ));
        }
        Ok(Inviter::Owner { site, user })
    }
}

/// Invites a customer: one email with a personal link now, one reminder later unless they
/// answer. The same address is invited at most once in 30 days: then 200 with that invitation.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/invitations",
    tag = "invitations",
    security(("site_key" = []), ("bearer" = []), ("session" = [])),
    params(("site" = String, Path, description = "The site's slug")),
    request_body = InviteCustomer,
    responses(
        (status = 201, description = "Queued (or `unsubscribed`: the address asked this site never to email it, so nothing is sent)", body = InvitationCreated),
        (status = 200, description = "Invited within the last 30 days: that invitation", body = InvitationCreated),
        (status = 422, description = "Fields are invalid; `fields` names each", body = ApiError),
        (status = 403, description = "A moderator's credentials: only owners and site keys invite", body = ApiError),
        ModeratorRefusals,
        ModeratorWriteRefusals,
    ),
)]
async fn invite(
    State(state): State<AppState>,
    inviter: Inviter,
    AppJson(body): AppJson<InviteCustomer>,
) -> Result<(StatusCode, Json<InvitationCreated>), AppError> {
    let (status, invitation) = match state.service.invite(inviter.site(), inviter.actor(), &body).await? {
        Invited::Created(invitation) => (StatusCode::CREATED, invitation),
        Invited::Existing(invitation) => (StatusCode::OK, invitation),
    };
    Ok((status, Json(InvitationCreated { id: invitation.id, status: invitation.status })))
}

#[derive(Debug, Default, Deserialize)]
struct ListParams {
    status: Option<String>,
    cursor: Option<String>,
}

/// The site's invitations, newest first, of one state or all.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site}/invitations",
    tag = "invitations",
    security(("bearer" = []), ("session" = [])),
    params(
        ("site" = String, Path, description = "The site's slug"),
        ("status" = Option<String>, Query, description = "`queued`, `sent`, `reminded`, `responded`, `unsubscribed` or `failed`; all when absent"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page of invitations", body = InvitationPage),
        (status = 422, description = "A parameter is invalid; `fields` names it", body = ApiError),
        ModeratorRefusals,
    ),
)]
async fn list(
    State(state): State<AppState>,
    moderator: Moderator,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<InvitationPage>, AppError> {
    let params = query_params(query)?;
    let status = match params.status.as_deref().map(str::trim).filter(|status| !status.is_empty()) {
        None => None,
        Some(raw) => Some(InvitationStatus::parse(raw).ok_or_else(|| {
            AppError::field("status", "must be queued, sent, reminded, responded, unsubscribed or failed")
        })?),
    };
    let (items, next_cursor) =
        state.service.invitations(&moderator.site, status, params.cursor.as_deref()).await?;
    Ok(Json(InvitationPage { items: items.iter().map(invitation_view).collect(), next_cursor }))
}

/// An invitation as the API shows it.
pub fn invitation_view(invitation: &Invitation) -> InvitationView {
    InvitationView {
        id: invitation.id.clone(),
        email: invitation.email.clone(),
        name: invitation.name.clone(),
        tags: invitation.tags.clone(),
        order_id: invitation.order_id.clone(),
        lang: invitation.lang.clone(),
        status: invitation.status,
        created_at: rfc3339(invitation.created_at),
        sent_at: invitation.sent_at.map(rfc3339),
        reminded_at: invitation.reminded_at.map(rfc3339),
        responded_at: invitation.responded_at.map(rfc3339),
        testimonial_id: invitation.testimonial_id.clone(),
        attempts: invitation.attempts,
        last_error: invitation.last_error.clone(),
    }
}
