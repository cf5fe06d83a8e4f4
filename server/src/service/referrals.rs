//! Referrals: an advocate's code and link, a friend's visit, the conversion that credits the
//! advocate, and the checks that flag a conversion for review. Flags never block: a business
//! decides, with the reasons in front of it.

use std::net::IpAddr;

use fanfare_protocol::fields::{Email, Reference};
use fanfare_protocol::referrals::{
    normalise_code, CreateReferral, RecordConversion, RecordVisit, ReferralCreated,
};

use super::limits::{self, client_key_of};
use super::{audit, Actor, Service, ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::domain::{email_key, is_disposable_email, truncate_ip};
use crate::secrets;
use crate::storage::{
    Advocate, AdvocateStats, Conversion, ConversionSource, Money, NewAdvocate, NewConversion, Site,
    StorageError,
};

const HOUR_MS: i64 = 60 * 60 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;

impl Service {
    /// The advocate's code and link; the same person on the same site always gets the same code.
    /// Rate limited before anything is checked, so refused requests count too.
    /// A new advocate gets their link and private page by email (when SMTP is set up), in
    /// `lang`, the language their browser asked for.
    pub async fn refer(
        &self,
        site: &Site,
        ip: Option<IpAddr>,
        lang: &str,
        request: CreateReferral,
    ) -> ServiceResult<ReferralCreated> {
        let client = client_key_of(ip);
        self.admit(&[(limits::WRITES_PER_IP, &client), (limits::WRITES_PER_SITE, &site.slug)])?;
        let referral = request.validate()?;
        let ip_prefix = ip.map(truncate_ip);
        let email = referral.email.into_inner();
        let mut attempts = 0;
        let advocate = loop {
            let candidate = NewAdvocate {
                site_id: site.id,
                code: secrets::referral_code(),
                name: referral.name.as_str().to_owned(),
                email_key: email_key(&email),
                email: email.clone(),
                ip_prefix: ip_prefix.clone(),
                device: referral.device.clone(),
                lang: lang.to_owned(),
                created_at: now_ms(),
            };
            match self.storage.upsert_advocate(candidate).await {
                Ok(found) => break found,
                // 30^8 codes: a collision is rare, two in a row rarer still.
                Err(StorageError::Conflict { .. }) if attempts < 5 => attempts += 1,
                Err(error) => return Err(error.into()),
            }
        };
        let (advocate, new) = advocate;
        let link = share_link(site, &advocate.code, referral.page_url.as_deref());
        if new {
            self.welcome_advocate(site, &advocate, &link);
        }
        Ok(ReferralCreated { code: advocate.code, link })
    }

    /// The advocate behind a code; anything that is not a live code is the same "not found".
    pub async fn advocate_for_code(&self, site: &Site, raw: &str) -> ServiceResult<Advocate> {
        let code = normalise_code(raw).ok_or(ServiceError::NotFound("referral code"))?;
        self.storage.advocate_by_code(site.id, &code).await?.ok_or(ServiceError::NotFound("referral code"))
    }

    /// Counts a friend's visit once per device and referral window.
    pub async fn visit(
        &self,
        site: &Site,
        ip: Option<IpAddr>,
        code: &str,
        request: RecordVisit,
    ) -> ServiceResult<()> {
        let client = client_key_of(ip);
        self.admit(&[(limits::EVENTS_PER_IP, &client), (limits::WRITES_PER_SITE, &site.slug)])?;
        let device = parse_device(request.device.as_deref())?;
        let device = device.as_deref();
        let advocate = self.advocate_for_code(site, code).await?;
        let now = now_ms();
        let since = now - i64::from(site.referral_window_days) * DAY_MS;
        let ip_prefix = ip.map(truncate_ip);
        self.storage.record_visit(advocate.id, device, ip_prefix.as_deref(), now, since).await?;
        Ok(())
    }

    /// A conversion reported by a page (`Fanfare.convert`): rate limited like any visitor event,
    /// checked like any conversion.
    pub async fn convert_from_page(
        &self,
        site: &Site,
        ip: Option<IpAddr>,
        request: RecordConversion,
    ) -> ServiceResult<Conversion> {
        let client = client_key_of(ip);
        self.admit(&[(limits::EVENTS_PER_IP, &client), (limits::WRITES_PER_SITE, &site.slug)])?;
        let external_id = parse_conversion_id(request.id.as_deref())?;
        let email = parse_optional_email(request.email.as_deref())?;
        let device = parse_device(request.device.as_deref())?;
        let ip_prefix = ip.map(truncate_ip);
        let friend =
            Friend { email: email.as_deref(), ip_prefix: ip_prefix.as_deref(), device: device.as_deref() };
        let value = parse_value(request.amount, request.currency.as_deref())?;
        let sale =
            Sale { external_id: &external_id, source: ConversionSource::Page, value, payment_id: None };
        self.convert(site, request.code.as_deref().unwrap_or_default(), sale, friend).await
    }

    /// A conversion reported by the business's own system with a site key (a checkout, an
    /// order system): the key is the proof, so none of a visitor's rate limits apply (every
    /// order comes from the same address); the fraud checks still do.
    /// `Unauthorized` when `key` is not a site key of this site.
    pub async fn convert_from_system(
        &self,
        site: &Site,
        key: &str,
        request: RecordConversion,
    ) -> ServiceResult<Conversion> {
        self.site_key(site, key).await?.ok_or(ServiceError::Unauthorized)?;
        let external_id = parse_conversion_id(request.id.as_deref())?;
        let email = parse_optional_email(request.email.as_deref())?;
        let device = parse_device(request.device.as_deref())?;
        let friend = Friend { email: email.as_deref(), ip_prefix: None, device: device.as_deref() };
        let value = parse_value(request.amount, request.currency.as_deref())?;
        let sale =
            Sale { external_id: &external_id, source: ConversionSource::System, value, payment_id: None };
        self.convert(site, request.code.as_deref().unwrap_or_default(), sale, friend).await
    }

    /// Records the conversion `sale` for the advocate behind `code`; the same id twice is one
    /// conversion. A new one is announced to the site's webhooks and counted towards a reward.
    pub async fn convert(
        &self,
        site: &Site,
        code: &str,
        sale: Sale<'_>,
        friend: Friend<'_>,
    ) -> ServiceResult<Conversion> {
        self.convert_at(site, code, sale, friend, now_ms()).await
    }

    /// [`Service::convert`] as of `now`: the demo's seed records a history of past sales with
    /// the same checks and reward counting as a live one.
    pub async fn convert_at(
        &self,
        site: &Site,
        code: &str,
        sale: Sale<'_>,
        friend: Friend<'_>,
        now: i64,
    ) -> ServiceResult<Conversion> {
        let advocate = self.advocate_for_code(site, code).await?;
        let recent = self.storage.conversions_since(site.id, now - HOUR_MS).await?;
        // Anyone can post a code and an order id; a browser that really followed the link has
        // a recorded visit through it under the loader's id for this browser, within the window
        // the code counts for.
        let window_start = now - i64::from(site.referral_window_days) * DAY_MS;
        let visited = match friend.device {
            Some(device) => self.storage.visited_from(advocate.id, device, window_start).await?,
            None => false,
        };
        // The business reporting its own sale is not a browser that has to show it followed
        // the link; the checks about people (the advocate buying, a burst) still apply.
        let visited = visited || sale.source.is_trusted();
        let mut flags = fraud_flags(&advocate, &friend, visited, recent, site.conversion_burst_limit);
        // With rewards at stake, a browser's word on a sale (anyone can send one, amount and
        // all) waits for a moderator who has seen the order.
        if site.rewards.every.is_some() && sale.source == ConversionSource::Page {
            flags.push(crate::service::rewards::UNVERIFIED_SALE.to_owned());
        }
        let (conversion, new) = self
            .storage
            .record_conversion(NewConversion {
                site_id: site.id,
                advocate_id: advocate.id,
                external_id: sale.external_id.to_owned(),
                email: friend.email.map(str::to_owned),
                email_key: friend.email.map(email_key),
                ip_prefix: friend.ip_prefix.map(str::to_owned),
                device: friend.device.map(str::to_owned),
                flags,
                source: sale.source,
                value: sale.value,
                payment_id: sale.payment_id.map(str::to_owned),
                created_at: now,
            })
            .await?;
        if new {
            tracing::info!(site = %site.slug, code = %advocate.code, flags = ?conversion.flags, "referral converted");
            self.notify.referral_converted(site, &advocate, &conversion).await;
            self.count_rewards(site, advocate.id, now).await?;
        }
        Ok(conversion)
    }

    /// A moderator's word on a conversion: accepted or rejected after review, or its reward given.
    pub async fn review_conversion(
        &self,
        site: &Site,
        actor: Actor<'_>,
        conversion_id: i64,
        review: ConversionReview,
    ) -> ServiceResult<()> {
        let done = match review {
            ConversionReview::Accept => {
                let accepted = self.storage.review_conversion(site.id, conversion_id, true).await?;
                if accepted {
                    // Accepted after review: it may complete a reward now.
                    if let Some(conversion) = self.storage.conversion(site.id, conversion_id).await? {
                        self.count_rewards(site, conversion.advocate_id, now_ms()).await?;
                    }
                }
                accepted
            }
            ConversionReview::Reject => self.storage.review_conversion(site.id, conversion_id, false).await?,
            ConversionReview::RewardGiven => {
                self.storage.mark_reward_given(site.id, conversion_id, now_ms()).await?
            }
        };
        if !done {
            return Err(ServiceError::NotFound("conversion"));
        }
        let action = format!("{} conversion", review.name());
        audit::site_change(&self.storage, site, actor, &action, Some(conversion_id.to_string())).await
    }
}

impl Service {
    /// Advocates by conversions, then visits; `offset` pages through them.
    pub async fn leaderboard(
        &self,
        site: &Site,
        limit: u32,
        offset: u64,
    ) -> ServiceResult<Vec<AdvocateStats>> {
        Ok(self.storage.advocate_stats(site.id, limit, offset).await?)
    }

    /// Flagged conversions nobody has reviewed yet, oldest first.
    pub async fn flagged_conversions(&self, site: &Site) -> ServiceResult<Vec<Conversion>> {
        Ok(self.storage.flagged_conversions(site.id).await?)
    }

    /// One advocate of the site with their conversions.
    pub async fn advocate(
        &self,
        site: &Site,
        advocate_id: i64,
    ) -> ServiceResult<(Advocate, Vec<Conversion>)> {
        let advocate =
            self.storage.advocate(site.id, advocate_id).await?.ok_or(ServiceError::NotFound("advocate"))?;
        let conversions = self.storage.conversions_of(site.id, advocate.id).await?;
        Ok((advocate, conversions))
    }
}

/// What a moderator may say about a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionReview {
    Accept,
    Reject,
    RewardGiven,
}

