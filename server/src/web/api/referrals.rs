//! The referral API: advocates get their link, pages record visits and conversions, moderators
//! read the leaderboard.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::options;
use axum::Json;
use fanfare_protocol::api::ApiError;
use fanfare_protocol::referrals::{
    Amount, ConversionRecorded, ConversionStatus, CreateReferral, ModerationReferral, RecordConversion,
    RecordVisit, ReferralCreated, ReferralPage, RefundConversion,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::moderation::{bearer, Moderator};
use super::preflight;
use super::refusals::{ModeratorRefusals, PublicWriteRefusals};
use crate::web::cors::{FRIEND_COUPON_HEADER, REFERRAL_ATTRIBUTION_HEADER, REFERRAL_WINDOW_HEADER};
use crate::web::error::AppError;
use crate::web::extract::{decode, AppJson};
use crate::web::request::{query_params, ClientIp, SiteFromPath};
use crate::web::state::AppState;

const PAGE_SIZE: u32 = 50;

/// Public routes; `api::router` puts them behind the site's CORS and body limit.
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(create))
        .route("/api/v1/sites/{site}/referrals", options(preflight))
        .routes(routes!(visit))
        .route("/api/v1/sites/{site}/referrals/{code}/visits", options(preflight))
        .routes(routes!(convert))
        .route("/api/v1/sites/{site}/conversions", options(preflight))
        .routes(routes!(refund))
}

pub fn moderation_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(leaderboard))
}

/// An advocate's referral code and link to share (the same email gets the same code).
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/referrals",
    tag = "public",
    params(("site" = String, Path, description = "The site's slug")),
    request_body = CreateReferral,
    responses(
        (status = 201, description = "The advocate's code and link", body = ReferralCreated),
        (status = 422, description = "Fields are invalid; `fields` names each", body = ApiError),
        PublicWriteRefusals,
        (status = 404, description = "No such site", body = ApiError),
    ),
)]
async fn create(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    AppJson(body): AppJson<CreateReferral>,
) -> Result<(StatusCode, Json<ReferralCreated>), AppError> {
    // The advocate's emails speak their browser's language.
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(crate::web::collect::accepted_language)
        .unwrap_or("en");
    let created = state.service.refer(&site, ip, lang, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Records a visit brought by a referral link. The body is optional.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/referrals/{code}/visits",
    tag = "public",
    params(("site" = String, Path, description = "The site's slug"), ("code" = String, Path, description = "The referral code from the link")),
    request_body(content = Option<RecordVisit>, description = "Optional"),
    responses(
        (status = 204, description = "Recorded; `Fanfare-Referral-Days` says for how many days the code counts, `Fanfare-Referral-Attribution` whether a later link replaces it (`last`) or not (`first`), `Fanfare-Friend-Coupon` (double-sided rewards) the code the friend is offered"),
        (status = 422, description = "Fields are invalid; `fields` names each", body = ApiError),
        PublicWriteRefusals,
        (status = 404, description = "No such site or referral code", body = ApiError),
    ),
)]
async fn visit(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    Path((_site, code)): Path<(String, String)>,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> Result<Response, AppError> {
    // The body is optional: `curl -X POST …/visits` counts as a visit without a device.
    let body: RecordVisit =
        if body.iter().all(u8::is_ascii_whitespace) { RecordVisit::default() } else { decode(&body)? };
    state.service.visit(&site, ip, &code, body).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(REFERRAL_WINDOW_HEADER, HeaderValue::from(site.referral_window_days));
    headers.insert(REFERRAL_ATTRIBUTION_HEADER, HeaderValue::from_static(site.referral_attribution.as_str()));
    // Double-sided rewards: the friend's code, for the loader to show on the landing page.
    if let Some(code) =
        site.rewards.friend_coupon.as_deref().and_then(|code| HeaderValue::from_str(code).ok())
    {
        headers.insert(FRIEND_COUPON_HEADER, code);
    }
    Ok(response)
}

/// A site key sent as `Authorization: Bearer ffs_…`, if any (checked by the handler).
struct SiteKeyHeader(Option<String>);

impl axum::extract::FromRequestParts<AppState> for SiteKeyHeader {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            bearer(parts).filter(|token| crate::service::site_keys::is_site_key(token)).map(str::to_owned),
        ))
    }
}

