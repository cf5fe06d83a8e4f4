//! Testimonials as the public and moderators see them, and the one way a new one is made.

use fanfare_protocol::api::{ModerationTestimonial, PublicTestimonial, Status, Summary, TestimonialPage};

use super::cache::{Cached, Lookup};
use super::metrics::Metrics;
use super::reach::Seen;
use super::{consent, Service, ServiceError, ServiceResult};
use crate::clock::{now_ms, rfc3339};
use crate::secrets;
use crate::storage::{
    Cursor, ListQuery, NewTestimonialRecord, RatingSummary, Site, Testimonial, TestimonialEdit,
};

/// What anyone may see of a testimonial; `base` is the server's public URL (for the photo).
pub fn public_view(testimonial: &Testimonial, base: &str) -> PublicTestimonial {
    PublicTestimonial {
        id: testimonial.id.clone(),
        name: testimonial.name.clone(),
        role: testimonial.role.clone(),
        company: testimonial.company.clone(),
        rating: testimonial.rating,
        text: testimonial.text.clone(),
        photo_url: testimonial.photo_id.as_ref().map(|id| format!("{base}/api/v1/photos/{id}")),
        video_url: testimonial.video_id.as_ref().map(|id| format!("{base}/api/v1/videos/{id}")),
        poster_url: testimonial.video_id.as_ref().map(|id| format!("{base}/api/v1/videos/{id}/poster.jpg")),
        captions_url: testimonial
            .video_id
            .as_ref()
            .filter(|_| testimonial.captions.is_some())
            .map(|id| format!("{base}/api/v1/videos/{id}/captions.vtt")),
        reply: testimonial.reply.clone(),
        featured: testimonial.featured,
        edited: testimonial.edited,
        verified: testimonial.verified,
        created_at: rfc3339(testimonial.created_at),
    }
}

/// What moderators (and the site's webhooks) see: the public view plus the private facts.
pub fn moderation_view(testimonial: &Testimonial, base: &str) -> ModerationTestimonial {
    ModerationTestimonial {
        public: public_view(testimonial, base),
        status: testimonial.status,
        email: testimonial.email.clone(),
        consent: testimonial.consent,
        follow_up: testimonial.follow_up,
        page_url: testimonial.page_url.clone(),
    }
}

/// A cursor only when the page is full; a short page is the last one.
pub fn next_cursor(items: &[Testimonial], limit: u32) -> Option<String> {
    let full = items.len() == usize::try_from(limit).unwrap_or(usize::MAX);
    items.last().filter(|_| full).map(|last| Cursor::after(last).encode())
}

fn public_summary(summary: RatingSummary) -> Summary {
    Summary {
        count: summary.count,
        average: summary.average.map(|average| (average * 100.0).round() / 100.0),
        verified: summary.verified,
    }
}

impl Service {
    /// A page of the site's published testimonials with the honest summary, as JSON, from
    /// memory when nothing changed since it was last built.
    /// `seen` says whether a first page is a showing (see [`Seen`]).
    pub async fn public_page(&self, site: &Site, query: &ListQuery, seen: Seen) -> ServiceResult<Cached> {
        self.public_rendering(site, query, seen, "json", |page| {
            serde_json::to_vec(page).map_err(|error| ServiceError::internal("JSON", error))
        })
        .await
    }

