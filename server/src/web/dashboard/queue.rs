//! The moderation queue: tabs per status with counts, search and filters, every action on an
//! item, bulk decisions, and the audit log.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fanfare_protocol::api::Status;
use fanfare_protocol::fields::without_bidi_controls as shown;
use maud::{html, Markup};

use super::form::FieldErrors;
use crate::domain::{parse_reply, parse_tags, Role};
use crate::service::moderation::{parse_edit, Action};
use crate::service::testimonials::next_cursor;
use crate::service::{consent, Actor, ServiceError, ServiceResult};
use crate::storage::MediaKind;
use crate::storage::{Cursor, Site, Testimonial};
use crate::web::error::AppError;
use crate::web::media::{image_response, media_response, Audience};
use crate::web::page::{render, when, Frame, PageError, SiteNav};
use crate::web::request::ListParams;
use crate::web::session::{local_path, member_site, AdminForm, AdminSession, FormFields};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/sites/{site}", get(queue))
        .route("/admin/sites/{site}/testimonials/{id}/{action}", post(act))
        .route("/admin/sites/{site}/bulk", post(bulk))
        .route("/admin/sites/{site}/audit", get(audit))
        .route("/admin/sites/{site}/photos/{id}", get(photo))
        .route("/admin/sites/{site}/videos/{id}", get(video))
        .route("/admin/sites/{site}/videos/{id}/poster.jpg", get(video_poster))
}

async fn home(State(state): State<AppState>, session: AdminSession) -> Result<Response, PageError> {
    let sites = state.service.sites_of(&session.user).await?;
    let mut rows = Vec::with_capacity(sites.len());
    for (site, role) in &sites {
        let pending = state
            .service
            .status_counts(site)
            .await?
            .into_iter()
            .find(|(status, _)| *status == Status::Pending)
            .map_or(0, |(_, count)| count);
        rows.push((site, *role, pending));
    }
    let body = html! {
        h1 { "Your sites" }
        @if rows.is_empty() {
            p { "You have no role on any site yet. An owner can add you with "
                code { "fanfare user add " (session.user.email) " --site SLUG" } "." }
        }
        ul.sites {
            @for (site, role, pending) in &rows {
                li {
                    a href=(format!("/admin/sites/{}/overview", site.slug)) { (site.name) }
                    " — " a href=(format!("/admin/sites/{}", site.slug)) { (pending) " pending" }
                    " · you are " (role.as_str())
                }
            }
        }
    };
    let frame =
        Frame { title: "Sites", account: Some((&session.user.email, &session.csrf_token)), site: None };
    Ok(render(frame, body).into_response())
}

const TABS: [Status; 5] =
    [Status::Pending, Status::Approved, Status::Rejected, Status::Spam, Status::Withdrawn];

async fn queue(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &session.user, &slug).await?;
    queue_view(&state, &site, role, &session, &params, None, StatusCode::OK).await
}

/// An item's form the server refused: which item and form, the fields as typed, and why.
struct Refused<'a> {
    id: &'a str,
    action: &'a str,
    typed: &'a FormFields,
    errors: BTreeMap<String, String>,
}

impl Refused<'_> {
    /// Whether `item` is the refused one and its card has the refused form.
    fn shown_on(&self, item: &Testimonial) -> bool {
        item.id == self.id
            && item.status != Status::Withdrawn
            && (self.action != "captions" || item.video_id.is_some())
    }
}

/// The fields of each item form a refusal can name, in the order they are on the form.
fn refusable_fields(action: &str) -> &'static [&'static str] {
    match action {
        "reply" => &["reply"],
        "captions" => &["captions"],
        "tags" => &["tags"],
        "edit" => &["name", "role", "company", "rating", "text"],
        _ => &[],
    }
}

