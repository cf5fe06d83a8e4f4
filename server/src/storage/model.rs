//! The values the storage takes and gives back.

use std::collections::BTreeMap;

use fanfare_protocol::api::Status;
pub use fanfare_protocol::invitations::InvitationStatus;
use fanfare_protocol::referrals::ReferralAttribution;

use super::{RewardPayout, RewardRules};
use crate::domain::{Origin, SiteSlug};

#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub accent: String,
    pub texts: BTreeMap<String, String>,
    pub consent_text: String,
    pub consent_version: i64,
    pub low_rating_threshold: u8,
    /// `None`: every submission waits for a moderator. `Some(n)`: consenting ratings of n stars
    /// or more are published at once.
    pub auto_approve_min_rating: Option<u8>,
    /// How long a visitor's browser remembers the referral code that brought it.
    pub referral_window_days: u32,
    /// Where shared referral links point; `None`: the page the advocate was on.
    pub referral_landing_url: Option<String>,
    /// More conversions than this within an hour are flagged as a burst.
    pub conversion_burst_limit: u32,
    /// Leading zero bits a proof-of-work solution needs on submissions; 0 is off.
    pub proof_of_work: u8,
    /// Whether a second referral link replaces the code a browser remembers.
    pub referral_attribution: ReferralAttribution,
    /// Whether the read-only fragments carry schema.org JSON-LD; off by default.
    pub structured_data: bool,
    /// Days after an invitation before its one reminder; 0 sends none.
    pub invitation_reminder_days: u32,
    /// Invitation and reminder emails the site may send in any 24 hours.
    pub invitation_daily_cap: u32,
    pub rewards: RewardRules,
    /// Stripe's signing secret for this site's endpoint, sealed under the operator's key (see
    /// `service::sealed`); `None`: Stripe events are refused.
    pub stripe_signing_secret: Option<String>,
    pub origins: Vec<String>,
    pub created_at: i64,
    /// Whether any webhook listens: a site with none (most) queues no deliveries, so an event
    /// costs it no read of the webhooks (the site itself is cached; adding or removing a
    /// webhook is a change of settings).
    pub has_webhooks: bool,
}

#[cfg(test)]
impl Site {
    /// A site with the settings a new one gets, for unit tests of code that reads sites.
    pub fn example() -> Self {
        Site {
            id: 1,
            slug: "acme".into(),
            name: "Acme".into(),
            accent: "#000000".into(),
            texts: BTreeMap::new(),
            consent_text: "ok".into(),
            consent_version: 1,
            low_rating_threshold: 3,
            auto_approve_min_rating: None,
            referral_window_days: 30,
            referral_landing_url: None,
            conversion_burst_limit: 20,
            proof_of_work: 0,
            referral_attribution: ReferralAttribution::First,
            structured_data: false,
            invitation_reminder_days: 7,
            invitation_daily_cap: 200,
            rewards: RewardRules::default(),
            stripe_signing_secret: None,
            origins: vec!["https://acme.test".into()],
            created_at: 0,
            has_webhooks: false,
        }
    }
}

pub struct NewSite {
    pub slug: SiteSlug,
    pub name: String,
    pub origins: Vec<Origin>,
    pub consent_text: String,
}

/// A change to a site's settings; `None` leaves a setting as it is.
#[derive(Debug, Default)]
pub struct SiteChanges {
    pub name: Option<String>,
    pub origins: Option<Vec<Origin>>,
    pub accent: Option<String>,
    /// A new consent text also bumps the consent version, so older consents stay attributable.
    pub consent_text: Option<String>,
    pub low_rating_threshold: Option<u8>,
    /// Replaces all text overrides.
    pub texts: Option<BTreeMap<String, String>>,
    /// `Some(None)` switches back to manual moderation.
    pub auto_approve_min_rating: Option<Option<u8>>,
    pub referral_window_days: Option<u32>,
    /// `Some(None)` goes back to linking the advocate's own page.
    pub referral_landing_url: Option<Option<String>>,
    pub conversion_burst_limit: Option<u32>,
    pub proof_of_work: Option<u8>,
    pub referral_attribution: Option<ReferralAttribution>,
    pub structured_data: Option<bool>,
    pub invitation_reminder_days: Option<u32>,
    pub invitation_daily_cap: Option<u32>,
    pub reward_every: Option<Option<u32>>,
    pub reward_hold_days: Option<u32>,
    pub reward_min_amount: Option<Option<i64>>,
    pub friend_coupon: Option<Option<String>>,
    pub reward_payout: Option<RewardPayout>,
    /// Set by the service when automatic rewards are turned on.
    pub rewards_since: Option<i64>,
    /// Sealed, as stored.
    pub stripe_signing_secret: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
}

