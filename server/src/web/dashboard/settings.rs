//! Owner pages: the site's settings and its webhooks with their delivery log.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::html;

use super::page::{render, when, Frame, PageError, SiteNav};
use super::session::{owned_site, AdminForm, AdminSession, FormFields};
use crate::clock::now_ms;
use crate::domain::{parse_accent, parse_webhook_url, Origin};
use crate::error::AppError;
use crate::secrets;
use crate::state::AppState;
use crate::storage::{AuditEntry, Site, SiteChanges, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sites/{site}/settings", get(settings_page).post(save_settings))
        .route("/admin/sites/{site}/webhooks", get(webhooks_page).post(add_webhook))
        .route("/admin/sites/{site}/webhooks/{id}/delete", post(delete_webhook))
}

async fn settings_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &session.user, &slug).await?;
    Ok(settings_form(&site, &session.user.email, &session.csrf_token, &BTreeMap::new(), None, StatusCode::OK))
}

fn settings_form(
    site: &Site,
    email: &str,
    csrf: &str,
    errors: &BTreeMap<String, String>,
    saved: Option<&str>,
    status: StatusCode,
) -> Response {
    let texts: String = site.texts.iter().map(|(key, value)| format!("{key} = {value}\n")).collect();
    let error = |field: &str| {
        html! { @if let Some(message) = errors.get(field) { p.error id=(format!("{field}-error")) { (message) } } }
    };
    let body = html! {
        h1 { "Settings" }
        @if let Some(saved) = saved { p.notice role="status" { (saved) } }
        @if !errors.is_empty() {
            div.error role="alert" { p { "Nothing was saved. Please check: " (errors.keys().cloned().collect::<Vec<_>>().join(", ")) "." } }
        }
        form.stack method="post" {
            input type="hidden" name="csrf" value=(csrf);
            label for="name" { "Site name" }
            input id="name" name="name" value=(site.name) required maxlength="100";
            (error("name"))
            label for="origins" { "Allowed origins (one per line, e.g. https://shop.example.com)" }
            textarea id="origins" name="origins" rows="3" { (site.origins.join("\n")) }
            (error("origins"))
            label for="accent" { "Accent colour" }
            input id="accent" name="accent" value=(site.accent) pattern="#?[0-9a-fA-F]{6}";
            (error("accent"))
            label for="consent_text" { "Consent text (changing it starts consent version " (site.consent_version + 1) ")" }
            textarea id="consent_text" name="consent_text" rows="3" maxlength="1000" { (site.consent_text) }
            (error("consent_text"))
            label for="low_rating_threshold" { "Follow up privately on ratings of this many stars or fewer" }
            input id="low_rating_threshold" name="low_rating_threshold" type="number" min="1" max="5" value=(site.low_rating_threshold);
            (error("low_rating_threshold"))
            fieldset {
                legend { "Moderation" }
                label { input type="radio" name="moderation" value="manual" checked[site.auto_approve_min_rating.is_none()]; " Every testimonial waits for a moderator" }
                label {
                    input type="radio" name="moderation" value="auto" checked[site.auto_approve_min_rating.is_some()];
                    " Publish at once when the author consented and rated at least "
                    input name="auto_approve_min_rating" type="number" min="1" max="5" value=(site.auto_approve_min_rating.unwrap_or(5)) aria-label="Minimum stars to publish at once";
                    " stars"
                }
                (error("auto_approve_min_rating"))
            }
            fieldset {
                legend { "Referrals" }
                label for="referral_landing_url" { "Shared links open (empty: the page the advocate was on)" }
                input id="referral_landing_url" name="referral_landing_url" type="url" value=(site.referral_landing_url.as_deref().unwrap_or("")) placeholder="https://shop.example.com/welcome";
                (error("referral_landing_url"))
                label for="referral_window_days" { "Days a visitor's browser remembers the code" }
                input id="referral_window_days" name="referral_window_days" type="number" min="1" max="365" value=(site.referral_window_days);
                (error("referral_window_days"))
                label for="conversion_burst_limit" { "Flag conversions beyond this many per hour" }
                input id="conversion_burst_limit" name="conversion_burst_limit" type="number" min="1" max="100000" value=(site.conversion_burst_limit);
                (error("conversion_burst_limit"))
            }
            label for="proof_of_work" { "Proof of work on submissions (0: off; 12–16 slows floods, costs a visitor about a second)" }
            input id="proof_of_work" name="proof_of_work" type="number" min="0" max=(crate::pow::MAX_DIFFICULTY) value=(site.proof_of_work);
            (error("proof_of_work"))
            label for="texts" { "Widget texts (one per line: text id = your wording; prefix a language, as in de:collect.title, for that language only)" }
            textarea id="texts" name="texts" rows="5" { (texts) }
            (error("texts"))
            button type="submit" { "Save settings" }
        }
    };
    let frame = Frame {
        title: "Settings",
        account: Some((email, csrf)),
        site: Some(SiteNav { slug: &site.slug, name: &site.name, tab: "settings", owner: true }),
    };
    (status, render(frame, body)).into_response()
}

