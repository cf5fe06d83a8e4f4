//! The demo's history: what eleven weeks of Fanfare leave behind at a small roastery, so that
//! every page of the dashboard has something to show on the first start. It is made once, with
//! the site; later starts only point the site at the run's website origin.
//!
//! Everything goes through the service's own operations where one exists. Those stamp the
//! present, so what happened weeks ago (advocates joining, friends' visits, invitations sent,
//! follow-ups resolved, the widget being shown) is written through storage with its own time,
//! as those operations wrote it then.

mod invitations;
mod referrals;
mod testimonials;

use fanfare_protocol::invitations::InviteCustomer;

use super::DEMO_SITE;
use crate::clock::now_ms;
use crate::service::sites::{NewSiteInput, SettingsInput};
use crate::service::{Actor, Service, ServiceError};
use crate::storage::{DynStorage, ReachCount, Site, SiteChanges, DEMO_SEEDED};

/// What a finished seed writes under [`DEMO_SEEDED`].
const SEEDED_VERSION: &str = "2";

const MINUTE: i64 = 60 * 1000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// When the roastery turned automatic referral rewards on, before the seed runs.
const REWARDS_STARTED: i64 = 8 * 7 * DAY;

/// The demo site, created and given its history on first start, and pointed at this run's
/// website origin.
pub(super) async fn site(
    service: &Service,
    storage: &DynStorage,
    site_url: &str,
    site_port: u16,
) -> anyhow::Result<Site> {
    let localhost = format!("http://localhost:{site_port}");
    let origins = vec![site_url, localhost.as_str()];
    if let Some(site) = found_or_none(service.find_site(DEMO_SITE).await)? {
        // Written last by a seed that finished; a first start that was stopped half-way, or a
        // database of an older demo, has not got it (and now holds "partial").
        if storage.server_key(DEMO_SEEDED, "partial").await? != SEEDED_VERSION {
            tracing::warn!(
                "this demo database holds only part of the demo's history (an older version, or a first start \
                 that was stopped): delete it (the --database file) to start again with all of it"
            );
        }
        let changes = SettingsInput { origins: Some(origins), ..SettingsInput::default() };
        return Ok(service.change_site(&site, Actor::CommandLine, changes).await?);
    }
    let site = service
        .create_site(NewSiteInput {
            slug: DEMO_SITE,
            name: "Kettle & Crow Coffee Roasters",
            origins,
            consent_text: None,
        })
        .await?;
    // One moment for the whole history, so its parts line up.
    let now = now_ms();
    let site = rewards(service, storage, &site, now).await?;
    testimonials::seed(service, storage, &site, now).await?;
    referrals::seed(service, storage, &site, now).await?;
    reach(storage, &site, now).await?;
    // Last week's buyers, asked for a testimonial: they wait in the queue until the demo is
    // given an SMTP server (`--smtp-url`).
    for (email, name, tags) in [
        ("lena@example.com", "Lena Fischer", vec!["espresso".to_owned()]),
        ("omar@example.com", "Omar Haddad", vec!["decaf".to_owned()]),
    ] {
        let request = InviteCustomer {
            email: Some(email.into()),
            name: Some(name.into()),
            tags,
            ..InviteCustomer::default()
        };
        service.invite(&site, Actor::CommandLine, &request).await?;
    }
    storage.server_key(DEMO_SEEDED, SEEDED_VERSION).await?;
    Ok(site)
}

/// Referral rewards as a small shop runs them: a code for every referred order once the 14-day
/// return window is over, from a pool of codes made in the shop, and a welcome code for the
/// friend; turned on eight weeks ago (the service dates that to now, which would leave the
/// history's sales out of it).
async fn rewards(service: &Service, storage: &DynStorage, site: &Site, now: i64) -> anyhow::Result<Site> {
    let rules = SettingsInput {
        reward_every: Some("1"),
        reward_hold_days: Some("14"),
        friend_coupon: Some("FRIEND10"),
        ..SettingsInput::default()
    };
    let site = service.change_site(site, Actor::CommandLine, rules).await?;
    let started = SiteChanges { rewards_since: Some(now - REWARDS_STARTED), ..SiteChanges::default() };
    let site = storage.update_site(&site.slug, started).await?.ok_or(ServiceError::NotFound("site"))?;
    let codes: String = (1..=10).map(|n| format!("KC-THANKS-{n:04}\n")).collect();
    service.add_coupons(&site, Actor::CommandLine, &codes).await?;
    Ok(site)
}

/// How often the site's testimonials were shown over the last thirty days (today's count is
/// the server's own): a few dozen times a day through the widget's walls and badges, a few
/// through the JSON list, quieter at weekends, slowly growing.
async fn reach(storage: &DynStorage, site: &Site, now: i64) -> anyhow::Result<()> {
    let today = now.div_euclid(DAY);
    let counts: Vec<ReachCount> = (1..30i64)
        .map(|days_ago| {
            let day = today - days_ago;
            // 1970-01-01 was a Thursday: days 2 and 3 of each week are the weekend.
            let weekend = matches!(day.rem_euclid(7), 2 | 3);
            let growth = (30 - days_ago) * 2;
            // A fixed wobble, so the chart looks like traffic and the seed stays repeatable.
            let wobble = (day * 11).rem_euclid(17);
            let shown = 45 + growth + wobble - if weekend { 25 } else { 0 };
            ReachCount {
                site_id: site.id,
                day,
                // The roastery's own app asks the JSON list now and then.
                list: (shown / 8 + wobble % 3).unsigned_abs(),
                fragment: shown.unsigned_abs(),
            }
        })
        .collect();
    storage.add_reach(&counts).await?;
    Ok(())
}

/// `Some(site)`, `None` when there is none, or what else went wrong.
fn found_or_none(found: Result<Site, ServiceError>) -> Result<Option<Site>, ServiceError> {
    match found {
        Ok(site) => Ok(Some(site)),
        Err(ServiceError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}