/// The queue as `params` ask; with `refused`, its item's form open, as typed, each error
/// under its field. An item no longer on that page is refused on the error page instead.
async fn queue_view(
    state: &AppState,
    site: &Site,
    role: Role,
    session: &AdminSession,
    params: &ListParams,
    refused: Option<Refused<'_>>,
    page_status: StatusCode,
) -> Result<Response, PageError> {
    let status = params.status()?;
    let query = params.parse_moderation()?;
    let items = state.service.queue(site, status, &query).await?;
    if let Some(refused) = refused.as_ref().filter(|refused| !items.iter().any(|item| refused.shown_on(item)))
    {
        return Err(AppError::Validation(refused.errors.clone()).into());
    }
    let counts = state.service.status_counts(site).await?;
    let here = current_url(site, status, params, query.cursor.as_ref());
    let next = next_cursor(&items, query.limit);
    let csrf = session.csrf_token.as_str();
    let body = html! {
        h1 { "Queue" }
        nav.status-tabs aria-label="Status" {
            @for tab in TABS {
                @let count = counts.iter().find(|(s, _)| *s == tab).map_or(0, |(_, n)| *n);
                a href=(format!("/admin/sites/{}?status={}", site.slug, tab.as_str()))
                  aria-current=[(tab == status).then_some("page")] data-key=(tab_key(tab)) {
                    (label(tab)) " " span.count { (count) }
                }
            }
        }
        form.filters method="get" action=(format!("/admin/sites/{}", site.slug)) role="search" {
            input type="hidden" name="status" value=(status.as_str());
            // Each label above its field, as in every other form; the fields side by side.
            div {
                label for="q" { "Search" }
                input id="q" name="q" type="search" value=[params.q.as_deref()] placeholder="Name or words (press /)";
            }
            div {
                label for="rating" { "Rating" }
                select id="rating" name="rating" {
                    option value="" { "Any" }
                    @for stars in 1..=5u8 {
                        option value=(stars) selected[query.rating == Some(stars)] { (stars) " ★" }
                    }
                }
            }
            div {
                label for="tag" { "Tag" }
                input id="tag" name="tag" value=[params.tag.as_deref()] size="12";
            }
            button type="submit" { "Filter" }
        }
        @if items.is_empty() {
            p.empty { "Nothing " (label(status).to_lowercase()) " here." }
        } @else {
            @if matches!(status, Status::Pending | Status::Approved | Status::Rejected | Status::Spam) {
                form #bulk.bulk method="post" action=(format!("/admin/sites/{}/bulk", site.slug)) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="return_to" value=(here);
                    span { "With the ticked items (x ticks the focused one): " }
                    button type="submit" name="action" value="approve" { "Approve" }
                    button type="submit" name="action" value="reject" { "Reject" }
                    button type="submit" name="action" value="spam" { "Spam" }
                }
            }
            ol.items {
                @for item in &items {
                    li { (item_card(site, item, csrf, &here, refused.as_ref().filter(|refused| refused.id == item.id))) }
                }
            }
            @if let Some(next) = next {
                p { a rel="next" href=(format!("{}&cursor={next}", current_url(site, status, params, None))) { "Older items →" } }
            }
        }
        p.shortcuts { "Keys: j/k move, a approve, r reject, s spam, f feature, x tick, / search, 1–5 tabs." }
    };
    let frame = Frame {
        title: &format!("{} queue", site.name),
        account: Some((&session.user.email, csrf)),
        site: Some(SiteNav { slug: &site.slug, name: &site.name, tab: "queue", owner: role == Role::Owner }),
    };
    Ok((page_status, render(frame, body)).into_response())
}

fn label(status: Status) -> &'static str {
    match status {
        Status::Pending => "Pending",
        Status::Approved => "Approved",
        Status::Rejected => "Rejected",
        Status::Spam => "Spam",
        Status::Withdrawn => "Withdrawn",
    }
}

fn tab_key(status: Status) -> &'static str {
    match status {
        Status::Pending => "1",
        Status::Approved => "2",
        Status::Rejected => "3",
        Status::Spam => "4",
        Status::Withdrawn => "5",
    }
}

