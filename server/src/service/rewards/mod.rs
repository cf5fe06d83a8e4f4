//! Referral rewards that pay out by themselves: qualifying conversions are counted into
//! rewards (one for every N), each reward waits out the site's refund window, and then gets a
//! coupon code from the site's pool, emailed to the advocate, announced by webhook. A full
//! refund during the window cancels the reward; one after it is recorded and the owners told.
//!
//! Time comes in as an argument (`now`), so tests drive the hold with a clock of their own.
//! Every step two instances could take at once is a conditional write in storage, so a
//! reward is created, released, paid and emailed once, and a code goes to one reward.

pub mod advocate_page;
pub mod coupons;
mod emails;
pub mod stripe;

use std::collections::HashMap;
use std::time::Duration;

use fanfare_protocol::referrals::{ConversionStatus, RefundConversion};

use super::metrics::Metrics;
use super::{audit, Actor, Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::service::notify::email::{CustomerEmail, FailureKind};
use crate::storage::{
    Conversion, ConversionSource, CouponCounts, PoolAlert, Refund, Reward, RewardListing, RewardPayout,
    RewardState, SaleRef, Site,
};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long one instance holds a reward whose email it is sending.
const EMAIL_LEASE_MS: i64 = 15 * 60 * 1000;

/// When this many unused codes are left, the owners are warned once.
pub const LOW_POOL: u64 = 5;

/// Most due rewards handed out in one round.
const ROUND: u32 = 200;

/// How often the server settles rewards when nothing else asks it to.
pub const SETTLE_EVERY: Duration = Duration::from_secs(60);

/// What a conversion is now, as the advocate and the dashboard see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionState {
    /// Inside the refund window, until the time given.
    Pending {
        until: i64,
    },
    /// Flagged, waiting for a moderator.
    InReview,
    Confirmed,
    /// Refunded in full, or reversed by the business.
    Reversed,
    /// Rejected by a moderator.
    Declined,
}

impl ConversionState {
    pub fn of(conversion: &Conversion, site: &Site, now: i64) -> Self {
        let until = conversion.created_at + i64::from(site.rewards.hold_days) * DAY_MS;
        if conversion.reversed_at.is_some() {
            Self::Reversed
        } else if conversion.review == Some(false) {
            Self::Declined
        } else if needs_review(conversion) {
            Self::InReview
        } else if until > now {
            Self::Pending { until }
        } else {
            Self::Confirmed
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Pending { .. } | Self::InReview => "pending",
            Self::Confirmed => "confirmed",
            Self::Reversed => "reversed",
            Self::Declined => "declined",
        }
    }
}

/// Flagged and not yet accepted by a moderator.
fn needs_review(conversion: &Conversion) -> bool {
    !conversion.flags.is_empty() && conversion.review != Some(true)
}

/// Whether a conversion counts towards a reward under the site's rules (reversed, rejected and
/// hand-rewarded ones never reach here). Only the business's own word counts by itself: a sale
/// its system or Stripe reported. A browser's report (anyone can send one, amount included)
/// counts once a moderator accepts it; a referred testimonial is no sale and never counts; and
/// nothing from before automatic rewards were turned on counts.
pub fn qualifies(conversion: &Conversion, site: &Site) -> bool {
    let vouched_for = match conversion.source {
        ConversionSource::System | ConversionSource::Stripe => !needs_review(conversion),
        ConversionSource::Page => conversion.review == Some(true),
        ConversionSource::Testimonial => false,
    };
    if !vouched_for || site.rewards.since.is_some_and(|since| conversion.created_at < since) {
        return false;
    }
    match site.rewards.min_amount {
        None => true,
        Some(minimum) => conversion
            .value
            .as_ref()
            .is_some_and(|value| value.amount - conversion.refunded_amount >= minimum),
    }
}

/// The flag that sends a browser's report of a sale to the review list while automatic rewards
/// are on: a moderator accepts it once they have seen the order.
pub const UNVERIFIED_SALE: &str = "unverified_sale";

/// What one settling round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SettleReport {
    /// Rewards newly counted (held for the refund window).
    pub created: u32,
    /// Rewards whose hold ended.
    pub released: u64,
    pub given: u32,
    /// Due rewards still waiting (empty pool, email not sent).
    pub waiting: u32,
}

/// What handing out one due reward came to.
enum Handed {
    Given,
    /// Not this round (its email did not go, another instance has it).
    Waiting,
    /// The pool is empty.
    NoCode,
}

