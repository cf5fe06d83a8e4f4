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

use super::page::{render, when, Frame, PageError};
use super::request::ClientIp;
use super::session::PublicForm;
use super::state::AppState;
use crate::service::authors::Correction;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/manage/{token}", get(manage_page))
        .route("/manage/{token}/edit", post(edit))
        .route("/manage/{token}/withdraw", post(withdraw))
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
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let item = state.service.testimonial_by_manage_token(&token, ip).await?;
    let body = html! {
        h1 { "Your testimonial" }
        p role="status" { strong { (status_sentence(item.status)) } }
        blockquote dir="auto" { (shown(&item.text)) }
        p.meta { bdi { (shown(&item.name)) } " · " (item.rating) " of 5 stars · sent " (when(item.created_at)) @if item.edited { " · edited" } }
        @if let Some(reply) = &item.reply { p.reply { strong { "Reply: " } bdi { (shown(reply)) } } }
        @if item.status != Status::Withdrawn {
            h2 { "Correct it" }
            @if matches!(item.status, Status::Pending | Status::Approved) {
                p.hint { "A corrected testimonial goes back to the business to read before it is published again." }
            }
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

async fn edit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    PublicForm(fields): PublicForm,
) -> Result<Response, PageError> {
    let get = |field: &str| fields.get(field).unwrap_or_default();
    let correction = Correction {
        name: get("name"),
        role: get("role"),
        company: get("company"),
        rating: get("rating"),
        text: get("text"),
    };
    state.service.correct_by_author(&token, correction, ip).await?;
    Ok(Redirect::to(&format!("/manage/{token}")).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    PublicForm(_fields): PublicForm,
) -> Result<Response, PageError> {
    state.service.withdraw_by_author(&token, ip).await?;
    Ok(Redirect::to(&format!("/manage/{token}")).into_response())
}