    /// The same page as [`Service::public_page`] in another form (`variant` names it, with
    /// whatever else the form depends on: the embed fragments' mode, language and theme),
    /// `render`ed on a miss and cached beside the JSON, invalidated by the same changes.
    /// A first page counts as one showing of the site's testimonials (`seen`), for its reach.
    pub async fn public_rendering(
        &self,
        site: &Site,
        query: &ListQuery,
        seen: Seen,
        variant: &str,
        render: impl FnOnce(&TestimonialPage) -> ServiceResult<Vec<u8>>,
    ) -> ServiceResult<Cached> {
        if query.cursor.is_none() {
            self.count_reach(site, seen);
        }
        let key = format!(
            "{variant}|{}|{}|{}",
            query.limit,
            query.cursor.as_ref().map(Cursor::encode).unwrap_or_default(),
            query.tag.as_deref().unwrap_or_default()
        );
        if let Lookup::Hit(cached) = self.public_cache.get(site.id, &key) {
            Metrics::add(&self.metrics.public_list_cache_hits);
            return Ok(cached);
        }
        Metrics::add(&self.metrics.public_list_cache_misses);
        let generation = self.public_cache.generation(site.id);
        let items = self.storage.list_published(site.id, query).await?;
        // A product page's wall (a tag) sums up that product's ratings, not the whole shop's.
        let summary = self.storage.rating_summary(site.id, query.tag.as_deref()).await?;
        let page = TestimonialPage {
            next_cursor: next_cursor(&items, query.limit),
            items: items.iter().map(|item| public_view(item, &self.public_url)).collect(),
            summary: public_summary(summary),
        };
        let body = render(&page)?;
        Ok(self.public_cache.put(site.id, key, body.into(), generation))
    }
}

impl Service {
    /// One moderation tab: the site's testimonials in `status`, newest first, filtered.
    pub async fn queue(
        &self,
        site: &Site,
        status: Status,
        query: &ListQuery,
    ) -> ServiceResult<Vec<Testimonial>> {
        Ok(self.storage.list_by_status(site.id, status, query).await?)
    }

    /// How many testimonials each status holds.
    pub async fn status_counts(&self, site: &Site) -> ServiceResult<Vec<(Status, u64)>> {
        Ok(self.storage.status_counts(site.id).await?)
    }

    /// Low ratings and contact requests, open or resolved, newest first.
    pub async fn follow_ups(
        &self,
        site: &Site,
        resolved: bool,
        limit: u32,
    ) -> ServiceResult<Vec<Testimonial>> {
        Ok(self.storage.follow_ups(site.id, resolved, limit).await?)
    }

    /// Adds a testimonial that arrives already decided (the demo's seed): stored as it is, the
    /// public lists refreshed; nobody is notified, as nobody submitted it.
    pub async fn seed_testimonial(&self, record: NewTestimonialRecord) -> ServiceResult<()> {
        if !consent::may_be_stored_as(record.consent, record.status) {
            return Err(consent::refusal());
        }
        let site_id = record.site_id;
        self.storage.insert_testimonial(record).await?;
        self.published_changed(site_id).await;
        Ok(())
    }
}

/// A new testimonial, however it arrives (the form, an import, a seed): its words (checked by
/// the same rules as any edit), who wrote it, and whether they consented.
pub struct Draft {
    pub content: TestimonialEdit,
    pub email: String,
    pub consent: bool,
}

/// The one way a new testimonial record is made: a fresh id and manage secret, the consent
/// record, the follow-up rule, waiting for moderation. Callers change what differs with
/// `..` (an auto-approved status, a photo, an imported id), and keep the manage token to hand
/// to the author (only its hash is stored).
pub fn new_record(site: &Site, draft: Draft) -> (NewTestimonialRecord, String) {
    let manage_token = secrets::bearer_token("ffm");
    let (consent_text, consent_version) = consent::record(site, draft.consent);
    let record = NewTestimonialRecord {
        id: secrets::testimonial_id(),
        site_id: site.id,
        follow_up: draft.content.rating <= site.low_rating_threshold,
        name: draft.content.name,
        email: draft.email,
        role: draft.content.role,
        company: draft.content.company,
        rating: draft.content.rating,
        text: draft.content.text,
        consent: draft.consent,
        consent_text,
        consent_version,
        photo_id: None,
        video_id: None,
        captions: None,
        referral_code: None,
        page_url: None,
        ip_prefix: None,
        contact_me: false,
        status: Status::Pending,
        manage_token_hash: secrets::hash_token(&manage_token),
        verified: false,
        tags: Vec::new(),
        created_at: now_ms(),
        moderated_at: None,
    };
    (record, manage_token)
}
