//! The anonymous API every embedding page talks to.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use fanfare_protocol::api::{
    Challenge, PublicTestimonial, Status, Summary, TestimonialCreated, TestimonialPage, WidgetConfig,
    WidgetTheme,
};
use fanfare_protocol::SubmitTestimonial;
use serde::Deserialize;

use super::cors::site_cors;
use super::request::{client_limit_key, rate_limit, truncate_ip, ClientIp, ListParams, SiteFromPath};
use crate::clock::{now_ms, rfc3339};
use crate::error::AppError;
use crate::extract::AppJson;
use crate::limits;
use crate::metrics::Metrics;
use crate::pow::{self, PowError};
use crate::referrals::{self, Friend};
use crate::secrets;
use crate::state::AppState;
use crate::storage::{Cursor, IdempotencyClaim, NewTestimonialRecord, RatingSummary, Site, Testimonial};
use crate::texts;

/// Public bodies are small; anything bigger is not a testimonial.
const MAX_BODY_BYTES: usize = 16 * 1024;

pub const MODES: [&str; 5] = ["wall", "carousel", "badge", "collect", "refer"];

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/sites/{site}/widget", get(widget_config).options(preflight))
        .route("/api/v1/sites/{site}/challenge", get(challenge).options(preflight))
        .route(
            "/api/v1/sites/{site}/testimonials",
            get(list_testimonials).post(submit_testimonial).options(preflight),
        )
        .merge(super::referrals::public_routes())
        .merge(super::photos::upload_routes())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state, site_cors))
}

/// Preflights are answered by [`site_cors`]; this only gives OPTIONS a route to run on.
pub async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct WidgetParams {
    lang: Option<String>,
}

/// The site's public settings, with the widget's texts in the asked language: our translation,
/// then the site's own wording (`key` for every language, `xx:key` for one).
async fn widget_config(SiteFromPath(site): SiteFromPath, Query(params): Query<WidgetParams>) -> Response {
    let lang = params.lang.as_deref().unwrap_or("en");
    let primary = lang.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    let mut texts = texts::for_language(lang);
    for (key, text) in &site.texts {
        match key.split_once(':') {
            None => {
                texts.insert(key.clone(), text.clone());
            }
            Some((only, key)) if only == primary => {
                texts.insert(key.to_owned(), text.clone());
            }
            Some(_) => {}
        }
    }
    let config = WidgetConfig {
        site: site.slug,
        name: site.name,
        theme: WidgetTheme { accent: site.accent },
        texts,
        consent_text: site.consent_text,
        consent_version: site.consent_version,
        modes: MODES.iter().map(|mode| (*mode).to_owned()).collect(),
        low_rating_threshold: site.low_rating_threshold,
        proof_of_work: site.proof_of_work,
    };
    // Varies by `lang`, which is in the URL, so shared caches keep one copy per language.
    with_cache(Json(config).into_response(), "public, max-age=60")
}

pub fn query_params(query: Result<Query<ListParams>, QueryRejection>) -> Result<ListParams, AppError> {
    query.map(|Query(params)| params).map_err(|rejection| AppError::field("query", rejection.body_text()))
}

async fn list_testimonials(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    headers: HeaderMap,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = query_params(query)?.parse()?;
    let key = format!(
        "{}|{}|{}",
        query.limit,
        query.cursor.as_ref().map(Cursor::encode).unwrap_or_default(),
        query.tag.as_deref().unwrap_or_default()
    );
    let cached = match state.public_cache.get(site.id, &key) {
        Some(cached) => {
            Metrics::add(&state.metrics.public_list_cache_hits);
            cached
        }
        None => {
            Metrics::add(&state.metrics.public_list_cache_misses);
            let generation = state.public_cache.generation(site.id);
            let items = state.storage.list_published(site.id, &query).await?;
            let summary = state.storage.rating_summary(site.id).await?;
            let page = TestimonialPage {
                next_cursor: next_cursor(&items, query.limit),
                items: items.iter().map(|item| public_view(item, &state.public_url)).collect(),
                summary: public_summary(summary),
            };
            let body = serde_json::to_vec(&page).map_err(|error| AppError::Internal(error.into()))?;
            state.public_cache.put(site.id, key, body.into(), generation)
        }
    };
    // Revalidated every time (a moderation decision must show on the next view), cheaply: a
    // CDN or browser holding the same ETag gets 304 without a body.
    let etag = HeaderValue::from_str(&cached.etag).map_err(|error| AppError::Internal(error.into()))?;
    let fresh = headers.get(header::IF_NONE_MATCH).is_some_and(|sent| sent.as_bytes() == etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], cached.body).into_response()
    };
    response.headers_mut().insert(header::ETAG, etag);
    Ok(with_cache(response, "public, no-cache"))
}

