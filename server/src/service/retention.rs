//! How long what only grows is kept: expired sessions, used nonces, idempotency keys, finished
//! webhook deliveries, invitations with nothing more to send, handled Stripe events and uploads no testimonial used are
//! pruned on a schedule (`serve` runs [`Service::prune`] every hour).

use std::time::Duration;

use super::notify::links::LINK_LIFETIME_MS;
use super::submissions::IDEMPOTENCY_WINDOW_MS;
use super::{Service, ServiceResult};
use crate::clock::now_ms;
use crate::storage::{Pruned, Retention};

/// How often `serve` prunes.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Delivered and failed webhook deliveries stay in the site's delivery log this long.
pub const DELIVERY_LOG_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Invitations with nothing more to send stay this long: past the 30 days within which an
/// address is not invited again, and past the life of their link.
pub const INVITATION_KEPT_MS: i64 = 180 * 24 * 60 * 60 * 1000;

/// Handled Stripe events are remembered this long; Stripe retries a delivery for three days,
/// and an event older than five minutes is refused by its signature's timestamp anyway.
pub const STRIPE_EVENTS_KEPT_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// A used nonce must outlive the longest-lived thing that carries one (an email link, 7 days; a
/// proof-of-work challenge lives 10 minutes), or that link would work a second time. An hour
/// more covers clocks that disagree.
const NONCE_KEPT_MS: i64 = LINK_LIFETIME_MS + 60 * 60 * 1000;

/// The cut-offs in force at `now`.
pub fn retention_at(now: i64) -> Retention {
    Retention {
        sessions_expired_before: now,
        nonces_used_before: now - NONCE_KEPT_MS,
        idempotency_keys_before: now - IDEMPOTENCY_WINDOW_MS,
        finished_deliveries_before: now - DELIVERY_LOG_MS,
        invitations_before: now - INVITATION_KEPT_MS,
        stripe_events_before: now - STRIPE_EVENTS_KEPT_MS,
    }
}

impl Service {
    /// Removes what is past its retention as of `now` and logs how much went.
    pub async fn prune(&self, now: i64) -> ServiceResult<Pruned> {
        let mut pruned = self.storage.prune(retention_at(now)).await?;
        pruned.media = self.remove_unused_media(now).await?;
        if pruned != Pruned::default() {
            tracing::info!(
                sessions = pruned.sessions,
                nonces = pruned.nonces,
                idempotency_keys = pruned.idempotency_keys,
                webhook_deliveries = pruned.deliveries,
                invitations = pruned.invitations,
                stripe_events = pruned.stripe_events,
                unused_uploads = pruned.media,
                "pruned rows past their retention"
            );
        }
        Ok(pruned)
    }

    /// Prunes now and then every [`PRUNE_EVERY`], for as long as the server runs. A failed
    /// round is logged and the next one tries again: nothing is lost by waiting.
    pub async fn prune_forever(self) {
        let mut every = tokio::time::interval(PRUNE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(error) = self.prune(now_ms()).await {
                tracing::error!(%error, "cannot prune old rows; trying again in an hour");
            }
        }
    }
}
