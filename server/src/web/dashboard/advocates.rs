//! Referrals in the dashboard: the advocates' leaderboard, each advocate's history, flagged
//! conversions to review, rewards to mark, and a CSV of it all.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fanfare_protocol::fields::without_bidi_controls as shown;
use maud::{html, Markup};

use crate::clock::rfc3339;
use crate::domain::Role;
use crate::service::data_rights::spreadsheet_safe;
use crate::service::referrals::ConversionReview;
use crate::service::Actor;
use crate::storage::{Conversion, ConversionSource};
use crate::web::error::AppError;
use crate::web::page::{render, when, Frame, PageError, SiteNav};
use crate::web::session::{member_site, AdminForm, AdminSession};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sites/{site}/referrals", get(leaderboard))
        .route("/admin/sites/{site}/referrals.csv", get(export_csv))
        .route("/admin/sites/{site}/referrals/{advocate}", get(advocate_page))
        .route("/admin/sites/{site}/conversions/{id}/{action}", post(act))
}

const LEADERBOARD_SIZE: u32 = 200;

fn source_label(source: ConversionSource) -> &'static str {
    match source {
        ConversionSource::Page => "from a page",
        ConversionSource::System => "from your system (site key)",
        ConversionSource::Stripe => "from Stripe",
        ConversionSource::Testimonial => "a testimonial (credited, never rewarded)",
    }
}

fn flag_label(flag: &str) -> &str {
    match flag {
        "no_visit" => "No visit through the link from this browser",
        "self_referral" => "Same person as the advocate",
        "same_network" => "Same network as the advocate",
        "same_device" => "Same browser as the advocate",
        "disposable_email" => "Throwaway email address",
        "burst" => "Part of a burst of conversions",
        "unverified_sale" => "Reported by a browser: accept it once you have seen the order",
        other => other,
    }
}

/// `automatic`: the site's rewards pay out by themselves (see Rewards), so there is no mark to
/// set by hand. `review_heading`: the name of the flags' column in this table.
fn conversion_row(
    slug: &str,
    conversion: &Conversion,
    csrf: &str,
    back: &str,
    automatic: bool,
    review_heading: &str,
) -> Markup {
    let action = |name: &str| format!("/admin/sites/{slug}/conversions/{}/{name}", conversion.id);
    html! {
        tr {
            td data-label="When" { (when(conversion.created_at)) }
            td data-label="Id" {
                code.long { (conversion.external_id) } br;
                span.meta { (source_label(conversion.source)) @if let Some(value) = &conversion.value { " · " (value.display()) } }
                @if conversion.reversed_at.is_some() { " " span.badge.warn { "Refunded" } }
            }
            td data-label="Friend" { (conversion.email.as_deref().unwrap_or("—")) }
            td data-label=(review_heading) {
                @for flag in &conversion.flags { span.badge.warn { (flag_label(flag)) } " " }
                @match conversion.review {
                    Some(true) => { "Accepted" }
                    Some(false) => { "Rejected" }
                    None => {}
                }
            }
            td.controls data-label="Actions" {
                @if !conversion.flags.is_empty() && conversion.review.is_none() {
                    @for (name, label) in [("accept", "Accept"), ("reject", "Reject")] {
                        form.inline method="post" action=(action(name)) {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="return_to" value=(back);
                            button type="submit" { (label) }
                        }
                    }
                }
                @if let Some(at) = conversion.reward_given_at {
                    "Reward given " (when(at))
                } @else if automatic {
                } @else if conversion.review != Some(false) {
                    form.inline method="post" action=(action("reward")) {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="return_to" value=(back);
                        button type="submit" { "Mark reward given" }
                    }
                }
            }
        }
    }
}

