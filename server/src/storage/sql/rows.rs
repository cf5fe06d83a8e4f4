//! Rows as the database returns them, the column lists that select them, and their
//! conversion into the storage's values.

use super::*;
use crate::storage::RewardPayout;

#[derive(sqlx::FromRow)]
pub(super) struct SiteRow {
    pub(super) id: i64,
    pub(super) slug: String,
    pub(super) name: String,
    pub(super) accent: String,
    pub(super) texts: String,
    pub(super) consent_text: String,
    pub(super) consent_version: i64,
    pub(super) low_rating_threshold: i64,
    pub(super) auto_approve_min_rating: Option<i64>,
    pub(super) referral_window_days: i64,
    pub(super) referral_landing_url: Option<String>,
    pub(super) conversion_burst_limit: i64,
    pub(super) proof_of_work: i64,
    pub(super) referral_attribution: String,
    pub(super) structured_data: i64,
    pub(super) invitation_reminder_days: i64,
    pub(super) invitation_daily_cap: i64,
    pub(super) reward_every: Option<i64>,
    pub(super) rewards_since: Option<i64>,
    pub(super) reward_payout: String,
    pub(super) reward_hold_days: i64,
    pub(super) reward_min_amount: Option<i64>,
    pub(super) friend_coupon: Option<String>,
    pub(super) stripe_signing_secret: Option<String>,
    pub(super) created_at: i64,
    pub(super) has_webhooks: i64,
}

impl SiteRow {
    pub(super) fn into_site(self, origins: Vec<String>) -> Result<Site, StorageError> {
        let texts: BTreeMap<String, String> = serde_json::from_str(&self.texts)
            .map_err(|error| StorageError::Corrupt(format!("texts of site {}: {error}", self.slug)))?;
        let low_rating_threshold = u8::try_from(self.low_rating_threshold)
            .map_err(|_| StorageError::Corrupt(format!("low rating threshold of site {}", self.slug)))?;
        let referral_attribution =
            ReferralAttribution::parse(&self.referral_attribution).ok_or_else(|| {
                StorageError::Corrupt(format!(
                    "referral attribution {:?} of site {}",
                    self.referral_attribution, self.slug
                ))
            })?;
        Ok(Site {
            id: self.id,
            slug: self.slug,
            name: self.name,
            accent: self.accent,
            texts,
            consent_text: self.consent_text,
            consent_version: self.consent_version,
            low_rating_threshold,
            auto_approve_min_rating: self.auto_approve_min_rating.and_then(|n| u8::try_from(n).ok()),
            referral_window_days: u32::try_from(self.referral_window_days).unwrap_or(30),
            referral_landing_url: self.referral_landing_url,
            conversion_burst_limit: u32::try_from(self.conversion_burst_limit).unwrap_or(u32::MAX),
            proof_of_work: u8::try_from(self.proof_of_work).unwrap_or(0),
            referral_attribution,
            structured_data: self.structured_data != 0,
            invitation_reminder_days: u32::try_from(self.invitation_reminder_days).unwrap_or(0),
            invitation_daily_cap: u32::try_from(self.invitation_daily_cap).unwrap_or(0),
            rewards: RewardRules {
                every: self.reward_every.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0),
                hold_days: u32::try_from(self.reward_hold_days).unwrap_or(14),
                min_amount: self.reward_min_amount,
                friend_coupon: self.friend_coupon,
                since: self.rewards_since,
                // The column's CHECK admits only these.
                payout: RewardPayout::parse(&self.reward_payout).unwrap_or(RewardPayout::Coupons),
            },
            stripe_signing_secret: self.stripe_signing_secret,
            origins,
            created_at: self.created_at,
            has_webhooks: self.has_webhooks == 1,
        })
    }
}

pub(super) const SITE_COLUMNS: &str =
    "id, slug, name, accent, texts, consent_text, consent_version, low_rating_threshold, auto_approve_min_rating, \
     referral_window_days, referral_landing_url, conversion_burst_limit, proof_of_work, referral_attribution, \
     structured_data, invitation_reminder_days, invitation_daily_cap, reward_every, rewards_since, reward_payout, reward_hold_days, \
     reward_min_amount, friend_coupon, stripe_signing_secret, created_at, \
     CAST(CASE WHEN EXISTS (SELECT 1 FROM webhooks WHERE webhooks.site_id = sites.id) THEN 1 ELSE 0 END AS BIGINT) \
     AS has_webhooks";

