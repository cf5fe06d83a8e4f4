//! The unsubscribe link of every invitation email (RFC 8058). Opening it asks to confirm, so a
//! mail scanner that follows links changes nothing; a POST unsubscribes: from our confirm page,
//! or straight from the reader's mail program (`List-Unsubscribe-Post: List-Unsubscribe=One-Click`),
//! which sends no Origin and no cookie. The signed token is the whole authority, so the POST
//! needs no same-origin check and reads no body.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::html;

use super::page::{render_in, Frame, PageError};
use super::state::AppState;
use crate::service::invitations::UnsubscribeTarget;
use crate::service::sites::site_texts;
use crate::service::ServiceError;
use crate::storage::Site;

pub fn router() -> Router<AppState> {
    Router::new().route("/c/{site}/unsubscribe/{token}", get(confirm_page).post(unsubscribe))
}

async fn confirm_page(
    State(state): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let site = state.service.cached_site(&slug).await?;
    match state.service.unsubscribe_target(&site, &token).await? {
        Some(target) => Ok(page(&site, &token, &target, false)),
        None => Ok(not_valid(&site)),
    }
}

async fn unsubscribe(
    State(state): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let site = state.service.cached_site(&slug).await?;
    match state.service.unsubscribe(&site, &token).await {
        Ok(target) => Ok(page(&site, &token, &target, true)),
        Err(ServiceError::NotFound(_)) => Ok(not_valid(&site)),
        Err(other) => Err(other.into()),
    }
}

/// A forged link, or one whose invitation is long gone (and so has nothing left to send).
fn not_valid(site: &Site) -> Response {
    let texts = site_texts(site, "en");
    let title = texts.get("unsubscribe.title").map_or("", String::as_str);
    let body = html! {
        h1 { (title) }
        p role="alert" { (texts.get("unsubscribe.invalid").map_or("", String::as_str)) }
    };
    (StatusCode::NOT_FOUND, render_in("en", Frame { title, account: None, site: None }, body)).into_response()
}

/// The confirm page, or (`after_post`, or when the address is already off the list) the
/// sentence that it is done, in the invitation's language.
fn page(site: &Site, token: &str, target: &UnsubscribeTarget, after_post: bool) -> Response {
    let texts = site_texts(site, &target.lang);
    let text = |id: &str| {
        texts
            .get(id)
            .map_or("", String::as_str)
            .replace("{site}", &site.name)
            .replace("{email}", &target.email)
    };
    let title = text("unsubscribe.title");
    let body = html! {
        h1 { (title) }
        @if after_post || target.done {
            p role="status" { (text("unsubscribe.done")) }
        } @else {
            p { (text("unsubscribe.confirm")) }
            form method="post" action=(format!("/c/{}/unsubscribe/{token}", site.slug)) {
                button type="submit" { (text("unsubscribe.button")) }
            }
        }
    };
    render_in(&target.lang, Frame { title: &title, account: None, site: None }, body).into_response()
}
