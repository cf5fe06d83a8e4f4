//! What an author can do through their private manage link: read their testimonial, correct it
//! (back to moderation, unless moderators put it in rejected or spam), or withdraw it
//! (unpublished at once, for good). The unguessable token is the key; only its hash is stored.
//! Every use is rate limited per client and per link.

use std::net::IpAddr;

use fanfare_protocol::api::Status;

use super::limits::{self, client_key_of};
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
    /// Counts one use of a manage link by a client; refused when either has used up its limit.
    /// Counted before the token is looked up, so guessing costs the same as using.
    fn admit_manage(&self, token_hash: &str, ip: Option<IpAddr>) -> ServiceResult<()> {
        let client = client_key_of(ip);
        self.admit(&[(limits::MANAGE_PER_IP, &client), (limits::MANAGE_PER_TOKEN, token_hash)])
    }

    /// The testimonial behind a manage link, for its page.
    pub async fn testimonial_by_manage_token(
        &self,
        token: &str,
        ip: Option<IpAddr>,
    ) -> ServiceResult<Testimonial> {
        let token_hash = secrets::hash_token(token);
        self.admit_manage(&token_hash, ip)?;
        self.find_by_manage_token(&token_hash).await
    }

    async fn find_by_manage_token(&self, token_hash: &str) -> ServiceResult<Testimonial> {
        self.storage
            .testimonial_by_manage_token(token_hash)
            .await?
            .ok_or(ServiceError::NotFound("testimonial"))
    }

    /// Applies the author's correction. A pending or published testimonial goes back to
    /// moderation before it shows again; one the moderators rejected or marked as spam stays
    /// where they put it (an edit must not bring spam back to the queue).
    pub async fn correct_by_author(
        &self,
        token: &str,
        correction: Correction<'_>,
        ip: Option<IpAddr>,
    ) -> ServiceResult<Testimonial> {
        let token_hash = secrets::hash_token(token);
        self.admit_manage(&token_hash, ip)?;
        let item = self.find_by_manage_token(&token_hash).await?;
        if item.status == Status::Withdrawn {
            return Err(consent::withdrawn_by_you());
        }
        let Correction { name, role, company, rating, text } = correction;
        let edit = parse_edit(name, role, company, rating, text)?;
        let updated = self
            .storage
            .author_edit(&token_hash, edit, now_ms())
            .await?
            .ok_or(ServiceError::NotFound("testimonial"))?;
        self.published_changed(updated.site_id).await;
        audit::record(&self.storage, updated.site_id, Actor::Author, "author edit", Some(&updated.id), None)
            .await?;
        Ok(updated)
    }

    /// Unpublishes at once and for good; its photo and video are deleted.
    pub async fn withdraw_by_author(&self, token: &str, ip: Option<IpAddr>) -> ServiceResult<Testimonial> {
        let token_hash = secrets::hash_token(token);
        self.admit_manage(&token_hash, ip)?;
        let item = self
            .storage
            .withdraw(&token_hash, now_ms())
            .await?
            .ok_or(ServiceError::NotFound("testimonial"))?;
        self.published_changed(item.site_id).await;
        self.remove_testimonial_media(item.site_id, &item.id).await;
        audit::record(&self.storage, item.site_id, Actor::Author, "author withdrew", Some(&item.id), None)
            .await?;
        tracing::info!(testimonial = %item.id, "withdrawn by its author");
        Ok(item)
    }
}
