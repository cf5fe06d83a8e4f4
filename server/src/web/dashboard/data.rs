//! The owner's data page: exports to download, and erasure by email address.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::{stream, StreamExt, TryStreamExt};
use maud::html;

use super::form::FieldErrors;
use crate::progress::Silent;
use crate::service::data_rights::ExportFormat;
use crate::service::{Actor, ServiceError};
use crate::web::error::AppError;
use crate::web::page::{render, Frame, PageError, SiteNav};
use crate::web::session::{owned_site, AdminForm, AdminSession};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sites/{site}/data", get(data_page))
        .route("/admin/sites/{site}/export.json", get(export_json))
        .route("/admin/sites/{site}/export.csv", get(export_csv))
        .route("/admin/sites/{site}/erase", post(erase))
}

async fn data_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &session.user, &slug).await?;
    Ok(page(&site.slug, &site.name, &session, Erasure::Form))
}

/// What the erasure form shows besides the form.
#[derive(Clone, Copy)]
enum Erasure<'a> {
    Form,
    /// So many testimonials were erased.
    Done(u64),
    /// The address as typed, and why it was refused.
    Refused(&'a str, &'a BTreeMap<String, String>),
}

fn page(slug: &str, name: &str, session: &AdminSession, erasure: Erasure<'_>) -> Response {
    let (typed, fields, status) = match erasure {
        Erasure::Refused(typed, errors) => {
            (Some(typed), FieldErrors::new(errors).prefixed("erase-"), StatusCode::UNPROCESSABLE_ENTITY)
        }
        _ => (None, FieldErrors::default(), StatusCode::OK),
    };
    let body = html! {
        h1 { "Data" }
        h2 { "Export" }
        p { "Every testimonial in any status, with consent records, replies and tags." }
        ul {
            li { a href=(format!("/admin/sites/{slug}/export.json")) download { "Download JSON" } " (what " code { "fanfare import" } " reads)" }
            li { a href=(format!("/admin/sites/{slug}/export.csv")) download { "Download CSV" } " (cells that could run as spreadsheet formulas start with ')" }
        }
        h2 { "Erase a person's data" }
        @if let Erasure::Done(count) = erasure {
            p.notice role="status" { "Erased " (count) " testimonials." }
        }
        @if typed.is_some() {
            div.error role="alert" { p { "Nothing was erased. Please check: " (fields.names()) "." } }
        }
        form.stack method="post" action=(format!("/admin/sites/{slug}/erase")) {
            input type="hidden" name="csrf" value=(session.csrf_token);
            label for="erase-email" { "Email address" }
            input id="erase-email" name="email" type="email" required value=[typed]
                aria-invalid=[fields.invalid("email")] aria-describedby=[fields.described("email")];
            (fields.error("email"))
            button type="submit" { "Erase everything from this address" }
        }
    };
    let frame = Frame {
        title: "Data",
        account: Some((&session.user.email, &session.csrf_token)),
        site: Some(SiteNav { slug, name, tab: "data", owner: true }),
    };
    (status, render(frame, body)).into_response()
}

async fn export_json(
    state: State<AppState>,
    session: AdminSession,
    slug: Path<String>,
) -> Result<Response, PageError> {
    download(state, session, slug, ExportFormat::Json).await
}

async fn export_csv(
    state: State<AppState>,
    session: AdminSession,
    slug: Path<String>,
) -> Result<Response, PageError> {
    download(state, session, slug, ExportFormat::Csv).await
}

/// How long a failed download waits before cutting the connection (see [`download`]).
const FLUSH_BEFORE_CUTTING: std::time::Duration = std::time::Duration::from_millis(200);

async fn download(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
    format: ExportFormat,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &session.user, &slug).await?;
    let mut pieces = state.service.export(&site, format, Arc::new(Silent));
    // The first page is read before the answer starts, so a database that fails at once is a
    // plain error page rather than a download cut off at nothing.
    let first = pieces.try_next().await.map_err(AppError::Internal)?;
    // Later, the headers are sent: a failure can only end the body early (the client sees an
    // incomplete download, never a complete-looking short one) and be logged.
    let slug = site.slug.clone();
    let rest = pieces.then(move |piece| {
        let slug = slug.clone();
        async move {
            match piece {
                Ok(bytes) => Ok(bytes),
                Err(error) => {
                    tracing::error!(site = %slug, error = format!("{error:#}"), "an export download was cut off");
                    // hyper drops what it holds unwritten when a body fails, the response's
                    // head included if it has not gone out yet (the client then sees no answer
                    // at all, where it should see a download cut short): a pause first lets
                    // what was already produced reach the socket.
                    tokio::time::sleep(FLUSH_BEFORE_CUTTING).await;
                    Err(std::io::Error::other("the export failed part-way"))
                }
            }
        }
    });
    let body = Body::from_stream(stream::iter(first.map(Ok)).chain(rest));
    let (content_type, extension) = match format {
        ExportFormat::Json => ("application/json", "json"),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let disposition = format!("attachment; filename=\"{}-testimonials.{extension}\"", site.slug);
    Ok(([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}

async fn erase(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let email = form.fields.get("email").unwrap_or_default();
    match state.service.erase(&site, Actor::Member(&form.session.user), email).await {
        Ok(erased) => Ok(page(&site.slug, &site.name, &form.session, Erasure::Done(erased))),
        Err(ServiceError::Invalid(errors)) => {
            Ok(page(&site.slug, &site.name, &form.session, Erasure::Refused(email, &errors)))
        }
        Err(other) => Err(other.into()),
    }
}
