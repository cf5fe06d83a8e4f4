//! Owners manage who works on the site: add people by email, change roles, remove them.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fanfare_protocol::fields::Email;
use maud::html;

use super::page::{render, Frame, PageError, SiteNav};
use super::session::{owned_site, AdminForm, AdminSession};
use super::settings::audit;
use crate::clock::now_ms;
use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;
use crate::storage::Site;

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
    let members = state.storage.members(site.id).await?;
    let csrf = session.csrf_token.as_str();
    let body = html! {
        h1 { "People" }
        table {
            thead { tr { th { "Email" } th { "Role" } th {} } }
            tbody {
                @for (member, role) in &members {
                    tr {
                        td { (member.email) }
                        td { (role.as_str()) }
                        td {
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
        form.stack method="post" {
            input type="hidden" name="csrf" value=(csrf);
            label for="member-email" { "Email" }
            input id="member-email" name="email" type="email" required;
            label for="member-role" { "Role" }
            select id="member-role" name="role" {
                option value="moderator" { "Moderator: the queue, follow-ups and audit log" }
                option value="owner" { "Owner: also settings, people, webhooks and data" }
            }
            button type="submit" { "Save" }
        }
        p.hint {
            "New people set their password on the server with "
            code { "fanfare user add EMAIL --site " (site.slug) " --password-stdin" } "."
        }
    };
    let frame = Frame {
        title: "People",
        account: Some((&session.user.email, csrf)),
        site: Some(SiteNav { slug: &site.slug, name: &site.name, tab: "members", owner: true }),
    };
    Ok(render(frame, body).into_response())
}

/// A site must always keep an owner, or nobody could change its settings again.
async fn keeps_an_owner(state: &AppState, site: &Site, without: i64) -> Result<(), PageError> {
    let members = state.storage.members(site.id).await?;
    if members.iter().any(|(user, role)| *role == Role::Owner && user.id != without) {
        Ok(())
    } else {
        Err(AppError::Conflict { code: "last_owner", message: "A site needs at least one owner.".into() }
            .into())
    }
}

async fn add_member(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let email = Email::parse(form.fields.get("email").unwrap_or_default())
        .map_err(|error| AppError::field("email", error.to_string()))?;
    let role: Role = form
        .fields
        .get("role")
        .unwrap_or_default()
        .parse()
        .map_err(|error: String| AppError::field("role", error))?;
    if role == Role::Moderator {
        if let Some(existing) = state.storage.user_by_email(email.as_str()).await? {
            keeps_an_owner(&state, &site, existing.id).await?;
        }
    }
    state.storage.upsert_user(email.as_str(), None, site.id, role, now_ms()).await?;
    audit(&state, &site, &form.session.user, &format!("make {role}"), Some(email.as_str().to_owned()))
        .await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/members", site.slug)).into_response())
}

async fn remove_member(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    keeps_an_owner(&state, &site, id).await?;
    let members = state.storage.members(site.id).await?;
    let (member, _) = members.iter().find(|(user, _)| user.id == id).ok_or(AppError::NotFound("person"))?;
    state.storage.remove_member(site.id, id).await?;
    audit(&state, &site, &form.session.user, "remove person", Some(member.email.clone())).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/members", site.slug)).into_response())
}
