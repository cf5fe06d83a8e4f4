//! What the storage can do, one trait per area so each backend implements them file by file.
//! [`Storage`] is all of them together: what the server holds.

use async_trait::async_trait;
use fanfare_protocol::api::Status;

use super::*;
use crate::domain::Role;
use crate::progress::{Progress, Silent};

/// Everything Fanfare keeps. Implemented for any type that implements every area.
pub trait Storage:
    SiteStore
    + AccountStore
    + TestimonialStore
    + SubmissionStore
    + WebhookStore
    + ReferralStore
    + OperationsStore
    + DataStore
    + InvitationStore
    + SiteKeyStore
    + MediaRecordStore
    + RewardStore
    + OverviewStore
    + ChangeStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Storage for T where
    T: SiteStore
        + AccountStore
        + TestimonialStore
        + SubmissionStore
        + WebhookStore
        + ReferralStore
        + OperationsStore
        + DataStore
        + InvitationStore
        + SiteKeyStore
        + MediaRecordStore
        + RewardStore
        + OverviewStore
        + ChangeStore
        + Send
        + Sync
        + 'static
{
}

/// Sites and their settings.
#[async_trait]
pub trait SiteStore: Send + Sync {
    async fn create_site(&self, site: NewSite, now: i64) -> Result<Site, StorageError>;
    async fn update_site(&self, slug: &str, changes: SiteChanges) -> Result<Option<Site>, StorageError>;
    async fn site_by_slug(&self, slug: &str) -> Result<Option<Site>, StorageError>;
    async fn list_sites(&self) -> Result<Vec<Site>, StorageError>;
}

/// People, their roles, API tokens and dashboard sessions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the user if the email is new, sets the password hash when one is given, and
    /// grants the role on the site. Making the site's last owner a moderator is refused with
    /// [`StorageError::LastOwner`], checked in the same transaction as the change.
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
    async fn tokens_of_user(&self, user_id: i64) -> Result<Vec<ApiToken>, StorageError>;
    /// `false` when the user has no such token.
    async fn revoke_token(&self, user_id: i64, token_id: i64, now: i64) -> Result<bool, StorageError>;
    /// Everyone with a role on the site, by email.
    async fn members(&self, site_id: i64) -> Result<Vec<(User, Role)>, StorageError>;
    /// Takes the person's role on the site away; `false` if they had none. Removing the site's
    /// last owner is refused with [`StorageError::LastOwner`]: the check and the removal are one
    /// transaction, so two owners removing each other at once cannot both succeed.
    async fn remove_member(&self, site_id: i64, user_id: i64) -> Result<bool, StorageError>;
    /// Whom to tell about new submissions: the members who turned notifications on, as (user
    /// id, address), in one read whatever their number.
    async fn members_to_notify(&self, site_id: i64) -> Result<Vec<(i64, String)>, StorageError>;
    /// Every site the person works on, with whether they get notification email for it.
    async fn notification_choices(&self, user_id: i64) -> Result<Vec<(Site, bool)>, StorageError>;
    /// Turns the person's notification email for the site on or off; `false` if they have no
    /// role there. New memberships start with it off.
    async fn set_notifications(&self, user_id: i64, site_id: i64, on: bool) -> Result<bool, StorageError>;
}

/// Testimonials as moderators, authors and the public see and change them.
#[async_trait]
pub trait TestimonialStore: Send + Sync {
    /// Approved testimonials, newest first.
    async fn list_published(&self, site_id: i64, query: &ListQuery)
        -> Result<Vec<Testimonial>, StorageError>;
    /// The honest summary: every moderated rating (approved or rejected), of one tag's
    /// testimonials when `tag` is given.
    async fn rating_summary(&self, site_id: i64, tag: Option<&str>) -> Result<RatingSummary, StorageError>;
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
    async fn testimonial_by_manage_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<Testimonial>, StorageError>;
    /// Unpublishes at once and for good; `None` for an unknown token.
    async fn withdraw(&self, token_hash: &str, now: i64) -> Result<Option<Testimonial>, StorageError>;
    /// Applies the author's changes and sends the testimonial back to moderation, unless they
    /// withdrew it (then nothing changes) or moderators rejected it or marked it as spam (then
    /// it stays there).
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
}