/// A testimonial as stored, with everything moderators may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Testimonial {
    pub id: String,
    pub site_id: i64,
    pub status: Status,
    pub name: String,
    pub email: String,
    pub role: Option<String>,
    pub company: Option<String>,
    pub rating: u8,
    pub text: String,
    pub consent: bool,
    pub consent_text: Option<String>,
    pub consent_version: Option<i64>,
    pub photo_id: Option<String>,
    /// A video testimonial's video; its text is the transcript.
    pub video_id: Option<String>,
    /// The transcript timed as captions (`m:ss words`, one cue a line), once someone timed it.
    pub captions: Option<String>,
    pub referral_code: Option<String>,
    pub page_url: Option<String>,
    pub ip_prefix: Option<String>,
    pub reply: Option<String>,
    pub featured: bool,
    pub follow_up: bool,
    /// The author asked to be contacted.
    pub contact_me: bool,
    pub follow_up_resolved_at: Option<i64>,
    /// The moderators' private note on the follow-up.
    pub follow_up_note: Option<String>,
    pub tags: Vec<String>,
    /// Changed by a moderator or by its author after it was first submitted.
    pub edited: bool,
    /// Sent through a personal invitation link: a verified customer.
    pub verified: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What the storage needs to keep a new submission.
#[derive(Debug, Clone)]
pub struct NewTestimonialRecord {
    pub id: String,
    pub site_id: i64,
    pub name: String,
    pub email: String,
    pub role: Option<String>,
    pub company: Option<String>,
    pub rating: u8,
    pub text: String,
    pub consent: bool,
    pub consent_text: Option<String>,
    pub consent_version: Option<i64>,
    pub photo_id: Option<String>,
    pub video_id: Option<String>,
    pub captions: Option<String>,
    pub referral_code: Option<String>,
    pub page_url: Option<String>,
    pub ip_prefix: Option<String>,
    pub follow_up: bool,
    pub contact_me: bool,
    /// Pending, or approved when the site auto-approves this rating.
    pub status: Status,
    pub manage_token_hash: String,
    /// Sent through a valid, unused invitation link.
    pub verified: bool,
    /// Tags it arrives with (an invitation's product).
    pub tags: Vec<String>,
    pub created_at: i64,
    /// When a moderator first decided (the demo seeds its history); `None` otherwise: a record
    /// stored decided (the site's rule, an import) is stored as decided on arrival.
    pub moderated_at: Option<i64>,
}

impl NewTestimonialRecord {
    /// The testimonial exactly as storing this record leaves it, without reading it back (the
    /// storage contract tests hold the two equal).
    pub fn as_stored(&self) -> Testimonial {
        let mut tags = self.tags.clone();
        tags.sort();
        tags.dedup();
        Testimonial {
            id: self.id.clone(),
            site_id: self.site_id,
            status: self.status,
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role.clone(),
            company: self.company.clone(),
            rating: self.rating,
            text: self.text.clone(),
            consent: self.consent,
            consent_text: self.consent_text.clone(),
            consent_version: self.consent_version,
            photo_id: self.photo_id.clone(),
            video_id: self.video_id.clone(),
            captions: self.captions.clone(),
            referral_code: self.referral_code.clone(),
            page_url: self.page_url.clone(),
            ip_prefix: self.ip_prefix.clone(),
            reply: None,
            featured: false,
            follow_up: self.follow_up,
            contact_me: self.contact_me,
            follow_up_resolved_at: None,
            follow_up_note: None,
            tags,
            edited: false,
            verified: self.verified,
            created_at: self.created_at,
            updated_at: self.created_at,
        }
    }
}

