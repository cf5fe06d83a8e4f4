//! An advocate's private page: their link, visits, their friends' purchases and their rewards.
//! Its address carries a keyed signature of the advocate's id, so it needs no stored secret
//! and every email can carry it again. It is handed out by email only, never in an HTTP answer:
//! whoever signs up with someone else's address never sees that person's rewards.

use super::super::{Service, ServiceError, ServiceResult};
use super::ConversionState;
use crate::clock::now_ms;
use crate::secrets;
use crate::service::referrals::share_link;
use crate::storage::{Advocate, Conversion, ConversionSource, Reward, Site};

/// What the page shows.
#[derive(Debug, Clone)]
pub struct AdvocateView {
    pub advocate: Advocate,
    pub link: String,
    pub visits: u64,
    pub conversions: Vec<(Conversion, ConversionState)>,
    pub rewards: Vec<Reward>,
}

impl Service {
    /// `…/c/{site}/advocate/{id}.{signature}`: beside the site's collection page, in its
    /// colours.
    pub fn advocate_page_url(&self, site: &Site, advocate: &Advocate) -> String {
        let signature = self.notify.links.digest(&signed_fields(site, advocate.id));
        format!("{}/c/{}/advocate/{}.{signature}", self.public_url, site.slug, advocate.id)
    }

    /// The page behind a token; anything not signed for this site is the same "not found".
    pub async fn advocate_view(&self, site: &Site, token: &str) -> ServiceResult<AdvocateView> {
        let not_found = || ServiceError::NotFound("advocate page");
        let (id, signature) = token.split_once('.').ok_or_else(not_found)?;
        let id: i64 = id.parse().map_err(|_| not_found())?;
        let expected = self.notify.links.digest(&signed_fields(site, id));
        if !secrets::same_secret(signature, &expected) {
            return Err(not_found());
        }
        let advocate = self.storage.advocate(site.id, id).await?.ok_or_else(not_found)?;
        let now = now_ms();
        let conversions = self
            .storage
            .conversions_of(site.id, advocate.id)
            .await?
            .into_iter()
            // Purchases: a referred testimonial is credited, but it is not one.
            .filter(|conversion| conversion.source != ConversionSource::Testimonial)
            .map(|conversion| {
                let state = ConversionState::of(&conversion, site, now);
                (conversion, state)
            })
            .collect();
        Ok(AdvocateView {
            link: share_link(site, &advocate.code, None),
            visits: self.storage.visits_of(advocate.id).await?,
            rewards: self.storage.rewards_of(site.id, advocate.id).await?,
            conversions,
            advocate,
        })
    }

    /// Emails a new advocate their link and private page, off the request.
    pub(crate) fn welcome_advocate(&self, site: &Site, advocate: &Advocate, link: &str) {
        if !self.sends_email() {
            return;
        }
        let email = super::emails::welcome(site, advocate, link, &self.advocate_page_url(site, advocate));
        let service = self.clone();
        let slug = site.slug.clone();
        tokio::spawn(async move {
            if let Err(failure) = service.notify.email_customer(&email).await {
                tracing::warn!(site = %slug, error = %failure.message, "the advocate's welcome email was not sent");
            }
        });
    }
}

fn signed_fields(site: &Site, advocate_id: i64) -> String {
    format!("advocate-page.{}.{advocate_id}", site.slug)
}