/// This page's URL (with its cursor, for forms to come back to; without, for the next page).
fn current_url(site: &Site, status: Status, params: &ListParams, cursor: Option<&Cursor>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("status", status.as_str());
    for (name, value) in [("q", &params.q), ("rating", &params.rating), ("tag", &params.tag)] {
        if let Some(value) = value.as_deref().filter(|value| !value.is_empty()) {
            query.append_pair(name, value);
        }
    }
    if let Some(cursor) = cursor {
        query.append_pair("cursor", &cursor.encode());
    }
    format!("/admin/sites/{}?{}", site.slug, query.finish())
}

/// `refused`: this item's form the server refused, shown open as typed.
fn item_card(site: &Site, item: &Testimonial, csrf: &str, here: &str, refused: Option<&Refused>) -> Markup {
    let action = |name: &str| format!("/admin/sites/{}/testimonials/{}/{name}", site.slug, item.id);
    // Each form's fields are `{field}-{id}` (the edit form's `edit-{field}-{id}`); their errors
    // `…-error`. What was typed stands in a refused form instead of what is stored.
    let suffix = format!("-{}", item.id);
    let refused_form = |name: &str| refused.filter(|refused| refused.action == name);
    let errors =
        |name: &str| FieldErrors::of(refused_form(name).map(|refused| &refused.errors)).suffixed(&suffix);
    let (reply, captions, tags, edit) =
        (errors("reply"), errors("captions"), errors("tags"), errors("edit").prefixed("edit-"));
    let typed = |name: &str, field: &str| {
        refused_form(name).map(|refused| refused.typed.get(field).unwrap_or_default())
    };
    // The first refused field takes the focus (and the page scrolls there): the item may be far down.
    let first = refused.and_then(|refused| {
        refusable_fields(refused.action)
            .iter()
            .find(|field| refused.errors.contains_key(**field))
            .map(|field| (refused.action, *field))
    });
    let focus = |name: &str, field: &str| first == Some((name, field));
    let hidden = html! {
        input type="hidden" name="csrf" value=(csrf);
        input type="hidden" name="return_to" value=(here);
    };
    let stars = "★".repeat(usize::from(item.rating)) + &"☆".repeat(5 - usize::from(item.rating).min(5));
    html! {
        article.item id=(format!("item-{}", item.id)) tabindex="0" data-id=(item.id) aria-labelledby=(format!("name-{}", item.id)) {
            header {
                input type="checkbox" form="bulk" name="id" value=(item.id) aria-label=(format!("Select {}", shown(&item.name)));
                bdi id=(format!("name-{}", item.id)) { strong { (shown(&item.name)) } }
                @if let Some(role) = &item.role { bdi.meta { (shown(role)) } }
                @if let Some(company) = &item.company { bdi.meta { (shown(company)) } }
                span.stars aria-label=(format!("{} of 5 stars", item.rating)) { (stars) }
                @if item.featured { span.badge { "Featured" } }
                @if item.edited { span.badge { "Edited" } }
                @if item.follow_up || item.contact_me { span.badge.warn { "Follow-up" } }
            }
            @if let Some(photo) = &item.photo_id {
                img.photo src=(format!("/admin/sites/{}/photos/{photo}", site.slug)) alt=(format!("Photo sent by {}", shown(&item.name))) width="96" height="96";
            }
            @if let Some(video) = &item.video_id {
                // Played here before approving; the text below is its transcript.
                // The poster too: on the wall it is all a reader sees before pressing play.
                video.video controls preload="metadata" src=(format!("/admin/sites/{}/videos/{video}", site.slug))
                    poster=(format!("/admin/sites/{}/videos/{video}/poster.jpg", site.slug))
                    aria-label=(format!("Video sent by {}", shown(&item.name))) {}
                p.hint { "Transcript" @if item.captions.is_some() { " (timed as captions)" } }
            }
            blockquote dir="auto" { (shown(&item.text)) }
            @if let Some(reply) = &item.reply {
                p.reply { strong { "Reply: " } bdi { (shown(reply)) } }
            }
            dl.facts {
                dt { "Email" } dd { (item.email) }
                dt { "Customer" }
                dd {
                    @if item.verified { strong { "Verified customer" } " (answered a personal invitation)" } @else { "Not verified" }
                }
                dt { "Consent" }
                dd {
                    @if item.consent {
                        "Yes, to version " (item.consent_version.unwrap_or_default()) ": “" (item.consent_text.as_deref().unwrap_or("")) "”"
                    } @else {
                        strong { "No consent" } " — can be read, never published."
                    }
                }
                @if let Some(page) = &item.page_url { dt { "Page" } dd { (page) } }
                dt { "Received" } dd { time datetime=(crate::clock::rfc3339(item.created_at)) { (when(item.created_at)) } }
                @if !item.tags.is_empty() { dt { "Tags" } dd { (item.tags.join(", ")) } }
                dt { "Status" } dd { (label(item.status)) }
            }
            @if item.status != Status::Withdrawn {
                div.actions {
                    @for (name, text, key, shown) in [
                        ("approve", "Approve", "a", item.status != Status::Approved && consent::may_publish(item)),
                        ("reject", "Reject", "r", item.status != Status::Rejected),
                        ("spam", "Spam", "s", item.status != Status::Spam),
                    ] {
                        @if shown {
                            form method="post" action=(action(name)) {
                                (hidden)
                                button type="submit" data-key=(key) { (text) }
                            }
                        }
                    }
                    form method="post" action=(action(if item.featured { "unfeature" } else { "feature" })) {
                        (hidden)
                        button type="submit" data-key="f" { @if item.featured { "Unpin" } @else { "Feature" } }
                    }
                }
                details open[refused.is_some()] {
                    summary { "Reply, tags, edit" }
                    @if let Some(refused) = refused {
                        div.error role="alert" { p { "Nothing was saved. Please check: " (FieldErrors::new(&refused.errors).names()) "." } }
                    }
                    form.stack method="post" action=(action("reply")) {
                        (hidden)
                        label for=(format!("reply-{}", item.id)) { "Public reply (shown under the testimonial; empty removes it)" }
                        textarea id=(format!("reply-{}", item.id)) name="reply" rows="3" maxlength="2000" autofocus[focus("reply", "reply")]
                            aria-invalid=[reply.invalid("reply")] aria-describedby=[reply.described("reply")] {
                            (typed("reply", "reply").unwrap_or(item.reply.as_deref().unwrap_or("")))
                        }
                        (reply.error("reply"))
                        button type="submit" { "Save reply" }
                    }
                    @if item.video_id.is_some() {
                        form.stack method="post" action=(action("captions")) {
                            (hidden)
                            label for=(format!("captions-{}", item.id)) { "Captions: the transcript timed, one line each, like " code { "0:05 words" } " (empty: shown as text only)" }
                            textarea id=(format!("captions-{}", item.id)) name="captions" rows="4" autofocus[focus("captions", "captions")]
                                aria-invalid=[captions.invalid("captions")] aria-describedby=[captions.described("captions")] {
                                (typed("captions", "captions").unwrap_or(item.captions.as_deref().unwrap_or("")))
                            }
                            (captions.error("captions"))
                            button type="submit" { "Save captions" }
                        }
                    }
                    form.stack method="post" action=(action("tags")) {
                        (hidden)
                        label for=(format!("tags-{}", item.id)) { "Tags (comma separated)" }
                        input id=(format!("tags-{}", item.id)) name="tags" value=(typed("tags", "tags").map_or_else(|| item.tags.join(", "), str::to_owned))
                            autofocus[focus("tags", "tags")] aria-invalid=[tags.invalid("tags")] aria-describedby=[tags.described("tags")];
                        (tags.error("tags"))
                        button type="submit" { "Save tags" }
                    }
                    form.stack method="post" action=(action("edit")) {
                        (hidden)
                        p.hint { "Edits are marked as edited wherever the testimonial appears. Direction overrides are removed." }
                        label for=(format!("edit-name-{}", item.id)) { "Name" }
                        input id=(format!("edit-name-{}", item.id)) name="name" value=(typed("edit", "name").unwrap_or(shown(&item.name).as_ref())) required
                            autofocus[focus("edit", "name")] aria-invalid=[edit.invalid("name")] aria-describedby=[edit.described("name")];
                        (edit.error("name"))
                        label for=(format!("edit-role-{}", item.id)) { "Role" }
                        input id=(format!("edit-role-{}", item.id)) name="role" value=(typed("edit", "role").unwrap_or(shown(item.role.as_deref().unwrap_or("")).as_ref()))
                            autofocus[focus("edit", "role")] aria-invalid=[edit.invalid("role")] aria-describedby=[edit.described("role")];
                        (edit.error("role"))
                        label for=(format!("edit-company-{}", item.id)) { "Company" }
                        input id=(format!("edit-company-{}", item.id)) name="company" value=(typed("edit", "company").unwrap_or(shown(item.company.as_deref().unwrap_or("")).as_ref()))
                            autofocus[focus("edit", "company")] aria-invalid=[edit.invalid("company")] aria-describedby=[edit.described("company")];
                        (edit.error("company"))
                        label for=(format!("edit-rating-{}", item.id)) { "Rating" }
                        input id=(format!("edit-rating-{}", item.id)) name="rating" type="number" min="1" max="5" value=(typed("edit", "rating").map_or_else(|| item.rating.to_string(), str::to_owned))
                            autofocus[focus("edit", "rating")] aria-invalid=[edit.invalid("rating")] aria-describedby=[edit.described("rating")];
                        (edit.error("rating"))
                        label for=(format!("edit-text-{}", item.id)) { "Text" }
                        textarea id=(format!("edit-text-{}", item.id)) name="text" rows="4"
                            autofocus[focus("edit", "text")] aria-invalid=[edit.invalid("text")] aria-describedby=[edit.described("text")] {
                            (typed("edit", "text").unwrap_or(shown(&item.text).as_ref()))
                        }
                        (edit.error("text"))
                        button type="submit" { "Save edit" }
                    }
                }
            }
        }
    }
}

