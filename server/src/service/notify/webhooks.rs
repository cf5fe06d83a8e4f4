//! Webhook deliveries: queued in the database with each event, sent by a background worker
//! (several at once, a few per site), signed with the webhook's secret, retried with growing
//! pauses, logged for the dashboard.
//!
//! A receiver is chosen by a site owner, not by the operator, so its address is checked when it
//! is saved ([`check_receiver`]) and again on every connection ([`CheckedResolver`] and the
//! literal-address check in [`WebhookWorker::send`]): the check and the connection use the same
//! addresses, so a name that resolves elsewhere a second later (DNS rebinding) gains nothing.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::{Notify, Semaphore};

use crate::clock::now_ms;
use crate::domain::addresses::{classify, Refusal, UrlHost};
use crate::secrets::{hex, SecretKey};
use crate::service::sealed::open_webhook_secret;
use crate::storage::{Delivery, DeliveryAttempt, DynStorage};

/// Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "Fanfare-Signature";
/// Attempts before a delivery is marked failed.
pub const MAX_ATTEMPTS: u32 = 6;
/// How long one request to a receiver may take, unless the server is told otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an instance owns a delivery it is sending, in request timeouts: taken just before
/// its one request and well beyond it, so another instance never sends it again meanwhile.
const CLAIM_LEASE_TIMEOUTS: u32 = 6;
/// Deliveries in flight at once, over all sites.
pub const MAX_IN_FLIGHT: usize = 16;
/// Deliveries in flight at once for one site: a slow receiver holds at most this many slots.
pub const MAX_IN_FLIGHT_PER_SITE: usize = 4;

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

/// Where a webhook URL leads, checked before it is saved: a literal address is classified, a
/// host name is resolved (resolving is not contacting the receiver) and refused if any of its
/// addresses is. `Err` is the sentence for the `url` field.
pub async fn check_receiver(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|_| "must be an http(s) URL".to_owned())?;
    match UrlHost::of(&parsed) {
        Some(UrlHost::Address(ip)) => classify(ip).map_err(|refusal| {
            format!("must reach the public internet: {ip} is a {refusal} (the operator can allow private networks)")
        }),
        // One answer whether the name is unknown or leads inside: an owner must not learn what
        // the operator's internal names resolve to.
        Some(UrlHost::Name(name)) => match resolve(&name).await {
            Ok(addresses) if addresses.iter().all(|address| classify(address.ip()).is_ok()) => Ok(()),
            _ => Err(format!(
                "must reach the public internet: {name} does not resolve to public addresses only \
                 (the operator can allow private networks)"
            )),
        },
        None => Err("must name a host".into()),
    }
}

async fn resolve(name: &str) -> std::io::Result<Vec<SocketAddr>> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name, 0)).await?.collect();
    if addresses.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no addresses"));
    }
    Ok(addresses)
}

/// A refused receiver address, carried through reqwest's error so the log can say why.
#[derive(Debug)]
struct RefusedAddress(Refusal);

impl std::fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused: {}", self.0)
    }
}

impl std::error::Error for RefusedAddress {}

/// The HTTP client's resolver: resolves, checks every address, and hands the connector only
/// checked ones, so the connection goes where the check looked. A name with any refused address
/// is refused as a whole, as at save time.
struct CheckedResolver;

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = resolve(&name).await?;
            if let Some(refusal) = addresses.iter().find_map(|address| classify(address.ip()).err()) {
                return Err(Box::new(RefusedAddress(refusal)) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// Deliveries in flight per site, shared by the worker and the tasks it starts.
#[derive(Clone, Default)]
struct InFlight(Arc<Mutex<HashMap<i64, usize>>>);

impl InFlight {
    /// A slot for one more delivery of the site, if it has fewer than its cap in flight.
    fn take(&self, site_id: i64) -> Option<SiteSlot> {
        // The map is only counted in, never held across an await: a poisoned lock still counts.
        let mut counts = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(site_id).or_default();
        if *count >= MAX_IN_FLIGHT_PER_SITE {
            return None;
        }
        *count += 1;
        Some(SiteSlot { in_flight: self.clone(), site_id })
    }
}

/// One delivery's place in its site's count; given back when dropped, however the send ends.
struct SiteSlot {
    in_flight: InFlight,
    site_id: i64,
}

impl Drop for SiteSlot {
    fn drop(&mut self) {
        let mut counts = self.in_flight.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.site_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.site_id);
            }
        }
    }
}

pub struct WebhookWorker {
    storage: DynStorage,
    client: reqwest::Client,
    wake: Arc<Notify>,
    retry_base: Duration,
    claim_lease: Duration,
    /// The operator's override: receivers on private networks are contacted.
    allow_private: bool,
    /// Opens each webhook's sealed signing secret just before signing.
    secret_key: SecretKey,
}

/// How deliveries are paced: the first pause before a retry (later pauses grow) and how long
/// one request may take.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryTiming {
    pub retry_base: Duration,
    pub request_timeout: Duration,
}