async fn submit_testimonial(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    AppJson(submission): AppJson<SubmitTestimonial>,
) -> Result<Response, AppError> {
    let client = client_limit_key(ip);
    rate_limit(&state, &[(limits::WRITES_PER_IP, &client), (limits::WRITES_PER_SITE, &site.slug)])?;
    let Some(key) = idempotency_key(&headers)? else {
        let created = create_testimonial(&state, &site, ip, submission).await?;
        return Ok((StatusCode::CREATED, Json(created)).into_response());
    };
    // A retry with the same key and body gets the first answer; nothing is stored twice.
    let request_hash = secrets::hash_token(&serde_json::to_string(&submission).unwrap_or_default());
    let now = now_ms();
    match state
        .storage
        .claim_idempotency_key(site.id, &key, &request_hash, now, now - IDEMPOTENCY_WINDOW_MS)
        .await?
    {
        IdempotencyClaim::New => {}
        IdempotencyClaim::Done { request_hash: first, .. }
        | IdempotencyClaim::InProgress { request_hash: first }
            if first != request_hash =>
        {
            return Err(AppError::field("Idempotency-Key", "was already used for a different request"));
        }
        IdempotencyClaim::Done { status, body, .. } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            let mut response = (status, body).into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            return Ok(response);
        }
        IdempotencyClaim::InProgress { .. } => {
            return Err(AppError::Conflict {
                code: "request_in_progress",
                message: "The first request with this Idempotency-Key is still being handled; retry shortly."
                    .into(),
            });
        }
    }
    match create_testimonial(&state, &site, ip, submission).await {
        Ok(created) => {
            let body = serde_json::to_string(&created).map_err(|error| AppError::Internal(error.into()))?;
            state
                .storage
                .complete_idempotency_key(site.id, &key, StatusCode::CREATED.as_u16(), &body)
                .await?;
            Ok((StatusCode::CREATED, Json(created)).into_response())
        }
        Err(error) => {
            state.storage.release_idempotency_key(site.id, &key).await?;
            Err(error)
        }
    }
}

/// How long a key's answer is kept for retries.
const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The `Idempotency-Key` header, if sent: 1–255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    match value.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(AppError::field("Idempotency-Key", "must be 1–255 visible ASCII characters, e.g. a UUID")),
    }
}

async fn challenge(State(state): State<AppState>, SiteFromPath(site): SiteFromPath) -> Response {
    let body = Challenge {
        challenge: pow::challenge(&state.notify.links, &site.slug, now_ms()),
        difficulty: site.proof_of_work,
    };
    with_cache(Json(body).into_response(), "no-store")
}