/// Reads the settings form, naming every refused field.
fn parse_settings(fields: &FormFields) -> Result<SiteChanges, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let get = |field: &str| fields.get(field).unwrap_or_default();
    let mut refuse = |field: &str, message: String| {
        errors.insert(field.to_owned(), message);
    };
    let name = get("name").trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        refuse("name", "must be 1–100 characters".into());
    }
    let mut origins = Vec::new();
    for line in get("origins").lines().map(str::trim).filter(|line| !line.is_empty()) {
        match Origin::parse(line) {
            Ok(origin) => origins.push(origin),
            Err(message) => refuse("origins", message),
        }
    }
    let accent = parse_accent(get("accent").trim()).map_err(|message| refuse("accent", message)).ok();
    let consent_text = get("consent_text").trim().to_owned();
    if consent_text.is_empty() || consent_text.chars().count() > 1000 {
        refuse("consent_text", "must be 1–1,000 characters".into());
    }
    let stars = |raw: &str| raw.trim().parse::<u8>().ok().filter(|n| (1..=5).contains(n));
    let threshold = stars(get("low_rating_threshold"));
    if threshold.is_none() {
        refuse("low_rating_threshold", "must be a whole number from 1 to 5".into());
    }
    let auto_approve = match get("moderation") {
        "auto" => match stars(get("auto_approve_min_rating")) {
            Some(n) => Some(Some(n)),
            None => {
                refuse("auto_approve_min_rating", "must be a whole number from 1 to 5".into());
                None
            }
        },
        _ => Some(None),
    };
    let mut texts = BTreeMap::new();
    for line in get("texts").lines().map(str::trim).filter(|line| !line.is_empty()) {
        let Some((key, value)) = line.split_once('=') else {
            refuse("texts", format!("line {line:?} needs the form: text id = wording"));
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let key_ok = !key.is_empty()
            && key.len() <= 40
            && key.chars().all(|c| c.is_ascii_lowercase() || matches!(c, '_' | '.' | ':' | '-'));
        if !key_ok || value.chars().count() > 500 {
            refuse(
                "texts",
                format!("text id {key:?} must look like collect.title (or de:collect.title for one language), and its wording at most 500 characters"),
            );
            continue;
        }
        texts.insert(key.to_owned(), value.to_owned());
    }
    let number =
        |field: &str, max: u32| get(field).trim().parse::<u32>().ok().filter(|n| (1..=max).contains(n));
    let window = number("referral_window_days", 365);
    if window.is_none() {
        refuse("referral_window_days", "must be a whole number of days from 1 to 365".into());
    }
    let burst = number("conversion_burst_limit", 100_000);
    if burst.is_none() {
        refuse("conversion_burst_limit", "must be a whole number from 1 to 100,000".into());
    }
    let pow =
        get("proof_of_work").trim().parse::<u8>().ok().filter(|bits| *bits <= crate::pow::MAX_DIFFICULTY);
    if pow.is_none() {
        refuse(
            "proof_of_work",
            format!("must be a whole number from 0 (off) to {}", crate::pow::MAX_DIFFICULTY),
        );
    }
    let landing = get("referral_landing_url").trim();
    let landing = if landing.is_empty() {
        Some(None)
    } else if origins.iter().any(|origin| landing.starts_with(&format!("{}/", origin.as_str()))) {
        Some(Some(landing.to_owned()))
    } else {
        refuse("referral_landing_url", "must be a page on one of the allowed origins".into());
        None
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(SiteChanges {
        referral_window_days: window,
        referral_landing_url: landing,
        conversion_burst_limit: burst,
        proof_of_work: pow,
        name: Some(name),
        origins: Some(origins),
        accent,
        consent_text: Some(consent_text),
        low_rating_threshold: threshold,
        texts: Some(texts),
        auto_approve_min_rating: auto_approve,
    })
}

async fn save_settings(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    let user = &form.session.user;
    match parse_settings(&form.fields) {
        Ok(changes) => {
            let updated =
                state.storage.update_site(&site.slug, changes).await?.ok_or(AppError::NotFound("site"))?;
            state.sites.forget(&site.slug);
            audit(&state, &site, user, "change settings", None).await?;
            Ok(settings_form(
                &updated,
                &user.email,
                &form.session.csrf_token,
                &BTreeMap::new(),
                Some("Settings saved."),
                StatusCode::OK,
            ))
        }
        Err(errors) => Ok(settings_form(
            &site,
            &user.email,
            &form.session.csrf_token,
            &errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

/// Records an owner's change to the site itself (not to a testimonial) in the audit log.
pub(super) async fn audit(
    state: &AppState,
    site: &Site,
    user: &User,
    action: &str,
    detail: Option<String>,
) -> Result<(), PageError> {
    state
        .storage
        .record_audit(AuditEntry {
            site_id: site.id,
            user_id: Some(user.id),
            actor: user.email.clone(),
            action: action.to_owned(),
            testimonial_id: None,
            detail,
            created_at: now_ms(),
        })
        .await?;
    Ok(())
}

async fn webhooks_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &session.user, &slug).await?;
    let hooks = state.storage.webhooks(site.id).await?;
    let deliveries = state.storage.deliveries(site.id, 100).await?;
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
    let url = parse_webhook_url(form.fields.get("url").unwrap_or_default())
        .map_err(|message| AppError::field("url", message))?;
    state.storage.add_webhook(site.id, &url, &secrets::bearer_token("whsec"), now_ms()).await?;
    audit(&state, &site, &form.session.user, "add webhook", Some(url)).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/webhooks", site.slug)).into_response())
}

async fn delete_webhook(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let site = owned_site(&state, &form.session.user, &slug).await?;
    if !state.storage.delete_webhook(site.id, id).await? {
        return Err(AppError::NotFound("webhook").into());
    }
    audit(&state, &site, &form.session.user, "delete webhook", None).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/webhooks", site.slug)).into_response())
}
