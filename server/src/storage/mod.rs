//! Everything Fanfare keeps, behind one trait so each database backend is one implementation.

mod sql;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use fanfare_protocol::api::Status;

pub use sql::{Backend, SqlStorage};

use crate::domain::{Origin, Role, SiteSlug};

pub type DynStorage = Arc<dyn Storage>;

/// Opens the database a URL names, creating and migrating it as needed.
pub async fn connect(database_url: &str) -> Result<DynStorage, StorageError> {
    Ok(Arc::new(open(database_url).await?))
}

/// [`connect`], keeping the concrete type for maintenance work such as `fanfare copy`.
pub async fn open(database_url: &str) -> Result<SqlStorage, StorageError> {
    let backend = if database_url.starts_with("sqlite:") {
        Backend::Sqlite
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        return Err(StorageError::Unsupported(format!(
            "unrecognised database URL {:?}: expected sqlite://PATH or postgres://…",
            redact_url(database_url)
        )));
    };
    let storage = SqlStorage::connect(database_url, backend).await?;
    storage.migrate().await?;
    Ok(storage)
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique value is already taken; carries the field it belongs to.
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    #[error("{0}")]
    Unsupported(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

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
    pub origins: Vec<String>,
    pub created_at: i64,
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
    pub referral_code: Option<String>,
    pub page_url: Option<String>,
    pub ip_prefix: Option<String>,
    pub follow_up: bool,
    pub contact_me: bool,
    /// Pending, or approved when the site auto-approves this rating.
    pub status: Status,
    pub manage_token_hash: String,
    pub created_at: i64,
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
    pub secret: String,
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

    fn parse(raw: &str) -> Option<Self> {
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
    pub url: String,
    pub secret: String,
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
    pub tags: Vec<String>,
    pub updated_at: i64,
}

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
}

/// A visitor's photo, already re-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub id: String,
    pub site_id: i64,
    /// JPEG bytes.
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub created_at: i64,
}

/// What an `Idempotency-Key` already stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use: the caller handles the request, then completes or releases the key.
    New,
    /// Handled before: answer with this.
    Done { request_hash: String, status: u16, body: String },
    /// Another request with this key is being handled right now.
    InProgress { request_hash: String },
}