#[derive(sqlx::FromRow)]
pub(super) struct TestimonialRow {
    pub(super) id: String,
    pub(super) site_id: i64,
    pub(super) status: String,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) role: Option<String>,
    pub(super) company: Option<String>,
    pub(super) rating: i64,
    pub(super) body: String,
    pub(super) consent: i64,
    pub(super) consent_text: Option<String>,
    pub(super) consent_version: Option<i64>,
    pub(super) photo_id: Option<String>,
    pub(super) video_id: Option<String>,
    pub(super) captions: Option<String>,
    pub(super) referral_code: Option<String>,
    pub(super) page_url: Option<String>,
    pub(super) ip_prefix: Option<String>,
    pub(super) reply: Option<String>,
    pub(super) featured: i64,
    pub(super) follow_up: i64,
    pub(super) contact_me: i64,
    pub(super) follow_up_resolved_at: Option<i64>,
    pub(super) follow_up_note: Option<String>,
    pub(super) tags: Option<String>,
    pub(super) edited: i64,
    pub(super) verified: i64,
    pub(super) created_at: i64,
    pub(super) updated_at: i64,
}

pub(super) const TESTIMONIAL_COLUMNS: &str = "id, site_id, status, name, email, role, company, rating, body, consent, \
    consent_text, consent_version, photo_id, video_id, captions, referral_code, page_url, ip_prefix, reply, featured, follow_up, contact_me, \
    follow_up_resolved_at, follow_up_note, edited, verified, created_at, updated_at";

/// A new value for one column of `sites` (`None` stores NULL).
pub(super) enum Setting {
    Text(Option<String>),
    Number(Option<i64>),
}

/// The testimonial's tags, newline-joined, as one more column.
pub(super) const TAGS_SQLITE: &str =
    "(SELECT group_concat(tag, char(10)) FROM testimonial_tags WHERE testimonial_id = testimonials.id) AS tags";
pub(super) const TAGS_POSTGRES: &str =
    "(SELECT string_agg(tag, chr(10)) FROM testimonial_tags WHERE testimonial_id = testimonials.id) AS tags";

impl TryFrom<TestimonialRow> for Testimonial {
    type Error = StorageError;