/// What a refund did to the advocate's reward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Recorded; no reward was affected (a partial refund, or none counted yet).
    Recorded,
    /// The reward was still held: cancelled.
    RewardCancelled,
    /// The reward was already earned or given: recorded, and the owners told.
    AfterReward(Reward),
}

/// The rewards part of the dashboard.
#[derive(Debug, Clone)]
pub struct RewardsOverview {
    pub counts: HashMap<&'static str, u64>,
    pub coupons: CouponCounts,
    pub recent: Vec<RewardListing>,
}

impl Service {
    /// Counts the advocate's qualifying conversions into rewards of the site's size, each held
    /// until the last of its conversions is past the refund window.
    pub(crate) async fn count_rewards(&self, site: &Site, advocate_id: i64, now: i64) -> ServiceResult<u32> {
        let Some(every) = site.rewards.every else { return Ok(0) };
        let every = every as usize;
        let countable: Vec<Conversion> = self
            .storage
            .unassigned_conversions(site.id, advocate_id)
            .await?
            .into_iter()
            .filter(|conversion| qualifies(conversion, site))
            .collect();
        let mut created = 0;
        for group in countable.chunks_exact(every) {
            let ids: Vec<i64> = group.iter().map(|conversion| conversion.id).collect();
            let last = group.iter().map(|conversion| conversion.created_at).max().unwrap_or(now);
            let hold_until = last + i64::from(site.rewards.hold_days) * DAY_MS;
            match self.storage.create_reward(site.id, advocate_id, &ids, hold_until, now).await? {
                Some(reward) => {
                    created += 1;
                    tracing::info!(site = %site.slug, reward = reward.id, advocate_id, "reward counted; held");
                }
                // Another instance counted one of these at the same moment: its reward stands.
                None => break,
            }
        }
        Ok(created)
    }

    /// One round: counts what qualifies, releases rewards whose hold ended by `now`, and hands
    /// out what is due. Without a coupon, a reward waits as due and the owners are told once.
    pub async fn settle_rewards(&self, now: i64) -> ServiceResult<SettleReport> {
        let mut report = SettleReport::default();
        let sites = self.storage.list_sites().await?;
        for site in &sites {
            let Some(every) = site.rewards.every else { continue };
            // Catches up on conversions accepted after review, freed by a cancelled reward, or
            // counted under an earlier rule.
            let since = site.rewards.since.unwrap_or(0);
            for advocate_id in self.storage.advocates_with_unassigned(site.id, since, every).await? {
                report.created += self.count_rewards(site, advocate_id, now).await?;
            }
        }
        report.released = self.storage.release_held_rewards(now).await?;
        // Site by site, so one site's rewards waiting for codes never hold up another's.
        for site in &sites {
            for reward in self.storage.due_rewards(site.id, ROUND).await? {
                match self.hand_out(site, &reward, now).await {
                    Ok(Handed::Given) => report.given += 1,
                    Ok(Handed::Waiting) => report.waiting += 1,
                    // The pool is empty: the site's other due rewards wait with this one.
                    Ok(Handed::NoCode) => {
                        report.waiting += 1;
                        break;
                    }
                    Err(error) => {
                        report.waiting += 1;
                        tracing::error!(%error, site = %site.slug, reward = reward.id, "cannot hand out a reward; trying again next round");
                    }
                }
            }
        }
        Ok(report)
    }

    /// Settles now and whenever a minute has passed, for as long as the server runs.
    pub async fn settle_rewards_forever(self) {
        let mut every = tokio::time::interval(SETTLE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(error) = self.settle_rewards(now_ms()).await {
                tracing::error!(%error, "cannot settle referral rewards; trying again in a minute");
            }
        }
    }

