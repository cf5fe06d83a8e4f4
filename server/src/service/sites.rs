//! Sites and their settings. The dashboard's settings form and `fanfare site set` read the same
//! fields through [`SettingsInput::parse`] (and `fanfare site add` checks its fields with the
//! same functions), so both accept and refuse exactly the same things; every change of a site
//! goes through [`Service::change_site`].

use std::collections::BTreeMap;

use fanfare_protocol::api::{WidgetConfig, WidgetTheme};
use fanfare_protocol::modes::Mode;
use fanfare_protocol::referrals::ReferralAttribution;

use super::audit::ACTION_ADD_WEBHOOK;
use super::notify::webhooks::check_receiver;
use super::pow::MAX_DIFFICULTY;
use super::{audit, sealed, Actor, Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::domain::{parse_accent, parse_webhook_url, Origin, Role, SiteSlug};
use crate::storage::{AuditEntry, Delivery, NewSite, RewardPayout, Site, SiteChanges, StorageError, Webhook};
use crate::{secrets, texts};

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

/// A change to a site's settings as typed (a form's fields, or command-line flags); `None`
/// leaves the setting as it is. Field errors are named after these fields.
#[derive(Debug, Default, Clone)]
pub struct SettingsInput<'a> {
    pub name: Option<&'a str>,
    /// Every allowed origin, replacing the current ones.
    pub origins: Option<Vec<&'a str>>,
    pub accent: Option<&'a str>,
    pub consent_text: Option<&'a str>,
    pub low_rating_threshold: Option<&'a str>,
    /// `Some(None)`: every testimonial waits for a moderator; `Some(Some(n))`: consenting
    /// ratings of n stars or more are published at once.
    pub auto_approve_min_rating: Option<Option<&'a str>>,
    /// One override per line, `text.id = wording` (or `de:text.id = wording` for one language).
    pub texts: Option<&'a str>,
    pub referral_window_days: Option<&'a str>,
    /// Empty: shared links open the page the advocate was on.
    pub referral_landing_url: Option<&'a str>,
    pub conversion_burst_limit: Option<&'a str>,
    pub proof_of_work: Option<&'a str>,
    /// `first` or `last`: whether a second referral link replaces the one a browser remembers.
    pub referral_attribution: Option<&'a str>,
    /// `on` or `off`: whether the read-only fragments carry schema.org JSON-LD.
    pub structured_data: Option<&'a str>,
    /// Days after an invitation before its one reminder; 0 sends none.
    pub invitation_reminder_days: Option<&'a str>,
    /// Invitation and reminder emails the site may send in any 24 hours.
    pub invitation_daily_cap: Option<&'a str>,
    /// A reward for every N conversions; `off` (or 0) for none.
    pub reward_every: Option<&'a str>,
    /// Days a conversion waits (the refund window) before its reward is earned.
    pub reward_hold_days: Option<&'a str>,
    /// Smallest qualifying sale in the currency's smallest unit; empty for any.
    pub reward_min_amount: Option<&'a str>,
    /// Double-sided: the code referred friends are shown; empty for none.
    pub friend_coupon: Option<&'a str>,
    /// Stripe's `whsec_…` for this site's endpoint; empty to stop taking Stripe events.
    pub stripe_signing_secret: Option<&'a str>,
    /// `coupons` (a code from the pool, emailed) or `webhook` (paid in the business's own
    /// system on `referral.rewarded`).
    pub reward_payout: Option<&'a str>,
}

/// Refused fields, each with a sentence saying why.
pub type FieldMessages = BTreeMap<String, String>;

/// Collects every refused field, so one answer names them all.
#[derive(Default)]
struct Refused(FieldMessages);

impl Refused {
    fn take<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.0.insert(field.to_owned(), message)).ok()
    }

    fn into_result(self) -> Result<(), FieldMessages> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

