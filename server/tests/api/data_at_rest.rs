//! What the database holds after the fact: no usable secret, and nothing of an erased person.
//! Each test reads every table of the real database (SQLite file or PostgreSQL) the server uses.

use fanfare_protocol::api::TestimonialCreated;
use fanfare_server::domain::Role;
use fanfare_server::service::moderation::Action;
use fanfare_server::storage;
use fanfare_server::storage::copy::{dump_table, TABLES};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, valid_submission, TestApp, ORIGIN, SITE};

const OWNER: &str = "owner@acme.test";

impl TestApp {
    /// Every value of every table, one line per row, as the database holds them.
    async fn everything_at_rest(&self) -> String {
        let storage = storage::open(&self.database.url).await.unwrap();
        let mut text = String::new();
        for (table, _) in TABLES {
            for row in dump_table(&storage, table).await.unwrap() {
                let cells: Vec<String> = row.into_iter().map(Option::unwrap_or_default).collect();
                text.push_str(&format!("{table}: {}\n", cells.join(" | ")));
            }
        }
        text
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
    app.storage
        .add_webhook(site.id, "http://127.0.0.1:9/hook", "whsec", 0, 10)
        .await
        .unwrap()
        .expect("under the cap");
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
