//! The referral API: advocates get their link, pages record visits and conversions, moderators
//! read the leaderboard.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fanfare_protocol::referrals::{
    ConversionRecorded, CreateReferral, ModerationReferral, RecordConversion, RecordVisit, ReferralCreated,
    ReferralPage,
};
use serde::Deserialize;

use super::moderation::Moderator;
use super::preflight;
use crate::web::cors::{REFERRAL_ATTRIBUTION_HEADER, REFERRAL_WINDOW_HEADER};
use crate::web::error::AppError;
use crate::web::extract::{decode, AppJson};
use crate::web::request::{query_params, ClientIp, SiteFromPath};
use crate::web::state::AppState;

const PAGE_SIZE: u32 = 50;

/// Public routes; `api::router` puts them behind the site's CORS and body limit.
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sites/{site}/referrals", post(create).options(preflight))
        .route("/api/v1/sites/{site}/referrals/{code}/visits", post(visit).options(preflight))
        .route("/api/v1/sites/{site}/conversions", post(convert).options(preflight))
}

pub fn moderation_routes() -> Router<AppState> {
    Router::new().route("/api/v1/sites/{site}/moderation/referrals", get(leaderboard))
}

async fn create(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    ClientIp(ip): ClientIp,
    AppJson(body): AppJson<CreateReferral>,
) -> Result<(StatusCode, Json<ReferralCreated>), AppError> {
    let created = state.service.refer(&site, ip, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

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
    Ok(response)
}

async fn convert(
    State(state): State<AppState>,
    SiteFromPath(site): SiteFromPath,
    ClientIp(ip): ClientIp,
    AppJson(body): AppJson<RecordConversion>,
) -> Result<(StatusCode, Json<ConversionRecorded>), AppError> {
    let conversion = state.service.convert_from_page(&site, ip, body).await?;
    Ok((StatusCode::CREATED, Json(ConversionRecorded { id: conversion.external_id })))
}

#[derive(Debug, Default, Deserialize)]
struct LeaderboardParams {
    cursor: Option<String>,
}

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
        })
        .collect();
    Ok(Json(ReferralPage { items, next_cursor }))
}