    /// Gives one due reward: with the site's payout by webhook, at once and without a code (the
    /// webhook is the payment order); otherwise with a code drawn from the pool and emailed.
    async fn hand_out(&self, site: &Site, reward: &Reward, now: i64) -> ServiceResult<Handed> {
        let Some(advocate) = self.storage.advocate(site.id, reward.advocate_id).await? else {
            return Ok(Handed::Waiting);
        };
        let code = match site.rewards.payout {
            // Without a webhook to carry it, a reward paid "elsewhere" would reach nobody: it
            // waits as due until one is added (or the payout is set back to coupons).
            RewardPayout::Webhook if self.storage.webhooks(site.id).await?.is_empty() => {
                return Ok(Handed::NoCode)
            }
            RewardPayout::Webhook => None,
            RewardPayout::Coupons => match self.storage.draw_coupon(site.id, reward.id, now).await? {
                Some(code) => Some(code),
                // Checked again: a draw that lost every race to other instances is not an
                // empty pool.
                None if self.storage.coupon_counts(site.id).await?.unused == 0 => {
                    if self.storage.raise_pool_alert(site.id, PoolAlert::Empty).await? {
                        let (subject, body) = emails::pool_empty(site, &self.public_url);
                        self.notify.email_owners(site, &subject, &body).await;
                    }
                    return Ok(Handed::NoCode);
                }
                None => return Ok(Handed::Waiting),
            },
        };
        if let Some(code) = &code {
            if !self.storage.claim_reward_email(reward.id, now, now - EMAIL_LEASE_MS).await? {
                return Ok(Handed::Waiting);
            }
            let email =
                emails::reward(site, &advocate, reward, code, &self.advocate_page_url(site, &advocate));
            if !self.send_reward_email(site, reward, &email).await? {
                return Ok(Handed::Waiting);
            }
        }
        if !self.storage.give_reward(site.id, reward.id, code.as_deref(), now).await? {
            return Ok(Handed::Waiting);
        }
        Metrics::add(&self.metrics.rewards_given);
        let given =
            Reward { state: RewardState::Given, coupon_code: code, given_at: Some(now), ..reward.clone() };
        tracing::info!(site = %site.slug, reward = reward.id, advocate = %advocate.code, "reward given");
        self.notify.referral_rewarded(site, &advocate, &given).await;
        if given.coupon_code.is_some() {
            let left = self.storage.coupon_counts(site.id).await?.unused;
            if left <= LOW_POOL && left > 0 && self.storage.raise_pool_alert(site.id, PoolAlert::Low).await? {
                let (subject, body) = emails::pool_low(site, left, &self.public_url);
                self.notify.email_owners(site, &subject, &body).await;
            }
        }
        Ok(Handed::Given)
    }

    /// Sends a reward's email (held by this instance); false when it should be tried again
    /// next round. An address refused for good does not hold the reward back: its code is on
    /// the dashboard for the team to pass on.
    async fn send_reward_email(
        &self,
        site: &Site,
        reward: &Reward,
        email: &CustomerEmail,
    ) -> ServiceResult<bool> {
        if !self.sends_email() {
            tracing::info!(site = %site.slug, reward = reward.id, "no SMTP configured; the reward's code is on the advocate's page and the dashboard");
            return Ok(true);
        }
        match self.notify.email_customer(email).await {
            Ok(()) => Ok(true),
            Err(failure) if failure.kind == FailureKind::Recipient => {
                tracing::warn!(site = %site.slug, reward = reward.id, error = %failure.message, "the advocate's address refuses email; reward given, its code is on the dashboard");
                Ok(true)
            }
            Err(failure) => {
                tracing::warn!(site = %site.slug, reward = reward.id, error = %failure.message, "reward email not sent; trying again next round");
                self.storage.release_reward_email(reward.id).await?;
                Ok(false)
            }
        }
    }