impl ConversionReview {
    /// From the dashboard's action names: `accept`, `reject`, `reward`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "accept" => Some(Self::Accept),
            "reject" => Some(Self::Reject),
            "reward" => Some(Self::RewardGiven),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Reject => "reject",
            Self::RewardGiven => "reward",
        }
    }
}

/// The site's landing page, else the advocate's own page if it belongs to the site, else the
/// site's first origin; with `ref=CODE` in place of any earlier one.
pub fn share_link(site: &Site, code: &str, page_url: Option<&str>) -> String {
    let on_site = |url: &&str| {
        site.origins.iter().any(|origin| url.starts_with(&format!("{origin}/")) || url == origin)
    };
    let fallback = site.origins.first().map(|origin| format!("{origin}/")).unwrap_or_default();
    let base =
        site.referral_landing_url.as_deref().or(page_url.filter(on_site)).map_or(fallback, str::to_owned);
    let without_fragment = base.split('#').next().unwrap_or_default();
    let (path, query) = without_fragment.split_once('?').unwrap_or((without_fragment, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("ref=") && *pair != "ref")
        .collect();
    let ours = format!("ref={code}");
    pairs.push(&ours);
    format!("{path}?{}", pairs.join("&"))
}

/// The sale behind a conversion, as its reporter describes it.
pub struct Sale<'a> {
    /// The site's id for it (an order number, a Checkout Session id); the same id counts once.
    pub external_id: &'a str,
    pub source: ConversionSource,
    pub value: Option<Money>,
    /// The payment a later refund will name.
    pub payment_id: Option<&'a str>,
}

