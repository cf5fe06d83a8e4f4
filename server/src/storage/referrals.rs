//! Referrals as stored: advocates and their friends' conversions (where each came from and
//! what it was worth), a site's reward rules, the rewards advocates earn, and the coupon codes
//! those are paid in.

use async_trait::async_trait;

use super::StorageError;

/// Someone sharing their link; one per person and site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advocate {
    pub id: i64,
    pub site_id: i64,
    pub code: String,
    pub name: String,
    pub email: String,
    pub ip_prefix: Option<String>,
    pub device: Option<String>,
    /// The language of the advocate's emails and private page (one of `texts::LANGUAGES`).
    pub lang: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewAdvocate {
    pub site_id: i64,
    pub code: String,
    pub name: String,
    pub email: String,
    /// See [`crate::domain::email_key`]: one person, one advocate, whatever the spelling.
    pub email_key: String,
    pub ip_prefix: Option<String>,
    pub device: Option<String>,
    pub lang: String,
    pub created_at: i64,
}

/// A referred friend's conversion, with whatever made it look suspicious.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    pub id: i64,
    pub site_id: i64,
    pub advocate_id: i64,
    pub external_id: String,
    pub email: Option<String>,
    pub flags: Vec<String>,
    /// `Some(true)` accepted, `Some(false)` rejected by a moderator; `None` not reviewed.
    pub review: Option<bool>,
    pub reward_given_at: Option<i64>,
    pub source: ConversionSource,
    pub value: Option<Money>,
    /// How much of `value` has been refunded so far.
    pub refunded_amount: i64,
    /// Refunded in full (or reversed by the business).
    pub reversed_at: Option<i64>,
    /// The reward it counts towards.
    pub reward_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewConversion {
    pub site_id: i64,
    pub advocate_id: i64,
    pub external_id: String,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub ip_prefix: Option<String>,
    pub device: Option<String>,
    pub flags: Vec<String>,
    pub source: ConversionSource,
    pub value: Option<Money>,
    /// The payment a refund will name (a Stripe payment intent).
    pub payment_id: Option<String>,
    pub created_at: i64,
}

/// One leaderboard row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvocateStats {
    pub advocate: Advocate,
    pub visits: u64,
    /// Conversions not rejected by a moderator.
    pub conversions: u64,
    /// Conversions flagged and not yet reviewed.
    pub flagged: u64,
    /// What its conversions brought in, net of refunds, one sum per currency.
    pub amounts: Vec<Money>,
    pub rewards_given: u64,
}

/// A site's rules for paying advocates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardRules {
    /// `None`: no automatic rewards; `Some(n)`: one for every `n` qualifying conversions.
    pub every: Option<u32>,
    /// Days a conversion waits before its reward is earned: the refund window.
    pub hold_days: u32,
    /// Smallest qualifying amount in the currency's smallest unit; `None`: any conversion.
    pub min_amount: Option<i64>,
    /// Double-sided: the code a referred friend is shown on the landing page.
    pub friend_coupon: Option<String>,
    /// When automatic rewards were last turned on: earlier conversions never count.
    pub since: Option<i64>,
    pub payout: RewardPayout,
}

impl Default for RewardRules {
    fn default() -> Self {
        Self {
            every: None,
            hold_days: 14,
            min_amount: None,
            friend_coupon: None,
            since: None,
            payout: RewardPayout::Coupons,
        }
    }
}

/// How an earned reward reaches the advocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardPayout {
    /// A code from the site's pool, emailed.
    Coupons,
    /// The business pays in a system of its own when `referral.rewarded` arrives: no code.
    Webhook,
}

impl RewardPayout {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Coupons => "coupons",
            Self::Webhook => "webhook",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Coupons, Self::Webhook].into_iter().find(|payout| payout.as_str() == raw)
    }
}

/// Who reported a conversion, which decides how far it is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionSource {
    /// A browser (`Fanfare.convert`): anyone could have sent it, so it is checked for a visit.
    Page,
    /// The business's own system, with a site key.
    System,
    /// A Stripe event signed with the site's signing secret.
    Stripe,
    /// A referred visitor's testimonial: the advocate is credited, never rewarded for it.
    Testimonial,
}