/// Turns a form's action name and fields into an [`Action`], naming any refused field.
pub fn form_action(name: &str, fields: &FormFields) -> ServiceResult<Action> {
    let get = |field: &str| fields.get(field).unwrap_or_default();
    Ok(match name {
        "approve" => Action::Decide(Status::Approved),
        "reject" => Action::Decide(Status::Rejected),
        "spam" => Action::Decide(Status::Spam),
        "feature" => Action::Feature(true),
        "unfeature" => Action::Feature(false),
        "reply" => {
            Action::Reply(parse_reply(get("reply")).map_err(|error| ServiceError::field("reply", error))?)
        }
        "tags" => Action::Tags(parse_tags(get("tags")).map_err(|error| ServiceError::field("tags", error))?),
        "edit" => {
            Action::Edit(parse_edit(get("name"), get("role"), get("company"), get("rating"), get("text"))?)
        }
        "resolve" => Action::ResolveFollowUp(
            Some(get("note").trim())
                .filter(|note| !note.is_empty())
                .map(|note| note.chars().take(2000).collect()),
        ),
        _ => return Err(ServiceError::NotFound("action")),
    })
}

async fn act(
    State(state): State<AppState>,
    Path((slug, id, name)): Path<(String, String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &form.session.user, &slug).await?;
    let actor = Actor::Member(&form.session.user);
    let back = local_path(form.fields.get("return_to"));
    match apply(&state, &site, actor, &id, &name, &form.fields).await {
        Ok(()) => Ok(Redirect::to(&format!("{back}#item-{id}")).into_response()),
        // A refusal naming only the form's own fields: the page the form was on, the form open.
        Err(ServiceError::Invalid(errors))
            if !errors.is_empty()
                && errors.keys().all(|field| refusable_fields(&name).contains(&field.as_str())) =>
        {
            let params = queue_params(&site, &back);
            let refused = Refused { id: &id, action: &name, typed: &form.fields, errors };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            queue_view(&state, &site, role, &form.session, &params, Some(refused), status).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Carries out the item form `name` as sent.
async fn apply(
    state: &AppState,
    site: &Site,
    actor: Actor<'_>,
    id: &str,
    name: &str,
    fields: &FormFields,
) -> ServiceResult<()> {
    if name == "captions" {
        // Checked against the video's length, which only the service knows.
        state.service.set_captions(site, actor, id, fields.get("captions").unwrap_or_default()).await
    } else {
        state.service.moderate(site, actor, id, form_action(name, fields)?).await?;
        Ok(())
    }
}

/// The list parameters of `back` when it is this site's queue; the first tab otherwise.
fn queue_params(site: &Site, back: &str) -> ListParams {
    back.parse::<Uri>()
        .ok()
        .filter(|uri| uri.path() == format!("/admin/sites/{}", site.slug))
        .and_then(|uri| Query::<ListParams>::try_from_uri(&uri).ok())
        .map_or_else(ListParams::default, |Query(params)| params)
}

async fn bulk(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let (site, _role) = member_site(&state, &form.session.user, &slug).await?;
    let status = match form.fields.get("action") {
        Some("approve") => Status::Approved,
        Some("reject") => Status::Rejected,
        Some("spam") => Status::Spam,
        _ => return Err(AppError::field("action", "must be approve, reject or spam").into()),
    };
    let mut refused = 0;
    for id in form.fields.all("id") {
        let actor = Actor::Member(&form.session.user);
        match state.service.moderate(&site, actor, id, Action::Decide(status)).await {
            Ok(_) => {}
            // One item without consent must not stop the rest; the count is logged.
            Err(ServiceError::Conflict { .. } | ServiceError::NotFound(_)) => refused += 1,
            Err(other) => return Err(other.into()),
        }
    }
    if refused > 0 {
        tracing::info!(site = %site.slug, refused, "bulk action skipped items that cannot take it");
    }
    Ok(Redirect::to(&local_path(form.fields.get("return_to"))).into_response())
}

async fn audit(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &session.user, &slug).await?;
    let entries = state.service.audit_log(&site, role, 200).await?;
    let body = html! {
        h1 { "Audit log" }
        p.hint { "The latest 200 actions on this site." }
        table {
            thead { tr { th { "When" } th { "Who" } th { "What" } th { "Testimonial" } th { "Detail" } } }
            tbody {
                @for entry in &entries {
                    tr {
                        td data-label="When" { (when(entry.created_at)) }
                        td data-label="Who" { (entry.actor) }
                        td data-label="What" { (entry.action) }
                        td data-label="Testimonial" { @if let Some(id) = &entry.testimonial_id { code { (id) } } }
                        td data-label="Detail" { (entry.detail.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    };
    let frame = Frame {
        title: "Audit log",
        account: Some((&session.user.email, &session.csrf_token)),
        site: Some(SiteNav { slug: &site.slug, name: &site.name, tab: "audit", owner: role == Role::Owner }),
    };
    Ok(render(frame, body).into_response())
}

/// A video for moderators to watch before approving: any status, members of the site only.
async fn video(
    State(state): State<AppState>,
    session: AdminSession,
    Path((slug, id)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let (site, _role) = member_site(&state, &session.user, &slug).await?;
    let video = state.service.media_for_moderators(&site, &id, MediaKind::Video).await?;
    Ok(media_response(&state.service, &video, &headers, Audience::Moderators).await?)
}

/// A video's poster frame for moderators (404 when none was sent).
async fn video_poster(
    State(state): State<AppState>,
    session: AdminSession,
    Path((slug, id)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let (site, _role) = member_site(&state, &session.user, &slug).await?;
    let video = state.service.media_for_moderators(&site, &id, MediaKind::Video).await?;
    let bytes = state.service.poster_bytes(&video).await?;
    Ok(image_response(bytes, &format!("\"{id}.poster\""), &headers, Audience::Moderators))
}

/// A photo for moderators to judge before approving: any status, members of the site only.
async fn photo(
    State(state): State<AppState>,
    session: AdminSession,
    Path((slug, id)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let (site, _role) = member_site(&state, &session.user, &slug).await?;
    let photo = state.service.media_for_moderators(&site, &id, MediaKind::Photo).await?;
    Ok(media_response(&state.service, &photo, &headers, Audience::Moderators).await?)
}