    /// A refund reported by the payment system: `refunded_total` is everything refunded so far
    /// (`None`: all of it). `Ok(None)` when the site has no such sale.
    pub async fn refund(
        &self,
        site: &Site,
        actor: Actor<'_>,
        sale: SaleRef<'_>,
        refunded_total: Option<i64>,
        now: i64,
    ) -> ServiceResult<Option<(Conversion, RefundOutcome)>> {
        let Some(before) = self.storage.conversion_for_sale(site.id, sale).await? else { return Ok(None) };
        let sale_amount = before.value.as_ref().map(|value| value.amount);
        let full = match (refunded_total, sale_amount) {
            (Some(refunded), Some(amount)) => refunded >= amount,
            (None, _) => true,
            (Some(_), None) => return Err(ServiceError::field(
                "refunded_amount",
                "cannot be compared: the sale was recorded without an amount; send no body for a full refund",
            )),
        };
        let refunded_total = refunded_total.or(sale_amount).unwrap_or(0);
        let refund = Refund { refunded_total, full, now };
        let Some(conversion) = self.storage.refund_conversion(site.id, sale, refund).await? else {
            return Ok(None);
        };
        let mut outcome = RefundOutcome::Recorded;
        // On money only: a partial refund cancels a held reward when the sale falls under the
        // minimum, whatever else has changed in the rules since it was counted.
        let net = conversion.value.as_ref().map(|value| value.amount - conversion.refunded_amount);
        let undoes_reward =
            full || site.rewards.min_amount.is_some_and(|minimum| net.is_none_or(|net| net < minimum));
        if let (Some(reward_id), true) = (conversion.reward_id, undoes_reward) {
            if self.storage.cancel_held_reward(site.id, reward_id, now).await? {
                outcome = RefundOutcome::RewardCancelled;
                tracing::info!(site = %site.slug, reward = reward_id, "refund during the hold: reward cancelled");
            } else if let Some(reward) = self.storage.reward(site.id, reward_id).await? {
                if reward.state != RewardState::Cancelled && before.reversed_at.is_none() {
                    let advocate = self.storage.advocate(site.id, conversion.advocate_id).await?;
                    let (subject, body) = emails::refund_after_reward(
                        site,
                        &conversion,
                        &reward,
                        advocate.as_ref(),
                        &self.public_url,
                    );
                    self.notify.email_owners(site, &subject, &body).await;
                    outcome = RefundOutcome::AfterReward(reward);
                }
            }
        }
        if full && before.reversed_at.is_none() {
            audit::site_change(
                &self.storage,
                site,
                actor,
                "refund conversion",
                Some(conversion.external_id.clone()),
            )
            .await?;
        }
        // Conversions freed by a cancelled reward may make a new one with later ones.
        self.count_rewards(site, conversion.advocate_id, now).await?;
        Ok(Some((conversion, outcome)))
    }

    /// A refund reported by the business's own system with a site key.
    pub async fn refund_from_system(
        &self,
        site: &Site,
        key: &str,
        conversion_id: &str,
        request: RefundConversion,
    ) -> ServiceResult<ConversionStatus> {
        let key = self.site_key(site, key).await?.ok_or(ServiceError::Unauthorized)?;
        if request.refunded_amount.is_some_and(|amount| amount < 0) {
            return Err(ServiceError::field(
                "refunded_amount",
                "must be 0 or more, in the currency's smallest unit",
            ));
        }
        let now = now_ms();
        let (conversion, _) = self
            .refund(
                site,
                Actor::SiteKey(&key.label),
                SaleRef::Conversion(conversion_id),
                request.refunded_amount,
                now,
            )
            .await?
            .ok_or(ServiceError::NotFound("conversion"))?;
        Ok(ConversionStatus {
            id: conversion.external_id.clone(),
            status: ConversionState::of(&conversion, site, now).name().to_owned(),
        })
    }

    /// A moderator hands a due reward out themselves (a code sent by hand, a gift card).
    /// Refused while an instance is emailing its code (the advocate would be paid twice).
    pub async fn give_reward_by_hand(
        &self,
        site: &Site,
        actor: Actor<'_>,
        reward_id: i64,
    ) -> ServiceResult<()> {
        let now = now_ms();
        if !self.storage.give_reward_by_hand(site.id, reward_id, now, now - EMAIL_LEASE_MS).await? {
            return Err(match self.storage.reward(site.id, reward_id).await? {
                Some(reward) if reward.state == RewardState::Due => ServiceError::Conflict {
                    code: "reward_being_sent",
                    message: "Its code is being emailed right now; reload the page in a minute.".into(),
                },
                _ => ServiceError::NotFound("due reward"),
            });
        }
        if let Some(reward) = self.storage.reward(site.id, reward_id).await? {
            if let Some(advocate) = self.storage.advocate(site.id, reward.advocate_id).await? {
                self.notify.referral_rewarded(site, &advocate, &reward).await;
            }
        }
        audit::site_change(&self.storage, site, actor, "give reward", Some(reward_id.to_string())).await
    }

    /// Rewards by state, the coupon pool, and the latest rewards.
    pub async fn rewards_overview(
        &self,
        site: &Site,
        state: Option<RewardState>,
    ) -> ServiceResult<RewardsOverview> {
        let counts = self
            .storage
            .reward_counts(site.id)
            .await?
            .into_iter()
            .map(|(state, n)| (state.as_str(), n))
            .collect();
        Ok(RewardsOverview {
            counts,
            coupons: self.storage.coupon_counts(site.id).await?,
            recent: self.storage.rewards(site.id, state, 100).await?,
        })
    }
}
