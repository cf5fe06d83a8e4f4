//! Sites and their settings. The dashboard's settings form and `fanfare site set` read the same
//! fields through [`SettingsInput::parse`] (and `fanfare site add` checks its fields with the
//! same functions), so both accept and refuse exactly the same things; every change of a site
//! goes through [`Service::change_site`].

use std::collections::BTreeMap;

use fanfare_protocol::api::{WidgetConfig, WidgetTheme};
use fanfare_protocol::modes::Mode;

use super::audit::ACTION_ADD_WEBHOOK;
use super::notify::webhooks::check_receiver;
use super::{audit, sealed, Actor, Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::domain::{parse_webhook_url, Role, SiteSlug};
use crate::storage::{AuditEntry, Delivery, NewSite, Site, StorageError, Webhook};
use crate::{secrets, texts};

mod settings;

use self::settings::{consent_text, parse_origins, site_name, Refused};
pub use self::settings::{FieldMessages, SettingsInput};

/// A webhook as its owner sees it: with its signing secret, which is stored only sealed.
#[derive(Debug, Clone)]
pub struct OwnedWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

/// Webhooks one site may have: each event is sent to every one of them.
pub const MAX_WEBHOOKS_PER_SITE: u32 = 10;

pub const DEFAULT_CONSENT_TEXT: &str =
    "I agree that my name, role, company, rating and words may be published on this website.";

/// A new site as typed.
pub struct NewSiteInput<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub origins: Vec<&'a str>,
    /// `None`: [`DEFAULT_CONSENT_TEXT`].
    pub consent_text: Option<&'a str>,
}

impl Service {
    /// Adds a site; its slug must be new.
    pub async fn create_site(&self, input: NewSiteInput<'_>) -> ServiceResult<Site> {
        let mut refused = Refused::default();
        let slug = refused.take("slug", SiteSlug::parse(input.slug));
        let name = refused.take("name", site_name(input.name));
        let origins = refused.take("origins", parse_origins(&input.origins));
        let consent_text =
            refused.take("consent_text", consent_text(input.consent_text.unwrap_or(DEFAULT_CONSENT_TEXT)));
        let (Some(slug), Some(name), Some(origins), Some(consent_text)) = (slug, name, origins, consent_text)
        else {
            return Err(ServiceError::Invalid(refused.0));
        };
        let site = NewSite { slug, name, origins, consent_text };
        match self.storage.create_site(site, now_ms()).await {
            Ok(site) => Ok(site),
            Err(StorageError::Conflict { .. }) => Err(ServiceError::Conflict {
                code: "slug_taken",
                message: format!("a site with slug {:?} already exists", input.slug),
            }),
            Err(other) => Err(other.into()),
        }
    }

    /// Changes a site's settings as typed, refusing them all when one field is wrong: the
    /// change takes effect at once here, within a second on other instances, and is written to
    /// the audit log (unless nothing changed).
    pub async fn change_site(
        &self,
        site: &Site,
        actor: Actor<'_>,
        input: SettingsInput<'_>,
    ) -> ServiceResult<Site> {
        let mut changes = input.parse(site).map_err(ServiceError::Invalid)?;
        // Turning automatic rewards on starts them from now: a site's history (rewarded by hand
        // or not) is never paid out at once.
        if site.rewards.every.is_none() && matches!(changes.reward_every, Some(Some(_))) {
            changes.rewards_since = Some(now_ms());
        }
        // Stored sealed, like webhook secrets: the database alone never gives it away.
        changes.stripe_signing_secret = changes
            .stripe_signing_secret
            .map(|secret| secret.map(|secret| sealed::seal_stripe_secret(&self.secret_key, &secret)));
        let updated =
            self.storage.update_site(&site.slug, changes).await?.ok_or(ServiceError::NotFound("site"))?;
        self.settings_changed(site).await;
        if updated != *site {
            audit::site_change(&self.storage, site, actor, "change settings", None).await?;
        }
        Ok(updated)
    }

