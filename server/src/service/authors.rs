//! What an author can do through their private manage link: read their testimonial, correct it
//! (back to moderation), or withdraw it (unpublished at once, for good). The unguessable token
//! is the key; only its hash is stored.

use fanfare_protocol::api::Status;

use super::moderation::parse_edit;
use super::{audit, consent, Actor, Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::secrets;
use crate::storage::Testimonial;

/// An author's correction as typed: checked by the same rules as a new submission.
pub struct Correction<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub company: &'a str,
    pub rating: &'a str,
    pub text: &'a str,
}

impl Service {
    /// The testimonial behind a manage link.
    pub async fn testimonial_by_manage_token(&self, token: &str) -> ServiceResult<Testimonial> {
        self.storage
            .testimonial_by_manage_token(&secrets::hash_token(token))
            .await?
            .ok_or(ServiceError::NotFound("testimonial"))
    }

    /// Applies the author's correction; it goes back to moderation before it shows again.
    pub async fn correct_by_author(
        &self,
        token: &str,
        correction: Correction<'_>,
    ) -> ServiceResult<Testimonial> {
        let item = self.testimonial_by_manage_token(token).await?;
        if item.status == Status::Withdrawn {
            return Err(consent::withdrawn_by_you());
        }
        let Correction { name, role, company, rating, text } = correction;
        let edit = parse_edit(name, role, company, rating, text)?;
        let updated = self
            .storage
            .author_edit(&secrets::hash_token(token), edit, now_ms())
            .await?
            .ok_or(ServiceError::NotFound("testimonial"))?;
        self.public_cache.invalidate(updated.site_id);
        audit::record(&self.storage, updated.site_id, Actor::Author, "author edit", Some(&updated.id), None)
            .await?;
        Ok(updated)
    }

    /// Unpublishes at once and for good.
    pub async fn withdraw_by_author(&self, token: &str) -> ServiceResult<Testimonial> {
        let item = self
            .storage
            .withdraw(&secrets::hash_token(token), now_ms())
            .await?
            .ok_or(ServiceError::NotFound("testimonial"))?;
        self.public_cache.invalidate(item.site_id);
        audit::record(&self.storage, item.site_id, Actor::Author, "author withdrew", Some(&item.id), None)
            .await?;
        tracing::info!(testimonial = %item.id, "withdrawn by its author");
        Ok(item)
    }
}
