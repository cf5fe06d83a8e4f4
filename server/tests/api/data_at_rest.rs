//! What the database holds after the fact: no usable secret, and nothing of an erased person.
//! Each test reads every table of the real database (SQLite file or PostgreSQL) the server uses.

use std::time::Duration;

use fanfare_protocol::api::{Status, TestimonialCreated};
use fanfare_server::config::ServerSettings;
use fanfare_server::domain::Role;
use fanfare_server::secrets::SecretKey;
use fanfare_server::service::moderation::Action;
use fanfare_server::service::notify::links::{EmailDecision, LinkSigner};
use fanfare_server::startup::Application;
use fanfare_server::storage;
use fanfare_server::storage::copy::dump_table;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, valid_submission, TestApp, ORIGIN, SITE};
use crate::notifications::{
    decode_quoted_printable, mail_to_sink, smtp_sink, verify_signature, webhook_receiver,
};

const OWNER: &str = "owner@acme.test";

impl TestApp {
    /// Every value of every table, one line per row, as the database holds them.
    async fn everything_at_rest(&self) -> String {
        fanfare_server::testing::everything_at_rest(&self.database.url).await.expect("every table reads")
    }

    async fn submit_with_key(&self, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/sites/{SITE}/testimonials")))
            .header("Origin", ORIGIN)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_replayable_answer_is_kept_without_its_manage_secret_and_still_replays() {
    let app = spawn_app().await;
    let key = "3f9c1d2e-5b7a-4c8e-9f10-1a2b3c4d5e6f";
    let first = app.submit_with_key(key, &valid_submission()).await;
    assert_eq!(first.status(), 201);
    let first: TestimonialCreated = first.json().await.unwrap();
    let manage_token = first.manage_url.rsplit('/').next().unwrap().to_owned();
    assert!(manage_token.starts_with("ffm_"), "{}", first.manage_url);

    let at_rest = app.everything_at_rest().await;
    assert!(at_rest.contains("idempotency_keys: "), "the key's row is there: {at_rest}");
    assert!(!at_rest.contains(&manage_token), "the manage secret is nowhere at rest:\n{at_rest}");
    assert!(!at_rest.contains(key), "nor the Idempotency-Key that opens it:\n{at_rest}");

    let again = app.submit_with_key(key, &valid_submission()).await;
    assert_eq!(again.status(), 201);
    let again: TestimonialCreated = again.json().await.unwrap();
    assert_eq!(again, first, "the retry gets the same answer, manage link included");
    assert_eq!(app.everything_stored().await.len(), 1);
    let manage = app.client.get(&again.manage_url).send().await.unwrap();
    assert_eq!(manage.status(), 200, "the replayed manage link works");
    assert!(manage.text().await.unwrap().contains("The beans are wonderful"));
}

#[tokio::test]
async fn erasing_an_address_leaves_nothing_of_it_in_any_table_and_keeps_everyone_else() {
    let app = spawn_app().await;
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    // Nothing listens on the discard port: deliveries stay queued or failed, payloads and all.
    app.add_webhook_as_operator("http://127.0.0.1:9/hook").await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let ada: Value = app.submit_with_key("ada-key-1", &valid_submission()).await.json().await.unwrap();
    // Moderators' words about Ada go to the audit log too: a reply and a private note.
    let ada_id = ada["id"].as_str().unwrap();
    let moderator = fanfare_server::service::Actor::CommandLine;
    for action in [
        Action::Reply(Some("Thank you, Ada of Engines Ltd!".into())),
        Action::ResolveFollowUp(Some("Rang Ada on +44 20 7946 0000, all sorted".into())),
    ] {
        app.service.moderate(&site, moderator, ada_id, action).await.unwrap();
    }
    let mut bob = valid_submission();
    bob["name"] = json!("Bob Builder");
    bob["email"] = json!("bob@example.com");
    bob["text"] = json!("Sturdy grinder, quick delivery.");
    let bob_first: Value = app.submit_with_key("bob-key-1", &bob).await.json().await.unwrap();
    let before = app.everything_at_rest().await;
    assert!(
        before.contains("webhook_deliveries: ") && before.contains("ada@example.com"),
        "the fixture queued deliveries naming Ada:\n{before}"
    );

    let page =
        app.post_form(&session, &format!("/admin/sites/{SITE}/erase"), &[("email", "Ada@Example.com")]).await;
    assert_eq!(page.status(), 200);

    let after = app.everything_at_rest().await;
    for trace in ["ada@example.com", "Ada Lovelace", "The beans are wonderful", "Ada of Engines", "7946 0000"]
    {
        assert!(!after.to_lowercase().contains(&trace.to_lowercase()), "{trace} is left:\n{after}");
    }
    assert!(after.contains("Bob Builder") && after.contains("bob@example.com"), "Bob's rows stay:\n{after}");
    let bob_again = app.submit_with_key("bob-key-1", &bob).await;
    assert_eq!(bob_again.status(), 201);
    assert_eq!(bob_again.json::<Value>().await.unwrap(), bob_first, "Bob's retry still replays");
}

/// What the email-link key is sealed for; pinned here because stored rows depend on it.
const LINK_KEY_PURPOSE: &str = "server key email-links";

impl TestApp {
    /// The `server_keys` row `name` as stored.
    async fn stored_server_key(&self, name: &str) -> Option<String> {
        let storage = storage::open(&self.database.url).await.unwrap();
        dump_table(&storage, "server_keys")
            .await
            .unwrap()
            .into_iter()
            .find(|row| row[0].as_deref() == Some(name))
            .and_then(|row| row[1].clone())
    }

    /// A second server over this database, as a restart (or another instance) starts it.
    async fn start_again(&self, key: SecretKey) -> anyhow::Result<Application> {
        let settings = ServerSettings {
            widget_dir: self.dir.path().join("widget"),
            webhook_retry_base: Duration::from_millis(100),
            allow_private_network_webhooks: true,
            ..ServerSettings::new("127.0.0.1:0".parse().unwrap(), key, self.database.media())
        };
        Application::build(self.storage.clone(), &settings).await
    }
}

/// The text after `prefix` in `page`, as long as it continues with id characters.
fn token_after<'p>(page: &'p str, prefix: &str) -> &'p str {
    let start = page.find(prefix).unwrap_or_else(|| panic!("{prefix} in {page}"));
    let rest = &page[start..];
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn webhook_secrets_and_the_link_key_are_sealed_at_rest_and_both_still_work() {
    let (port, mut inbox) = smtp_sink().await;
    let app = spawn_app_with(|settings| {
        mail_to_sink(settings, port);
        settings.webhook_retry_base = Duration::from_millis(100);
        settings.allow_private_network_webhooks = true;
    })
    .await;
    let (url, receiver) = webhook_receiver().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let added = app.post_form(&session, &format!("/admin/sites/{SITE}/webhooks"), &[("url", &url)]).await;
    assert_eq!(added.status(), 303);
    let page = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/webhooks")).await;
    let shown = token_after(&page, "whsec_").to_owned();
    assert_eq!(shown.len(), "whsec_".len() + 32, "{shown}");

    let created = app.submit_ok(&valid_submission()).await;
    let message = decode_quoted_printable(&inbox.recv().await.expect("an email"));
    let approve = message.lines().find_map(|line| line.strip_prefix("Approve: ")).expect("a link").trim();
    let token = approve.rsplit('/').next().unwrap().to_owned();
    // The first attempt is answered 500, the retry 204: two signed requests.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while receiver.received.lock().unwrap().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "the deliveries did not arrive");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (headers, body) in receiver.received.lock().unwrap().iter() {
        let signature = headers["fanfare-signature"].to_str().unwrap();
        assert!(verify_signature(&shown, signature, body), "signed with the secret the owner was shown");
    }

