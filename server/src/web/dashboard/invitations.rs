//! Invitations: who was asked for a testimonial and who answered; owners invite one customer,
//! or a CSV of them after a preview, send a failed one again, and manage the site keys their
//! own systems invite with.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fanfare_protocol::invitations::InviteCustomer;
use maud::{html, Markup};
use serde::Deserialize;

use super::form::FieldErrors;
use crate::domain::Role;
use crate::progress::Silent;
use crate::service::invitations::csv::{self, LineError};
use crate::service::invitations::{typed_tags, CheckedInvitation, InviteReport};
use crate::service::site_keys::CreatedKey;
use crate::service::{Actor, ServiceError};
use crate::storage::{Invitation, InvitationStatus, Site};
use crate::texts::LANGUAGES;
use crate::web::page::{render, when, Frame, PageError, SiteNav};
use crate::web::session::{member_site, owned_site, AdminForm, AdminSession, FormFields};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sites/{site}/invitations", get(invitations_page))
        .route("/admin/sites/{site}/invitations/send", post(send_one))
        .route("/admin/sites/{site}/invitations/preview", post(preview))
        .route("/admin/sites/{site}/invitations/upload", post(upload))
        .route("/admin/sites/{site}/invitations/{id}/resend", post(resend))
        .route("/admin/sites/{site}/invitations/resend-failed", post(resend_failed))
        .route("/admin/sites/{site}/keys", post(create_key))
        .route("/admin/sites/{site}/keys/{id}/revoke", post(revoke_key))
}

#[derive(Debug, Default, Deserialize)]
struct ListParams {
    status: Option<String>,
    cursor: Option<String>,
    notice: Option<String>,
}

/// What to show above the list, besides the list itself.
#[derive(Default)]
struct Extra<'a> {
    notice: Option<&'a str>,
    /// The one-invitation form refused: its fields as typed and why.
    refused: Option<(&'a FormFields, BTreeMap<String, String>)>,
    /// A key just made, shown once.
    new_key: Option<&'a CreatedKey>,
    /// The new key's label refused: as typed, and why.
    key_refused: Option<(&'a str, BTreeMap<String, String>)>,
}

async fn invitations_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &session.user, &slug).await?;
    let notice = params.notice.as_deref().and_then(notice_text);
    let extra = Extra { notice, ..Extra::default() };
    page(&state, &site, role, &session, &params, extra, StatusCode::OK).await
}

/// Notices travel in the redirect as a word, never as text a link could make us show.
fn notice_text(word: &str) -> Option<&'static str> {
    match word {
        "queued" => Some("Invitation queued: it goes out within a minute."),
        "already" => Some(
            "This address was invited within the last 30 days: that invitation stands, nothing new was sent.",
        ),
        "unsubscribed" => Some("This address unsubscribed from your emails: it is not invited."),
        "uploaded" => Some("Invitations queued: they go out within minutes, within your daily cap."),
        "resent" => Some("The invitation is queued again."),
        "resent-all" => Some("Every failed invitation is queued again."),
        "revoked" => Some("The key was revoked: it is refused from now on."),
        _ => None,
    }
}

async fn page(
    state: &AppState,
    site: &Site,
    role: Role,
    session: &AdminSession,
    params: &ListParams,
    extra: Extra<'_>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let filter = params.status.as_deref().and_then(InvitationStatus::parse);
    let (items, next) = state.service.invitations(site, filter, params.cursor.as_deref()).await?;
    let counts = state.service.invitation_counts(site).await?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let owner = role == Role::Owner;
    let keys = if owner { state.service.site_keys(site).await? } else { Vec::new() };
    let csrf = session.csrf_token.as_str();
    let base = format!("/admin/sites/{}/invitations", site.slug);
    let body = html! {
        h1 { "Invitations" }
        p.hint {
            "Each customer gets one email with a personal link to " a href=(format!("/c/{}", site.slug)) { "your collection page" }
            " and, " (site.invitation_reminder_days) " days later, one reminder unless they answered (change both in Settings). "
            "Testimonials sent through the link are marked “Verified customer”. No tracking pixels, no redirecting links."
        }
        @if !state.service.sends_email() {
            p.error role="alert" {
                "No SMTP server is configured: invitations wait in the queue until the server runs with --smtp-url and --mail-from."
            }
        }
        @if let Some(notice) = extra.notice { p.notice role="status" { (notice) } }
        nav.status-tabs aria-label="State" {
            a href=(base) aria-current=[filter.is_none().then_some("page")] { "All " span.count { (total) } }
            @for (state_of, count) in &counts {
                a href=(format!("{base}?status={}", state_of.as_str()))
                  aria-current=[(filter == Some(*state_of)).then_some("page")] { (label(*state_of)) " " span.count { (count) } }
            }
        }
        @if items.is_empty() { p.empty { "No invitations here yet." } } @else {
            table {
                thead { tr { th { "Customer" } th { "Order" } th { "State" } th { "Sent" } th { "Reminded" } th { "Answered" } @if owner { th { span.visually-hidden { "Actions" } } } } }
                tbody { @for invitation in &items { (row(site, invitation, owner, csrf)) } }
            }
            @if let Some(next) = next {
                p { a href=(format!("{base}?{}", query(filter, &next))) { "Older invitations" } }
            }
        }
        @let failed = counts.iter().find(|(state_of, _)| *state_of == InvitationStatus::Failed).map_or(0, |(_, n)| *n);
        @if owner && failed > 0 {
            form method="post" action=(format!("{base}/resend-failed")) {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Send all " (failed) " failed invitations again" }
            }
        }
        @if owner {
            (invite_one_form(site, csrf, extra.refused.as_ref()))
            (upload_form(site, csrf, None, &[]))
            (keys_section(site, csrf, &keys, extra.new_key, extra.key_refused.as_ref()))
        }
    };
    let frame = Frame {
        title: "Invitations",
        account: Some((&session.user.email, csrf)),
        site: Some(SiteNav { slug: &site.slug, name: &site.name, tab: "invitations", owner }),
    };
    Ok((status, render(frame, body)).into_response())
}

