//! The page a site opens on: *is this working?* Testimonials arriving and decided, the honest
//! rating distribution, the referral and invitation funnels and the widget's reach, as charts
//! drawn on the server with their numbers as tables.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fanfare_protocol::overview::{SiteOverview, WaitTimes};
use maud::{html, Markup};

use super::charts::{self, Chart, Row};
use crate::clock::{now_ms, parse_rfc3339};
use crate::domain::Role;
use crate::service::overview::{DAYS_SHOWN, WEEKS_SHOWN};
use crate::storage::Site;
use crate::web::page::{render, Frame, PageError, SiteNav};
use crate::web::session::{member_site, AdminSession};
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/sites/{site}/overview", get(overview_page))
}

async fn overview_page(
    State(state): State<AppState>,
    session: AdminSession,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let (site, role) = member_site(&state, &session.user, &slug).await?;
    let overview = state.service.overview(&site, now_ms()).await?;
    let frame = Frame {
        title: "Overview",
        account: Some((&session.user.email, &session.csrf_token)),
        site: Some(SiteNav {
            slug: &site.slug,
            name: &site.name,
            tab: "overview",
            owner: role == Role::Owner,
        }),
    };
    Ok(render(frame, body(&site, &overview)).into_response())
}

fn body(site: &Site, overview: &SiteOverview) -> Markup {
    let base = format!("/admin/sites/{}", site.slug);
    let received: u64 = overview.weeks.iter().map(|week| week.received).sum();
    let this_week = overview.weeks.last().map_or(0, |week| week.received);
    let rated: u64 = overview.ratings.iter().map(|rating| rating.count).sum();
    let stars: u64 = overview.ratings.iter().map(|rating| u64::from(rating.stars) * rating.count).sum();
    let seen: u64 = overview.reach.iter().map(|day| day.list + day.fragment).sum();
    let invitations = overview.invitations;
    html! {
        h1 { "Overview" }
        p.hint { "The last " (WEEKS_SHOWN) " weeks (weeks begin on Monday, UTC); the widget's reach over the last " (DAYS_SHOWN) " days." }
        dl.tiles {
            div {
                dt { "Testimonials received" }
                dd { span.big { (received) } " in " (WEEKS_SHOWN) " weeks, " (this_week) " this week" }
            }
            div {
                dt { "Waiting for a decision" }
                dd { span.big { (overview.pending) } " " a href=(base) { "open the queue" } }
            }
            div {
                dt { "Average rating" }
                dd {
                    @if rated == 0 { span.big { "–" } " nothing rated yet" }
                    @else { span.big { (format!("{:.1}", stars as f64 / rated as f64)) } " of 5 from " (rated) " moderated ratings" }
                }
            }
            div {
                dt { "Time to moderate" }
                dd { (waits(&overview.time_to_moderate)) }
            }
            div {
                dt { "Follow-ups open" }
                dd { span.big { (overview.follow_ups_open) } " " a href=(format!("{base}/follow-ups")) { "answer them" } }
            }
            div {
                dt { "Invitations answered" }
                dd {
                    span.big { (invitations.answered) } " of " (invitations.sent) " sent"
                    @if let Some(rate) = share(invitations.answered, invitations.sent) { " (" (rate) ")" }
                }
            }
        }
        div.charts {
            (charts::columns(&Chart {
                id: "received",
                title: "Testimonials received per week",
                columns: &["Week beginning", "Received"],
                rows: overview.weeks.iter().map(|week| Row {
                    axis: short_date(&week.week),
                    name: week.week.clone(),
                    values: vec![week.received],
                }).collect(),
            }))
            (charts::bars(&Chart {
                id: "ratings",
                title: "Ratings (every moderated one, as the public summary counts them)",
                columns: &["Rating", "Testimonials"],
                rows: overview.ratings.iter().rev().map(|rating| Row {
                    axis: format!("{} ★", rating.stars),
                    name: format!("{} stars", rating.stars),
                    values: vec![rating.count],
                }).collect(),
            }))
            (charts::bars(&Chart {
                id: "referrals",
                title: "Referrals: from links handed out to rewards",
                columns: &["Step", "Count"],
                rows: [
                    ("Links", "Links handed out", overview.referrals.links),
                    ("Visits", "Visits through them", overview.referrals.visits),
                    ("Conversions", "Conversions", overview.referrals.conversions),
                    ("Rewards", "Rewards given", overview.referrals.rewards_given),
                ].into_iter().map(|(axis, name, value)| Row { axis: axis.into(), name: name.into(), values: vec![value] }).collect(),
            }))
            (charts::columns(&Chart {
                id: "reach",
                title: "Widget reach: showings of your testimonials per day",
                columns: &["Day", "Widget and included HTML (fragments)", "Your own code (JSON list)"],
                rows: overview.reach.iter().map(|day| Row {
                    axis: short_date(&day.day),
                    name: day.day.clone(),
                    values: vec![day.fragment, day.list],
                }).collect(),
            }))
        }
        @let funnel = overview.referrals;
        p.hint {
            "Referrals: " (funnel.visits) " visits through " (funnel.links) " links, "
            (funnel.conversions) " conversions"
            @if let Some(rate) = share(funnel.conversions, funnel.visits) { " (" (rate) " of visits)" }
            ", " (funnel.rewards_given) " rewards given. "
            a href=(format!("{base}/referrals")) { "See the advocates" }
        }
        p.hint {
            (seen) " showings in " (DAYS_SHOWN) " days. Counted on the server, one per wall, carousel or badge shown "
            "(a Show more is not counted again, nor is the Embed page's preview): no cookie, nothing about who looked. "
            "The same numbers as JSON: "
            code { "GET /api/v1/sites/" (site.slug) "/moderation/overview" } "."
        }
    }
}

