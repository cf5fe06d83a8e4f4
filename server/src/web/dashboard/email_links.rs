//! Where one-click links in moderator emails land: a confirm page, and the POST that acts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fanfare_protocol::api::Status;
use fanfare_protocol::fields::without_bidi_controls as shown;
use maud::html;

use crate::web::page::{render, Frame, PageError};
use crate::web::session::PublicForm;
use crate::web::state::AppState;

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

async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let link = state.service.email_decision(&token).await?;
    let (decision, site, testimonial) = (&link.decision, &link.site, &link.testimonial);
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
    let (site, done) = state.service.decide_by_email(&token).await?;
    let body = html! {
        h1 { "Done" }
        p role="status" { (done.name) "’s testimonial is now " (done.status.as_str()) "." }
        p { a href=(format!("/admin/sites/{}", site.slug)) { "Open the queue" } }
    };
    Ok((StatusCode::OK, render(Frame { title: "Done", account: None, site: None }, body)).into_response())
}