fn query(filter: Option<InvitationStatus>, cursor: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(filter) = filter {
        query.append_pair("status", filter.as_str());
    }
    query.append_pair("cursor", cursor).finish()
}

fn label(status: InvitationStatus) -> &'static str {
    match status {
        InvitationStatus::Queued => "Queued",
        InvitationStatus::Sent => "Sent",
        InvitationStatus::Reminded => "Reminded",
        InvitationStatus::Responded => "Answered",
        InvitationStatus::Unsubscribed => "Unsubscribed",
        InvitationStatus::Failed => "Failed",
    }
}

fn row(site: &Site, invitation: &Invitation, owner: bool, csrf: &str) -> Markup {
    let time = |at: Option<i64>| at.map(when).unwrap_or_default();
    html! {
        tr {
            td data-label="Customer" {
                @if let Some(name) = &invitation.name { bdi { (name) } br; }
                (invitation.email)
                @if !invitation.tags.is_empty() { br; span.hint { "Tags: " (invitation.tags.join(", ")) } }
            }
            td data-label="Order" { (invitation.order_id.as_deref().unwrap_or("")) }
            td data-label="State" {
                (label(invitation.status))
                @if let Some(error) = &invitation.last_error {
                    br; span.error { "Last attempt failed (" (invitation.attempts) "): " (error) }
                }
            }
            td data-label="Sent" { (time(invitation.sent_at)) }
            td data-label="Reminded" { (time(invitation.reminded_at)) }
            td data-label="Answered" { (time(invitation.responded_at)) }
            @if owner {
                td.controls data-label="Actions" {
                    @if invitation.status == InvitationStatus::Failed {
                        form.inline method="post" action=(format!("/admin/sites/{}/invitations/{}/resend", site.slug, invitation.id)) {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { "Send again" }
                        }
                    }
                }
            }
        }
    }
}

fn invite_one_form(
    site: &Site,
    csrf: &str,
    refused: Option<&(&FormFields, BTreeMap<String, String>)>,
) -> Markup {
    let typed =
        |field: &str| refused.and_then(|(fields, _)| fields.get(field)).unwrap_or_default().to_owned();
    let fields = FieldErrors::of(refused.map(|(_, errors)| errors)).prefixed("invite-");
    html! {
        h2 { "Invite one customer" }
        @if refused.is_some() {
            div.error role="alert" { p { "Nobody was invited. Please check: " (fields.names()) "." } }
        }
        form.stack method="post" action=(format!("/admin/sites/{}/invitations/send", site.slug)) {
            input type="hidden" name="csrf" value=(csrf);
            label for="invite-email" { "Email" }
            input id="invite-email" name="email" type="email" required value=(typed("email")) aria-invalid=[fields.invalid("email")] aria-describedby=[fields.described("email")];
            (fields.error("email"))
            label for="invite-name" { "Name (optional, greets them and fills in the form)" }
            input id="invite-name" name="name" value=(typed("name")) aria-invalid=[fields.invalid("name")] aria-describedby=[fields.described("name")];
            (fields.error("name"))
            label for="invite-tags" { "Tags (optional: the product they bought, joined to their testimonial)" }
            input id="invite-tags" name="tags" value=(typed("tags")) placeholder="espresso-beans" aria-invalid=[fields.invalid("tags")] aria-describedby=[fields.described("tags")];
            (fields.error("tags"))
            label for="invite-order" { "Order number (optional)" }
            input id="invite-order" name="order_id" value=(typed("order_id")) aria-invalid=[fields.invalid("order_id")] aria-describedby=[fields.described("order_id")];
            (fields.error("order_id"))
            label for="invite-lang" { "Language of the email and the form" }
            select id="invite-lang" name="lang" aria-invalid=[fields.invalid("lang")] aria-describedby=[fields.described("lang")] {
                @for lang in LANGUAGES { option value=(lang) selected[typed("lang") == lang] { (lang) } }
            }
            (fields.error("lang"))
            button type="submit" { "Send invitation" }
        }
    }
}

