//! Where one-click links in moderator emails land: a confirm page, and the POST that acts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fanfare_protocol::api::Status;
use fanfare_protocol::fields::without_bidi_controls as shown;
use maud::html;

use super::page::{render, Frame, PageError};
use super::session::PublicForm;
use crate::actions::{self, Action, Actor};
use crate::clock::now_ms;
use crate::error::AppError;
use crate::notify::links::{EmailDecision, LinkError};
use crate::state::AppState;
use crate::storage::{Site, Testimonial, User};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/email/{token}", get(confirm_page).post(confirm))
}

fn verb(status: Status) -> &'static str {
    match status {
        Status::Approved => "Approve",
        Status::Rejected => "Reject",
        Status::Spam => "Mark as spam",
        _ => "Change",
    }
}

/// The link's decision with everything it names, or why it cannot be used.
async fn resolve(
    state: &AppState,
    token: &str,
) -> Result<(EmailDecision, Site, User, Testimonial), PageError> {
    let decision = state.notify.links.verify(token, now_ms()).map_err(|error| match error {
        LinkError::Invalid => AppError::NotFound("link"),
        LinkError::Expired => AppError::Conflict {
            code: "link_expired",
            message: "This link has expired; decide in the dashboard instead.".into(),
        },
    })?;
    let site = state.storage.site_by_slug(&decision.site_slug).await?.ok_or(AppError::NotFound("link"))?;
    let emails = state.storage.member_emails(site.id).await?;
    // The recipient must still have a role on the site: removing a moderator disarms their links.
    let mut user = None;
    for email in emails {
        if let Some(member) = state.storage.user_by_email(&email).await? {
            if member.id == decision.user_id {
                user = Some(member);
            }
        }
    }
    let user = user.ok_or(AppError::NotFound("link"))?;
    let testimonial = state
        .storage
        .testimonial(site.id, &decision.testimonial_id)
        .await?
        .ok_or(AppError::NotFound("link"))?;
    Ok((decision, site, user, testimonial))
}

async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let (decision, site, _user, testimonial) = resolve(&state, &token).await?;
    let body = html! {
        h1 { (verb(decision.status)) " this testimonial?" }
        p { "On " strong { (site.name) } ", from " strong { bdi { (shown(&testimonial.name)) } } " (" (testimonial.rating) " of 5 stars):" }
        blockquote dir="auto" { (shown(&testimonial.text)) }
        form method="post" {
            button type="submit" { (verb(decision.status)) }
        }
        p.hint { "This link works once. " a href=(format!("/admin/sites/{}", site.slug)) { "Open the queue instead" } }
    };
    Ok(render(Frame { title: "Confirm", account: None, site: None }, body).into_response())
}

async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PublicForm(_fields): PublicForm,
) -> Result<Response, PageError> {
    let (decision, site, user, _testimonial) = resolve(&state, &token).await?;
    if !state.storage.use_nonce(&decision.nonce, now_ms()).await? {
        return Err(
            AppError::Conflict { code: "link_used", message: "This link was already used.".into() }.into()
        );
    }
    let actor = Actor { user: &user, via: Some("email link") };
    let done =
        actions::apply(&state, &site, actor, &decision.testimonial_id, Action::Decide(decision.status))
            .await?;
    let body = html! {
        h1 { "Done" }
        p role="status" { (done.name) "’s testimonial is now " (done.status.as_str()) "." }
        p { a href=(format!("/admin/sites/{}", site.slug)) { "Open the queue" } }
    };
    Ok((StatusCode::OK, render(Frame { title: "Done", account: None, site: None }, body)).into_response())
}