/// A site key as listed; the key itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteKey {
    pub id: i64,
    pub site_id: i64,
    pub label: String,
    /// The key's last four characters.
    pub hint: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// An invitation to store, already checked.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: String,
    pub email: String,
    /// See [`crate::domain::email_key`].
    pub email_key: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub order_id: Option<String>,
    pub lang: String,
    /// The address's stand-in on the site's suppression list: when it is there, the invitation
    /// is stored as unsubscribed, without the address, and never sent.
    pub address_hash: String,
}

/// An invitation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: String,
    pub site_id: i64,
    pub email: String,
    pub email_key: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub order_id: Option<String>,
    pub lang: String,
    pub status: InvitationStatus,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub reminded_at: Option<i64>,
    pub responded_at: Option<i64>,
    /// When the sender acts on it next; `None`: nothing more to send.
    pub next_send_at: Option<i64>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub testimonial_id: Option<String>,
}

/// What asking to store an invitation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invited {
    Created(Invitation),
    /// The address was invited within the window: that invitation, unchanged.
    Existing(Invitation),
}

/// The result of one attempt to send an invitation's email.
#[derive(Debug, Clone)]
pub enum SendOutcome {
    /// The invitation (or its reminder) went out; `next_send_at` is when the reminder is due.
    Sent { reminder: bool, next_send_at: Option<i64> },
    /// It failed; `retry_at` is the next try, `None` gives up (failed).
    Failed { error: String, retry_at: Option<i64> },
    /// Not sent and not to be: the address is suppressed.
    Suppressed,
    /// The reminder is no longer wanted (the site turned reminders off).
    Cancelled,
    /// Over the site's daily cap: try again then, without counting an attempt.
    Deferred { until: i64 },
}

/// A position in a newest-first list: the last item of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
}

impl Cursor {
    pub fn after(testimonial: &Testimonial) -> Self {
        Self { created_at: testimonial.created_at, id: testimonial.id.clone() }
    }

    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at, self.id)
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (created_at, id) = raw.split_once('.')?;
        let id_ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric());
        id_ok.then_some(())?;
        Some(Self { created_at: created_at.parse().ok()?, id: id.to_owned() })
    }
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: u32,
    pub cursor: Option<Cursor>,
    pub tag: Option<String>,
    /// Words to find in the name or the text (moderation only).
    pub search: Option<String>,
    /// Only this many stars (moderation only).
    pub rating: Option<u8>,
}

/// Count and average of the ratings that make up a site's honest summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatingSummary {
    pub count: u64,
    pub average: Option<f64>,
    /// Of those, sent by verified customers.
    pub verified: u64,
}

/// The outcome of a moderator's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderated {
    Done(Box<Testimonial>),
    NotFound,
    /// Publishing was refused: the author did not consent.
    NoConsent,
    /// The author withdrew it; nobody may bring it back.
    Withdrawn,
}

/// A signed-in dashboard session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    /// Echoed in every dashboard form; a forged cross-site form cannot know it.
    pub csrf_token: String,
}

/// Who did what, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub site_id: i64,
    pub user_id: Option<i64>,
    /// An email address, or "author" for the testimonial's own author.
    pub actor: String,
    pub action: String,
    pub testimonial_id: Option<String>,
    pub detail: Option<String>,
    pub created_at: i64,
}

/// A correction of what the author wrote: by the author through their manage link (back to
/// moderation) or by a moderator (marked as edited).
#[derive(Debug, Clone)]
pub struct TestimonialEdit {
    pub name: String,
    pub role: Option<String>,
    pub company: Option<String>,
    pub rating: u8,
    pub text: String,
}

