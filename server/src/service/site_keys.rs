//! Site keys: secrets a business's own systems send (`Authorization: Bearer ffs_…`) to invite
//! customers and record conversions. A key is not a person: it can do those two things on its
//! one site and nothing else. Shown once, stored as a hash.

use super::audit::{self, Actor};
use super::{Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::secrets;
use crate::storage::{Site, SiteKey};

/// What every site key starts with, so one pasted in the wrong place is recognised.
pub const PREFIX: &str = "ffs";

/// Whether a bearer token is a site key (and not a person's API token), by its prefix.
pub fn is_site_key(token: &str) -> bool {
    token.strip_prefix(PREFIX).is_some_and(|rest| rest.starts_with('_'))
}

/// A key just made: the secret is in this value and nowhere else.
pub struct CreatedKey {
    pub key: SiteKey,
    pub secret: String,
}

impl Service {
    pub async fn create_site_key(
        &self,
        site: &Site,
        actor: Actor<'_>,
        label: &str,
    ) -> ServiceResult<CreatedKey> {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 60 || label.chars().any(char::is_control) {
            return Err(ServiceError::field(
                "label",
                "must be 1–60 characters on one line, e.g. \"order system\"",
            ));
        }
        let secret = secrets::bearer_token(PREFIX);
        let hint: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        let key = self
            .storage
            .create_site_key(site.id, &secrets::hash_token(&secret), label, &hint, now_ms())
            .await?;
        audit::site_change(&self.storage, site, actor, "create site key", Some(format!("{label} (…{hint})")))
            .await?;
        Ok(CreatedKey { key, secret })
    }

    pub async fn site_keys(&self, site: &Site) -> ServiceResult<Vec<SiteKey>> {
        Ok(self.storage.site_keys(site.id).await?)
    }

    pub async fn revoke_site_key(&self, site: &Site, actor: Actor<'_>, key_id: i64) -> ServiceResult<()> {
        if !self.storage.revoke_site_key(site.id, key_id, now_ms()).await? {
            return Err(ServiceError::NotFound("site key"));
        }
        audit::site_change(&self.storage, site, actor, "revoke site key", Some(key_id.to_string())).await
    }

    /// The site's unrevoked key with this secret; `None` for anything else, another site's
    /// key included.
    pub async fn site_key(&self, site: &Site, secret: &str) -> ServiceResult<Option<SiteKey>> {
        if !is_site_key(secret) {
            return Ok(None);
        }
        let key = self.storage.use_site_key(&secrets::hash_token(secret), now_ms()).await?;
        Ok(key.filter(|key| key.site_id == site.id))
    }
}
