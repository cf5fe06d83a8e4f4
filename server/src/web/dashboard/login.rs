//! Signing in and out.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;
use serde::Deserialize;

use crate::service::accounts::SignIn;
use crate::web::error::AppError;
use crate::web::page::{render, Frame, PageError};
use crate::web::request::ClientIp;
use crate::web::session::{current_session, local_path, session_cookie, set_cookie, AdminForm, PublicForm};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/login", get(login_page).post(login)).route("/admin/logout", post(logout))
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(params): Query<NextParam>,
) -> Result<Response, PageError> {
    let next = local_path(params.next.as_deref());
    if current_session(&headers, &state).await?.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    Ok(login_form(&next, None, StatusCode::OK))
}

fn login_form(next: &str, error: Option<&str>, status: StatusCode) -> Response {
    let body = html! {
        h1 { "Sign in" }
        form.login.stack method="post" action="/admin/login" {
            input type="hidden" name="next" value=(next);
            label for="email" { "Email" }
            // The error is about the pair: both fields are described by it, under the second.
            input id="email" name="email" type="email" autocomplete="username" required autofocus
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "login-error")];
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "login-error")];
            @if let Some(error) = error {
                p.error role="alert" id="login-error" { (error) }
            }
            button type="submit" { "Sign in" }
        }
        p.hint { "No account? An owner adds you with " code { "fanfare user add EMAIL --site SLUG --password-stdin" } "." }
    };
    (status, render(Frame { title: "Sign in", account: None, site: None }, body)).into_response()
}

const WRONG: &str = "That email and password do not match an account.";

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    PublicForm(form): PublicForm,
) -> Result<Response, PageError> {
    let next = local_path(form.get("next"));
    let email = form.get("email").unwrap_or_default();
    let password = form.get("password").unwrap_or_default().to_owned();
    let session_id = match state
        .service
        .sign_in(email, password, ip, session_cookie(&headers, state.secure_cookies))
        .await?
    {
        SignIn::SignedIn { session_id, .. } => session_id,
        SignIn::WrongCredentials => return Ok(login_form(&next, Some(WRONG), StatusCode::UNAUTHORIZED)),
    };
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(Some(&session_id), state.secure_cookies)
            .parse()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("session cookie is not a header value")))?,
    );
    Ok(response)
}

async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    form: AdminForm,
) -> Result<Response, PageError> {
    if let Some(cookie) = session_cookie(&headers, state.secure_cookies) {
        state.service.sign_out(cookie).await?;
    }
    tracing::info!(email = %form.session.user.email, "signed out");
    let mut response = Redirect::to("/admin/login").into_response();
    if let Ok(value) = set_cookie(None, state.secure_cookies).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}