/// Records a conversion (an order) credited to a referral code; idempotent on `id`. A page
/// calls it without credentials (rate limited like any visitor); the business's own system
/// may send a site key instead (`Authorization: Bearer ffs_…`, no visitor limits; a bad key
/// is 401).
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/conversions",
    tag = "public",
    security((), ("site_key" = [])),
    params(("site" = String, Path, description = "The site's slug")),
    request_body = RecordConversion,
    responses(
        (status = 201, description = "Recorded (or already recorded with this `id`)", body = ConversionRecorded),
        (status = 422, description = "Fields are invalid; `fields` names each", body = ApiError),
        PublicWriteRefusals,
        (status = 404, description = "No such site or referral code", body = ApiError),
    ),
)]
async fn convert(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    ClientIp(ip): ClientIp,
    SiteKeyHeader(key): SiteKeyHeader,
    AppJson(body): AppJson<RecordConversion>,
) -> Result<(StatusCode, Json<ConversionRecorded>), AppError> {
    let conversion = match key {
        Some(key) => state.service.convert_from_system(&site, &key, body).await?,
        None => state.service.convert_from_page(&site, ip, body).await?,
    };
    Ok((StatusCode::CREATED, Json(ConversionRecorded { id: conversion.external_id })))
}

/// The order behind a conversion was refunded (site key only): in full, or up to
/// `refunded_amount` so far. A full refund inside the site's hold period cancels the reward it
/// counted towards; after it, the refund is recorded and the site's owners are told.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{site}/conversions/{id}/refund",
    tag = "public",
    security(("site_key" = [])),
    params(("site" = String, Path, description = "The site's slug"), ("id" = String, Path, description = "The conversion's id, as it was recorded")),
    request_body(content = Option<RefundConversion>, description = "Optional: without it, a full refund"),
    responses(
        (status = 200, description = "Recorded; what the conversion is now", body = ConversionStatus),
        (status = 401, description = "No valid site key", body = ApiError),
        (status = 422, description = "Fields are invalid; `fields` names each", body = ApiError),
        (status = 404, description = "No such site or conversion", body = ApiError),
    ),
)]
async fn refund(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    Path((_site, id)): Path<(String, String)>,
    SiteKeyHeader(key): SiteKeyHeader,
    body: Bytes,
) -> Result<Json<ConversionStatus>, AppError> {
    let key = key.ok_or(AppError::Unauthenticated)?;
    let body: RefundConversion =
        if body.iter().all(u8::is_ascii_whitespace) { RefundConversion::default() } else { decode(&body)? };
    Ok(Json(state.service.refund_from_system(&site, &key, &id, body).await?))
}

#[derive(Debug, Default, Deserialize)]
struct LeaderboardParams {
    cursor: Option<String>,
}

/// The site's advocates with their visits, conversions and flagged conversions.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{site}/moderation/referrals",
    tag = "moderation",
    security(("bearer" = []), ("session" = [])),
    params(("site" = String, Path, description = "The site's slug"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
    responses(
        (status = 200, description = "One page of advocates", body = ReferralPage),
        ModeratorRefusals,
        (status = 422, description = "A parameter is invalid; `fields` names it", body = ApiError),
    ),
)]
async fn leaderboard(
    State(state): State<AppState>,
    moderator: Moderator,
    query: Result<Query<LeaderboardParams>, QueryRejection>,
) -> Result<Json<ReferralPage>, AppError> {
    let params = query_params(query)?;
    // The leaderboard is ordered by counts that move, so its cursor is a plain position.
    let offset = match params.cursor.as_deref().filter(|cursor| !cursor.is_empty()) {
        None => 0,
        Some(raw) => {
            raw.parse::<u64>().map_err(|_| AppError::field("cursor", "is not a cursor this API issued"))?
        }
    };
    let rows = state.service.leaderboard(&moderator.site, PAGE_SIZE, offset).await?;
    let next_cursor = (rows.len() == PAGE_SIZE as usize).then(|| (offset + u64::from(PAGE_SIZE)).to_string());
    let items = rows
        .into_iter()
        .map(|row| ModerationReferral {
            code: row.advocate.code,
            name: row.advocate.name,
            email: row.advocate.email,
            visits: row.visits,
            conversions: row.conversions,
            flagged: row.flagged,
            amounts: row
                .amounts
                .into_iter()
                .map(|money| Amount { amount: money.amount, currency: money.currency })
                .collect(),
            rewards_given: row.rewards_given,
        })
        .collect();
    Ok(Json(ReferralPage { items, next_cursor }))
}
