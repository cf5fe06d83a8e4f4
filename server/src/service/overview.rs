//! The owner's first question, *is this working?*: a site's activity as the dashboard's
//! Overview and `GET …/moderation/overview` show it, one computation for both.

use std::time::Duration;

use fanfare_protocol::overview::{
    InvitationFunnel, RatingCount, ReachDay, SiteOverview, WaitTimes, WeekCount,
};

use super::reach::Seen;
use super::{Service, ServiceResult};
use crate::clock::{now_ms, rfc3339};
use crate::storage::{ReachCount, Site, DAY_MS, WEEK_MS};

pub const WEEKS_SHOWN: i64 = 12;
pub const DAYS_SHOWN: i64 = 30;

/// How often an instance adds what it counted to the database.
const STORE_REACH_EVERY: Duration = Duration::from_secs(60);

impl Service {
    /// The site's overview as of `now`.
    pub async fn overview(&self, site: &Site, now: i64) -> ServiceResult<SiteOverview> {
        let first_week = monday_of(now) - (WEEKS_SHOWN - 1) * WEEK_MS;
        // Twelve weeks reach further back than thirty days: one moment bounds every query.
        let first_day = now.div_euclid(DAY_MS) - (DAYS_SHOWN - 1);
        let activity = self.storage.activity(site.id, first_week).await?;

        let weeks = (0..WEEKS_SHOWN)
            .map(|week| WeekCount {
                week: day_of(first_week + week * WEEK_MS),
                received: activity
                    .received_by_week
                    .iter()
                    .find(|(index, _)| *index == week)
                    .map_or(0, |(_, n)| *n),
            })
            .collect();
        let ratings =
            (1u8..=5).zip(activity.ratings).map(|(stars, count)| RatingCount { stars, count }).collect();
        let mut reach_days = activity.reach;
        reach_days.extend(self.reach.pending(site.id));
        let reach = (first_day..=first_day + DAYS_SHOWN - 1)
            .map(|day| {
                let (list, fragment) = reach_days
                    .iter()
                    .filter(|count| count.day == day)
                    .fold((0, 0), |(list, fragment), count| (list + count.list, fragment + count.fragment));
                ReachDay { day: day_of(day * DAY_MS), list, fragment }
            })
            .collect();
        Ok(SiteOverview {
            weeks,
            ratings,
            time_to_moderate: wait_times(activity.waits),
            pending: activity.pending,
            follow_ups_open: activity.follow_ups_open,
            referrals: activity.funnel,
            invitations: InvitationFunnel {
                sent: activity.invitations_sent,
                answered: activity.invitations_answered,
            },
            reach,
        })
    }

    /// Counts one showing of the site's public testimonials.
    pub(super) fn count_reach(&self, site: &Site, seen: Seen) {
        self.reach.count(site.id, seen, now_ms());
    }

    /// Adds this instance's reach counts to the database; kept for the next try if that fails.
    /// One store at a time: the last one, at shutdown, waits for a store under way, whose counts
    /// would otherwise be neither in the database nor in memory.
    pub async fn store_reach(&self) -> ServiceResult<()> {
        let _one_at_a_time = self.reach.storing().await;
        let counted: Vec<ReachCount> = self.reach.take();
        if counted.is_empty() {
            return Ok(());
        }
        if let Err(error) = self.storage.add_reach(&counted).await {
            self.reach.give_back(counted);
            return Err(error.into());
        }
        Ok(())
    }

    /// [`Service::store_reach`] about once a minute, for as long as the server runs.
    pub async fn store_reach_forever(self) {
        let mut every = tokio::time::interval(STORE_REACH_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(error) = self.store_reach().await {
                tracing::warn!(%error, "cannot store widget reach counts; keeping them for the next minute");
            }
        }
    }
}

/// 00:00 UTC on the Monday of the week holding `ms` (1970-01-01 was a Thursday).
pub fn monday_of(ms: i64) -> i64 {
    let thursday_offset = 3 * DAY_MS;
    (ms + thursday_offset).div_euclid(WEEK_MS) * WEEK_MS - thursday_offset
}

/// `YYYY-MM-DD` of the UTC day holding `ms`.
fn day_of(ms: i64) -> String {
    rfc3339(ms).chars().take(10).collect()
}

/// Median and 90th percentile (nearest rank) of the waits, in seconds.
fn wait_times(mut waits: Vec<i64>) -> WaitTimes {
    waits.sort_unstable();
    let rank = |share: usize| -> Option<u64> {
        let n = waits.len();
        if n == 0 {
            return None;
        }
        // Nearest rank: the smallest wait at or above `share` percent of all.
        let index = (n * share).div_ceil(100).max(1) - 1;
        waits.get(index).map(|ms| u64::try_from(ms / 1000).unwrap_or(0))
    };
    WaitTimes { decided: waits.len() as u64, median_seconds: rank(50), p90_seconds: rank(90) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_begin_on_monday_utc() {
        // 2026-12-03 (a Thursday) 15:00 UTC → Monday 2026-11-30.
        let thursday = crate::clock::parse_rfc3339("2026-12-03T15:00:00Z").unwrap_or_default();
        assert_eq!(day_of(monday_of(thursday)), "2026-11-30");
        let monday = crate::clock::parse_rfc3339("2026-11-30T00:00:00Z").unwrap_or_default();
        assert_eq!(monday_of(monday), monday);
        assert_eq!(day_of(monday_of(monday - 1)), "2026-11-23");
    }

    #[test]
    fn wait_times_take_the_nearest_rank() {
        assert_eq!(wait_times(Vec::new()), WaitTimes { decided: 0, median_seconds: None, p90_seconds: None });
        let hours: Vec<i64> = (1..=10).rev().map(|h| h * 3_600_000).collect();
        let times = wait_times(hours);
        assert_eq!(times.decided, 10);
        assert_eq!(times.median_seconds, Some(5 * 3600));
        assert_eq!(times.p90_seconds, Some(9 * 3600));
        assert_eq!(wait_times(vec![42_000]).median_seconds, Some(42));
    }
}