    let at_rest = app.everything_at_rest().await;
    assert!(at_rest.contains("webhooks: ") && at_rest.contains("server_keys: "), "{at_rest}");
    assert!(!at_rest.contains(&shown), "the webhook secret is nowhere at rest:\n{at_rest}");
    let sealed = app.stored_server_key("email-links").await.expect("the link key's row");
    let link_key = app.database.secret_key.open(LINK_KEY_PURPOSE, &sealed).expect("sealed under the key");
    assert!(
        LinkSigner::new(link_key.as_bytes()).verified_fields(&token).is_some(),
        "the sealed key is the one that signed the email's link"
    );
    assert!(!at_rest.contains(&link_key), "the link-signing key is nowhere at rest:\n{at_rest}");

    let confirmed =
        app.client.post(approve).header("Origin", &app.address).form(&[("go", "1")]).send().await.unwrap();
    assert_eq!(confirmed.status(), 200);
    assert_eq!(app.stored(SITE, &created.id).await.status, Status::Approved, "the one-click link works");
}

#[tokio::test]
async fn a_database_from_before_sealing_is_sealed_at_the_next_start_and_keeps_working() {
    let app = spawn_app().await;
    let (url, receiver) = webhook_receiver().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    let owner = app.storage.user_by_email(OWNER).await.unwrap().expect("the owner");
    let created = app.submit_ok(&valid_submission()).await;
    // Rows as an earlier version wrote them: the keys and secret in plain text, no check value
    // (and no media store: nothing marks one as this database's).
    let (old_key, old_secret) = ("0f".repeat(32), "whsec_writtenbeforesealingxxxxxxxxxx");
    let sql = storage::open(&app.database.url).await.unwrap();
    sqlx::query("DELETE FROM server_keys").execute(sql.pool()).await.unwrap();
    std::fs::remove_file(app.database.media_dir.join(fanfare_server::storage::media::keys::OWNER)).unwrap();
    sqlx::query("INSERT INTO server_keys (name, value) VALUES ('email-links', $1)")
        .bind(&old_key)
        .execute(sql.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO webhooks (site_id, url, secret, created_at) VALUES ($1, $2, $3, 0)")
        .bind(site.id)
        .bind(&url)
        .bind(old_secret)
        .execute(sql.pool())
        .await
        .unwrap();
    let before = app.everything_at_rest().await;
    assert!(before.contains(&old_key) && before.contains(old_secret), "the fixture is plain:\n{before}");
    // A link an earlier version emailed, signed with the plain key.
    let decision = EmailDecision {
        site_slug: SITE.into(),
        testimonial_id: created.id.clone(),
        status: Status::Approved,
        user_id: owner.id,
        expires_at: i64::MAX,
        nonce: "sent-before-sealing".into(),
    };
    let old_link = format!("/admin/email/{}", LinkSigner::new(old_key.as_bytes()).sign(&decision));

    let restarted = app.start_again(app.database.secret_key.clone()).await.expect("the next start");
    let address = format!("http://127.0.0.1:{}", restarted.port());
    let service = restarted.service().clone();
    tokio::spawn(restarted.run_until(std::future::pending()));

    let after = app.everything_at_rest().await;
    assert!(!after.contains(&old_key), "the link key is sealed:\n{after}");
    assert!(!after.contains(old_secret), "the webhook secret is sealed:\n{after}");
    // Idempotent: another start seals nothing more and changes nothing.
    drop(app.start_again(app.database.secret_key.clone()).await.expect("a third start"));
    assert_eq!(app.everything_at_rest().await, after);

    let hooks = service.webhooks(&site).await.unwrap();
    assert_eq!(hooks.iter().map(|hook| hook.secret.as_str()).collect::<Vec<_>>(), [old_secret]);
    let confirmed = app
        .client
        .post(format!("{address}{old_link}"))
        .header("Origin", &address)
        .form(&[("go", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200, "a link sent before sealing still works");
    assert_eq!(app.stored(SITE, &created.id).await.status, Status::Approved);
    // The approval is delivered, signed with the secret the receiver has had all along.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let signed = loop {
        let received = receiver.received.lock().unwrap().clone();
        if let Some((headers, body)) = received.iter().find(|(_, body)| body.contains("testimonial.approved"))
        {
            break verify_signature(old_secret, headers["fanfare-signature"].to_str().unwrap(), body);
        }
        assert!(tokio::time::Instant::now() < deadline, "the approval was not delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(signed, "signed with the webhook's old secret");
}

#[tokio::test]
async fn a_server_with_another_key_refuses_to_start_and_changes_nothing() {
    let app = spawn_app().await;
    app.add_webhook_as_operator("http://127.0.0.1:9/hook").await;
    let before = app.everything_at_rest().await;

    let refused = app.start_again(SecretKey::generate()).await.err().expect("another key is refused");
    let message = format!("{refused:#}");
    assert!(message.contains("sealed with a different secret key"), "{message}");
    assert!(message.contains("--secret-key-file") && message.contains("nothing was changed"), "{message}");
    assert_eq!(app.everything_at_rest().await, before, "nothing was changed");
    app.start_again(app.database.secret_key.clone()).await.expect("the right key still opens it");
}