/// An API token as listed in the dashboard; the token itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    pub site_id: i64,
    pub url: String,
    /// The signing secret as stored: sealed under the operator's key (see
    /// `secrets::SecretKey`); only the service opens it.
    pub sealed_secret: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub(super) fn parse(raw: &str) -> Option<Self> {
        [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Failed]
            .into_iter()
            .find(|state| state.as_str() == raw)
    }
}

/// One event on its way to one webhook, with what happened so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub site_id: i64,
    pub url: String,
    /// The webhook's signing secret, sealed as [`Webhook::sealed_secret`].
    pub sealed_secret: String,
    pub event: String,
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub created_at: i64,
}

/// The result of one delivery attempt.
#[derive(Debug, Clone)]
pub struct DeliveryAttempt {
    pub status: Option<u16>,
    pub error: Option<String>,
    /// `Some(at)`: try again then; `None` with success: delivered; `None` otherwise: gave up.
    pub retry_at: Option<i64>,
    pub delivered: bool,
    pub now: i64,
}

/// A testimonial as read back from an export: everything but the secrets.
#[derive(Debug, Clone)]
pub struct ImportedTestimonial {
    pub record: NewTestimonialRecord,
    pub reply: Option<String>,
    pub featured: bool,
    pub updated_at: i64,
}

/// What an `Idempotency-Key` already stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use: the caller handles the request, then completes or releases the key.
    New,
    /// Handled before: answer with this, once opened with the client's key.
    Done { request_hash: String, status: u16, sealed_body: String },
    /// Another request with this key is being handled right now.
    InProgress { request_hash: String },
}

/// The first answer to an idempotent request, as stored for its retries.
#[derive(Debug, Clone, Copy)]
pub struct IdempotentAnswer<'a> {
    pub status: u16,
    /// Sealed under the client's key: it holds the author's manage link.
    pub sealed_body: &'a str,
    /// The testimonial it created (so erasing its author finds the row).
    pub testimonial_id: Option<&'a str>,
}

/// Cut-offs for [`super::OperationsStore::prune`]: each table's rows before its cut-off go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Sessions that expired before this.
    pub sessions_expired_before: i64,
    /// Single-use nonces used before this (no link or challenge carrying them is valid any more).
    pub nonces_used_before: i64,
    /// Idempotency keys claimed before this (past their replay window).
    pub idempotency_keys_before: i64,
    /// Webhook deliveries queued before this that were delivered or given up (pending ones stay).
    pub finished_deliveries_before: i64,
    /// Invitations created before this with nothing more to send (answered ones keep their
    /// testimonial's `verified` mark).
    pub invitations_before: i64,
    /// Stripe events handled before this (Stripe stops retrying after three days).
    pub stripe_events_before: i64,
}

/// How many rows [`super::OperationsStore::prune`] removed, table by table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub nonces: u64,
    pub idempotency_keys: u64,
    pub deliveries: u64,
    pub invitations: u64,
    pub stripe_events: u64,
    /// Uploads no testimonial used (removed by the service, from the media store too).
    pub media: u64,
}

/// What importing one testimonial did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Stored under its id.
    Stored,
    /// This site already has a testimonial with that id; left as it is.
    AlreadyHere,
    /// Another site has a testimonial with that id (ids are global); nothing stored.
    TakenElsewhere,
}

/// A secret the server keeps to use again, as stored, for [`OperationsStore::seal_in_place`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredSecret<'a> {
    /// A row of `server_keys`.
    ServerKey { name: &'a str, value: &'a str },
    /// A webhook's signing secret.
    Webhook { id: i64, secret: &'a str },
}

/// The `server_keys` row that holds the check value of the operator's secret key (not a secret:
/// it reveals nothing of the key), so another key is told apart before anything is opened.
pub const SECRET_KEY_CHECK: &str = "secret-key-check";

/// The `server_keys` row that names the media store holding this database's media (not a
/// secret: the store holds the same value, see `service::media::check_media_owner`).
pub const MEDIA_OWNER: &str = "media-store-owner";
/// Written last by `fanfare demo`'s first start, once the demo's whole history is stored: no
/// secret, so never sealed.
pub const DEMO_SEEDED: &str = "demo-history";