/// `2 h 5 min (9 in 10 within 1 day 3 h), 14 decided`.
fn waits(times: &WaitTimes) -> Markup {
    html! {
        @match (times.median_seconds, times.p90_seconds) {
            (Some(median), Some(slow)) => {
                span.big { (duration(median)) } " half of them; 9 in 10 within " (duration(slow)) " (" (times.decided) " decided)"
            }
            _ => { span.big { "–" } " nothing decided in these weeks" }
        }
    }
}

/// A wait as a person says it: `45 min`, `3 h 20 min`, `2 days 4 h`.
pub fn duration(seconds: u64) -> String {
    let minutes = seconds / 60;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) if minutes == 0 => "under a minute".into(),
        (0, 0) => format!("{minutes} min"),
        (0, _) if minutes == 0 => format!("{hours} h"),
        (0, _) => format!("{hours} h {minutes} min"),
        (1, 0) => "1 day".into(),
        (1, _) => format!("1 day {hours} h"),
        (_, 0) => format!("{days} days"),
        _ => format!("{days} days {hours} h"),
    }
}

/// `40 %` of `whole`; `None` of nothing.
fn share(part: u64, whole: u64) -> Option<String> {
    (whole > 0).then(|| format!("{} %", (part * 100 + whole / 2) / whole))
}

/// `30 Nov` from `2026-11-30`.
fn short_date(day: &str) -> String {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let parsed = parse_rfc3339(&format!("{day}T00:00:00Z"))
        .and_then(|ms| time::OffsetDateTime::from_unix_timestamp(ms / 1000).ok());
    match parsed {
        Some(date) => {
            let month = MONTHS.get(usize::from(u8::from(date.month())).saturating_sub(1)).unwrap_or(&"");
            format!("{} {month}", date.day())
        }
        None => day.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_a_person_says_them() {
        assert_eq!(duration(20), "under a minute");
        assert_eq!(duration(45 * 60), "45 min");
        assert_eq!(duration(3 * 3600), "3 h");
        assert_eq!(duration(3 * 3600 + 20 * 60), "3 h 20 min");
        assert_eq!(duration(86_400 + 4 * 3600 + 59), "1 day 4 h");
        assert_eq!(duration(2 * 86_400), "2 days");
        assert_eq!(short_date("2026-11-30"), "30 Nov");
        assert_eq!(short_date("junk"), "junk");
        assert_eq!(share(1, 3).as_deref(), Some("33 %"));
        assert_eq!(share(0, 0), None);
    }
}
