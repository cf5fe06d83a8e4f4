//! Sends what is due: each invitation's email, then its one reminder unless it was answered,
//! within the site's daily cap, never to a suppressed address. An SMTP failure is retried a few
//! times with growing pauses, then the invitation is failed, with the server's words, for the
//! dashboard to show. Time comes in as an argument, so tests drive the reminder with a clock of
//! their own instead of sleeping.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::email::{compose, Kind, Links};
use crate::clock::now_ms;
use crate::secrets;
use crate::service::metrics::Metrics;
use crate::service::notify::email::FailureKind;
use crate::service::{Service, ServiceResult};
use crate::storage::{Invitation, InvitationStatus, SendOutcome, Site};

const MINUTE_MS: i64 = 60 * 1000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// The pauses after the first, second… failed attempt; after the last, it is failed.
const RETRY_PAUSES_MS: [i64; 4] = [5 * MINUTE_MS, 30 * MINUTE_MS, 2 * 60 * MINUTE_MS, 12 * 60 * MINUTE_MS];

/// How long one sender holds an invitation it is sending: longer than the slowest SMTP
/// exchange (lettre waits up to a minute a command), counted from the claim itself.
const LEASE_MS: i64 = 15 * MINUTE_MS;

/// How long an invitation over the daily cap waits before it is looked at again.
const CAP_PAUSE_MS: i64 = 60 * MINUTE_MS;

/// Most invitations looked at in one round.
const ROUND: u32 = 200;

/// How often the sender looks for due emails when nothing wakes it.
pub const SEND_EVERY: Duration = Duration::from_secs(60);

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: u32,
    pub reminded: u32,
    /// Attempts that failed (to be retried, or given up).
    pub failed: u32,
    /// Over the site's daily cap, or a reminder whose delay was lengthened: waiting.
    pub deferred: u32,
    /// The address unsubscribed since it was queued.
    pub suppressed: u32,
    /// Reminders no longer wanted (the site turned them off).
    pub cancelled: u32,
    /// The round stopped early because the mail server itself failed (the rest wait).
    pub paused: bool,
}

impl Service {
    /// Sends every invitation and reminder due at `now`. Without SMTP settings nothing is sent
    /// and everything waits in the queue.
    pub async fn send_due_invitations(&self, now: i64) -> ServiceResult<SendReport> {
        let mut report = SendReport::default();
        if !self.notify.can_email() {
            return Ok(report);
        }
        let due = self.storage.due_invitations(now, ROUND).await?;
        if due.is_empty() {
            return Ok(report);
        }
        let sites: HashMap<i64, Site> =
            self.storage.list_sites().await?.into_iter().map(|site| (site.id, site)).collect();
        // What each site may still send today, read once a round.
        let mut budgets: HashMap<i64, u64> = HashMap::new();
        // This round's name on the invitations it holds: only it may record or release them.
        let owner = secrets::testimonial_id();
        for invitation in due {
            let Some(site) = sites.get(&invitation.site_id) else { continue };
            // From the claim, not the round's start: a long round must not hand out leases that
            // have already run out.
            let claimed_at = now.max(now_ms());
            if !self.storage.claim_invitation(&invitation, &owner, now, claimed_at + LEASE_MS).await? {
                continue;
            }
            let budget = match budgets.get_mut(&site.id) {
                Some(budget) => budget,
                None => {
                    let sent = self.storage.invitation_emails_since(site.id, now - DAY_MS).await?;
                    budgets
                        .entry(site.id)
                        .or_insert(u64::from(site.invitation_daily_cap).saturating_sub(sent))
                }
            };
            let outcome = self.send_invitation(site, &invitation, now, budget).await?;
            let server_down = matches!(&outcome, (_, Some(FailureKind::Server)));
            let outcome = outcome.0;
            match &outcome {
                SendOutcome::Sent { reminder: false, .. } => report.sent += 1,
                SendOutcome::Sent { reminder: true, .. } => report.reminded += 1,
                SendOutcome::Failed { .. } => report.failed += 1,
                SendOutcome::Deferred { .. } => report.deferred += 1,
                SendOutcome::Suppressed => report.suppressed += 1,
                SendOutcome::Cancelled => report.cancelled += 1,
            }
            self.storage.record_invitation_send(&invitation.id, &owner, &outcome, now).await?;
            if server_down {
                // Every other email would fail the same way and use up its retries: they wait
                // for the next round instead.
                report.paused = true;
                break;
            }
        }
        Ok(report)
    }

