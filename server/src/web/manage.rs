//! The author's private manage link: see the testimonial, correct it (back to moderation), or
//! withdraw it (unpublished at once, for good). The unguessable token in the path is the key;
//! only its hash is stored.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fanfare_protocol::api::Status;
use fanfare_protocol::fields::without_bidi_controls as shown;
use maud::html;

use crate::actions::parse_edit;
use crate::admin::page::{render, when, Frame, PageError};
use crate::admin::PublicForm;
use crate::clock::now_ms;
use crate::error::AppError;
use crate::secrets;
use crate::state::AppState;
use crate::storage::{AuditEntry, Testimonial};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/manage/{token}", get(manage_page))
        .route("/manage/{token}/edit", post(edit))
        .route("/manage/{token}/withdraw", post(withdraw))
}

async fn find(state: &AppState, token: &str) -> Result<Testimonial, PageError> {
    Ok(state
        .storage
        .testimonial_by_manage_token(&secrets::hash_token(token))
        .await?
        .ok_or(AppError::NotFound("testimonial"))?)
}

fn status_sentence(status: Status) -> &'static str {
    match status {
        Status::Pending => "Waiting for the business to read it.",
        Status::Approved => "Published on the website.",
        Status::Rejected | Status::Spam => "Not published.",
        Status::Withdrawn => "Withdrawn by you. It is not published and cannot be brought back.",
    }
}

async fn manage_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let item = find(&state, &token).await?;
    let body = html! {
        h1 { "Your testimonial" }
        p role="status" { strong { (status_sentence(item.status)) } }
        blockquote dir="auto" { (shown(&item.text)) }
        p.meta { bdi { (shown(&item.name)) } " · " (item.rating) " of 5 stars · sent " (when(item.created_at)) @if item.edited { " · edited" } }
        @if let Some(reply) = &item.reply { p.reply { strong { "Reply: " } bdi { (shown(reply)) } } }
        @if item.status != Status::Withdrawn {
            h2 { "Correct it" }
            p.hint { "A corrected testimonial goes back to the business to read before it is published again." }
            form.stack method="post" action=(format!("/manage/{token}/edit")) {
                label for="name" { "Name" }
                input id="name" name="name" value=(item.name) required;
                label for="role" { "Role" }
                input id="role" name="role" value=(item.role.as_deref().unwrap_or(""));
                label for="company" { "Company" }
                input id="company" name="company" value=(item.company.as_deref().unwrap_or(""));
                label for="rating" { "Rating (1–5)" }
                input id="rating" name="rating" type="number" min="1" max="5" value=(item.rating);
                label for="text" { "Your words" }
                textarea id="text" name="text" rows="5" { (item.text) }
                button type="submit" { "Save correction" }
            }
            h2 { "Withdraw it" }
            form method="post" action=(format!("/manage/{token}/withdraw")) {
                button.danger type="submit" { "Withdraw my testimonial" }
            }
        }
        p.hint { "Keep this link private: anyone with it can change or withdraw your testimonial." }
    };
    Ok(render(Frame { title: "Your testimonial", account: None, site: None }, body).into_response())
}

async fn author_audit(state: &AppState, item: &Testimonial, action: &str) -> Result<(), PageError> {
    state
        .storage
        .record_audit(AuditEntry {
            site_id: item.site_id,
            user_id: None,
            actor: "author".into(),
            action: action.into(),
            testimonial_id: Some(item.id.clone()),
            detail: None,
            created_at: now_ms(),
        })
        .await?;
    Ok(())
}

async fn edit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PublicForm(fields): PublicForm,
) -> Result<Response, PageError> {
    let item = find(&state, &token).await?;
    if item.status == Status::Withdrawn {
        return Err(AppError::Conflict {
            code: "withdrawn",
            message: "You withdrew this testimonial.".into(),
        }
        .into());
    }
    let get = |field: &str| fields.get(field).unwrap_or_default();
    let edit = parse_edit(get("name"), get("role"), get("company"), get("rating"), get("text"))?;
    let updated = state
        .storage
        .author_edit(&secrets::hash_token(&token), edit, now_ms())
        .await?
        .ok_or(AppError::NotFound("testimonial"))?;
    state.public_cache.invalidate(updated.site_id);
    author_audit(&state, &updated, "author edit").await?;
    Ok(Redirect::to(&format!("/manage/{token}")).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PublicForm(_fields): PublicForm,
) -> Result<Response, PageError> {
    let item = state
        .storage
        .withdraw(&secrets::hash_token(&token), now_ms())
        .await?
        .ok_or(AppError::NotFound("testimonial"))?;
    state.public_cache.invalidate(item.site_id);
    author_audit(&state, &item, "author withdrew").await?;
    tracing::info!(testimonial = %item.id, "withdrawn by its author");
    Ok(Redirect::to(&format!("/manage/{token}")).into_response())
}