    /// Adds a webhook with a fresh signing secret, which is returned (and shown once). Its URL
    /// must lead to the public internet unless the operator allows private networks; checking
    /// it resolves the name but never contacts the receiver.
    pub async fn add_webhook(&self, site: &Site, actor: Actor<'_>, url: &str) -> ServiceResult<OwnedWebhook> {
        let url = parse_webhook_url(url).map_err(|message| ServiceError::field("url", message))?;
        if !self.allow_private_network_webhooks {
            check_receiver(&url).await.map_err(|message| ServiceError::field("url", message))?;
        }
        let secret = secrets::bearer_token("whsec");
        let stored = sealed::seal_webhook_secret(&self.secret_key, &secret);
        let Some(webhook) =
            self.storage.add_webhook(site.id, &url, &stored, now_ms(), MAX_WEBHOOKS_PER_SITE).await?
        else {
            return Err(ServiceError::field(
                "url",
                format!(
                    "cannot be added: a site has at most {MAX_WEBHOOKS_PER_SITE} webhooks; delete one first"
                ),
            ));
        };
        // The cached site says whether events queue deliveries: forgotten here and elsewhere.
        self.settings_changed(site).await;
        audit::site_change(&self.storage, site, actor, ACTION_ADD_WEBHOOK, Some(url)).await?;
        Ok(OwnedWebhook { webhook, secret })
    }

    pub async fn remove_webhook(&self, site: &Site, actor: Actor<'_>, webhook_id: i64) -> ServiceResult<()> {
        if !self.storage.delete_webhook(site.id, webhook_id).await? {
            return Err(ServiceError::NotFound("webhook"));
        }
        self.settings_changed(site).await;
        audit::site_change(&self.storage, site, actor, "delete webhook", None).await
    }
}

/// Every text in the asked language: our translation, then the site's own wording (`key` for
/// every language, `xx:key` for one).
pub fn site_texts(site: &Site, lang: &str) -> BTreeMap<String, String> {
    let primary = fanfare_protocol::languages::primary_subtag(lang);
    let mut texts = texts::for_language(lang);
    for (key, text) in &site.texts {
        match key.split_once(':') {
            None => {
                texts.insert(key.clone(), text.clone());
            }
            Some((only, key)) if only == primary => {
                texts.insert(key.to_owned(), text.clone());
            }
            Some(_) => {}
        }
    }
    texts
}

/// The site's public settings, with the texts a page shows in the asked language (the emails'
/// texts stay on the server).
pub fn widget_config(site: &Site, lang: &str) -> WidgetConfig {
    let mut texts = site_texts(site, lang);
    texts.retain(|key, _| !texts::SERVER_ONLY.iter().any(|prefix| key.starts_with(prefix)));
    WidgetConfig {
        site: site.slug.clone(),
        name: site.name.clone(),
        theme: WidgetTheme { accent: site.accent.clone() },
        texts,
        consent_text: site.consent_text.clone(),
        consent_version: site.consent_version,
        modes: Mode::ALL.iter().map(|mode| mode.as_str().to_owned()).collect(),
        low_rating_threshold: site.low_rating_threshold,
        proof_of_work: site.proof_of_work,
        referral_attribution: site.referral_attribution,
    }
}

impl Service {
    /// The site with this slug as stored now (the dashboard and the command line; the public
    /// API reads the cached [`Service::site`]).
    pub async fn find_site(&self, slug: &str) -> ServiceResult<Site> {
        self.storage.site_by_slug(slug).await?.ok_or(ServiceError::NotFound("site"))
    }

    pub async fn sites(&self) -> ServiceResult<Vec<Site>> {
        Ok(self.storage.list_sites().await?)
    }

    /// The site's webhooks with their signing secrets opened, for the owner who receives them.
    pub async fn webhooks(&self, site: &Site) -> ServiceResult<Vec<OwnedWebhook>> {
        let hooks = self.storage.webhooks(site.id).await?;
        hooks
            .into_iter()
            .map(|webhook| {
                let secret = sealed::open_webhook_secret(&self.secret_key, &webhook.sealed_secret)
                    .ok_or_else(|| {
                        StorageError::Corrupt(format!(
                            "the signing secret of webhook {} does not open",
                            webhook.id
                        ))
                    })?;
                Ok(OwnedWebhook { webhook, secret })
            })
            .collect()
    }

    /// The delivery log, newest first.
    pub async fn deliveries(&self, site: &Site, limit: u32) -> ServiceResult<Vec<Delivery>> {
        Ok(self.storage.deliveries(site.id, limit).await?)
    }

    /// The newest audit entries of the site first, as a member with role `viewer` may see
    /// them (webhook URLs only for owners).
    pub async fn audit_log(&self, site: &Site, viewer: Role, limit: u32) -> ServiceResult<Vec<AuditEntry>> {
        Ok(audit::for_viewer(self.storage.audit_log(site.id, limit).await?, viewer))
    }
}
