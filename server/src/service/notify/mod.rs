//! Telling people what happened: moderators by email, the site's systems by webhook. Failures
//! here are logged and never undo or fail the request that caused them: the testimonial is
//! already stored.

pub mod email;
pub mod links;
pub mod webhooks;

use std::sync::Arc;

use fanfare_protocol::api::Status;
use fanfare_protocol::fields::without_bidi_controls;
use serde_json::json;
use tokio::sync::Notify;

use self::email::{CustomerEmail, FailureKind, Mailer, SendFailure};
use self::links::{EmailDecision, LinkSigner, LINK_LIFETIME_MS};
use crate::clock::{now_ms, rfc3339};
use crate::domain::Role;
use crate::secrets;
use crate::service::consent;
use crate::service::testimonials::moderation_view;
use crate::storage::{Advocate, Conversion, DynStorage, Reward, Site, Testimonial};

pub const EVENT_SUBMITTED: &str = "testimonial.submitted";
pub const EVENT_APPROVED: &str = "testimonial.approved";
pub const EVENT_CONVERTED: &str = "referral.converted";
pub const EVENT_REWARDED: &str = "referral.rewarded";

#[derive(Clone)]
pub struct Notifier {
    storage: DynStorage,
    mailer: Option<Mailer>,
    pub links: LinkSigner,
    public_url: Arc<str>,
    /// Wakes the webhook worker when a delivery is queued.
    webhook_wake: Arc<Notify>,
}

impl Notifier {
    pub fn new(storage: DynStorage, mailer: Option<Mailer>, links: LinkSigner, public_url: Arc<str>) -> Self {
        Self { storage, mailer, links, public_url, webhook_wake: Arc::new(Notify::new()) }
    }

    /// Whether email can go out at all (SMTP is configured).
    pub fn can_email(&self) -> bool {
        self.mailer.is_some()
    }

    /// An email to a customer (an invitation), sent now; the caller records the outcome.
    pub async fn email_customer(&self, email: &CustomerEmail) -> Result<(), SendFailure> {
        match &self.mailer {
            Some(mailer) => mailer.send_to_customer(email).await,
            None => Err(SendFailure {
                message: "no SMTP server is configured (--smtp-url)".into(),
                kind: FailureKind::Server,
            }),
        }
    }

    /// What the webhook worker waits on.
    pub fn webhook_wake(&self) -> Arc<Notify> {
        self.webhook_wake.clone()
    }

    pub async fn submitted(&self, site: &Site, testimonial: &Testimonial) {
        self.webhook(
            site,
            EVENT_SUBMITTED,
            "testimonial",
            json!(moderation_view(testimonial, &self.public_url)),
        )
        .await;
        if testimonial.status == Status::Pending {
            let notifier = self.clone();
            let (site, testimonial) = (site.clone(), testimonial.clone());
            // Off the request: an SMTP server taking seconds must not hold up the visitor.
            tokio::spawn(async move { notifier.email_moderators(&site, &testimonial).await });
        }
    }

    pub async fn approved(&self, site: &Site, testimonial: &Testimonial) {
        self.webhook(
            site,
            EVENT_APPROVED,
            "testimonial",
            json!(moderation_view(testimonial, &self.public_url)),
        )
        .await;
    }

    pub async fn referral_converted(&self, site: &Site, advocate: &Advocate, conversion: &Conversion) {
        let data = json!({
            "id": conversion.external_id,
            "code": advocate.code,
            "advocate": { "name": advocate.name, "email": advocate.email },
            "email": conversion.email,
            "flags": conversion.flags,
            "source": conversion.source.as_str(),
            "amount": conversion.value.as_ref().map(|value| value.amount),
            "currency": conversion.value.as_ref().map(|value| value.currency.as_str()),
            "created_at": rfc3339(conversion.created_at),
        });
        self.webhook(site, EVENT_CONVERTED, "conversion", data).await;
    }

    /// A reward was given: with its coupon code, or without one for a business that pays
    /// rewards in a system of its own.
    pub async fn referral_rewarded(&self, site: &Site, advocate: &Advocate, reward: &Reward) {
        let data = json!({
            "id": reward.id,
            "code": advocate.code,
            "advocate": { "name": advocate.name, "email": advocate.email },
            "conversions": reward.conversions,
            "coupon_code": reward.coupon_code,
            "given_at": reward.given_at.map(rfc3339),
        });
        self.webhook(site, EVENT_REWARDED, "reward", data).await;
    }