/// What the friend's side of a conversion brings for the checks.
pub struct Friend<'a> {
    pub email: Option<&'a str>,
    pub ip_prefix: Option<&'a str>,
    pub device: Option<&'a str>,
}

/// Why a conversion needs a human look; empty when nothing stands out. `visited`: the friend's
/// browser has a recorded visit through the advocate's code.
pub fn fraud_flags(
    advocate: &Advocate,
    friend: &Friend<'_>,
    visited: bool,
    conversions_last_hour: u64,
    burst_limit: u32,
) -> Vec<String> {
    let mut flags = Vec::new();
    if !visited {
        flags.push("no_visit");
    }
    if friend.email.is_some_and(|email| email_key(email) == email_key(&advocate.email)) {
        flags.push("self_referral");
    }
    if friend.ip_prefix.is_some() && friend.ip_prefix == advocate.ip_prefix.as_deref() {
        flags.push("same_network");
    }
    if friend.device.is_some() && friend.device == advocate.device.as_deref() {
        flags.push("same_device");
    }
    if friend.email.is_some_and(is_disposable_email) {
        flags.push("disposable_email");
    }
    if conversions_last_hour >= u64::from(burst_limit) {
        flags.push("burst");
    }
    flags.into_iter().map(str::to_owned).collect()
}

