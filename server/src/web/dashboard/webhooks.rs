//! The owner's webhooks: where events go, and the log of every delivery.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

use crate::service::sites::MAX_WEBHOOKS_PER_SITE;
use crate::service::{Actor, ServiceError};
use crate::storage::Site;
use crate::web::page::{render, when, Frame, PageError, SiteNav};
use crate::web::session::{owned_site, AdminForm, AdminSession};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sites/{site}/webhooks", get(webhooks_page).post(add_webhook))
        .route("/admin/sites/{site}/webhooks/{id}/delete", post(delete_webhook))
}

async fn webhooks_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &session.user, &slug).await?;
    webhooks_view(&state, &site, &session, None, StatusCode::OK).await
}

/// The page, with a refused URL and why (`refused`) above the form when there is one.
async fn webhooks_view(
    state: &AppState,
    site: &Site,
    session: &AdminSession,
    refused: Option<(&str, &str)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let hooks = state.service.webhooks(site).await?;
    let deliveries = state.service.deliveries(site, 100).await?;
    let csrf = session.csrf_token.as_str();
    let body = html! {
        h1 { "Webhooks" }
        p.hint {
            "Each event (testimonial.submitted, testimonial.approved, referral.converted) is POSTed as JSON to every URL below, signed in the "
            code { "Fanfare-Signature: t=TIMESTAMP,v1=HEX" } " header: HMAC-SHA256 with the webhook's secret over "
            code { "TIMESTAMP.BODY" } ". Failed deliveries are retried with growing pauses, up to 6 attempts."
        }
        @if hooks.is_empty() { p.empty { "No webhooks yet." } }
        ul.webhooks {
            @for hook in &hooks {
                li {
                    code { (hook.webhook.url) } " · secret " code.secret { (hook.secret) }
                    form.inline method="post" action=(format!("/admin/sites/{}/webhooks/{}/delete", site.slug, hook.webhook.id)) {
                        input type="hidden" name="csrf" value=(csrf);
                        button type="submit" { "Delete" }
                    }
                }
            }
        }
        @if refused.is_some() {
            div.error role="alert" { p { "Nothing was saved. Please check: url." } }
        }
        form.stack method="post" {
            input type="hidden" name="csrf" value=(csrf);
            label for="url" { "New webhook URL (at most " (MAX_WEBHOOKS_PER_SITE) " per site; it must reach the public internet)" }
            input id="url" name="url" type="url" required placeholder="https://example.com/hooks/fanfare"
                value=(refused.map(|(url, _)| url).unwrap_or_default())
                aria-invalid=[refused.map(|_| "true")] aria-describedby=[refused.map(|_| "url-error")];
            @if let Some((_, message)) = refused {
                p.error id="url-error" { "The URL " (message) }
            }
            button type="submit" { "Add webhook" }
        }
        h2 { "Delivery log" }
        table {
            thead { tr { th { "Queued" } th { "Event" } th { "URL" } th { "State" } th { "Attempts" } th { "Last answer" } } }
            tbody {
                @for delivery in &deliveries {
                    tr {
                        td data-label="Queued" { (when(delivery.created_at)) }
                        td data-label="Event" { (delivery.event) }
                        td data-label="URL" { code.long { (delivery.url) } }
                        td data-label="State" { (delivery.state.as_str()) }
                        td data-label="Attempts" { (delivery.attempts) }
                        td data-label="Last answer" {
                            @if let Some(status) = delivery.last_status { (status) " " }
                            (delivery.last_error.as_deref().unwrap_or(""))
                        }
                    }
                }
            }
        }
    };
    let frame = Frame {
        title: "Webhooks",
        account: Some((&session.user.email, csrf)),
        site: Some(SiteNav { slug: &site.slug, name: &site.name, tab: "webhooks", owner: true }),
    };
    Ok((status, render(frame, body)).into_response())
}

async fn add_webhook(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let url = form.fields.get("url").unwrap_or_default();
    match state.service.add_webhook(&site, Actor::Member(&form.session.user), url).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/sites/{}/webhooks", site.slug)).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let message = errors.get("url").map_or("is not valid", String::as_str);
            let refused = Some((url, message));
            webhooks_view(&state, &site, &form.session, refused, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn delete_webhook(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    state.service.remove_webhook(&site, Actor::Member(&form.session.user), id).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/webhooks", site.slug)).into_response())
}