/// `errors`: the lines of `text` that were refused, listed under the text box.
fn upload_form(site: &Site, csrf: &str, text: Option<&str>, errors: &[LineError]) -> Markup {
    let refused = !errors.is_empty();
    html! {
        h2 { "Invite from a CSV file" }
        p.hint {
            "Header " code { "email,name,tags,order_id,lang" } " (only email is required; tags separated by spaces). "
            "You see who will be invited before anything is sent; one wrong line and nothing is."
        }
        form.stack method="post" action=(format!("/admin/sites/{}/invitations/preview", site.slug)) {
            input type="hidden" name="csrf" value=(csrf);
            // Read into the text box by admin.js; without the script, paste the file's text.
            label for="csv-file" hidden { "CSV file" }
            input id="csv-file" type="file" accept=".csv,text/csv" hidden;
            label for="csv" { "The file's text" }
            textarea id="csv" name="csv" rows="6" required placeholder="email,name,tags\nada@example.com,Ada,espresso-beans"
                aria-invalid=[refused.then_some("true")] aria-describedby=[refused.then_some("csv-error")] { (text.unwrap_or("")) }
            @if refused {
                ul.error id="csv-error" { @for error in errors { li { (error.to_string()) } } }
            }
            button type="submit" { "Preview" }
        }
    }
}