/// What arrives from visitors: new testimonials (group-committed), photos, idempotency keys.
#[async_trait]
pub trait SubmissionStore: Send + Sync {
    async fn insert_testimonial(&self, record: NewTestimonialRecord) -> Result<(), StorageError>;
    /// Claims a key (by its hash) for a request, unless it was used within the last day
    /// (`fresh_since`). A claim still unanswered from before `abandoned_before` is taken over:
    /// its request was cut off (a deadline, a dropped connection) before it could finish.
    async fn claim_idempotency_key(
        &self,
        site_id: i64,
        key_hash: &str,
        request_hash: &str,
        now: i64,
        fresh_since: i64,
        abandoned_before: i64,
    ) -> Result<IdempotencyClaim, StorageError>;
    async fn complete_idempotency_key(
        &self,
        site_id: i64,
        key_hash: &str,
        answer: IdempotentAnswer<'_>,
    ) -> Result<(), StorageError>;
    /// Forgets a key whose request failed, so a corrected retry is handled afresh.
    async fn release_idempotency_key(&self, site_id: i64, key_hash: &str) -> Result<(), StorageError>;
}

/// Webhooks and the queue of their deliveries.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Adds a webhook unless the site already has `at_most` (`None`): counted and added in one
    /// transaction, so two owners adding at once cannot pass the cap together.
    async fn add_webhook(
        &self,
        site_id: i64,
        url: &str,
        sealed_secret: &str,
        now: i64,
        at_most: u32,
    ) -> Result<Option<Webhook>, StorageError>;
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
    /// Pending deliveries whose time has come, oldest first, not yet claimed: at most
    /// `per_site` of each site, so one site's backlog cannot hide the others' deliveries.
    async fn due_deliveries(
        &self,
        now: i64,
        per_site: u32,
        limit: u32,
    ) -> Result<Vec<Delivery>, StorageError>;
    /// Claims one delivery read by [`WebhookStore::due_deliveries`] until `lease_until`, so that
    /// no other instance sends it meanwhile (an instance that dies mid-send releases it when
    /// the lease runs out). `false`: another instance claimed it first.
    async fn claim_delivery(&self, delivery: &Delivery, lease_until: i64) -> Result<bool, StorageError>;
    async fn record_delivery_attempt(
        &self,
        delivery_id: i64,
        attempt: DeliveryAttempt,
    ) -> Result<(), StorageError>;
    /// The delivery log, newest first.
    async fn deliveries(&self, site_id: i64, limit: u32) -> Result<Vec<Delivery>, StorageError>;
}

/// Advocates, visits and conversions.
#[async_trait]
pub trait ReferralStore: Send + Sync {
    /// The site's advocate for this person, created with `advocate.code` if they have none yet.
    /// A code already taken by someone else is `Conflict { field: "code" }`: draw another.
    /// True with a new advocate.
    async fn upsert_advocate(&self, advocate: NewAdvocate) -> Result<(Advocate, bool), StorageError>;
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
    /// Whether this device has a recorded visit through this advocate's code since `since`.
    async fn visited_from(&self, advocate_id: i64, device: &str, since: i64) -> Result<bool, StorageError>;
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
}

/// The audit log, the server's own keys and single-use nonces, backups.
#[async_trait]
pub trait OperationsStore: Send + Sync {
    async fn record_audit(&self, entry: AuditEntry) -> Result<(), StorageError>;
    /// The newest entries first.
    async fn audit_log(&self, site_id: i64, limit: u32) -> Result<Vec<AuditEntry>, StorageError>;
    /// The named server key; `fresh` is stored and returned when there is none yet.
    async fn server_key(&self, name: &str, fresh: &str) -> Result<String, StorageError>;
    /// Rewrites stored secrets in place, in one transaction: every server key and webhook secret
    /// for which `seal` gives a new value (rows written before sealing) gets it, unless another
    /// process changed the row meanwhile. Returns how many rows were rewritten; running it again
    /// rewrites none.
    async fn seal_in_place(
        &self,
        seal: &(dyn for<'s> Fn(StoredSecret<'s>) -> Option<String> + Send + Sync),
    ) -> Result<u64, StorageError>;
    /// Records a single-use nonce (an email link's, a proof-of-work challenge's); `false` if
    /// it was used before.
    async fn use_nonce(&self, nonce: &str, now: i64) -> Result<bool, StorageError>;
    /// Removes what is past its retention from the tables that would otherwise only grow.
    async fn prune(&self, retention: Retention) -> Result<Pruned, StorageError>;
    /// Writes a consistent copy of the whole database to `path`.
    async fn backup(&self, path: &std::path::Path) -> Result<(), StorageError>;
}