impl ConversionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::System => "system",
            Self::Stripe => "stripe",
            Self::Testimonial => "testimonial",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Page, Self::System, Self::Stripe, Self::Testimonial]
            .into_iter()
            .find(|source| source.as_str() == raw)
    }

    /// Reported by the business itself (a key or a signature proves it), not by a browser.
    pub fn is_trusted(self) -> bool {
        matches!(self, Self::System | Self::Stripe)
    }
}

/// A sale's value: an amount in the currency's smallest unit and its ISO 4217 code, lower-case
/// as Stripe writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub amount: i64,
    pub currency: String,
}

impl Money {
    /// Digits after the decimal point: 0 for currencies without minor units (Stripe's list).
    pub fn fraction_digits(&self) -> usize {
        const WHOLE: [&str; 16] = [
            "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf",
            "xof", "xpf",
        ];
        if WHOLE.contains(&self.currency.as_str()) {
            0
        } else {
            2
        }
    }

    /// The amount in whole units (25.5 for 2550 EUR), for display.
    pub fn in_units(&self) -> f64 {
        self.amount as f64 / 10f64.powi(i32::try_from(self.fraction_digits()).unwrap_or(2))
    }

    /// `25.50 EUR`: for the dashboard and owners' emails, which are in English.
    pub fn display(&self) -> String {
        format!("{:.*} {}", self.fraction_digits(), self.in_units(), self.currency.to_ascii_uppercase())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardState {
    /// Waiting out the refund window; a full refund cancels it.
    Held,
    /// Earned, not handed out yet (the coupon pool is empty, or sending failed).
    Due,
    Given,
    Cancelled,
}

impl RewardState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Due => "due",
            Self::Given => "given",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Held, Self::Due, Self::Given, Self::Cancelled].into_iter().find(|state| state.as_str() == raw)
    }
}

/// What an advocate earned for `conversions` qualifying conversions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reward {
    pub id: i64,
    pub site_id: i64,
    pub advocate_id: i64,
    pub state: RewardState,
    pub conversions: u32,
    pub hold_until: i64,
    pub coupon_code: Option<String>,
    pub given_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub created_at: i64,
}

/// A reward with the advocate it is for, for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardListing {
    pub reward: Reward,
    pub advocate_name: String,
    pub advocate_email: String,
    pub advocate_code: String,
}

/// How a refund names the conversion it reverses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaleRef<'a> {
    /// The conversion's own id (an order number; a Checkout Session id).
    Conversion(&'a str),
    /// The payment behind it (a Stripe payment intent).
    Payment(&'a str),
}

/// A refund as the payment system reports it: how much of the sale has been refunded so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refund {
    pub refunded_total: i64,
    /// All of it: the conversion is reversed.
    pub full: bool,
    pub now: i64,
}

/// The coupon pool of a site.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CouponCounts {
    pub unused: u64,
    pub used: u64,
}

/// What adding codes to a pool did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CouponsAdded {
    pub added: u64,
    /// Already in the pool (used or not): left as they were.
    pub already_there: u64,
}

/// The warnings owners get about their coupon pool, each sent once until codes are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolAlert {
    Low,
    Empty,
}

impl PoolAlert {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Empty => "empty",
        }
    }
}

