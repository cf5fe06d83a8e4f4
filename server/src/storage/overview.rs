//! What the owner's overview counts: testimonials arriving and decided, the referral funnel,
//! and how often the site's public testimonials are asked for (no one is tracked: a count per
//! site and day is all that is kept).

use async_trait::async_trait;
use fanfare_protocol::overview::ReferralFunnel;

use super::StorageError;

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;
pub const WEEK_MS: i64 = 7 * DAY_MS;

/// The requests one instance counted for a site on a day (UTC days since 1970), to be added to
/// what the database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReachCount {
    pub site_id: i64,
    pub day: i64,
    /// Pages of the public JSON list (the widget, your own code).
    pub list: u64,
    /// Server-rendered fragments (`/embed/{site}/{mode}.html`, the script-free modes).
    pub fragment: u64,
}

/// A site's activity since a moment, as the overview charts it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Activity {
    /// Testimonials received (spam left out) per week: `(week, count)`, week 0 beginning at
    /// the moment asked for; weeks with none are absent.
    pub received_by_week: Vec<(i64, u64)>,
    /// Every moderated rating, as the honest summary counts them (approved and rejected, at any
    /// time): index 0 holds the 1-star ratings.
    pub ratings: [u64; 5],
    /// For each testimonial a moderator decided since the moment: milliseconds it waited.
    pub waits: Vec<i64>,
    /// What the follow-up inbox lists as open (at any time).
    pub follow_ups_open: u64,
    /// Testimonials waiting for a decision now.
    pub pending: u64,
    /// Invitation emails that went out, and invitations answered with a testimonial.
    pub invitations_sent: u64,
    pub invitations_answered: u64,
    /// At any time, as the leaderboard counts each advocate's, summed.
    pub funnel: ReferralFunnel,
    /// Days since the moment with a request; the others had none.
    pub reach: Vec<ReachCount>,
}

#[async_trait]
pub trait OverviewStore: Send + Sync {
    async fn activity(&self, site_id: i64, since: i64) -> Result<Activity, StorageError>;
    /// Adds one instance's counts to the stored ones (several instances add theirs); counts of
    /// a site deleted meanwhile are dropped.
    async fn add_reach(&self, counts: &[ReachCount]) -> Result<(), StorageError>;
}
