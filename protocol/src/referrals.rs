//! Referrals on the wire: an advocate asks for their link, a friend's visit and conversion are
//! recorded, moderators read the leaderboard.

use serde::{Deserialize, Serialize};

use crate::errors::FieldErrors;
use crate::fields::{Email, PersonName, Reference};

/// The characters of a referral code: digits and capitals without 0/O, 1/I/L and U, so a code
/// survives being read aloud or typed from a receipt.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const CODE_LENGTH: usize = 8;

/// A code as typed or pasted, upper-cased; `None` when it cannot be a code at all.
pub fn normalise_code(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    let ok = code.len() == CODE_LENGTH && code.bytes().all(|byte| CODE_ALPHABET.contains(&byte));
    ok.then_some(code)
}

/// Which advocate a browser that followed two referral links credits: the site's rule, in
/// its widget config and in the `Fanfare-Referral-Attribution` header of a visit's answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReferralAttribution {
    /// The code first remembered stays until its window ends; a later link cannot take over.
    #[default]
    First,
    /// Each link followed replaces the code remembered and starts its window again.
    Last,
}

impl ReferralAttribution {
    pub const ALL: [Self; 2] = [Self::First, Self::Last];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Last => "last",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|rule| rule.as_str() == raw)
    }
}

/// `POST /api/v1/sites/{site}/referrals`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateReferral {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The page the advocate is on; their link points there when the site has no landing page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    /// A random first-party id the loader keeps for this browser (fraud checks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// A [`CreateReferral`] that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReferral {
    pub name: PersonName,
    pub email: Email,
    pub page_url: Option<String>,
    pub device: Option<String>,
}

impl CreateReferral {
    pub fn validate(&self) -> Result<NewReferral, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.take("name", PersonName::parse(self.name.as_deref().unwrap_or("")));
        let email = errors.take("email", Email::parse(self.email.as_deref().unwrap_or("")));
        let device = errors.take("device", Reference::parse_optional(self.device.as_deref()));
        match (name, email, device) {
            (Some(name), Some(email), Some(device)) if errors.is_empty() => Ok(NewReferral {
                name,
                email,
                page_url: crate::fields::page_url(self.page_url.as_deref()),
                device: device.map(Reference::into_inner),
            }),
            _ => Err(errors),
        }
    }
}

/// `201` answer: the advocate's code and the link to share.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralCreated {
    pub code: String,
    pub link: String,
}

/// `POST /api/v1/sites/{site}/referrals/{code}/visits` (the body is optional).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordVisit {
    #[serde(default)]
    pub device: Option<String>,
}

/// `POST /api/v1/sites/{site}/conversions`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordConversion {
    #[serde(default)]
    pub code: Option<String>,
    /// The site's own id for what was converted (an order number); the same id counts once.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub device: Option<String>,
    /// What the sale was worth, in the currency's smallest unit (2500 = 25.00 EUR); kept for
    /// the leaderboard and a reward's minimum.
    #[serde(default)]
    pub amount: Option<i64>,
    /// ISO 4217 (`eur`, `USD`), with `amount`.
    #[serde(default)]
    pub currency: Option<String>,
}

/// `POST /api/v1/sites/{site}/conversions/{id}/refund` (site key; the body is optional): the
/// order was refunded, in full unless `refunded_amount` (the total refunded so far, in the
/// currency's smallest unit) is less than the sale.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundConversion {
    #[serde(default)]
    pub refunded_amount: Option<i64>,
}

/// What became of a conversion: `pending` (waiting out the refund window or a review),
/// `confirmed`, `reversed` (refunded) or `declined` (rejected by a moderator).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionStatus {
    pub id: String,
    pub status: String,
}

/// An amount in a currency's smallest unit.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub amount: i64,
    pub currency: String,
}

/// `201` answer to a conversion. Whether it was flagged is for moderators only.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionRecorded {
    pub id: String,
}

/// One advocate on `GET /api/v1/sites/{site}/moderation/referrals`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModerationReferral {
    pub code: String,
    pub name: String,
    pub email: String,
    pub visits: u64,
    pub conversions: u64,
    /// Conversions flagged for review.
    pub flagged: u64,
    /// What the counted conversions brought in, net of refunds, per currency.
    #[serde(default)]
    pub amounts: Vec<Amount>,
    #[serde(default)]
    pub rewards_given: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralPage {
    pub items: Vec<ModerationReferral>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_forgivingly_but_strictly() {
        assert_eq!(normalise_code(" abcd2345 ").as_deref(), Some("ABCD2345"));
        for bad in ["", "ABCD234", "ABCD23456", "ABCD2340", "ABCDIO23", "../admin", "ABCD-234"] {
            assert_eq!(normalise_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn referrals_name_each_bad_field() {
        let errors =
            CreateReferral { email: Some("nope".into()), device: Some("a b".into()), ..Default::default() }
                .validate()
                .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["device", "email", "name"]);
    }
}
