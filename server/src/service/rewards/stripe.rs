//! Stripe events, checked the way Stripe documents: the `Stripe-Signature` header carries
//! `t=<unix seconds>` and one or more `v1=<hex>`, each an HMAC-SHA256 of `"{t}.{body}"` under
//! the endpoint's signing secret; one must match (compared in constant time) and `t` must be
//! within five minutes of now, so a captured event cannot be replayed later.
//!
//! `checkout.session.completed` (and `checkout.session.async_payment_succeeded` for payments
//! that settle later) with the advocate's code in `metadata.fanfare_ref` or
//! `client_reference_id` is a conversion: its id is the session's, its amount kept.
//! `charge.refunded` refunds the conversion of its payment intent. Each event is handled once;
//! anything else is acknowledged and ignored, so Stripe stops sending it.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::super::referrals::{Friend, Sale};
use super::super::sealed;
use super::super::{Actor, Service, ServiceError, ServiceResult};
use crate::secrets::{hex, unhex};
use crate::storage::{ConversionSource, Money, SaleRef, Site};
use fanfare_protocol::referrals::normalise_code;

/// How far a signature's timestamp may be from now, either way.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header has no t= timestamp or no v1= signature")]
    Malformed,
    #[error("no v1 signature matches this body under the site's signing secret")]
    NoMatch,
    #[error("the signature's timestamp is more than 5 minutes from now (a replay, or a clock that is off)")]
    OutsideTolerance,
}

/// Checks `header` against `body` for `secret` at `now_secs`.
pub fn verify(secret: &str, header: Option<&str>, body: &[u8], now_secs: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let signed = |timestamp: i64| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    };
    // `verify_slice` compares in constant time, whatever the first differing byte.
    let matches = signatures
        .iter()
        .filter_map(|signature| unhex(signature))
        .any(|given| signed(timestamp).verify_slice(&given).is_ok());
    if !matches {
        return Err(SignatureError::NoMatch);
    }
    if (now_secs - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::OutsideTolerance);
    }
    Ok(())
}

/// `t=…,v1=…` for `body` at `timestamp`: what Stripe sends, for tests and the demo.
pub fn sign(secret: &str, body: &[u8], timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!("t={timestamp},v1={}", hex(&mac.finalize().into_bytes()))
}

/// What became of a verified event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripeOutcome {
    Converted,
    Refunded,
    /// Seen before: nothing done again.
    AlreadyHandled,
    /// Acknowledged and left alone, with why (for the log and the answer).
    Ignored(&'static str),
}

impl StripeOutcome {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Converted => "converted",
            Self::Refunded => "refunded",
            Self::AlreadyHandled => "already_handled",
            Self::Ignored(why) => why,
        }
    }
}

impl Service {
    /// One delivery to `POST /hooks/stripe/{site}`: the signature first, then the event once.
    pub async fn stripe_event(
        &self,
        site: &Site,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> ServiceResult<StripeOutcome> {
        let Some(sealed_secret) = &site.stripe_signing_secret else {
            return Err(ServiceError::NotFound("Stripe endpoint (no signing secret is set for this site)"));
        };
        let secret = sealed::open_stripe_secret(&self.secret_key, sealed_secret)
            .ok_or_else(|| ServiceError::internal("opening the Stripe signing secret", site.slug.as_str()))?;
        verify(&secret, signature, body, now.div_euclid(1000))
            .map_err(|error| ServiceError::BadSignature(error.to_string()))?;
        let event: Value = serde_json::from_slice(body)
            .map_err(|error| ServiceError::field("body", format!("is not a Stripe event: {error}")))?;
        let Some(event_id) = event["id"].as_str().filter(|id| !id.is_empty() && id.len() <= 255) else {
            return Err(ServiceError::field("id", "a Stripe event has an id (evt_…)"));
        };
        super::super::metrics::Metrics::add(&self.metrics.stripe_events);
        // Claimed before it is handled, so two deliveries of one event arriving together are
        // handled once; given back if handling fails, so Stripe's retry is handled.
        if !self.storage.record_stripe_event(site.id, event_id, now).await? {
            return Ok(StripeOutcome::AlreadyHandled);
        }
        let kind = event["type"].as_str().unwrap_or_default();
        let object = &event["data"]["object"];
        let handled = match kind {
            "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
                self.stripe_checkout(site, object).await
            }
            "charge.refunded" => self.stripe_refund(site, object, now).await,
            _ => Ok(StripeOutcome::Ignored("event_type_not_used")),
        };
        let outcome = match handled {
            Ok(outcome) => outcome,
            Err(error) => {
                self.storage.forget_stripe_event(site.id, event_id).await?;
                return Err(error);
            }
        };
        tracing::info!(site = %site.slug, event = event_id, kind, outcome = outcome.name(), "Stripe event handled");
        Ok(outcome)
    }

