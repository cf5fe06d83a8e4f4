//! Webhooks as an attacker would use them: receivers on the operator's own network are refused
//! when saved and again when contacted; a stalled receiver holds up no other site; moderators
//! do not read owners' webhook URLs in the audit log. Every receiver here listens on loopback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fanfare_server::config::ServerSettings;
use fanfare_server::domain::Role;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::helpers::*;

/// A receiver on loopback that counts what it gets and answers 204.
async fn counting_receiver() -> (String, Arc<Mutex<u32>>) {
    let count = Arc::new(Mutex::new(0));
    let seen = count.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let seen = seen.clone();
            async move {
                *seen.lock().unwrap() += 1;
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{port}/hook"), count)
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "waited too long for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn submit_to(app: &TestApp, site: &str, origin: &str) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/sites/{site}/testimonials")))
        .header("Origin", origin)
        .json(&valid_submission())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
}

async fn owner_session(app: &TestApp) -> Session {
    app.dashboard_user("owner@acme.test", SITE, Role::Owner).await;
    app.login("owner@acme.test").await
}

#[tokio::test]
async fn webhooks_at_non_public_addresses_are_refused_when_saved_naming_the_url() {
    let app = spawn_app().await;
    let session = owner_session(&app).await;
    let path = format!("/admin/sites/{SITE}/webhooks");
    for (url, reason) in [
        ("http://127.0.0.1:9/hook", "loopback address"),
        ("http://[::1]/hook", "loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address"),
        ("http://10.0.0.1/", "private address"),
        ("http://2130706433/", "loopback address"),
        ("http://0x7f.0.0.1/", "loopback address"),
        ("http://[::ffff:127.0.0.1]/", "loopback address"),
        // A name is resolved (never contacted) and refused for where it leads, without saying
        // where: the words are those for a name that does not resolve at all.
        ("http://localhost:9/hook", "localhost does not resolve to public addresses only"),
    ] {
        let response = app.post_form(&session, &path, &[("url", url)]).await;
        assert_eq!(response.status(), 422, "{url}");
        let page = response.text().await.unwrap();
        assert!(page.contains("id=\"url-error\"") && page.contains(reason), "{url}: {page}");
        if url.contains("localhost") {
            assert!(
                !page.contains("127.0.0.1") && !page.contains("loopback"),
                "where a name leads stays unsaid"
            );
        }
    }
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    assert!(app.storage.webhooks(site.id).await.unwrap().is_empty(), "nothing stored");
}

#[tokio::test]
async fn with_the_operators_override_a_loopback_receiver_gets_the_delivery() {
    let app = spawn_app_with(|settings| settings.allow_private_network_webhooks = true).await;
    let (url, received) = counting_receiver().await;
    let session = owner_session(&app).await;
    let added = app.post_form(&session, &format!("/admin/sites/{SITE}/webhooks"), &[("url", &url)]).await;
    assert_eq!(added.status(), 303);

    app.submit_ok(&valid_submission()).await;

    wait_for("the delivery", || *received.lock().unwrap() == 1).await;
}

