//! `GET /api/v1/sites/{site}/moderation/overview`: what the dashboard's Overview charts, as
//! numbers, for an owner's own reports.

use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteOverview {
    /// Testimonials received (spam left out) in each of the last 12 weeks, oldest first; weeks
    /// begin on Monday, 00:00 UTC; the last one is this week, so far.
    pub weeks: Vec<WeekCount>,
    /// Every moderated rating, as the public summary counts them (approved and rejected): how
    /// many of each, 1 to 5 stars.
    pub ratings: Vec<RatingCount>,
    /// How long testimonials decided in those 12 weeks waited for a moderator (testimonials
    /// published at once by the site's rule waited on nobody and are left out).
    pub time_to_moderate: WaitTimes,
    /// Testimonials waiting for a moderator's decision now.
    pub pending: u64,
    /// What the follow-up inbox lists as open: low ratings and contact requests not resolved.
    pub follow_ups_open: u64,
    pub referrals: ReferralFunnel,
    pub invitations: InvitationFunnel,
    /// Requests for the site's public testimonials on each of the last 30 days (UTC), oldest
    /// first: one per first page asked for, so one per mount shown (a *Show more* is not
    /// counted again, nor are pages of this server itself, such as the Embed page's preview).
    /// Nobody is tracked: no cookie, nothing about who asked, a count per day is all that is kept.
    pub reach: Vec<ReachDay>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekCount {
    /// The week's Monday, `YYYY-MM-DD`.
    pub week: String,
    pub received: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingCount {
    pub stars: u8,
    pub count: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitTimes {
    pub decided: u64,
    /// Half waited at most this long; `null` with nothing decided.
    pub median_seconds: Option<u64>,
    /// Nine in ten waited at most this long.
    pub p90_seconds: Option<u64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralFunnel {
    /// Referral links handed out (one per advocate).
    pub links: u64,
    /// Visits through them.
    pub visits: u64,
    /// Conversions that count, as the leaderboard counts them (not declined by a moderator).
    pub conversions: u64,
    pub rewards_given: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationFunnel {
    /// Invitation emails that went out.
    pub sent: u64,
    /// Invitations answered with a testimonial.
    pub answered: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReachDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// First pages of the JSON list (`GET /api/v1/sites/{site}/testimonials`): your own code
    /// (the widget itself asks for the fragments).
    pub list: u64,
    /// First pages of the server-rendered modes (`GET /embed/{site}/{mode}.html`): the widget's
    /// wall, carousel and badge, and fragments included in your own HTML.
    pub fragment: u64,
}