/// The loader's random first-party id for a browser, if it sent one.
fn parse_device(raw: Option<&str>) -> ServiceResult<Option<String>> {
    Reference::parse_optional(raw)
        .map(|device| device.map(Reference::into_inner))
        .map_err(|error| ServiceError::field("device", error.to_string()))
}

/// A conversion id the site chose: 1–100 printable characters.
fn parse_conversion_id(raw: Option<&str>) -> ServiceResult<String> {
    let id = raw.unwrap_or_default().trim();
    if id.is_empty() || id.chars().count() > 100 || id.chars().any(char::is_control) {
        return Err(ServiceError::field("id", "must be 1–100 characters, e.g. your order number"));
    }
    Ok(id.to_owned())
}

/// An amount and its currency, both or neither: `amount` in the currency's smallest unit.
fn parse_value(amount: Option<i64>, currency: Option<&str>) -> ServiceResult<Option<Money>> {
    match (amount, currency.map(str::trim).filter(|currency| !currency.is_empty())) {
        (None, None) => Ok(None),
        (Some(amount), Some(currency)) => {
            if !(0..=1_000_000_000_000).contains(&amount) {
                return Err(ServiceError::field(
                    "amount",
                    "must be a whole number of the currency's smallest unit, e.g. 2500 for 25.00",
                ));
            }
            if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(ServiceError::field(
                    "currency",
                    "must be a three-letter ISO 4217 code such as EUR",
                ));
            }
            Ok(Some(Money { amount, currency: currency.to_ascii_lowercase() }))
        }
        (Some(_), None) => Err(ServiceError::field("currency", "is needed with an amount, e.g. EUR")),
        (None, Some(_)) => Err(ServiceError::field("amount", "is needed with a currency")),
    }
}

fn parse_optional_email(raw: Option<&str>) -> ServiceResult<Option<String>> {
    match raw.map(str::trim).filter(|email| !email.is_empty()) {
        None => Ok(None),
        Some(email) => Email::parse(email)
            .map(|email| Some(email.into_inner()))
            .map_err(|error| ServiceError::field("email", error.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site::example()
    }

    fn advocate() -> Advocate {
        Advocate {
            id: 1,
            site_id: 1,
            code: "ABCD2345".into(),
            name: "Ada".into(),
            email: "ada.l+news@gmail.com".into(),
            ip_prefix: Some("203.0.113.0/24".into()),
            device: Some("dev-ada".into()),
            lang: "en".into(),
            created_at: 0,
        }
    }

    #[test]
    fn links_point_at_the_site_with_one_ref() {
        let mut site = site();
        assert_eq!(share_link(&site, "C", None), "https://acme.test/?ref=C");
        assert_eq!(
            share_link(&site, "C", Some("https://acme.test/shop?x=1&ref=OLD#top")),
            "https://acme.test/shop?x=1&ref=C"
        );
        assert_eq!(
            share_link(&site, "C", Some("https://evil.test/")),
            "https://acme.test/?ref=C",
            "never off-site"
        );
        site.referral_landing_url = Some("https://acme.test/welcome".into());
        assert_eq!(share_link(&site, "C", Some("https://acme.test/shop")), "https://acme.test/welcome?ref=C");
    }

    #[test]
    fn each_fraud_signal_has_its_flag() {
        let ada = advocate();
        let clean = Friend {
            email: Some("grace@example.com"),
            ip_prefix: Some("198.51.100.0/24"),
            device: Some("dev-grace"),
        };
        assert!(fraud_flags(&ada, &clean, true, 0, 20).is_empty());
        assert_eq!(fraud_flags(&ada, &clean, false, 0, 20), ["no_visit"], "no visit from that browser");
        let cases: [(Friend<'_>, u64, &str); 5] = [
            (Friend { email: Some("AdaL@gmail.com"), ..clean }, 0, "self_referral"),
            (Friend { ip_prefix: Some("203.0.113.0/24"), ..clean }, 0, "same_network"),
            (Friend { device: Some("dev-ada"), ..clean }, 0, "same_device"),
            (Friend { email: Some("x@yopmail.com"), ..clean }, 0, "disposable_email"),
            (Friend { ..clean }, 20, "burst"),
        ];
        for (friend, recent, flag) in cases {
            assert_eq!(fraud_flags(&ada, &friend, true, recent, 20), vec![flag.to_owned()]);
        }
        let unknown = Friend { email: None, ip_prefix: None, device: None };
        let anonymous_advocate = Advocate { ip_prefix: None, device: None, ..ada };
        assert!(
            fraud_flags(&anonymous_advocate, &unknown, true, 0, 20).is_empty(),
            "missing data is not a match"
        );
    }
}