impl SettingsInput<'_> {
    /// Reads every given field, naming every refused one. `current` is the site as it is, for
    /// the rules between fields: the landing page must stay on the allowed origins, whichever
    /// of the two changes.
    pub fn parse(&self, current: &Site) -> Result<SiteChanges, FieldMessages> {
        let mut refused = Refused::default();
        let name = self.name.and_then(|raw| refused.take("name", site_name(raw)));
        let origins = self.origins.as_ref().and_then(|raws| refused.take("origins", parse_origins(raws)));
        let accent = self.accent.and_then(|raw| refused.take("accent", parse_accent(raw.trim())));
        let consent_text = self.consent_text.and_then(|raw| refused.take("consent_text", consent_text(raw)));
        let low_rating_threshold =
            self.low_rating_threshold.and_then(|raw| refused.take("low_rating_threshold", stars(raw)));
        let auto_approve_min_rating = match self.auto_approve_min_rating {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => refused.take("auto_approve_min_rating", stars(raw)).map(Some),
        };
        let texts = self.texts.and_then(|raw| refused.take("texts", text_overrides(raw)));
        let referral_window_days = self.referral_window_days.and_then(|raw| {
            refused.take(
                "referral_window_days",
                whole_number(raw, 1, 365)
                    .ok_or_else(|| "must be a whole number of days from 1 to 365".into()),
            )
        });
        let conversion_burst_limit = self.conversion_burst_limit.and_then(|raw| {
            refused.take(
                "conversion_burst_limit",
                whole_number(raw, 1, 100_000)
                    .ok_or_else(|| "must be a whole number from 1 to 100,000".into()),
            )
        });
        let proof_of_work = self.proof_of_work.and_then(|raw| {
            refused.take(
                "proof_of_work",
                raw.trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|bits| *bits <= MAX_DIFFICULTY)
                    .ok_or_else(|| format!("must be a whole number from 0 (off) to {MAX_DIFFICULTY}")),
            )
        });
        let referral_attribution = self.referral_attribution.and_then(|raw| {
            refused.take(
                "referral_attribution",
                ReferralAttribution::parse(raw.trim())
                    .ok_or_else(|| "must be first (the first link followed keeps the credit) or last".into()),
            )
        });
        let structured_data =
            self.structured_data.and_then(|raw| refused.take("structured_data", on_or_off(raw)));
        let invitation_reminder_days = self.invitation_reminder_days.and_then(|raw| {
            refused.take(
                "invitation_reminder_days",
                // Well inside the invitation link's 60 days.
                whole_number(raw, 0, 30)
                    .ok_or_else(|| "must be a whole number of days from 0 (no reminder) to 30".into()),
            )
        });
        let invitation_daily_cap = self.invitation_daily_cap.and_then(|raw| {
            refused.take(
                "invitation_daily_cap",
                whole_number(raw, 1, 100_000)
                    .ok_or_else(|| "must be a whole number from 1 to 100,000".into()),
            )
        });
        let reward_every = self.reward_every.and_then(|raw| {
            refused.take(
                "reward_every",
                match raw.trim() {
                    "off" | "0" | "" => Ok(None),
                    other => whole_number(other, 1, 1000).map(Some).ok_or_else(|| {
                        "must be a whole number of conversions from 1 to 1,000, or off".into()
                    }),
                },
            )
        });
        let reward_hold_days = self.reward_hold_days.and_then(|raw| {
            refused.take(
                "reward_hold_days",
                whole_number(raw, 0, 365)
                    .ok_or_else(|| "must be a whole number of days from 0 to 365".into()),
            )
        });
        let reward_min_amount = self.reward_min_amount.and_then(|raw| {
            refused.take(
                "reward_min_amount",
                match raw.trim() {
                    "" | "off" => Ok(None),
                    other => other.parse::<i64>().ok().filter(|n| (1..=1_000_000_000_000).contains(n)).map(Some).ok_or_else(
                        || "must be a whole amount in the currency's smallest unit (2500 for 25.00), or empty".into(),
                    ),
                },
            )
        });
        let friend_coupon = self.friend_coupon.and_then(|raw| {
            refused.take(
                "friend_coupon",
                match raw.trim() {
                    "" => Ok(None),
                    code => crate::service::rewards::coupons::parse_codes(code)
                        .ok()
                        .filter(|codes| codes.len() == 1)
                        .map(|_| Some(code.to_owned()))
                        .ok_or_else(|| "must be one code without spaces, at most 64 characters".into()),
                },
            )
        });
        let stripe_signing_secret = self.stripe_signing_secret.and_then(|raw| {
            refused.take(
                "stripe_signing_secret",
                match raw.trim() {
                    "" => Ok(None),
                    secret
                        if secret.starts_with("whsec_")
                            && secret.len() > 10
                            && secret.len() <= 200
                            && secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                    {
                        Ok(Some(secret.to_owned()))
                    }
                    _ => Err(
                        "must be the endpoint's signing secret from Stripe's dashboard, starting with whsec_"
                            .into(),
                    ),
                },
            )
        });
        let reward_payout = self.reward_payout.and_then(|raw| {
            refused.take(
                "reward_payout",
                RewardPayout::parse(raw.trim()).ok_or_else(|| {
                    "must be coupons (a code from your pool, emailed) or webhook (you pay on referral.rewarded)".into()
                }),
            )
        });
        let allowed: Vec<String> = match &origins {
            Some(new) => new.iter().map(|origin| origin.as_str().to_owned()).collect(),
            None => current.origins.clone(),
        };
        let referral_landing_url = match self.referral_landing_url {
            Some(raw) => refused.take("referral_landing_url", landing_url(raw, &allowed)),
            None => {
                // New origins without a new landing page: the one in force must still be on them.
                if let (Some(_), Some(landing)) = (&origins, &current.referral_landing_url) {
                    refused.take("origins", landing_url(landing, &allowed).map_err(|_| {
                        format!("must include the origin of the referral landing page {landing}, or change that page first")
                    }));
                }
                None
            }
        };
        refused.into_result()?;
        Ok(SiteChanges {
            name,
            origins,
            accent,
            consent_text,
            low_rating_threshold,
            texts,
            auto_approve_min_rating,
            referral_window_days,
            referral_landing_url,
            conversion_burst_limit,
            proof_of_work,
            referral_attribution,
            structured_data,
            invitation_reminder_days,
            invitation_daily_cap,
            reward_every,
            reward_hold_days,
            reward_min_amount,
            friend_coupon,
            stripe_signing_secret,
            reward_payout,
            rewards_since: None,
        })
    }
}

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
        self.sites.forget(&site.slug);
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
        audit::site_change(&self.storage, site, actor, ACTION_ADD_WEBHOOK, Some(url)).await?;
        Ok(OwnedWebhook { webhook, secret })
    }

    pub async fn remove_webhook(&self, site: &Site, actor: Actor<'_>, webhook_id: i64) -> ServiceResult<()> {
        if !self.storage.delete_webhook(site.id, webhook_id).await? {
            return Err(ServiceError::NotFound("webhook"));
        }
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

fn site_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("must be 1–100 characters without control characters".into());
    }
    Ok(name.to_owned())
}