/// A site's data in and out: export, import, erasure.
#[async_trait]
pub trait DataStore: Send + Sync {
    /// Up to `limit` testimonials of the site in any status, in (created_at, id) order, after
    /// `after` (the last of the previous page; `None` for the first): an export reads them a
    /// page at a time, so a site of any size is exported in constant memory. Rows never move
    /// in this order, so a page boundary neither repeats nor skips one.
    async fn export_page(
        &self,
        site_id: i64,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<Vec<Testimonial>, StorageError>;
    /// Every testimonial of the site at once, in the same order: for tests and checks of a few
    /// rows. Exports never call it; they read [`Self::export_page`] by page.
    async fn all_testimonials(&self, site_id: i64) -> Result<Vec<Testimonial>, StorageError> {
        let mut all: Vec<Testimonial> = Vec::new();
        loop {
            let after = all.last().map(Cursor::after);
            let page = self.export_page(site_id, after.as_ref(), 1000).await?;
            let last = page.len() < 1000;
            all.extend(page);
            if last {
                return Ok(all);
            }
        }
    }
    /// Adds an exported testimonial under its id, unless a testimonial (of this site or
    /// another) already has that id.
    async fn import_testimonial(&self, item: ImportedTestimonial) -> Result<ImportOutcome, StorageError>;
    /// Removes every testimonial (with its tags and photo) the address wrote on the site, its
    /// referral rows (as advocate, with their visits and conversions, and as a converted friend),
    /// the idempotency rows of its testimonials and every webhook delivery whose payload names
    /// the address or one of them; returns how many testimonials went.
    async fn erase_email(&self, site_id: i64, email: &str) -> Result<u64, StorageError>;
}

/// Invitations emailed to customers, and the addresses that asked never to be emailed again.
#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Stores each invitation, in one transaction, unless its address was invited by the site
    /// since `fresh_since` (then that invitation is returned as it is). One whose address is on
    /// the suppression list is stored as unsubscribed, without the address, and never sent; the
    /// others are due at once. With `dry_run` the transaction is rolled back: the answer is
    /// what storing would do, and nothing is stored. Tells `progress` of each address checked
    /// (a CSV holds up to 10,000).
    async fn create_invitations_reporting(
        &self,
        site_id: i64,
        invitations: Vec<NewInvitation>,
        now: i64,
        fresh_since: i64,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<Vec<Invited>, StorageError>;
    /// [`Self::create_invitations_reporting`] with nobody watching.
    async fn create_invitations(
        &self,
        site_id: i64,
        invitations: Vec<NewInvitation>,
        now: i64,
        fresh_since: i64,
        dry_run: bool,
    ) -> Result<Vec<Invited>, StorageError> {
        self.create_invitations_reporting(site_id, invitations, now, fresh_since, dry_run, &Silent).await
    }
    async fn invitation(&self, site_id: i64, id: &str) -> Result<Option<Invitation>, StorageError>;
    /// The site's invitations, newest first, of one status or all.
    async fn invitations(
        &self,
        site_id: i64,
        status: Option<InvitationStatus>,
        cursor: Option<&Cursor>,
        limit: u32,
    ) -> Result<Vec<Invitation>, StorageError>;
    /// How many of the site's invitations are in each status.
    async fn invitation_counts(&self, site_id: i64) -> Result<Vec<(InvitationStatus, u64)>, StorageError>;
    /// Invitations whose next email is due, oldest first, not held by another sender.
    async fn due_invitations(&self, now: i64, limit: u32) -> Result<Vec<Invitation>, StorageError>;
    /// Holds one due invitation for `owner` (a random token of the sender) until `lease_until`;
    /// `false`: another sender holds it, or it changed (answered, unsubscribed) since it was read.
    async fn claim_invitation(
        &self,
        invitation: &Invitation,
        owner: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<bool, StorageError>;
    /// Records what `owner`'s attempt did and releases its hold; nothing, if its lease ran out
    /// and another sender took the invitation over.
    async fn record_invitation_send(
        &self,
        id: &str,
        owner: &str,
        outcome: &SendOutcome,
        now: i64,
    ) -> Result<(), StorageError>;
    /// Invitation and reminder emails the site sent since `since`.
    async fn invitation_emails_since(&self, site_id: i64, since: i64) -> Result<u64, StorageError>;
    /// Marks the invitation answered by `testimonial_id`, unless it was answered before or its
    /// last email (or, unsent, its creation) is older than `link_fresh_since`; returns it as it
    /// was when this call did so. Nothing more is sent for it.
    async fn respond_to_invitation(
        &self,
        site_id: i64,
        id: &str,
        testimonial_id: &str,
        now: i64,
        link_fresh_since: i64,
    ) -> Result<Option<Invitation>, StorageError>;
    /// Undoes [`Self::respond_to_invitation`] when the testimonial could not be stored: back to
    /// what its emails say it is (a reminder it was due is dropped, never sent twice).
    async fn unrespond_invitation(&self, id: &str, now: i64) -> Result<(), StorageError>;
    /// Queues a failed invitation's email again (an owner's "send again"); `false` when it had
    /// not failed.
    async fn requeue_invitation(&self, site_id: i64, id: &str, now: i64) -> Result<bool, StorageError>;
    /// Queues every failed invitation of the site again; how many.
    async fn requeue_failed_invitations(&self, site_id: i64, now: i64) -> Result<u64, StorageError>;
    /// Adds the address to the site's suppression list and stops every invitation to it that
    /// is not answered; `false` when it was already there.
    async fn suppress(
        &self,
        site_id: i64,
        address_hash: &str,
        email_key: &str,
        now: i64,
    ) -> Result<bool, StorageError>;
    async fn is_suppressed(&self, site_id: i64, address_hash: &str) -> Result<bool, StorageError>;
}

/// Site keys: what the business's own systems authenticate with.
#[async_trait]
pub trait SiteKeyStore: Send + Sync {
    async fn create_site_key(
        &self,
        site_id: i64,
        key_hash: &str,
        label: &str,
        hint: &str,
        now: i64,
    ) -> Result<SiteKey, StorageError>;
    async fn site_keys(&self, site_id: i64) -> Result<Vec<SiteKey>, StorageError>;
    /// `false` when the site has no such key (or it was revoked before).
    async fn revoke_site_key(&self, site_id: i64, key_id: i64, now: i64) -> Result<bool, StorageError>;
    /// The unrevoked key with this hash, marked as used now.
    async fn use_site_key(&self, key_hash: &str, now: i64) -> Result<Option<SiteKey>, StorageError>;
}

/// What is known of the media store's objects (photos, videos, videos still arriving); the bytes
/// are in the store (`storage::media`).
#[async_trait]
pub trait MediaRecordStore: Send + Sync {
    async fn insert_media(&self, record: &MediaRecord) -> Result<(), StorageError>;
    /// Whether any medium is recorded (in a media store).
    async fn holds_media(&self) -> Result<bool, StorageError>;
    /// A medium of the site, whatever its state or its testimonial's status (moderators, and
    /// uploads in progress).
    async fn media(&self, site_id: i64, id: &str) -> Result<Option<MediaRecord>, StorageError>;
    /// A ready medium of this kind that no testimonial uses yet.
    async fn unattached_media(&self, site_id: i64, id: &str, kind: MediaKind) -> Result<bool, StorageError>;
    /// A medium the public may see: attached to an approved testimonial.
    async fn published_media(&self, id: &str) -> Result<Option<PublishedMedia>, StorageError>;
    /// A video whose parts were put together and checked, with what its container says. False
    /// when it was not being assembled (gone meanwhile).
    async fn finish_media(&self, record: &MediaRecord) -> Result<bool, StorageError>;
    /// Moves a medium from state `from` to `to` (`receiving` → `assembling`, and back); false
    /// when it was not in `from` (another request claimed it first).
    async fn claim_media(&self, site_id: i64, id: &str, from: &str, to: &str) -> Result<bool, StorageError>;
    /// Claims a medium no testimonial uses for removal (state `removing`: nothing attaches it any
    /// more); false when something uses it now.
    async fn claim_unused_media(&self, id: &str) -> Result<bool, StorageError>;
    async fn set_media_poster(&self, site_id: i64, id: &str) -> Result<bool, StorageError>;
    /// Media no testimonial uses, made before `before` (abandoned uploads).
    async fn unused_media(&self, before: i64, limit: u32) -> Result<Vec<MediaRecord>, StorageError>;
    /// The media of the address's testimonials on the site (before erasing them).
    async fn media_of_author(&self, site_id: i64, email: &str) -> Result<Vec<MediaRecord>, StorageError>;
    /// Lets go of a testimonial's photo and video (withdrawn), returning them for removal.
    async fn detach_media(
        &self,
        site_id: i64,
        testimonial_id: &str,
    ) -> Result<Vec<MediaRecord>, StorageError>;
    async fn delete_media(&self, id: &str) -> Result<(), StorageError>;
    /// Every medium of a site, for export and copy.
    async fn site_media(&self, site_id: i64) -> Result<Vec<MediaRecord>, StorageError>;
    /// Photos still in the database (from before the media store), a few at a time.
    async fn photos_in_database(&self, limit: u32) -> Result<Vec<Photo>, StorageError>;
    /// Records a moved photo and removes it from the database, together.
    async fn photo_moved(&self, record: &MediaRecord) -> Result<(), StorageError>;
    /// The timed transcript of a testimonial (`None` clears it).
    async fn set_captions(
        &self,
        site_id: i64,
        testimonial_id: &str,
        captions: Option<&str>,
        now: i64,
    ) -> Result<bool, StorageError>;
}