    /// A plain-text email to the site's owners (the coupon pool runs low, a refund came after a
    /// reward). Without SMTP, the log says what was not sent.
    pub async fn email_owners(&self, site: &Site, subject: &str, body: &str) {
        let owners = match self.storage.members(site.id).await {
            Ok(members) => members,
            Err(error) => {
                tracing::error!(%error, site = %site.slug, "cannot list the owners to tell");
                return;
            }
        };
        for (user, role) in owners {
            if role != Role::Owner {
                continue;
            }
            let Some(mailer) = &self.mailer else {
                tracing::info!(to = %user.email, %subject, "no SMTP configured; email to the owner not sent");
                continue;
            };
            if let Err(error) = mailer.send(&user.email, subject, without_bidi_controls(body)).await {
                tracing::error!(error = format!("{error:#}"), to = %user.email, "email to the owner not sent");
            }
        }
    }

    /// Queues `{"event", "site", "sent_for", <key>: data}` for every webhook of the site.
    async fn webhook(&self, site: &Site, event: &str, key: &str, data: serde_json::Value) {
        if !site.has_webhooks {
            return;
        }
        let mut payload = json!({ "event": event, "site": site.slug, "sent_for": rfc3339(now_ms()) });
        payload[key] = data;
        let payload = payload.to_string();
        match self.storage.enqueue_deliveries(site.id, event, &payload, now_ms()).await {
            Ok(0) => {}
            Ok(_) => self.webhook_wake.notify_one(),
            Err(error) => {
                tracing::error!(%error, site = %site.slug, event, "cannot queue webhook deliveries")
            }
        }
    }

    async fn email_moderators(&self, site: &Site, testimonial: &Testimonial) {
        let recipients = match self.storage.members_to_notify(site.id).await {
            Ok(recipients) => recipients,
            Err(error) => {
                tracing::error!(%error, site = %site.slug, "cannot list moderators to notify");
                return;
            }
        };
        for (user_id, recipient) in recipients {
            let subject = format!(
                "New testimonial for {}: {} stars from {}",
                site.name, testimonial.rating, testimonial.name
            );
            let Some(mailer) = &self.mailer else {
                // The body holds live one-click links (and the visitor's words): in a log
                // anyone who reads it could approve or reject. Only the envelope goes there.
                tracing::info!(to = %recipient, %subject, "no SMTP configured; notification email not sent");
                continue;
            };
            let body = self.submission_email(site, testimonial, user_id);
            if let Err(error) = mailer.send(&recipient, &subject, body).await {
                tracing::error!(error = format!("{error:#}"), to = %recipient, "notification email not sent");
            }
        }
    }

    /// Plain text only: what a visitor wrote can never become markup or a link target.
    fn submission_email(&self, site: &Site, testimonial: &Testimonial, user_id: i64) -> String {
        without_bidi_controls(&self.email_body(site, testimonial, user_id))
    }

    fn email_body(&self, site: &Site, testimonial: &Testimonial, user_id: i64) -> String {
        let mut body = format!("{} left a testimonial on {}.\n\n", testimonial.name, site.name);
        let about: Vec<&str> =
            [testimonial.role.as_deref(), testimonial.company.as_deref()].into_iter().flatten().collect();
        if !about.is_empty() {
            body.push_str(&format!("{}\n", about.join(", ")));
        }
        body.push_str(&format!("Rating: {} of 5\n\n{}\n\n", testimonial.rating, testimonial.text));
        body.push_str(if testimonial.consent {
            "They agreed to publication.\n"
        } else {
            "They did NOT agree to publication; it can be read but not approved.\n"
        });
        if let Some(page) = &testimonial.page_url {
            body.push_str(&format!("Sent from: {page}\n"));
        }
        body.push_str(
            "\nDecide with one click (each link asks you to confirm, works once and expires in 7 days):\n",
        );
        let decisions: &[(Status, &str)] = if consent::may_publish(testimonial) {
            &[(Status::Approved, "Approve"), (Status::Rejected, "Reject"), (Status::Spam, "Mark as spam")]
        } else {
            &[(Status::Rejected, "Reject"), (Status::Spam, "Mark as spam")]
        };
        for (status, label) in decisions {
            let token = self.links.sign(&EmailDecision {
                site_slug: site.slug.clone(),
                testimonial_id: testimonial.id.clone(),
                status: *status,
                user_id,
                expires_at: now_ms() + LINK_LIFETIME_MS,
                nonce: secrets::testimonial_id(),
            });
            body.push_str(&format!("{label}: {}/admin/email/{token}\n", self.public_url));
        }
        body.push_str(&format!("\nThe whole queue: {}/admin/sites/{}\n", self.public_url, site.slug));
        body
    }
}