impl WebhookWorker {
    /// A worker over the queue in `storage`, woken by `wake` when an event is queued.
    pub fn new(
        storage: DynStorage,
        wake: Arc<Notify>,
        timing: DeliveryTiming,
        allow_private: bool,
        secret_key: SecretKey,
    ) -> anyhow::Result<Self> {
        let mut client = reqwest::Client::builder()
            .timeout(timing.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            // A proxy from the environment would be contacted instead of the checked address.
            .no_proxy()
            .user_agent(concat!("Fanfare-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            client = client.dns_resolver(Arc::new(CheckedResolver));
        }
        let client =
            client.build().map_err(|error| anyhow::anyhow!("building the webhook HTTP client: {error}"))?;
        Ok(Self {
            storage,
            client,
            wake,
            retry_base: timing.retry_base,
            claim_lease: timing.request_timeout.saturating_mul(CLAIM_LEASE_TIMEOUTS),
            allow_private,
            secret_key,
        })
    }

    /// Runs until the process ends: starts what is due as far as the caps allow, then sleeps
    /// until woken by a new event or a finished delivery, or for a second, whichever is first.
    pub async fn run(self) {
        let worker = Arc::new(self);
        let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let in_flight = InFlight::default();
        loop {
            if let Err(error) = worker.start_due(&slots, &in_flight).await {
                tracing::error!(%error, "cannot read due webhook deliveries");
            }
            tokio::select! {
                () = worker.wake.notified() => {},
                () = tokio::time::sleep(Duration::from_secs(1)) => {},
            }
        }
    }

    /// Claims each due delivery that has a free slot (overall and for its site) and sends it in
    /// a task of its own; the claim is taken right before its one request.
    async fn start_due(
        self: &Arc<Self>,
        slots: &Arc<Semaphore>,
        in_flight: &InFlight,
    ) -> Result<(), crate::storage::StorageError> {
        if slots.available_permits() == 0 {
            return Ok(());
        }
        let now = now_ms();
        let per_site = u32::try_from(MAX_IN_FLIGHT_PER_SITE).unwrap_or(u32::MAX);
        let limit = u32::try_from(MAX_IN_FLIGHT * 4).unwrap_or(u32::MAX);
        for delivery in self.storage.due_deliveries(now, per_site, limit).await? {
            let Ok(slot) = slots.clone().try_acquire_owned() else { break };
            let Some(site_slot) = in_flight.take(delivery.site_id) else { continue };
            let lease = i64::try_from(self.claim_lease.as_millis()).unwrap_or(i64::MAX);
            if !self.storage.claim_delivery(&delivery, now_ms().saturating_add(lease)).await? {
                continue;
            }
            let worker = self.clone();
            tokio::spawn(async move {
                worker.send(delivery).await;
                drop((site_slot, slot));
                // A slot is free again: look for what waited for it.
                worker.wake.notify_one();
            });
        }
        Ok(())
    }

    async fn send(&self, delivery: Delivery) {
        let (status, error, refused) = match self.literal_refusal(&delivery.url) {
            Some(refusal) => (None, Some(format!("refused: {refusal}")), true),
            None => self.post(&delivery).await,
        };
        let attempts = delivery.attempts + 1;
        let delivered = error.is_none();
        // A refused address is refused again next time: no retries, the log says why.
        let retry_at = (!delivered && !refused && attempts < MAX_ATTEMPTS).then(|| {
            let delay = retry_delay(self.retry_base, attempts);
            now_ms().saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX))
        });
        if let Some(error) = &error {
            // By id, never by URL: webhook URLs often carry the receiver's secret.
            tracing::warn!(
                delivery = delivery.id,
                webhook = delivery.webhook_id,
                site = delivery.site_id,
                attempts,
                %error,
                "webhook delivery failed"
            );
        }
        let attempt = DeliveryAttempt { status, error, retry_at, delivered, now: now_ms() };
        if let Err(error) = self.storage.record_delivery_attempt(delivery.id, attempt).await {
            tracing::error!(%error, delivery = delivery.id, "cannot record a webhook delivery attempt");
        }
    }

    /// Why a URL whose host is a literal address must not be contacted: reqwest connects to
    /// those without asking the resolver.
    fn literal_refusal(&self, url: &str) -> Option<Refusal> {
        if self.allow_private {
            return None;
        }
        match url::Url::parse(url).ok().as_ref().and_then(UrlHost::of) {
            Some(UrlHost::Address(ip)) => classify(ip).err(),
            Some(UrlHost::Name(_)) => None,
            // Saved URLs always have a host; one without is no receiver to contact.
            None => Some(Refusal::Reserved),
        }
    }

    /// Sends one delivery: the answer's status, the error for the log, and whether the address
    /// was refused.
    async fn post(&self, delivery: &Delivery) -> (Option<u16>, Option<String>, bool) {
        let timestamp = now_ms() / 1000;
        // The service refuses to start under another key, so this fails only if the row was
        // altered; the attempt is then logged as failed, never sent unsigned.
        let Some(secret) = open_webhook_secret(&self.secret_key, &delivery.sealed_secret) else {
            return (None, Some("the webhook's stored signing secret does not open".to_owned()), false);
        };
        let response = self
            .client
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(&secret, timestamp, &delivery.payload))
            .header("Fanfare-Event", &delivery.event)
            .header("Fanfare-Delivery", delivery.id.to_string())
            .body(delivery.payload.clone())
            .send()
            .await;
        match response {
            Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None, false),
            Ok(response) => {
                (Some(response.status().as_u16()), Some(format!("answered {}", response.status())), false)
            }
            Err(error) => match refused_by_resolver(&error) {
                Some(refused) => (None, Some(refused.to_string()), true),
                None => (None, Some(describe(&error)), false),
            },
        }
    }
}

/// The resolver's refusal, if that is what stopped the request.
fn refused_by_resolver(error: &reqwest::Error) -> Option<&RefusedAddress> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(refused) = current.downcast_ref::<RefusedAddress>() {
            return Some(refused);
        }
        cause = current.source();
    }
    None
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
