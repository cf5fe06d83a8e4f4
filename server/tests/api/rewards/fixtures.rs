//! What the reward tests share: a server with a mail sink whose rewards settle when the test
//! says, Stripe events as Stripe sends them, and the steps of a referral.

use fanfare_server::clock::now_ms;
use fanfare_server::service::rewards::stripe::sign;
use fanfare_server::service::sites::SettingsInput;
use fanfare_server::service::Actor;
use fanfare_server::storage::{RewardState, Site};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::helpers::{spawn_app_with, TestApp, ORIGIN, SITE};
use crate::notifications::{mail_to_sink, smtp_sink};

pub(super) const DAY_MS: i64 = 24 * 60 * 60 * 1000;
pub(super) const SIGNING_SECRET: &str = "whsec_test0123456789abcdef";
pub(super) const OWNER: &str = "owner@acme.test";

/// A server whose rewards are settled only when the test says, at the time it says.
pub(super) async fn app_with_mail() -> (TestApp, mpsc::UnboundedReceiver<String>) {
    let (port, inbox) = smtp_sink().await;
    let app = spawn_app_with(|settings| {
        mail_to_sink(settings, port);
        settings.send_invitations = false;
        settings.settle_rewards = false;
    })
    .await;
    (app, inbox)
}

pub(super) fn checkout(event: &str, session: &str, code: &str, payment: &str) -> Value {
    json!({
        "id": event,
        "object": "event",
        "type": "checkout.session.completed",
        "data": { "object": {
            "id": session,
            "object": "checkout.session",
            "client_reference_id": code,
            "amount_total": 4900,
            "currency": "eur",
            "payment_intent": payment,
            "payment_status": "paid",
            "customer_details": { "email": "friend@example.com" }
        } }
    })
}

pub(super) fn refunded(event: &str, payment: &str) -> Value {
    json!({
        "id": event,
        "object": "event",
        "type": "charge.refunded",
        "data": { "object": {
            "id": "ch_1", "object": "charge", "payment_intent": payment,
            "amount": 4900, "amount_refunded": 4900, "refunded": true
        } }
    })
}

impl TestApp {
    /// One reward for every `every` sales, held `hold_days`, paid through Stripe.
    pub(super) async fn reward_rules(&self, every: &str, hold_days: &str) -> Site {
        let input = SettingsInput {
            reward_every: Some(every),
            reward_hold_days: Some(hold_days),
            stripe_signing_secret: Some(SIGNING_SECRET),
            ..SettingsInput::default()
        };
        self.service.change_site(&self.acme().await, Actor::CommandLine, input).await.unwrap()
    }

    pub(super) async fn add_codes(&self, codes: &str) {
        self.service.add_coupons(&self.acme().await, Actor::CommandLine, codes).await.unwrap();
    }

    /// An advocate signing up in the widget from a browser speaking `lang`: their code.
    pub(super) async fn join(&self, email: &str, lang: &str) -> String {
        let response = self
            .client
            .post(self.url(&format!("/api/v1/sites/{SITE}/referrals")))
            .header("Origin", ORIGIN)
            .header("Accept-Language", lang)
            .json(&json!({ "name": "Ada", "email": email }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        assert!(body.get("page_url").is_none(), "the private page never comes over HTTP: {body}");
        body["code"].as_str().unwrap().to_owned()
    }

    /// POSTs an event to the site's Stripe endpoint as Stripe does, signed at `timestamp`.
    pub(super) async fn stripe_signed(
        &self,
        site: &str,
        event: &Value,
        secret: &str,
        timestamp: i64,
    ) -> reqwest::Response {
        let body = event.to_string();
        self.client
            .post(self.url(&format!("/hooks/stripe/{site}")))
            .header("Stripe-Signature", sign(secret, body.as_bytes(), timestamp))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A delivery Stripe makes now; its `outcome`.
    pub(super) async fn stripe(&self, event: &Value) -> String {
        let response = self.stripe_signed(SITE, event, SIGNING_SECRET, now_ms() / 1000).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["received"], true);
        body["outcome"].as_str().unwrap().to_owned()
    }

    pub(super) async fn reward_states(&self) -> Vec<RewardState> {
        let overview = self.service.rewards_overview(&self.acme().await, None).await.unwrap();
        overview.recent.iter().rev().map(|listing| listing.reward.state).collect()
    }

    pub(super) async fn page(&self, url: &str) -> (u16, String) {
        let path = url.strip_prefix(&self.address).unwrap_or(url);
        let response = self.client.get(self.url(path)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// The address in an email that leads to the advocate's private page; the email must have one.
pub(super) fn private_page(message: &str) -> String {
    message
        .split_whitespace()
        .find(|word| word.contains("/c/acme/advocate/"))
        .map(|word| word.trim_matches(|c| c == '"' || c == '<' || c == '>').to_owned())
        .expect("a link to the advocate's private page")
}
