//! The follow-up inbox: low ratings and "contact me" requests, kept private, resolved with a note.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fanfare_protocol::fields::without_bidi_controls as shown;
use maud::html;
use serde::Deserialize;

use crate::domain::Role;
use crate::web::page::{render, when, Frame, PageError, SiteNav};
use crate::web::session::{member_site, AdminSession};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/sites/{site}/follow-ups", get(inbox))
}

#[derive(Deserialize)]
struct InboxParams {
    resolved: Option<String>,
}

async fn inbox(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
    Query(params): Query<InboxParams>,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &session.user, &slug).await?;
    let resolved = params.resolved.as_deref() == Some("1");
    let items = state.service.follow_ups(&site, resolved, 100).await?;
    let base = format!("/admin/sites/{}/follow-ups", site.slug);
    let here = if resolved { format!("{base}?resolved=1") } else { base.clone() };
    let body = html! {
        h1 { "Follow-ups" }
        p.hint {
            "Ratings of " (site.low_rating_threshold) " stars or fewer, and everyone who asked to be contacted. "
            "Reach out by email; nothing here is ever published by resolving it."
        }
        nav.status-tabs aria-label="Follow-up state" {
            a href=(base) aria-current=[(!resolved).then_some("page")] { "Open" }
            a href=(format!("{base}?resolved=1")) aria-current=[resolved.then_some("page")] { "Resolved" }
        }
        @if items.is_empty() {
            p.empty { "Nothing here." }
        }
        ol.items {
            @for item in &items {
                li {
                    article.item id=(format!("item-{}", item.id)) tabindex="0" {
                        header {
                            strong { bdi { (shown(&item.name)) } }
                            span.meta { (item.email) }
                            span.stars aria-label=(format!("{} of 5 stars", item.rating)) { (item.rating) " ★" }
                            @if item.contact_me { span.badge.warn { "Asked to be contacted" } }
                        }
                        blockquote dir="auto" { (shown(&item.text)) }
                        p.meta { "Received " (when(item.created_at)) }
                        @if let Some(resolved_at) = item.follow_up_resolved_at {
                            p { "Resolved " (when(resolved_at)) @if let Some(note) = &item.follow_up_note { ": " (note) } }
                        } @else {
                            form.stack method="post" action=(format!("/admin/sites/{}/testimonials/{}/resolve", site.slug, item.id)) {
                                input type="hidden" name="csrf" value=(session.csrf_token);
                                input type="hidden" name="return_to" value=(here);
                                label for=(format!("note-{}", item.id)) { "Private note" }
                                textarea id=(format!("note-{}", item.id)) name="note" rows="2" maxlength="2000" {}
                                button type="submit" { "Mark resolved" }
                            }
                        }
                    }
                }
            }
        }
    };
    let frame = Frame {
        title: "Follow-ups",
        account: Some((&session.user.email, &session.csrf_token)),
        site: Some(SiteNav {
            slug: &site.slug,
            name: &site.name,
            tab: "follow-ups",
            owner: role == Role::Owner,
        }),
    };
    Ok(render(frame, body).into_response())
}