    /// What to do with one due invitation, and, when sending failed, how.
    async fn send_invitation(
        &self,
        site: &Site,
        invitation: &Invitation,
        now: i64,
        budget: &mut u64,
    ) -> ServiceResult<(SendOutcome, Option<FailureKind>)> {
        let kind =
            if invitation.status == InvitationStatus::Sent { Kind::Reminder } else { Kind::Invitation };
        let hash = self.address_hash(site, &invitation.email_key);
        if self.storage.is_suppressed(site.id, &hash).await? {
            return Ok((SendOutcome::Suppressed, None));
        }
        if kind == Kind::Reminder {
            // The site's reminder setting as it is now, not as it was when the email went out.
            if site.invitation_reminder_days == 0 {
                return Ok((SendOutcome::Cancelled, None));
            }
            let due = invitation.sent_at.unwrap_or(now) + i64::from(site.invitation_reminder_days) * DAY_MS;
            if due > now {
                return Ok((SendOutcome::Deferred { until: due }, None));
            }
        }
        if *budget == 0 {
            tracing::info!(site = %site.slug, cap = site.invitation_daily_cap, "daily invitation cap reached; waiting");
            return Ok((SendOutcome::Deferred { until: now + CAP_PAUSE_MS }, None));
        }
        let links = Links {
            collect: self.invitation_url(site, invitation),
            unsubscribe: self.unsubscribe_url(site, invitation),
        };
        let email = compose(site, invitation, kind, &links);
        let sent = self.notify.email_customer(&email).await;
        Metrics::add(if sent.is_ok() {
            &self.metrics.invitation_emails_sent
        } else {
            &self.metrics.invitation_email_failures
        });
        Ok(match sent {
            Ok(()) => {
                *budget -= 1;
                tracing::info!(site = %site.slug, invitation = %invitation.id, ?kind, "invitation email sent");
                let reminder_at = (kind == Kind::Invitation && site.invitation_reminder_days > 0)
                    .then(|| now + i64::from(site.invitation_reminder_days) * DAY_MS);
                (SendOutcome::Sent { reminder: kind == Kind::Reminder, next_send_at: reminder_at }, None)
            }
            Err(failure) => {
                let pause = RETRY_PAUSES_MS
                    .get(invitation.attempts as usize)
                    .filter(|_| failure.kind != FailureKind::Recipient);
                tracing::warn!(
                    site = %site.slug, invitation = %invitation.id, error = %failure.message,
                    kind = ?failure.kind, retry = pause.is_some(), "invitation email not sent"
                );
                let mut error = failure.message;
                error.truncate(error.char_indices().nth(500).map_or(error.len(), |(at, _)| at));
                (SendOutcome::Failed { error, retry_at: pause.map(|pause| now + pause) }, Some(failure.kind))
            }
        })
    }

    /// What wakes the sender when an invitation is queued.
    pub fn invitations_wake(&self) -> Arc<Notify> {
        self.invitations_wake.clone()
    }

    /// Sends what is due now and whenever woken or a minute has passed, for as long as the
    /// server runs. A failed round is logged; the next one tries again.
    pub async fn send_invitations_forever(self) {
        let wake = self.invitations_wake();
        loop {
            if let Err(error) = self.send_due_invitations(now_ms()).await {
                tracing::error!(%error, "cannot send due invitations; trying again in a minute");
            }
            let _ = tokio::time::timeout(SEND_EVERY, wake.notified()).await;
        }
    }
}
