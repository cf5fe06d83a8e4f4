//! Owners manage who works on the site: add people by email, change roles, remove them.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

use super::form::FieldErrors;
use crate::domain::Role;
use crate::service::{Actor, ServiceError};
use crate::storage::Site;
use crate::web::page::{render, Frame, PageError, SiteNav};
use crate::web::session::{owned_site, AdminForm, AdminSession, FormFields};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sites/{site}/members", get(members_page).post(add_member))
        .route("/admin/sites/{site}/members/{id}/remove", post(remove_member))
}

async fn members_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &session.user, &slug).await?;
    members_view(&state, &site, &session, None, StatusCode::OK).await
}

/// The page, with the add form as typed and why it was refused (`refused`) when it was.
async fn members_view(
    state: &AppState,
    site: &Site,
    session: &AdminSession,
    refused: Option<(&FormFields, &BTreeMap<String, String>)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let members = state.service.members(site).await?;
    let csrf = session.csrf_token.as_str();
    let typed = |field: &str| refused.and_then(|(typed, _)| typed.get(field));
    let fields = FieldErrors::of(refused.map(|(_, errors)| errors)).prefixed("member-");
    let body = html! {
        h1 { "People" }
        table {
            thead { tr { th { "Email" } th { "Role" } th { span.visually-hidden { "Actions" } } } }
            tbody {
                @for (member, role) in &members {
                    tr {
                        td data-label="Email" { (member.email) }
                        td data-label="Role" { (role.as_str()) }
                        td.controls data-label="Actions" {
                            form.inline method="post" action=(format!("/admin/sites/{}/members/{}/remove", site.slug, member.id)) {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { "Remove" }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Add someone or change a role" }
        @if refused.is_some() {
            div.error role="alert" { p { "Nothing was saved. Please check: " (fields.names()) "." } }
        }
        form.stack method="post" {
            input type="hidden" name="csrf" value=(csrf);
            label for="member-email" { "Email" }
            input id="member-email" name="email" type="email" required value=[typed("email")]
                aria-invalid=[fields.invalid("email")] aria-describedby=[fields.described("email")];
            (fields.error("email"))
            label for="member-role" { "Role" }
            select id="member-role" name="role" aria-invalid=[fields.invalid("role")] aria-describedby=[fields.described("role")] {
                option value="moderator" { "Moderator: the queue, follow-ups and audit log" }
                option value="owner" selected[typed("role") == Some("owner")] { "Owner: also settings, people, webhooks and data" }
            }
            (fields.error("role"))
            button type="submit" { "Save" }
        }
        p.hint {
            "New people set their password on the server with "
            code { "fanfare user add EMAIL --site " (site.slug) " --password-stdin" } ". "
            "They get no notification email until they turn it on themselves under Email notifications."
        }
    };
    let frame = Frame {
        title: "People",
        account: Some((&session.user.email, csrf)),
        site: Some(SiteNav { slug: &site.slug, name: &site.name, tab: "members", owner: true }),
    };
    Ok((status, render(frame, body)).into_response())
}

async fn add_member(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let email = form.fields.get("email").unwrap_or_default();
    let added = match form.fields.get("role").unwrap_or_default().parse::<Role>() {
        Ok(role) => {
            state.service.add_member(&site, Actor::Member(&form.session.user), email, role, None).await
        }
        Err(error) => Err(ServiceError::field("role", error)),
    };
    match added {
        Ok(_) => Ok(Redirect::to(&format!("/admin/sites/{}/members", site.slug)).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let refused = Some((&form.fields, &errors));
            members_view(&state, &site, &form.session, refused, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn remove_member(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    state.service.remove_member(&site, Actor::Member(&form.session.user), id).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/members", site.slug)).into_response())
}
