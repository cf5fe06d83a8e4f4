//! A site's settings as typed (the dashboard's form, `fanfare site set`), read into the changes
//! storage makes, every refused field named with why: one reading for every front end.

use std::collections::BTreeMap;

use fanfare_protocol::referrals::ReferralAttribution;

use super::super::pow::MAX_DIFFICULTY;
use crate::domain::{parse_accent, Origin};
use crate::storage::{RewardPayout, Site, SiteChanges};

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
pub(super) struct Refused(pub(super) FieldMessages);

impl Refused {
    pub(super) fn take<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
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

pub(super) fn site_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("must be 1–100 characters without control characters".into());
    }
    Ok(name.to_owned())
}

pub(super) fn parse_origins(raws: &[&str]) -> Result<Vec<Origin>, String> {
    raws.iter().map(|raw| Origin::parse(raw)).collect()
}

pub(super) fn consent_text(raw: &str) -> Result<String, String> {
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
