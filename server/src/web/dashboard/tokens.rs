//! A person's own API tokens: create (shown once), list, revoke.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

use crate::web::page::{render, when, Frame, PageError};
use crate::web::session::{AdminForm, AdminSession};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/tokens", get(list).post(create))
        .route("/admin/tokens/{id}/revoke", post(revoke))
}

async fn list(State(state): State<AppState>, session: AdminSession) -> Result<Response, PageError> {
    page(&state, &session, None).await
}

async fn page(
    state: &AppState,
    session: &AdminSession,
    new_token: Option<&str>,
) -> Result<Response, PageError> {
    let tokens = state.service.tokens_of(&session.user).await?;
    let csrf = session.csrf_token.as_str();
    let body = html! {
        h1 { "API tokens" }
        p.hint { "Tokens act as you on the moderation API: " code { "Authorization: Bearer TOKEN" } "." }
        @if let Some(token) = new_token {
            div.notice role="status" {
                p { "Your new token. Copy it now: it is shown only once." }
                p { code.secret #new-token { (token) } }
            }
        }
        form method="post" action="/admin/tokens" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { "Create a token" }
        }
        table {
            thead { tr { th { "Token" } th { "Created" } th { "State" } th { span.visually-hidden { "Actions" } } } }
            tbody {
                @for token in &tokens {
                    tr {
                        td data-label="Token" { "#" (token.id) }
                        td data-label="Created" { (when(token.created_at)) }
                        td data-label="State" { @if let Some(revoked) = token.revoked_at { "Revoked " (when(revoked)) } @else { "Active" } }
                        td.controls data-label="Actions" {
                            @if token.revoked_at.is_none() {
                                form.inline method="post" action=(format!("/admin/tokens/{}/revoke", token.id)) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button type="submit" { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(render(Frame { title: "API tokens", account: Some((&session.user.email, csrf)), site: None }, body)
        .into_response())
}

async fn create(State(state): State<AppState>, form: AdminForm) -> Result<Response, PageError> {
    let token = state.service.create_token(&form.session.user).await?;
    page(&state, &form.session, Some(&token)).await
}

async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: AdminForm,
) -> Result<Response, PageError> {
    state.service.revoke_token(&form.session.user, id).await?;
    Ok(Redirect::to("/admin/tokens").into_response())
}