fn keys_section(
    site: &Site,
    csrf: &str,
    keys: &[crate::storage::SiteKey],
    new_key: Option<&CreatedKey>,
    refused: Option<&(&str, BTreeMap<String, String>)>,
) -> Markup {
    let fields = FieldErrors::of(refused.map(|(_, errors)| errors)).prefixed("key-");
    html! {
        h2 { "Site keys" }
        p.hint {
            "For your own systems: an order system inviting each customer after a sale ("
            code { "POST /api/v1/sites/" (site.slug) "/invitations" } "), a checkout recording referral conversions. "
            "Sent as " code { "Authorization: Bearer ffs_…" } ". A key can do those two things and nothing else."
        }
        @if let Some(created) = new_key {
            div.notice role="status" {
                p { "Key “" (created.key.label) "” made. Copy it now: it is shown only this once." }
                p { code.secret { (created.secret) } }
            }
        }
        @if !keys.is_empty() {
            table {
                thead { tr { th { "Label" } th { "Ends in" } th { "Made" } th { "Last used" } th { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for key in keys {
                        tr {
                            td data-label="Label" { (key.label) }
                            td data-label="Ends in" { code { "…" (key.hint) } }
                            td data-label="Made" { (when(key.created_at)) }
                            td data-label="Last used" { (key.last_used_at.map(when).unwrap_or_else(|| "never".into())) }
                            td.controls data-label="Actions" {
                                @if let Some(at) = key.revoked_at { "revoked " (when(at)) } @else {
                                    form.inline method="post" action=(format!("/admin/sites/{}/keys/{}/revoke", site.slug, key.id)) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        button type="submit" aria-label=(format!("Revoke key {}", key.label)) { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if refused.is_some() {
            div.error role="alert" { p { "No key was made. Please check: " (fields.names()) "." } }
        }
        form.stack method="post" action=(format!("/admin/sites/{}/keys", site.slug)) {
            input type="hidden" name="csrf" value=(csrf);
            label for="key-label" { "What will use the new key" }
            input id="key-label" name="label" required maxlength="60" placeholder="order system"
                value=[refused.map(|(label, _)| *label)] aria-invalid=[fields.invalid("label")] aria-describedby=[fields.described("label")];
            (fields.error("label"))
            button type="submit" { "Make a key" }
        }
    }
}

fn request_of(fields: &FormFields) -> InviteCustomer {
    let optional =
        |field: &str| fields.get(field).map(str::to_owned).filter(|value| !value.trim().is_empty());
    InviteCustomer {
        email: optional("email"),
        name: optional("name"),
        tags: typed_tags(fields.get("tags").unwrap_or_default()),
        order_id: optional("order_id"),
        lang: optional("lang"),
    }
}

async fn send_one(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let actor = Actor::Member(&form.session.user);
    let notice = match state.service.invite(&site, actor, &request_of(&form.fields)).await {
        Ok(crate::storage::Invited::Existing(_)) => "already",
        Ok(crate::storage::Invited::Created(new)) if new.status == InvitationStatus::Unsubscribed => {
            "unsubscribed"
        }
        Ok(crate::storage::Invited::Created(_)) => "queued",
        Err(ServiceError::Invalid(errors)) => {
            let extra = Extra { refused: Some((&form.fields, errors)), ..Extra::default() };
            let params = ListParams::default();
            return page(
                &state,
                &site,
                Role::Owner,
                &form.session,
                &params,
                extra,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(other) => return Err(other.into()),
    };
    Ok(Redirect::to(&format!("/admin/sites/{}/invitations?notice={notice}", site.slug)).into_response())
}

/// Checks a CSV and shows what sending it would do; nothing is stored.
async fn preview(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let text = form.fields.get("csv").unwrap_or_default();
    let (body, status) = match csv::read(text) {
        Err(errors) => {
            (refused_file(&site, &form.session.csrf_token, text, &errors), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Ok(checked) => {
            let actor = Actor::Member(&form.session.user);
            let report = state.service.invite_checked(&site, actor, checked, true, &Silent).await?;
            (preview_page(&site, &form.session.csrf_token, text, &report), StatusCode::OK)
        }
    };
    let frame = Frame {
        title: "Invitations: preview",
        account: Some((&form.session.user.email, &form.session.csrf_token)),
        site: Some(SiteNav { slug: &site.slug, name: &site.name, tab: "invitations", owner: true }),
    };
    Ok((status, render(frame, body)).into_response())
}

fn refused_file(site: &Site, csrf: &str, text: &str, errors: &[LineError]) -> Markup {
    html! {
        h1 { "Nothing can be sent yet" }
        div.error role="alert" {
            p { "The file has " (errors.len()) " error(s), listed under its text; nothing was sent. Correct them and preview again." }
        }
        (upload_form(site, csrf, Some(text), errors))
        p { a href=(format!("/admin/sites/{}/invitations", site.slug)) { "Back to the invitations" } }
    }
}

fn preview_page(site: &Site, csrf: &str, text: &str, report: &InviteReport) -> Markup {
    let list = |title: &str, items: &[Invitation]| {
        html! {
            @if !items.is_empty() {
                h2 { (title) " (" (items.len()) ")" }
                ul { @for item in items.iter().take(200) { li { (item.email) @if let Some(name) = &item.name { " · " bdi { (name) } } } } }
                @if items.len() > 200 { p.hint { "… and " (items.len() - 200) " more." } }
            }
        }
    };
    html! {
        h1 { "Preview: nothing is sent yet" }
        (list("Will be invited", &report.queued))
        (list("Invited within the last 30 days: left as they are", &report.already_invited))
        (list("Unsubscribed from your emails: never invited", &report.unsubscribed))
        @if report.queued.is_empty() {
            p { "Nobody new to invite." }
        } @else {
            form method="post" action=(format!("/admin/sites/{}/invitations/upload", site.slug)) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="csv" value=(text);
                button type="submit" { "Send " (report.queued.len()) " invitation(s)" }
            }
        }
        p { a href=(format!("/admin/sites/{}/invitations", site.slug)) { "Cancel" } }
    }
}

/// Sends a previewed CSV: checked again, all or nothing.
async fn upload(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let checked: Vec<CheckedInvitation> = match csv::read(form.fields.get("csv").unwrap_or_default()) {
        Ok(checked) => checked,
        Err(_) => return preview(State(state), Path(slug), form).await,
    };
    state.service.invite_checked(&site, Actor::Member(&form.session.user), checked, false, &Silent).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/invitations?notice=uploaded", site.slug)).into_response())
}

async fn resend(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    state.service.resend_invitation(&site, Actor::Member(&form.session.user), &id).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/invitations?notice=resent", site.slug)).into_response())
}

async fn resend_failed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    state.service.resend_failed_invitations(&site, Actor::Member(&form.session.user)).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/invitations?notice=resent-all", site.slug)).into_response())
}

async fn create_key(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let label = form.fields.get("label").unwrap_or_default();
    let params = ListParams::default();
    match state.service.create_site_key(&site, Actor::Member(&form.session.user), label).await {
        Ok(created) => {
            // Shown in this answer and never again: no redirect, and the page is not stored.
            let extra = Extra { new_key: Some(&created), ..Extra::default() };
            page(&state, &site, Role::Owner, &form.session, &params, extra, StatusCode::OK).await
        }
        Err(ServiceError::Invalid(errors)) => {
            let extra = Extra { key_refused: Some((label, errors)), ..Extra::default() };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            page(&state, &site, Role::Owner, &form.session, &params, extra, status).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn revoke_key(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    state.service.revoke_site_key(&site, Actor::Member(&form.session.user), id).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/invitations?notice=revoked", site.slug)).into_response())
}