    async fn stripe_checkout(&self, site: &Site, session: &Value) -> ServiceResult<StripeOutcome> {
        if session["payment_status"].as_str() == Some("unpaid") {
            // Paid later (a bank transfer): `checkout.session.async_payment_succeeded` follows.
            return Ok(StripeOutcome::Ignored("not_paid_yet"));
        }
        let Some(session_id) = session["id"].as_str().filter(|id| !id.is_empty()) else {
            return Err(ServiceError::field("data.object.id", "a Checkout Session has an id (cs_…)"));
        };
        let code = [&session["metadata"]["fanfare_ref"], &session["client_reference_id"]]
            .into_iter()
            .filter_map(Value::as_str)
            .find_map(normalise_code);
        let Some(code) = code else { return Ok(StripeOutcome::Ignored("no_referral_code")) };
        match self.advocate_for_code(site, &code).await {
            Ok(_) => {}
            Err(ServiceError::NotFound(_)) => {
                tracing::warn!(site = %site.slug, session = session_id, %code, "Stripe checkout names an unknown referral code");
                return Ok(StripeOutcome::Ignored("unknown_referral_code"));
            }
            // Not knowing is not "unknown": the event fails, and Stripe retries it later.
            Err(error) => return Err(error),
        }
        let value = match (session["amount_total"].as_i64(), session["currency"].as_str()) {
            (Some(amount), Some(currency)) => Some(Money { amount, currency: currency.to_ascii_lowercase() }),
            _ => None,
        };
        let email = session["customer_details"]["email"].as_str().filter(|email| email.contains('@'));
        let friend = Friend { email, ip_prefix: None, device: None };
        // A subscription's session has no payment intent; its first invoice is what a refund of
        // that payment names.
        let payment = session["payment_intent"].as_str().or_else(|| session["invoice"].as_str());
        let sale =
            Sale { external_id: session_id, source: ConversionSource::Stripe, value, payment_id: payment };
        self.convert(site, &code, sale, friend).await?;
        Ok(StripeOutcome::Converted)
    }

    async fn stripe_refund(&self, site: &Site, charge: &Value, now: i64) -> ServiceResult<StripeOutcome> {
        let refunded_total = if charge["refunded"].as_bool() == Some(true) {
            None
        } else {
            charge["amount_refunded"].as_i64()
        };
        for payment in [&charge["payment_intent"], &charge["invoice"]].into_iter().filter_map(Value::as_str) {
            if self
                .refund(site, Actor::Stripe, SaleRef::Payment(payment), refunded_total, now)
                .await?
                .is_some()
            {
                return Ok(StripeOutcome::Refunded);
            }
        }
        let charge_id = charge["id"].as_str().unwrap_or_default();
        tracing::info!(site = %site.slug, charge = charge_id, "Stripe refund for a payment no referral brought");
        Ok(StripeOutcome::Ignored("unknown_payment"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"charge.refunded"}"#;

    #[test]
    fn a_signature_made_as_stripe_makes_it_holds() {
        let header = sign(SECRET, BODY, 1_700_000_000);
        assert_eq!(verify(SECRET, Some(&header), BODY, 1_700_000_000), Ok(()));
        // Stripe may send several v1 (while a secret is rolled) and a v0: any v1 may match.
        let rolled = format!("t=1700000000,v1=00ff,{},v0=abc", header.split(',').nth(1).unwrap_or_default());
        assert_eq!(verify(SECRET, Some(&rolled), BODY, 1_700_000_100), Ok(()));
    }

    #[test]
    fn wrong_secrets_bodies_and_headers_are_refused() {
        let header = sign(SECRET, BODY, 1_700_000_000);
        assert_eq!(verify("whsec_other", Some(&header), BODY, 1_700_000_000), Err(SignatureError::NoMatch));
        assert_eq!(verify(SECRET, Some(&header), b"{}", 1_700_000_000), Err(SignatureError::NoMatch));
        assert_eq!(verify(SECRET, None, BODY, 1_700_000_000), Err(SignatureError::Missing));
        for malformed in ["", "v1=abcd", "t=1700000000", "t=soon,v1=ab"] {
            assert_eq!(
                verify(SECRET, Some(malformed), BODY, 1_700_000_000),
                Err(SignatureError::Malformed),
                "{malformed}"
            );
        }
        let tampered_time = header.replace("t=1700000000", "t=1700000001");
        assert_eq!(verify(SECRET, Some(&tampered_time), BODY, 1_700_000_000), Err(SignatureError::NoMatch));
    }

    #[test]
    fn only_five_minutes_either_way() {
        let header = sign(SECRET, BODY, 1_700_000_000);
        assert_eq!(verify(SECRET, Some(&header), BODY, 1_700_000_300), Ok(()));
        assert_eq!(verify(SECRET, Some(&header), BODY, 1_700_000_301), Err(SignatureError::OutsideTolerance));
        assert_eq!(verify(SECRET, Some(&header), BODY, 1_699_999_699), Err(SignatureError::OutsideTolerance));
    }
}