fn parse_origins(raws: &[&str]) -> Result<Vec<Origin>, String> {
    raws.iter().map(|raw| Origin::parse(raw)).collect()
}

fn consent_text(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > 1000 {
        return Err("must be 1–1,000 characters".into());
    }
    Ok(text.to_owned())
}

fn stars(raw: &str) -> Result<u8, String> {
    raw.trim()
        .parse::<u8>()
        .ok()
        .filter(|n| (1..=5).contains(n))
        .ok_or_else(|| "must be a whole number from 1 to 5".into())
}

fn on_or_off(raw: &str) -> Result<bool, String> {
    match raw.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err("must be on or off".into()),
    }
}

fn whole_number(raw: &str, min: u32, max: u32) -> Option<u32> {
    raw.trim().parse::<u32>().ok().filter(|n| (min..=max).contains(n))
}

fn text_overrides(raw: &str) -> Result<BTreeMap<String, String>, String> {
    let mut texts = BTreeMap::new();
    for line in raw.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {line:?} needs the form: text id = wording"));
        };
        let (key, value) = (key.trim(), value.trim());
        let key_ok = !key.is_empty()
            && key.len() <= 40
            && key.chars().all(|c| c.is_ascii_lowercase() || matches!(c, '_' | '.' | ':' | '-'));
        if !key_ok || value.chars().count() > 500 {
            return Err(format!(
                "text id {key:?} must look like collect.title (or de:collect.title for one language), and its wording at most 500 characters"
            ));
        }
        texts.insert(key.to_owned(), value.to_owned());
    }
    Ok(texts)
}