/// Stores a new testimonial (or, for the honeypot, pretends to).
async fn create_testimonial(
    state: &AppState,
    site: &Site,
    ip: Option<std::net::IpAddr>,
    submission: SubmitTestimonial,
) -> Result<TestimonialCreated, AppError> {
    if submission.website.as_deref().is_some_and(|trap| !trap.trim().is_empty()) {
        // The honeypot: people never see this field, form-filling bots do. They get the
        // answer a person would, and nothing is stored.
        tracing::info!(site = %site.slug, "honeypot submission dropped");
        return Ok(TestimonialCreated {
            id: secrets::testimonial_id(),
            status: Status::Pending,
            manage_url: format!("{}/manage/{}", state.public_url, secrets::bearer_token("ffm")),
        });
    }
    if site.proof_of_work > 0 {
        let solution =
            submission.pow.as_deref().ok_or_else(|| AppError::field("pow", PowError::Missing.to_string()))?;
        let solved = pow::check(&state.notify.links, &site.slug, site.proof_of_work, solution, now_ms())
            .map_err(|error| AppError::field("pow", error.to_string()))?;
        if !state.storage.use_nonce(&solved.nonce, now_ms()).await? {
            return Err(AppError::field("pow", PowError::Replayed.to_string()));
        }
    }
    let accepted = submission.validate()?;
    let email_key = format!("{}:{}", site.slug, crate::domain::email_key(accepted.email.as_str()));
    rate_limit(state, &[(limits::SUBMISSIONS_PER_EMAIL, &email_key)])?;
    let photo_id = accepted.photo.map(|photo| photo.into_inner());
    if let Some(photo) = &photo_id {
        if !state.storage.unattached_photo(site.id, photo).await? {
            return Err(AppError::field("photo", "refers to no upload of this site (or one already used)"));
        }
    }
    let manage_token = secrets::bearer_token("ffm");
    let rating = accepted.rating.stars();
    let referral = accepted.referral.map(|code| code.into_inner());
    let device = accepted.device.map(|device| device.into_inner());
    let record = NewTestimonialRecord {
        id: secrets::testimonial_id(),
        site_id: site.id,
        name: accepted.name.into_inner(),
        email: accepted.email.into_inner(),
        role: accepted.role.map(|role| role.into_inner()),
        company: accepted.company.map(|company| company.into_inner()),
        rating,
        text: accepted.text.into_inner(),
        consent: accepted.consent,
        // The exact words agreed to are kept with the testimonial, so a later change of the
        // site's consent text never rewrites what this author consented to.
        consent_text: accepted.consent.then(|| site.consent_text.clone()),
        consent_version: accepted.consent.then_some(site.consent_version),
        photo_id,
        referral_code: referral.clone(),
        page_url: accepted.page_url.filter(|url| is_web_address(url)),
        ip_prefix: ip.map(truncate_ip),
        follow_up: rating <= site.low_rating_threshold,
        contact_me: accepted.contact_me,
        status: initial_status(site, accepted.consent, rating),
        manage_token_hash: secrets::hash_token(&manage_token),
        created_at: now_ms(),
    };
    let id = record.id.clone();
    let status = record.status;
    state.storage.insert_testimonial(record).await?;
    state.public_cache.invalidate(site.id);
    Metrics::add(&state.metrics.testimonials_submitted);
    tracing::info!(site = %site.slug, testimonial = %id, %status, "testimonial submitted");
    if let Some(testimonial) = state.storage.testimonial(site.id, &id).await? {
        state.notify.submitted(site, &testimonial).await;
        credit_referral(state, site, &testimonial, referral.as_deref(), device.as_deref()).await;
    }
    Ok(TestimonialCreated { id, status, manage_url: format!("{}/manage/{manage_token}", state.public_url) })
}

/// An absolute http(s) address with a host, by a real URL parse; anything else is dropped.
pub fn is_web_address(raw: &str) -> bool {
    url::Url::parse(raw).is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

/// A testimonial from a referred visitor is a conversion for their advocate. A code that
/// matches nobody is simply not credited: the testimonial itself is what the visitor came for.
async fn credit_referral(
    state: &AppState,
    site: &Site,
    testimonial: &Testimonial,
    code: Option<&str>,
    device: Option<&str>,
) {
    let Some(code) = code else { return };
    let friend =
        Friend { email: Some(&testimonial.email), ip_prefix: testimonial.ip_prefix.as_deref(), device };
    let external_id = format!("testimonial-{}", testimonial.id);
    match referrals::convert(state, site, code, &external_id, friend).await {
        Ok(_) | Err(AppError::NotFound(_)) => {}
        Err(error) => tracing::error!(%error, site = %site.slug, "cannot credit a referral"),
    }
}

/// Manual moderation by default; a site may publish consenting ratings of N stars or more at once.
fn initial_status(site: &Site, consent: bool, rating: u8) -> Status {
    match site.auto_approve_min_rating {
        Some(minimum) if consent && rating >= minimum => Status::Approved,
        _ => Status::Pending,
    }
}

/// What anyone may see of a testimonial; `base` is the server's public URL (for the photo).
pub fn public_view(testimonial: &Testimonial, base: &str) -> PublicTestimonial {
    PublicTestimonial {
        id: testimonial.id.clone(),
        name: testimonial.name.clone(),
        role: testimonial.role.clone(),
        company: testimonial.company.clone(),
        rating: testimonial.rating,
        text: testimonial.text.clone(),
        photo_url: testimonial.photo_id.as_ref().map(|id| format!("{base}/api/v1/photos/{id}")),
        reply: testimonial.reply.clone(),
        featured: testimonial.featured,
        edited: testimonial.edited,
        created_at: rfc3339(testimonial.created_at),
    }
}

/// A cursor only when the page is full; a short page is the last one.
pub fn next_cursor(items: &[Testimonial], limit: u32) -> Option<String> {
    let full = items.len() == usize::try_from(limit).unwrap_or(usize::MAX);
    items.last().filter(|_| full).map(|last| Cursor::after(last).encode())
}

fn public_summary(summary: RatingSummary) -> Summary {
    Summary {
        count: summary.count,
        average: summary.average.map(|average| (average * 100.0).round() / 100.0),
    }
}

fn with_cache(mut response: Response, cache: &'static str) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