/// Rewards, coupons and the payment events behind them. Every step that two server instances
/// could take at once is one conditional statement or one transaction, so each happens once.
#[async_trait]
pub trait RewardStore: Send + Sync {
    /// Conversions of the advocate that count towards no reward yet and are neither reversed
    /// nor rejected by a moderator, oldest first.
    async fn unassigned_conversions(
        &self,
        site_id: i64,
        advocate_id: i64,
    ) -> Result<Vec<Conversion>, StorageError>;
    /// Advocates of the site with at least `at_least` such conversions made since `since`.
    async fn advocates_with_unassigned(
        &self,
        site_id: i64,
        since: i64,
        at_least: u32,
    ) -> Result<Vec<i64>, StorageError>;
    /// A held reward for exactly these conversions, in one transaction; `None` (and nothing
    /// stored) when another instance took one of them first.
    async fn create_reward(
        &self,
        site_id: i64,
        advocate_id: i64,
        conversion_ids: &[i64],
        hold_until: i64,
        now: i64,
    ) -> Result<Option<Reward>, StorageError>;
    async fn conversion(&self, site_id: i64, conversion_id: i64) -> Result<Option<Conversion>, StorageError>;
    /// The conversion `sale` names.
    async fn conversion_for_sale(
        &self,
        site_id: i64,
        sale: SaleRef<'_>,
    ) -> Result<Option<Conversion>, StorageError>;
    /// Records a refund on the conversion `sale` names; `None` when the site has no such sale.
    /// A full refund reverses it (once: the first reversal time stays).
    async fn refund_conversion(
        &self,
        site_id: i64,
        sale: SaleRef<'_>,
        refund: Refund,
    ) -> Result<Option<Conversion>, StorageError>;
    /// Cancels a reward that is still held, and frees its other conversions to count again;
    /// false when it was no longer held.
    async fn cancel_held_reward(&self, site_id: i64, reward_id: i64, now: i64) -> Result<bool, StorageError>;
    /// Every held reward whose hold ended by `now` becomes due; how many did.
    async fn release_held_rewards(&self, now: i64) -> Result<u64, StorageError>;
    /// Due rewards of the site, oldest first.
    async fn due_rewards(&self, site_id: i64, limit: u32) -> Result<Vec<Reward>, StorageError>;
    async fn reward(&self, site_id: i64, reward_id: i64) -> Result<Option<Reward>, StorageError>;
    /// The code this reward holds, drawing the oldest unused one of its site if it holds none:
    /// a code goes to one reward, a reward gets one code. `None`: the pool is empty.
    async fn draw_coupon(
        &self,
        site_id: i64,
        reward_id: i64,
        now: i64,
    ) -> Result<Option<String>, StorageError>;
    /// A due reward given (with its code, if any); false when it was not due.
    async fn give_reward(
        &self,
        site_id: i64,
        reward_id: i64,
        coupon_code: Option<&str>,
        now: i64,
    ) -> Result<bool, StorageError>;
    /// A due reward given by a person, with the code it may already hold; false when it was not
    /// due, or an instance has been sending its email since `stale_before`.
    async fn give_reward_by_hand(
        &self,
        site_id: i64,
        reward_id: i64,
        now: i64,
        stale_before: i64,
    ) -> Result<bool, StorageError>;
    /// Claims the sending of a due reward's email; false when another instance has held it
    /// since `stale_before`.
    async fn claim_reward_email(
        &self,
        reward_id: i64,
        now: i64,
        stale_before: i64,
    ) -> Result<bool, StorageError>;
    /// Gives the email back (sending failed), for a later round.
    async fn release_reward_email(&self, reward_id: i64) -> Result<(), StorageError>;
    /// The site's rewards, newest first; one state or all.
    async fn rewards(
        &self,
        site_id: i64,
        state: Option<RewardState>,
        limit: u32,
    ) -> Result<Vec<RewardListing>, StorageError>;
    async fn rewards_of(&self, site_id: i64, advocate_id: i64) -> Result<Vec<Reward>, StorageError>;
    async fn reward_counts(&self, site_id: i64) -> Result<Vec<(RewardState, u64)>, StorageError>;
    /// Adds codes to the site's pool (already known ones are skipped) and clears its pool alert.
    async fn add_coupons(
        &self,
        site_id: i64,
        codes: &[String],
        now: i64,
    ) -> Result<CouponsAdded, StorageError>;
    async fn coupon_counts(&self, site_id: i64) -> Result<CouponCounts, StorageError>;
    /// Records that the owners are being warned; false when this warning was already given.
    async fn raise_pool_alert(&self, site_id: i64, alert: PoolAlert) -> Result<bool, StorageError>;
    /// Claims a Stripe event for handling; false when it was claimed (handled) before.
    async fn record_stripe_event(&self, site_id: i64, event_id: &str, now: i64)
        -> Result<bool, StorageError>;
    /// Gives a claimed event back when handling it failed, so Stripe's retry is handled.
    async fn forget_stripe_event(&self, site_id: i64, event_id: &str) -> Result<(), StorageError>;
    /// Visits through the advocate's link.
    async fn visits_of(&self, advocate_id: i64) -> Result<u64, StorageError>;
}