fn landing_url(raw: &str, origins: &[String]) -> Result<Option<String>, String> {
    let landing = raw.trim();
    if landing.is_empty() {
        Ok(None)
    } else if origins.iter().any(|origin| landing.starts_with(&format!("{origin}/"))) {
        Ok(Some(landing.to_owned()))
    } else {
        Err("must be a page on one of the allowed origins".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(origins: &[&str], landing: Option<&str>) -> Site {
        Site {
            referral_landing_url: landing.map(str::to_owned),
            origins: origins.iter().map(|origin| (*origin).to_owned()).collect(),
            ..Site::example()
        }
    }

    #[test]
    fn every_refused_field_is_named() {
        let input = SettingsInput {
            name: Some(" "),
            origins: Some(vec!["https://shop.example.com", "shop.example.com"]),
            accent: Some("red"),
            consent_text: Some(""),
            low_rating_threshold: Some("6"),
            auto_approve_min_rating: Some(Some("0")),
            texts: Some("collect.title"),
            referral_window_days: Some("0"),
            referral_landing_url: Some("https://elsewhere.example.com/"),
            conversion_burst_limit: Some("x"),
            proof_of_work: Some("99"),
            referral_attribution: Some("middle"),
            structured_data: Some("yes"),
            invitation_reminder_days: Some("31"),
            invitation_daily_cap: Some("0"),
            reward_every: Some("-1"),
            reward_hold_days: Some("366"),
            reward_min_amount: Some("0"),
            friend_coupon: Some("TWO CODES"),
            stripe_signing_secret: Some("sk_live_not_a_signing_secret"),
            reward_payout: Some("cheque"),
        };
        let errors = input.parse(&site(&[], None)).unwrap_err();
        let named: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            named,
            [
                "accent",
                "auto_approve_min_rating",
                "consent_text",
                "conversion_burst_limit",
                "friend_coupon",
                "invitation_daily_cap",
                "invitation_reminder_days",
                "low_rating_threshold",
                "name",
                "origins",
                "proof_of_work",
                "referral_attribution",
                "referral_landing_url",
                "referral_window_days",
                "reward_every",
                "reward_hold_days",
                "reward_min_amount",
                "reward_payout",
                "stripe_signing_secret",
                "structured_data",
                "texts"
            ]
        );
    }

    #[test]
    fn only_given_fields_change() {
        let changes = SettingsInput { accent: Some("#AABBCC"), ..SettingsInput::default() }
            .parse(&site(&[], None))
            .unwrap();
        assert_eq!(changes.accent.as_deref(), Some("#aabbcc"));
        assert!(changes.name.is_none() && changes.consent_text.is_none() && changes.origins.is_none());
    }

    #[test]
    fn reward_rules_read_off_and_empty_as_none() {
        let parse = |every, min, secret| {
            SettingsInput {
                reward_every: Some(every),
                reward_min_amount: Some(min),
                stripe_signing_secret: Some(secret),
                ..SettingsInput::default()
            }
            .parse(&site(&[], None))
            .unwrap()
        };
        let on = parse("3", "2500", "whsec_abc123DEF456");
        assert_eq!(on.reward_every, Some(Some(3)));
        assert_eq!(on.reward_min_amount, Some(Some(2500)));
        assert_eq!(on.stripe_signing_secret, Some(Some("whsec_abc123DEF456".to_owned())));
        let off = parse("off", "", "");
        assert_eq!(
            (off.reward_every, off.reward_min_amount, off.stripe_signing_secret),
            (Some(None), Some(None), Some(None))
        );
    }

    #[test]
    fn structured_data_is_on_or_off() {
        let parse = |raw| {
            SettingsInput { structured_data: Some(raw), ..SettingsInput::default() }.parse(&site(&[], None))
        };
        assert_eq!(parse(" on ").unwrap().structured_data, Some(true));
        assert_eq!(parse("off").unwrap().structured_data, Some(false));
        assert_eq!(parse("true").unwrap_err()["structured_data"], "must be on or off");
    }

    #[test]
    fn a_landing_page_must_be_on_the_origins_in_force() {
        let current = site(&["https://shop.example.com"], None);
        let on_current = SettingsInput {
            referral_landing_url: Some("https://shop.example.com/welcome"),
            ..Default::default()
        };
        assert_eq!(
            on_current.parse(&current).unwrap().referral_landing_url,
            Some(Some("https://shop.example.com/welcome".to_owned()))
        );
        let moved = SettingsInput { origins: Some(vec!["https://new.example.com"]), ..on_current };
        assert!(moved.parse(&current).unwrap_err().contains_key("referral_landing_url"));
        let cleared = SettingsInput { referral_landing_url: Some(" "), ..Default::default() };
        assert_eq!(cleared.parse(&current).unwrap().referral_landing_url, Some(None));
    }

    #[test]
    fn new_origins_must_keep_the_landing_page_in_force() {
        let current = site(&["https://shop.example.com"], Some("https://shop.example.com/welcome"));
        let moved = SettingsInput { origins: Some(vec!["https://new.example.com"]), ..Default::default() };
        assert!(moved.parse(&current).unwrap_err().contains_key("origins"));
        let both =
            SettingsInput { referral_landing_url: Some("https://new.example.com/hi"), ..moved.clone() };
        assert!(both.parse(&current).is_ok());
        let blank = SettingsInput { origins: Some(vec![""]), ..Default::default() };
        assert!(blank.parse(&current).unwrap_err().contains_key("origins"), "a blank origin is refused");
    }

    #[test]
    fn consent_text_has_the_same_bounds_everywhere() {
        for refused in ["", "   ", &"x".repeat(1001)] {
            let input = SettingsInput { consent_text: Some(refused), ..Default::default() };
            assert!(input.parse(&site(&[], None)).unwrap_err().contains_key("consent_text"), "{refused:?}");
        }
        assert!(consent_text(&"x".repeat(1000)).is_ok());
    }
}
