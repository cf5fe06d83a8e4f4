//! The owner's webhooks: where events go, and the log of every delivery.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

use crate::service::Actor;
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
    let hooks = state.service.webhooks(&site).await?;
    let deliveries = state.service.deliveries(&site, 100).await?;
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
                    code { (hook.url) } " · secret " code.secret { (hook.secret) }
                    form.inline method="post" action=(format!("/admin/sites/{}/webhooks/{}/delete", site.slug, hook.id)) {
                        input type="hidden" name="csrf" value=(csrf);
                        button type="submit" { "Delete" }
                    }
                }
            }
        }
        form.stack method="post" {
            input type="hidden" name="csrf" value=(csrf);
            label for="url" { "New webhook URL" }
            input id="url" name="url" type="url" required placeholder="https://example.com/hooks/fanfare";
            button type="submit" { "Add webhook" }
        }
        h2 { "Delivery log" }
        table {
            thead { tr { th { "Queued" } th { "Event" } th { "URL" } th { "State" } th { "Attempts" } th { "Last answer" } } }
            tbody {
                @for delivery in &deliveries {
                    tr {
                        td { (when(delivery.created_at)) }
                        td { (delivery.event) }
                        td { code { (delivery.url) } }
                        td { (delivery.state.as_str()) }
                        td { (delivery.attempts) }
                        td {
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
    Ok(render(frame, body).into_response())
}

async fn add_webhook(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let url = form.fields.get("url").unwrap_or_default();
    state.service.add_webhook(&site, Actor::Member(&form.session.user), url).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/webhooks", site.slug)).into_response())
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
