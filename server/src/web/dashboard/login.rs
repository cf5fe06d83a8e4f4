//! Signing in and out.

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fanfare_protocol::fields::Email;
use maud::html;
use serde::Deserialize;

use super::page::{render, Frame, PageError};
use super::session::{
    current_session, local_path, session_cookie, set_cookie, AdminForm, PublicForm, SESSION_LIFETIME_MS,
};
use crate::clock::now_ms;
use crate::commands::hash_password;
use crate::error::AppError;
use crate::limits;
use crate::routes::request::{truncate_ip, ClientIp};
use crate::secrets;
use crate::state::AppState;

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
        form.login method="post" action="/admin/login" {
            @if let Some(error) = error {
                p.error role="alert" id="login-error" { (error) }
            }
            input type="hidden" name="next" value=(next);
            label for="email" { "Email" }
            input id="email" name="email" type="email" autocomplete="username" required autofocus;
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
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
    // Normalised exactly as `fanfare user add` stored it; anything that is no address matches nobody.
    let typed = form.get("email").unwrap_or_default();
    let email = Email::parse(typed).map(Email::into_inner).unwrap_or_else(|_| typed.trim().to_owned());
    let password = form.get("password").unwrap_or_default().to_owned();
    let network = ip.map(truncate_ip).unwrap_or_default();
    let keys = [format!("network:{network}"), format!("email:{email}")];
    for key in &keys {
        if let Err(retry_after_secs) = state.limits.check(limits::SIGN_IN_FAILURES, key) {
            return Err(AppError::RateLimited { retry_after_secs }.into());
        }
    }
    let account = state.storage.password_hash(&email).await?;
    // Unknown addresses are checked against a dummy hash, so they take as long as a wrong
    // password and the answer is word for word the same.
    let (user, stored_hash) = match account {
        Some((user, Some(hash))) => (Some(user), hash),
        _ => (None, dummy_hash(&state).await?),
    };
    let matches = verify_password(&state, password, stored_hash).await?;
    let Some(user) = user.filter(|_| matches) else {
        for key in &keys {
            state.limits.record(limits::SIGN_IN_FAILURES, key);
        }
        tracing::info!(email = %email, "failed sign-in");
        return Ok(login_form(&next, Some(WRONG), StatusCode::UNAUTHORIZED));
    };
    // A fresh id at every sign-in, and the old session (if any) ends: a planted cookie can
    // never become a signed-in one.
    if let Some(old) = session_cookie(&headers) {
        state.storage.delete_session(&secrets::hash_token(old)).await?;
    }
    let session_id = secrets::bearer_token("ffs");
    let now = now_ms();
    state
        .storage
        .create_session(
            &secrets::hash_token(&session_id),
            user.id,
            &secrets::nonce(),
            now,
            now + SESSION_LIFETIME_MS,
        )
        .await?;
    tracing::info!(email = %user.email, "signed in");
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
    if let Some(cookie) = session_cookie(&headers) {
        state.storage.delete_session(&secrets::hash_token(cookie)).await?;
    }
    tracing::info!(email = %form.session.user.email, "signed out");
    let mut response = Redirect::to("/admin/login").into_response();
    if let Ok(value) = set_cookie(None, state.secure_cookies).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn dummy_hash(state: &AppState) -> Result<String, AppError> {
    let hash = state
        .dummy_password_hash
        .get_or_try_init(|| hash_password(secrets::nonce()))
        .await
        .map_err(AppError::Internal)?;
    Ok(hash.clone())
}

async fn verify_password(state: &AppState, password: String, hash: String) -> Result<bool, AppError> {
    let _permit = state
        .password_work
        .acquire()
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("the password work queue is closed")))?;
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|error| AppError::Internal(anyhow::anyhow!("password check failed: {error}")))
}