async fn leaderboard(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &session.user, &slug).await?;
    let rows = state.service.leaderboard(&site, LEADERBOARD_SIZE, 0).await?;
    let flagged = state.service.flagged_conversions(&site).await?;
    let csrf = session.csrf_token.as_str();
    let back = format!("/admin/sites/{}/referrals", site.slug);
    let body = html! {
        h1 { "Referrals" }
        p { a href=(format!("/admin/sites/{}/referrals.csv", site.slug)) download { "Download CSV" } }
        h2 { "Flagged for review (" (flagged.len()) ")" }
        @if flagged.is_empty() {
            p.empty { "Nothing to review." }
        } @else {
            table {
                thead { tr { th { "When" } th { "Id" } th { "Friend" } th { "Why" } th { span.visually-hidden { "Actions" } } } }
                tbody { @for conversion in &flagged { (conversion_row(&site.slug, conversion, csrf, &back, site.rewards.every.is_some(), "Why")) } }
            }
        }
        h2 { "Advocates" }
        @if rows.is_empty() {
            p.empty { "No advocates yet. Add " code { "data-fanfare=\"refer\"" } " to a page, or let happy reviewers share their link." }
        } @else {
            table {
                thead { tr { th { "Advocate" } th { "Code" } th { "Visits" } th { "Conversions" } th { "Amount" } th { "Rewards given" } th { "Flagged" } } }
                tbody {
                    @for row in &rows {
                        tr {
                            td data-label="Advocate" { a href=(format!("/admin/sites/{}/referrals/{}", site.slug, row.advocate.id)) { bdi { (shown(&row.advocate.name)) } } br; span.meta { (row.advocate.email) } }
                            td data-label="Code" { code { (row.advocate.code) } }
                            td data-label="Visits" { (row.visits) }
                            td data-label="Conversions" { (row.conversions) }
                            td data-label="Amount" { @if row.amounts.is_empty() { "—" } @else { (row.amounts.iter().map(|money| money.display()).collect::<Vec<_>>().join(" + ")) } }
                            td data-label="Rewards given" { (row.rewards_given) }
                            td data-label="Flagged" { (row.flagged) }
                        }
                    }
                }
            }
        }
    };
    let frame = Frame {
        title: "Referrals",
        account: Some((&session.user.email, csrf)),
        site: Some(SiteNav {
            slug: &site.slug,
            name: &site.name,
            tab: "referrals",
            owner: role == Role::Owner,
        }),
    };
    Ok(render(frame, body).into_response())
}

async fn advocate_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path((slug, advocate_id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &session.user, &slug).await?;
    let (advocate, conversions) = state.service.advocate(&site, advocate_id).await?;
    let private_page = state.service.advocate_page_url(&site, &advocate);
    let csrf = session.csrf_token.as_str();
    let back = format!("/admin/sites/{}/referrals/{}", site.slug, advocate.id);
    let body = html! {
        h1 { bdi { (shown(&advocate.name)) } }
        dl.facts {
            dt { "Email" } dd { (advocate.email) }
            dt { "Code" } dd { code { (advocate.code) } }
            dt { "Since" } dd { (when(advocate.created_at)) }
            dt { "Private page" } dd {
                a href=(private_page) { "Their visits, conversions and rewards" }
                " (the address they get by email; share it only with them)"
            }
        }
        h2 { "Conversions" }
        @if conversions.is_empty() { p.empty { "None yet." } }
        @else {
            table {
                thead { tr { th { "When" } th { "Id" } th { "Friend" } th { "Flags and review" } th { span.visually-hidden { "Actions" } } } }
                tbody { @for conversion in &conversions { (conversion_row(&site.slug, conversion, csrf, &back, site.rewards.every.is_some(), "Flags and review")) } }
            }
        }
        p { a href=(format!("/admin/sites/{}/referrals", site.slug)) { "← All advocates" } }
    };
    let frame = Frame {
        title: &advocate.name,
        account: Some((&session.user.email, csrf)),
        site: Some(SiteNav {
            slug: &site.slug,
            name: &site.name,
            tab: "referrals",
            owner: role == Role::Owner,
        }),
    };
    Ok(render(frame, body).into_response())
}

async fn act(
    State(state): State<AppState>,
    Path((slug, id, action)): Path<(String, i64, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let (site, _role) = member_site(&state, &form.session.user, &slug).await?;
    let review = ConversionReview::parse(&action).ok_or(AppError::NotFound("action"))?;
    state.service.review_conversion(&site, Actor::Member(&form.session.user), id, review).await?;
    Ok(Redirect::to(&crate::web::session::local_path(form.fields.get("return_to"))).into_response())
}

async fn export_csv(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let (site, _role) = member_site(&state, &session.user, &slug).await?;
    let mut writer = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(Vec::new());
    let failed = |error: csv::Error| AppError::Internal(anyhow::Error::new(error));
    writer
        .write_record([
            "code",
            "name",
            "email",
            "visits",
            "conversions",
            "amounts",
            "rewards_given",
            "flagged",
            "since",
        ])
        .map_err(failed)?;
    let mut offset = 0;
    loop {
        let rows = state.service.leaderboard(&site, LEADERBOARD_SIZE, offset).await?;
        for row in &rows {
            let cells = [
                row.advocate.code.clone(),
                row.advocate.name.clone(),
                row.advocate.email.clone(),
                row.visits.to_string(),
                row.conversions.to_string(),
                row.amounts.iter().map(|money| money.display()).collect::<Vec<_>>().join(" + "),
                row.rewards_given.to_string(),
                row.flagged.to_string(),
                rfc3339(row.advocate.created_at),
            ];
            writer.write_record(cells.iter().map(|cell| spreadsheet_safe(cell))).map_err(failed)?;
        }
        if rows.len() < LEADERBOARD_SIZE as usize {
            break;
        }
        offset += u64::from(LEADERBOARD_SIZE);
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| AppError::Internal(anyhow::anyhow!("finishing the CSV: {error}")))?;
    let disposition = format!("attachment; filename=\"{}-referrals.csv\"", site.slug);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