#[tokio::test]
async fn a_webhook_saved_while_allowed_is_refused_when_a_server_without_the_override_connects() {
    let app = spawn_app().await;
    let (url, received) = counting_receiver().await;
    let named = url.replace("127.0.0.1", "localhost");
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    // Stored as `fanfare webhook add --allow-private-network-webhooks` stores them.
    app.add_webhook_as_operator(&url).await;
    app.add_webhook_as_operator(&named).await;

    app.submit_ok(&valid_submission()).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let log = loop {
        let log = app.storage.deliveries(site.id, 10).await.unwrap();
        if log.len() == 2 && log.iter().all(|delivery| delivery.attempts == 1) {
            break log;
        }
        assert!(tokio::time::Instant::now() < deadline, "both attempts logged: {log:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for delivery in &log {
        assert_eq!(delivery.state.as_str(), "failed", "not retried: {}", delivery.url);
        assert_eq!(delivery.last_error.as_deref(), Some("refused: loopback address"), "{}", delivery.url);
    }
    assert_eq!(*received.lock().unwrap(), 0, "the receiver was never contacted");
    let session = owner_session(&app).await;
    let page = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/webhooks")).await;
    assert!(page.contains("refused: loopback address"), "{page}");
}

#[tokio::test]
async fn a_failed_delivery_leaves_its_url_out_of_the_log() {
    let app = spawn_app().await;
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    // Receivers put their secret in the URL (`?token=`, a path segment); this one is refused at
    // connect time, which fails the delivery without any traffic.
    let secret = format!("tok{}", fanfare_server::secrets::testimonial_id());
    let url = format!("http://127.0.0.1:9/hooks/{secret}?token={secret}");
    app.add_webhook_as_operator(&url).await;

    app.submit_ok(&valid_submission()).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app.storage.deliveries(site.id, 10).await.unwrap().iter().all(|delivery| delivery.attempts == 0) {
        assert!(tokio::time::Instant::now() < deadline, "the attempt is recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The failure was logged before it was recorded; the log is shared by every test here, so
    // only what is unique to this one is looked for.
    let delivery = &app.storage.deliveries(site.id, 10).await.unwrap()[0];
    assert_eq!(delivery.last_error.as_deref(), Some("refused: loopback address"));
    assert!(!captured_log().contains(&secret), "the URL's secret is not in the log");
}

/// A receiver on loopback with a `/slow` path that hangs until released and a `/fast` one that
/// answers at once; each request's path is written down as it arrives.
struct SlowAndFast {
    base: String,
    arrived: Arc<Mutex<Vec<&'static str>>>,
    release: Arc<Notify>,
}

impl SlowAndFast {
    async fn start() -> Self {
        let arrived: Arc<Mutex<Vec<&'static str>>> = Arc::default();
        let release = Arc::new(Notify::new());
        let (log, held, fast_log) = (arrived.clone(), release.clone(), arrived.clone());
        let receiver = axum::Router::new()
            .route(
                "/slow",
                axum::routing::post(move || {
                    let (log, held) = (log.clone(), held.clone());
                    async move {
                        log.lock().unwrap().push("slow");
                        // Held until the test lets go: a receiver that hangs.
                        held.notified().await;
                        axum::http::StatusCode::NO_CONTENT
                    }
                }),
            )
            .route(
                "/fast",
                axum::routing::post(move || {
                    let log = fast_log.clone();
                    async move {
                        log.lock().unwrap().push("fast");
                        axum::http::StatusCode::NO_CONTENT
                    }
                }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
        Self { base, arrived, release }
    }

    fn count(&self, path: &str) -> usize {
        self.arrived.lock().unwrap().iter().filter(|arrived| **arrived == path).count()
    }
}

async fn add_hook(app: &TestApp, slug: &str, url: &str) -> fanfare_server::storage::Site {
    let site = app.storage.site_by_slug(slug).await.unwrap().unwrap();
    app.service.add_webhook(&site, fanfare_server::service::Actor::CommandLine, url).await.unwrap();
    site
}

/// Loopback receivers allowed, and requests that outlast any test: a held request must stay
/// held however slow the machine, not time out and free its slot.
fn allow_loopback_and_wait_long(settings: &mut ServerSettings) {
    settings.allow_private_network_webhooks = true;
    settings.webhook_timeout = Duration::from_secs(600);
}

#[tokio::test]
async fn a_stalled_receiver_of_one_site_does_not_hold_up_another_sites_delivery() {
    let app = spawn_app_with(allow_loopback_and_wait_long).await;
    let receiver = SlowAndFast::start().await;
    let acme = add_hook(&app, SITE, &format!("{}/slow", receiver.base)).await;
    add_hook(&app, OTHER_SITE, &format!("{}/fast", receiver.base)).await;

    submit_to(&app, SITE, ORIGIN).await;
    wait_for("the slow receiver to be reached", || receiver.count("slow") == 1).await;
    submit_to(&app, OTHER_SITE, OTHER_ORIGIN).await;
    wait_for("the other site's delivery", || receiver.count("fast") == 1).await;

    // Sent one after another, the slow delivery's attempt would be over (timed out and logged)
    // before the other site's was sent; here it is still in flight.
    let slow = app.storage.deliveries(acme.id, 10).await.unwrap();
    assert_eq!(slow.len(), 1);
    assert_eq!((slow[0].state.as_str(), slow[0].attempts), ("pending", 0), "still held: {:?}", slow[0]);
    assert_eq!(*receiver.arrived.lock().unwrap(), ["slow", "fast"]);
    receiver.release.notify_waiters();
}

#[tokio::test]
async fn a_hanging_receiver_holds_at_most_four_of_its_sites_deliveries_at_once() {
    let app = spawn_app_with(allow_loopback_and_wait_long).await;
    let receiver = SlowAndFast::start().await;
    for n in 0..5 {
        add_hook(&app, SITE, &format!("{}/slow?hook={n}", receiver.base)).await;
    }
    add_hook(&app, OTHER_SITE, &format!("{}/fast", receiver.base)).await;

    // One event, five deliveries for acme, all due at once.
    submit_to(&app, SITE, ORIGIN).await;
    wait_for("four held deliveries", || receiver.count("slow") == 4).await;
    submit_to(&app, OTHER_SITE, OTHER_ORIGIN).await;
    wait_for("the other site's delivery", || receiver.count("fast") == 1).await;

    // The fifth was due before the other site's event was even queued, yet waits for a slot.
    assert_eq!(receiver.count("slow"), 4, "{:?}", receiver.arrived.lock().unwrap());
    receiver.release.notify_waiters();
    wait_for("the fifth once a slot is free", || receiver.count("slow") == 5).await;
}

#[tokio::test]
async fn a_site_has_at_most_ten_webhooks() {
    let app = spawn_app_with(|settings| settings.allow_private_network_webhooks = true).await;
    let session = owner_session(&app).await;
    let path = format!("/admin/sites/{SITE}/webhooks");
    for n in 0..10 {
        let url = format!("http://127.0.0.1:9/hook-{n}");
        assert_eq!(app.post_form(&session, &path, &[("url", &url)]).await.status(), 303, "{url}");
    }

    let eleventh = app.post_form(&session, &path, &[("url", "http://127.0.0.1:9/hook-10")]).await;

    assert_eq!(eleventh.status(), 422);
    let page = eleventh.text().await.unwrap();
    assert!(page.contains("id=\"url-error\"") && page.contains("at most 10 webhooks"), "{page}");
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    assert_eq!(app.storage.webhooks(site.id).await.unwrap().len(), 10, "the ten kept, no eleventh");
}

#[tokio::test]
async fn moderators_do_not_see_webhook_urls_in_the_audit_log() {
    let app = spawn_app_with(|settings| settings.allow_private_network_webhooks = true).await;
    let owner = owner_session(&app).await;
    let url = "http://127.0.0.1:9/hooks/T0K3N-s3cr3t";
    let path = format!("/admin/sites/{SITE}/webhooks");
    assert_eq!(app.post_form(&owner, &path, &[("url", url)]).await.status(), 303);
    app.dashboard_user("mod@acme.test", SITE, Role::Moderator).await;
    let moderator = app.login("mod@acme.test").await;

    let seen_by_moderator = app.get_page(&moderator.cookie, &format!("/admin/sites/{SITE}/audit")).await;
    let seen_by_owner = app.get_page(&owner.cookie, &format!("/admin/sites/{SITE}/audit")).await;

    assert!(seen_by_moderator.contains("add webhook"), "{seen_by_moderator}");
    assert!(!seen_by_moderator.contains("T0K3N-s3cr3t"), "{seen_by_moderator}");
    assert!(!seen_by_moderator.contains("127.0.0.1:9"), "{seen_by_moderator}");
    assert!(seen_by_owner.contains("T0K3N-s3cr3t"), "owners still see it: {seen_by_owner}");
}