    fn try_from(row: TestimonialRow) -> Result<Self, Self::Error> {
        let status = Status::parse(&row.status).ok_or_else(|| {
            StorageError::Corrupt(format!("status {:?} of testimonial {}", row.status, row.id))
        })?;
        let rating = u8::try_from(row.rating)
            .map_err(|_| StorageError::Corrupt(format!("rating of testimonial {}", row.id)))?;
        Ok(Testimonial {
            id: row.id,
            site_id: row.site_id,
            status,
            name: row.name,
            email: row.email,
            role: row.role,
            company: row.company,
            rating,
            text: row.body,
            consent: row.consent != 0,
            consent_text: row.consent_text,
            consent_version: row.consent_version,
            photo_id: row.photo_id,
            video_id: row.video_id,
            captions: row.captions,
            referral_code: row.referral_code,
            page_url: row.page_url,
            ip_prefix: row.ip_prefix,
            reply: row.reply,
            featured: row.featured != 0,
            follow_up: row.follow_up != 0,
            contact_me: row.contact_me != 0,
            follow_up_resolved_at: row.follow_up_resolved_at,
            follow_up_note: row.follow_up_note,
            tags: split_tags(row.tags.as_deref()),
            edited: row.edited != 0,
            verified: row.verified != 0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(super) const DELIVERY_COLUMNS: &str =
    "d.id, d.webhook_id, d.site_id, w.url, w.secret, d.event, d.payload, d.state, d.attempts, \
    d.last_status, d.last_error, d.next_attempt_at, d.created_at \
    FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id";

#[derive(sqlx::FromRow)]
pub(super) struct DeliveryRow {
    pub(super) id: i64,
    pub(super) webhook_id: i64,
    pub(super) site_id: i64,
    pub(super) url: String,
    pub(super) secret: String,
    pub(super) event: String,
    pub(super) payload: String,
    pub(super) state: String,
    pub(super) attempts: i64,
    pub(super) last_status: Option<i64>,
    pub(super) last_error: Option<String>,
    pub(super) next_attempt_at: i64,
    pub(super) created_at: i64,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StorageError;

    fn try_from(row: DeliveryRow) -> Result<Self, Self::Error> {
        let state = DeliveryState::parse(&row.state)
            .ok_or_else(|| StorageError::Corrupt(format!("state {:?} of delivery {}", row.state, row.id)))?;
        Ok(Delivery {
            id: row.id,
            webhook_id: row.webhook_id,
            site_id: row.site_id,
            url: row.url,
            sealed_secret: row.secret,
            event: row.event,
            payload: row.payload,
            state,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            last_status: row.last_status.and_then(|status| u16::try_from(status).ok()),
            last_error: row.last_error,
            next_attempt_at: row.next_attempt_at,
            created_at: row.created_at,
        })
    }
}

pub(super) const ADVOCATE_COLUMNS: &str =
    "id, site_id, code, name, email, ip_prefix, device, lang, created_at";

#[derive(sqlx::FromRow)]
pub(super) struct AdvocateRow {
    pub(super) id: i64,
    pub(super) site_id: i64,
    pub(super) code: String,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) ip_prefix: Option<String>,
    pub(super) device: Option<String>,
    pub(super) lang: String,
    pub(super) created_at: i64,
}

impl From<AdvocateRow> for Advocate {
    fn from(row: AdvocateRow) -> Self {
        Advocate {
            id: row.id,
            site_id: row.site_id,
            code: row.code,
            name: row.name,
            email: row.email,
            ip_prefix: row.ip_prefix,
            device: row.device,
            lang: row.lang,
            created_at: row.created_at,
        }
    }
}

pub(super) const CONVERSION_COLUMNS: &str =
    "id, site_id, advocate_id, external_id, email, flags, review, reward_given_at, source, amount, currency, \
     refunded_amount, reversed_at, reward_id, created_at";

#[derive(sqlx::FromRow)]
pub(super) struct ConversionRow {
    pub(super) id: i64,
    pub(super) site_id: i64,
    pub(super) advocate_id: i64,
    pub(super) external_id: String,
    pub(super) email: Option<String>,
    pub(super) flags: String,
    pub(super) review: Option<String>,
    pub(super) reward_given_at: Option<i64>,
    pub(super) source: String,
    pub(super) amount: Option<i64>,
    pub(super) currency: Option<String>,
    pub(super) refunded_amount: i64,
    pub(super) reversed_at: Option<i64>,
    pub(super) reward_id: Option<i64>,
    pub(super) created_at: i64,
}

impl From<ConversionRow> for Conversion {
    fn from(row: ConversionRow) -> Self {
        let value = match (row.amount, row.currency) {
            (Some(amount), Some(currency)) => Some(Money { amount, currency }),
            _ => None,
        };
        Conversion {
            id: row.id,
            site_id: row.site_id,
            advocate_id: row.advocate_id,
            external_id: row.external_id,
            email: row.email,
            flags: row.flags.split(',').filter(|flag| !flag.is_empty()).map(str::to_owned).collect(),
            review: row.review.map(|review| review == "accepted"),
            reward_given_at: row.reward_given_at,
            // The column's CHECK admits only these; a browser's is the least trusted reading.
            source: ConversionSource::parse(&row.source).unwrap_or(ConversionSource::Page),
            value,
            refunded_amount: row.refunded_amount,
            reversed_at: row.reversed_at,
            reward_id: row.reward_id,
            created_at: row.created_at,
        }
    }
}

pub(super) fn photo_from_row(
    (id, site_id, data, width, height, created_at): (String, i64, Vec<u8>, i64, i64, i64),
) -> Photo {
    Photo {
        id,
        site_id,
        data,
        width: u32::try_from(width).unwrap_or(0),
        height: u32::try_from(height).unwrap_or(0),
        created_at,
    }
}
