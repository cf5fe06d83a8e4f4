//! Webhook deliveries: queued in the database with each event, sent by one background worker,
//! signed with the webhook's secret, retried with growing pauses, logged for the dashboard.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::Notify;

use crate::clock::now_ms;
use crate::secrets::hex;
use crate::storage::{Delivery, DeliveryAttempt, DynStorage};

/// Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "Fanfare-Signature";
/// Attempts before a delivery is marked failed.
pub const MAX_ATTEMPTS: u32 = 6;
/// How long an instance owns a delivery it is sending: longer than the request timeout.
const CLAIM_LEASE_MS: i64 = 60_000;

/// The signature header's value for `body` sent at `timestamp` (Unix seconds). The timestamp is
/// signed too, so a receiver can refuse replays of old deliveries.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={}", hex(&mac.finalize().into_bytes()))
}

/// Pause after the `attempts`-th failure: base, 5×base, 25×base, … (30 s base: 30 s to ~5 h).
pub fn retry_delay(base: Duration, attempts: u32) -> Duration {
    base.saturating_mul(5u32.saturating_pow(attempts.saturating_sub(1)))
}

pub struct WebhookWorker {
    storage: DynStorage,
    client: reqwest::Client,
    wake: Arc<Notify>,
    retry_base: Duration,
}

impl WebhookWorker {
    /// A worker over the queue in `storage`, woken by `wake` when an event is queued.
    pub fn new(storage: DynStorage, wake: Arc<Notify>, retry_base: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Fanfare-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| anyhow::anyhow!("building the webhook HTTP client: {error}"))?;
        Ok(Self { storage, client, wake, retry_base })
    }

    /// Runs until the process ends: sends what is due, then sleeps until woken by a new event or
    /// for a second, whichever is first.
    pub async fn run(self) {
        loop {
            let now = now_ms();
            match self.storage.claim_due_deliveries(now, now + CLAIM_LEASE_MS, 20).await {
                Ok(due) => {
                    for delivery in due {
                        self.send(delivery).await;
                    }
                }
                Err(error) => tracing::error!(%error, "cannot read due webhook deliveries"),
            }
            tokio::select! {
                () = self.wake.notified() => {},
                () = tokio::time::sleep(Duration::from_secs(1)) => {},
            }
        }
    }

    async fn send(&self, delivery: Delivery) {
        let timestamp = now_ms() / 1000;
        let response = self
            .client
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(&delivery.secret, timestamp, &delivery.payload))
            .header("Fanfare-Event", &delivery.event)
            .header("Fanfare-Delivery", delivery.id.to_string())
            .body(delivery.payload.clone())
            .send()
            .await;
        let (status, error) = match response {
            Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None),
            Ok(response) => {
                (Some(response.status().as_u16()), Some(format!("answered {}", response.status())))
            }
            Err(error) => (None, Some(describe(&error))),
        };
        let attempts = delivery.attempts + 1;
        let delivered = error.is_none();
        let retry_at = (!delivered && attempts < MAX_ATTEMPTS).then(|| {
            let delay = retry_delay(self.retry_base, attempts);
            now_ms().saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX))
        });
        if let Some(error) = &error {
            tracing::warn!(delivery = delivery.id, url = %delivery.url, attempts, %error, "webhook delivery failed");
        }
        let attempt = DeliveryAttempt { status, error, retry_at, delivered, now: now_ms() };
        if let Err(error) = self.storage.record_delivery_attempt(delivery.id, attempt).await {
            tracing::error!(%error, delivery = delivery.id, "cannot record a webhook delivery attempt");
        }
    }
}

/// A short reason for the delivery log, without the URL (already shown beside it).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        "request failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let a = signature("whsec_1", 1_700_000_000, "{}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature("whsec_1", 1_700_000_001, "{}"));
        assert_ne!(a, signature("whsec_1", 1_700_000_000, "{ }"));
        assert_ne!(a, signature("whsec_2", 1_700_000_000, "{}"));
    }

    #[test]
    fn retries_back_off_by_five() {
        let base = Duration::from_secs(30);
        assert_eq!(retry_delay(base, 1), Duration::from_secs(30));
        assert_eq!(retry_delay(base, 2), Duration::from_secs(150));
        assert_eq!(retry_delay(base, 5), Duration::from_secs(30 * 625));
    }
}