#[async_trait]
pub trait Storage: Send + Sync + 'static {
    async fn create_site(&self, site: NewSite, now: i64) -> Result<Site, StorageError>;
    async fn update_site(&self, slug: &str, changes: SiteChanges) -> Result<Option<Site>, StorageError>;
    async fn site_by_slug(&self, slug: &str) -> Result<Option<Site>, StorageError>;
    async fn list_sites(&self) -> Result<Vec<Site>, StorageError>;

    /// Creates the user if the email is new, sets the password hash when one is given, and
    /// grants the role on the site.
    async fn upsert_user(
        &self,
        email: &str,
        password_hash: Option<&str>,
        site_id: i64,
        role: Role,
        now: i64,
    ) -> Result<User, StorageError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StorageError>;
    async fn create_token(&self, user_id: i64, token_hash: &str, now: i64) -> Result<(), StorageError>;
    async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>, StorageError>;
    async fn role_on_site(&self, user_id: i64, site_id: i64) -> Result<Option<Role>, StorageError>;

    async fn insert_testimonial(&self, record: NewTestimonialRecord) -> Result<(), StorageError>;
    /// Approved testimonials, newest first.
    async fn list_published(&self, site_id: i64, query: &ListQuery)
        -> Result<Vec<Testimonial>, StorageError>;
    async fn rating_summary(&self, site_id: i64) -> Result<RatingSummary, StorageError>;
    async fn list_by_status(
        &self,
        site_id: i64,
        status: Status,
        query: &ListQuery,
    ) -> Result<Vec<Testimonial>, StorageError>;
    async fn testimonial(&self, site_id: i64, id: &str) -> Result<Option<Testimonial>, StorageError>;
    /// Moves a testimonial to `status`, enforcing the consent and withdrawal rules atomically.
    async fn moderate(
        &self,
        site_id: i64,
        id: &str,
        status: Status,
        now: i64,
    ) -> Result<Moderated, StorageError>;
    /// How many testimonials each status holds.
    async fn status_counts(&self, site_id: i64) -> Result<Vec<(Status, u64)>, StorageError>;
    /// Sets or clears the public reply; `None` when there is no such testimonial.
    async fn set_reply(
        &self,
        site_id: i64,
        id: &str,
        reply: Option<&str>,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError>;
    async fn set_featured(
        &self,
        site_id: i64,
        id: &str,
        featured: bool,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError>;

    /// The user and their password hash, for signing in.
    async fn password_hash(&self, email: &str) -> Result<Option<(User, Option<String>)>, StorageError>;
    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError>;
    /// A session that exists and has not expired.
    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>, StorageError>;
    async fn delete_session(&self, id_hash: &str) -> Result<(), StorageError>;
    /// Every site the user has a role on, by slug.
    async fn sites_of_user(&self, user_id: i64) -> Result<Vec<(Site, Role)>, StorageError>;

    async fn record_audit(&self, entry: AuditEntry) -> Result<(), StorageError>;
    /// The newest entries first.
    async fn audit_log(&self, site_id: i64, limit: u32) -> Result<Vec<AuditEntry>, StorageError>;

    async fn testimonial_by_manage_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<Testimonial>, StorageError>;
    /// Unpublishes at once and for good; `None` for an unknown token.
    async fn withdraw(&self, token_hash: &str, now: i64) -> Result<Option<Testimonial>, StorageError>;
    /// Applies the author's changes and sends the testimonial back to moderation, unless they
    /// withdrew it.
    async fn author_edit(
        &self,
        token_hash: &str,
        edit: TestimonialEdit,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError>;

    /// A moderator's correction: the status stays, the item is marked as edited.
    async fn moderator_edit(
        &self,
        site_id: i64,
        id: &str,
        edit: TestimonialEdit,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError>;
    /// Replaces the testimonial's tags.
    async fn set_tags(
        &self,
        site_id: i64,
        id: &str,
        tags: &[String],
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError>;
    /// Low ratings and contact requests, newest first, open or resolved.
    async fn follow_ups(
        &self,
        site_id: i64,
        resolved: bool,
        limit: u32,
    ) -> Result<Vec<Testimonial>, StorageError>;
    async fn resolve_follow_up(
        &self,
        site_id: i64,
        id: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<Option<Testimonial>, StorageError>;

    async fn tokens_of_user(&self, user_id: i64) -> Result<Vec<ApiToken>, StorageError>;
    /// `false` when the user has no such token.
    async fn revoke_token(&self, user_id: i64, token_id: i64, now: i64) -> Result<bool, StorageError>;
    /// Everyone with a role on the site, by email.
    async fn members(&self, site_id: i64) -> Result<Vec<(User, Role)>, StorageError>;
    /// Takes the person's role on the site away; `false` if they had none.
    async fn remove_member(&self, site_id: i64, user_id: i64) -> Result<bool, StorageError>;
    /// The addresses to tell about new submissions: everyone with a role on the site.
    async fn member_emails(&self, site_id: i64) -> Result<Vec<String>, StorageError>;

    /// The named server key; `fresh` is stored and returned when there is none yet.
    async fn server_key(&self, name: &str, fresh: &str) -> Result<String, StorageError>;
    /// Records a single-use nonce (an email link's, a proof-of-work challenge's); `false` if
    /// it was used before.
    async fn use_nonce(&self, nonce: &str, now: i64) -> Result<bool, StorageError>;

    async fn add_webhook(
        &self,
        site_id: i64,
        url: &str,
        secret: &str,
        now: i64,
    ) -> Result<Webhook, StorageError>;
    async fn webhooks(&self, site_id: i64) -> Result<Vec<Webhook>, StorageError>;
    async fn delete_webhook(&self, site_id: i64, webhook_id: i64) -> Result<bool, StorageError>;
    /// Queues the event for every webhook of the site; returns how many were queued.
    async fn enqueue_deliveries(
        &self,
        site_id: i64,
        event: &str,
        payload: &str,
        now: i64,
    ) -> Result<u64, StorageError>;
    /// Pending deliveries whose time has come, oldest first, each claimed until `lease_until` so
    /// that no other instance sends it meanwhile (an instance that dies mid-send releases it
    /// when the lease runs out).
    async fn claim_due_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>, StorageError>;
    async fn record_delivery_attempt(
        &self,
        delivery_id: i64,
        attempt: DeliveryAttempt,
    ) -> Result<(), StorageError>;
    /// The delivery log, newest first.
    async fn deliveries(&self, site_id: i64, limit: u32) -> Result<Vec<Delivery>, StorageError>;

    /// Every testimonial of the site in any status, oldest first (for export).
    async fn all_testimonials(&self, site_id: i64) -> Result<Vec<Testimonial>, StorageError>;
    /// Adds an exported testimonial; `false` when its id is already stored (left unchanged).
    async fn import_testimonial(&self, item: ImportedTestimonial) -> Result<bool, StorageError>;
    /// Removes every testimonial (with its tags) the address wrote on the site, and its referral
    /// rows (as advocate, with their visits and conversions, and as a converted friend); returns
    /// how many testimonials went.
    async fn erase_email(&self, site_id: i64, email: &str) -> Result<u64, StorageError>;
    /// The site's advocate for this person, created with `advocate.code` if they have none yet.
    /// A code already taken by someone else is `Conflict { field: "code" }`: draw another.
    async fn upsert_advocate(&self, advocate: NewAdvocate) -> Result<Advocate, StorageError>;
    async fn advocate_by_code(&self, site_id: i64, code: &str) -> Result<Option<Advocate>, StorageError>;
    async fn advocate(&self, site_id: i64, advocate_id: i64) -> Result<Option<Advocate>, StorageError>;
    /// Counts a visit unless the same device visited through this advocate since `since`;
    /// returns whether it was counted.
    async fn record_visit(
        &self,
        advocate_id: i64,
        device: Option<&str>,
        ip_prefix: Option<&str>,
        now: i64,
        since: i64,
    ) -> Result<bool, StorageError>;
    /// Conversions on the site since `since`, for burst detection.
    async fn conversions_since(&self, site_id: i64, since: i64) -> Result<u64, StorageError>;
    /// Stores the conversion unless its id is already known; returns the stored one and
    /// whether it is new.
    async fn record_conversion(&self, conversion: NewConversion) -> Result<(Conversion, bool), StorageError>;
    /// Advocates by conversions, then visits; `offset` pages through them.
    async fn advocate_stats(
        &self,
        site_id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<AdvocateStats>, StorageError>;
    async fn conversions_of(&self, site_id: i64, advocate_id: i64) -> Result<Vec<Conversion>, StorageError>;
    /// Flagged conversions nobody has reviewed, oldest first.
    async fn flagged_conversions(&self, site_id: i64) -> Result<Vec<Conversion>, StorageError>;
    async fn review_conversion(
        &self,
        site_id: i64,
        conversion_id: i64,
        accepted: bool,
    ) -> Result<bool, StorageError>;
    async fn mark_reward_given(
        &self,
        site_id: i64,
        conversion_id: i64,
        now: i64,
    ) -> Result<bool, StorageError>;

    /// Stores an upload; uploads never attached to a testimonial before `stale_before` go.
    async fn store_photo(&self, photo: Photo, stale_before: i64) -> Result<(), StorageError>;
    /// The site's photo, if it exists and no testimonial uses it yet.
    async fn unattached_photo(&self, site_id: i64, id: &str) -> Result<bool, StorageError>;
    /// A photo of the site, whatever its testimonial's status (moderators see them all).
    async fn photo(&self, site_id: i64, id: &str) -> Result<Option<Photo>, StorageError>;
    /// A photo the public may see: attached to an approved testimonial.
    async fn published_photo(&self, id: &str) -> Result<Option<Photo>, StorageError>;

    /// Claims `key` for a request, unless it was used within the last day (`fresh_since`).
    async fn claim_idempotency_key(
        &self,
        site_id: i64,
        key: &str,
        request_hash: &str,
        now: i64,
        fresh_since: i64,
    ) -> Result<IdempotencyClaim, StorageError>;
    async fn complete_idempotency_key(
        &self,
        site_id: i64,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StorageError>;
    /// Forgets a key whose request failed, so a corrected retry is handled afresh.
    async fn release_idempotency_key(&self, site_id: i64, key: &str) -> Result<(), StorageError>;

    /// Writes a consistent copy of the whole database to `path`.
    async fn backup(&self, path: &std::path::Path) -> Result<(), StorageError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let cursor = Cursor { created_at: 1_700_000_000_000, id: "abc123".into() };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for junk in ["", "12", "x.abc", "12.", "12.a-b", "12.a.b"] {
            assert_eq!(Cursor::decode(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(redact_url("postgres://me:secret@db/x"), "postgres://me:***@db/x");
        assert_eq!(redact_url("postgres://me@db/x"), "postgres://me@db/x");
        assert_eq!(redact_url("sqlite://fanfare.db"), "sqlite://fanfare.db");
    }
}
