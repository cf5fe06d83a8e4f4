//! Rewards in the dashboard: what is due, given and cancelled, the coupon pool (owners add
//! codes here or with `fanfare coupons add`), and due rewards handed out by hand.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fanfare_protocol::fields::without_bidi_controls as shown;
use maud::html;
use serde::Deserialize;

use super::form::FieldErrors;
use crate::domain::Role;
use crate::service::rewards::LOW_POOL;
use crate::service::{Actor, ServiceError};
use crate::storage::{RewardState, Site};
use crate::web::error::AppError;
use crate::web::page::{render, when, Frame, PageError, SiteNav};
use crate::web::session::{member_site, AdminForm, AdminSession};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sites/{site}/rewards", get(rewards_page))
        .route("/admin/sites/{site}/rewards/coupons", post(add_coupons))
        .route("/admin/sites/{site}/rewards/{id}/give", post(give))
}

const STATES: [(RewardState, &str); 4] = [
    (RewardState::Due, "Due"),
    (RewardState::Held, "Waiting out the refund window"),
    (RewardState::Given, "Given"),
    (RewardState::Cancelled, "Cancelled (refunded in time)"),
];

#[derive(Debug, Default, Deserialize)]
struct RewardsQuery {
    state: Option<String>,
    added: Option<u64>,
    skipped: Option<u64>,
}

async fn rewards_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
    Query(query): Query<RewardsQuery>,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &session.user, &slug).await?;
    rewards_view(&state, &site, role, &session, &query, None, StatusCode::OK).await
}

/// The page, with the codes as typed and why they were refused (`refused`) when they were.
async fn rewards_view(
    state: &AppState,
    site: &Site,
    role: Role,
    session: &AdminSession,
    query: &RewardsQuery,
    refused: Option<(&str, &BTreeMap<String, String>)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let filter = query.state.as_deref().and_then(RewardState::parse);
    let overview = state.service.rewards_overview(site, filter).await?;
    let csrf = session.csrf_token.as_str();
    let fields = FieldErrors::of(refused.map(|(_, errors)| errors));
    let base = format!("/admin/sites/{}/rewards", site.slug);
    let count = |state: RewardState| overview.counts.get(state.as_str()).copied().unwrap_or(0);
    let body = html! {
        h1 { "Rewards" }
        @if let (Some(added), Some(skipped)) = (query.added, query.skipped) {
            p.notice role="status" { "Added " (added) " codes" @if skipped > 0 { " (" (skipped) " were already in the pool)" } "." }
        }
        @match site.rewards.every {
            None => p.notice { "Automatic rewards are off. Turn them on in " a href=(format!("/admin/sites/{}/settings", site.slug)) { "Settings" } " (a reward for every N conversions, the refund window), or mark rewards by hand on " a href=(format!("/admin/sites/{}/referrals", site.slug)) { "Referrals" } "." },
            Some(every) => p {
                @if every == 1 { "A reward for every conversion" } @else { "A reward for every " strong { (every) } " conversions" }
                ", earned " strong { (site.rewards.hold_days) " days" } " after the sale unless it is refunded"
                @if let Some(minimum) = site.rewards.min_amount { ", for sales of at least " (minimum) " (smallest currency unit)" }
                "."
            },
        }
        ul.counts {
            @for (state, label) in STATES {
                li { a href=(format!("{base}?state={}", state.as_str())) aria-current=[(filter == Some(state)).then_some("page")] { (label) ": " strong { (count(state)) } } }
            }
            li { a href=(base) aria-current=[filter.is_none().then_some("page")] { "All" } }
        }
        h2 { "Coupon pool" }
        p {
            strong { (overview.coupons.unused) } " unused codes, " (overview.coupons.used) " handed out."
            @if overview.coupons.unused == 0 && count(RewardState::Due) > 0 {
                " " span.badge.warn { "Empty: " (count(RewardState::Due)) " rewards are waiting for codes" }
            } @else if overview.coupons.unused <= LOW_POOL && overview.coupons.unused + overview.coupons.used > 0 {
                " " span.badge.warn { "Running low" }
            }
        }
        @if overview.coupons.unused + overview.coupons.used == 0 {
            p.hint { "No codes yet: rewards wait as due until codes are added. To pay rewards in your own system instead, choose it under Settings → How rewards are paid (" code { "referral.rewarded" } " webhook)." }
        }
        @if role == Role::Owner {
            @if refused.is_some() {
                div.error role="alert" { p { "No code was added. Please check: " (fields.names()) "." } }
            }
            form.stack method="post" action=(format!("{base}/coupons")) {
                input type="hidden" name="csrf" value=(csrf);
                label for="codes" { "Add codes, one per line (create them in your shop first; each is handed out once)" }
                textarea id="codes" name="codes" rows="5" required
                    aria-invalid=[fields.invalid("codes")] aria-describedby=[fields.described("codes")] { (refused.map_or("", |(codes, _)| codes)) }
                (fields.error("codes"))
                button type="submit" { "Add codes" }
            }
        }
        h2 { "Latest rewards" }
        @if overview.recent.is_empty() {
            p.empty { "None yet." }
        } @else {
            table {
                thead { tr { th { "Advocate" } th { "Conversions" } th { "State" } th { "Code" } th { "When" } th { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for listing in &overview.recent {
                        @let reward = &listing.reward;
                        tr {
                            td data-label="Advocate" { bdi { (shown(&listing.advocate_name)) } br; span.meta { (listing.advocate_email) " · " code { (listing.advocate_code) } } }
                            td data-label="Conversions" { (reward.conversions) }
                            td data-label="State" { (STATES.iter().find(|(state, _)| *state == reward.state).map_or("", |(_, label)| *label)) }
                            td data-label="Code" { @if let Some(code) = &reward.coupon_code { code { (code) } } @else { "—" } }
                            td data-label="When" {
                                @match reward.state {
                                    RewardState::Held => { "until " (when(reward.hold_until)) }
                                    RewardState::Given => { (reward.given_at.map(when).unwrap_or_default()) }
                                    RewardState::Cancelled => { (reward.cancelled_at.map(when).unwrap_or_default()) }
                                    RewardState::Due => { "since " (when(reward.hold_until)) }
                                }
                            }
                            td.controls data-label="Actions" {
                                @if reward.state == RewardState::Due {
                                    form.inline method="post" action=(format!("{base}/{}/give", reward.id)) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        button type="submit" { "Mark given by hand" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let frame = Frame {
        title: "Rewards",
        account: Some((&session.user.email, csrf)),
        site: Some(SiteNav {
            slug: &site.slug,
            name: &site.name,
            tab: "rewards",
            owner: role == Role::Owner,
        }),
    };
    Ok((status, render(frame, body)).into_response())
}

async fn add_coupons(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &form.session.user, &slug).await?;
    if role != Role::Owner {
        return Err(AppError::Forbidden("Only the site's owners can add coupon codes.").into());
    }
    let codes = form.fields.get("codes").unwrap_or_default();
    match state.service.add_coupons(&site, Actor::Member(&form.session.user), codes).await {
        Ok(added) => {
            let to = format!(
                "/admin/sites/{}/rewards?added={}&skipped={}",
                site.slug, added.added, added.already_there
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let (query, status) = (RewardsQuery::default(), StatusCode::UNPROCESSABLE_ENTITY);
            rewards_view(&state, &site, role, &form.session, &query, Some((codes, &errors)), status).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn give(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let (site, _role) = member_site(&state, &form.session.user, &slug).await?;
    state.service.give_reward_by_hand(&site, Actor::Member(&form.session.user), id).await?;
    Ok(Redirect::to(&format!("/admin/sites/{}/rewards?state=given", site.slug)).into_response())
}
