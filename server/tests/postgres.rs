//! What only PostgreSQL can show: two server processes on one database acting as one service,
//! and a populated SQLite database moved up completely. Ignored in a plain `cargo test`, since
//! they need a server; `cargo xtask test` runs them whenever PostgreSQL is reachable.

// A panic is how a test reports; helpers unwrap like test bodies do.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;

use common::{free_port, ok, serve, succeeded};
use fanfare_protocol::api::Status;
use fanfare_server::config::Timeouts;
use fanfare_server::domain::{Origin, Role, SiteSlug};
use fanfare_server::storage::copy::{dump_table, TABLES};
use fanfare_server::storage::{self, Backend, NewAdvocate, NewConversion, NewSite, NewTestimonialRecord};
use fanfare_server::testing::{self, TestDatabase};
use serde_json::{json, Value};

#[tokio::test]
#[ignore = "needs PostgreSQL; cargo xtask test runs it when a server is reachable"]
async fn two_servers_on_one_database_act_as_one_service() {
    let database = TestDatabase::create_on(Backend::Postgres).await.unwrap();
    let db = &database;
    ok(db, &["site", "add", "acme", "--name", "Acme", "--origin", "https://acme.test"]);
    let mut add = common::command(&database.url, db)
        .args(["user", "add", "mod@acme.test", "--site", "acme", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(add.stdin.as_mut().unwrap(), b"correct horse battery\n").unwrap();
    assert!(add.wait().unwrap().success());
    let token = ok(db, &["token", "create", "--user", "mod@acme.test"]).lines().last().unwrap().to_owned();
    let (a, b) = (serve(db, free_port(), &[]).await, serve(db, free_port(), &[]).await);
    let http = testing::http_client(&Timeouts::default())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Submitted through A, approved through B, published by both at once.
    let id = submit(&http, &a, "ada@example.com").await;
    approve(&http, &b, &token, &id).await;
    for server in [&a, &b] {
        let wall: Value = http
            .get(format!("{}/api/v1/sites/acme/testimonials", server.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(wall["items"][0]["id"], id, "{} serves the approval made on the other", server.url);
    }

    // Signed in on A, recognised on B; signed out on B, gone on A.
    let login = http
        .post(format!("{}/admin/login", a.url))
        .header("Origin", &a.url)
        .form(&[("email", "mod@acme.test"), ("password", "correct horse battery"), ("next", "/admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let page = http.get(format!("{}/admin/tokens", b.url)).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let logout = http
        .post(format!("{}/admin/logout", b.url))
        .header("Cookie", &cookie)
        .header("Origin", &b.url)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    let after = http.get(format!("{}/admin", a.url)).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(after.status(), 303, "the session ended everywhere");
}

/// A testimonial sent to `server` as the widget sends it, from `email`; its id.
async fn submit(http: &reqwest::Client, server: &common::Server, email: &str) -> String {
    let body = json!({"name": "Ada", "email": email, "rating": 5, "text": "Lovely beans, every time.", "consent": true});
    let created: Value = http
        .post(format!("{}/api/v1/sites/acme/testimonials", server.url))
        .header("Origin", "https://acme.test")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["id"].as_str().expect("the new testimonial's id").to_owned()
}

/// Approves testimonial `id` through `server`'s moderation API.
async fn approve(http: &reqwest::Client, server: &common::Server, token: &str, id: &str) {
    let url = format!("{}/api/v1/sites/acme/moderation/testimonials/{id}/approve", server.url);
    assert_eq!(http.post(url).bearer_auth(token).send().await.unwrap().status(), 200, "approving {id}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL; cargo xtask test runs it when a server is reachable"]
async fn a_decision_through_one_server_is_served_by_the_other_on_its_next_request() {
    let database = TestDatabase::create_on(Backend::Postgres).await.unwrap();
    let db = &database;
    ok(db, &["site", "add", "acme", "--name", "Acme", "--origin", "https://acme.test"]);
    ok(db, &["user", "add", "mod@acme.test", "--site", "acme"]);
    let token = ok(db, &["token", "create", "--user", "mod@acme.test"]).lines().last().unwrap().to_owned();
    let servers = [serve(db, free_port(), &[]).await, serve(db, free_port(), &[]).await];
    let http = testing::http_client(&Timeouts::default()).build().unwrap();
    let newest = |server: &common::Server| {
        let url = format!("{}/api/v1/sites/acme/testimonials", server.url);
        let http = http.clone();
        async move {
            let wall: Value = http.get(url).send().await.unwrap().json().await.unwrap();
            wall["items"][0]["id"].as_str().unwrap_or_default().to_owned()
        }
    };

    // Each server holds the public list in memory (it did before this test's change too, for a
    // second); a decision through the other must reach that memory before anyone asks again.
    for round in 0..10 {
        let (deciding, serving) = (&servers[round % 2], &servers[(round + 1) % 2]);
        let id = submit(&http, deciding, &format!("ada{round}@example.com")).await;
        for server in &servers {
            assert_ne!(newest(server).await, id, "pending, so not public yet");
        }
        approve(&http, deciding, &token, &id).await;
        assert_eq!(
            newest(serving).await,
            id,
            "round {round}: {} serves the approval made on {}",
            serving.url,
            deciding.url
        );
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL; cargo xtask test runs it when a server is reachable"]
async fn a_populated_sqlite_database_moves_to_postgres_completely() {
    let sqlite = TestDatabase::create_on(Backend::Sqlite).await.unwrap();
    let postgres = TestDatabase::create_on(Backend::Postgres).await.unwrap();
    let source = storage::connect(&sqlite.url).await.unwrap();

    // A bit of everything, through the same storage the server uses.
    let site = source
        .create_site(
            NewSite {
                slug: SiteSlug::parse("acme").unwrap(),
                name: "Acme".into(),
                origins: vec![
                    Origin::parse("https://acme.test").unwrap(),
                    Origin::parse("https://www.acme.test").unwrap(),
                ],
                consent_text: "Yes".into(),
            },
            1,
        )
        .await
        .unwrap();
    let user =
        source.upsert_user("mod@acme.test", Some("$argon2id$hash"), site.id, Role::Owner, 2).await.unwrap();
    source.create_token(user.id, "tokenhash", 3).await.unwrap();
    source.create_session("sessionhash", user.id, "csrf", 4, 99_999_999_999_999).await.unwrap();
    for (n, status) in [(1, Status::Approved), (2, Status::Pending), (3, Status::Rejected)] {
        let id = format!("t{n}");
        source
            .insert_testimonial(NewTestimonialRecord {
                id: id.clone(),
                site_id: site.id,
                name: format!("Person {n}"),
                email: format!("p{n}@example.com"),
                role: (n == 1).then(|| "Chef".to_owned()),
                company: None,
                rating: 5,
                text: "Line one\nline 'two' with \"quotes\"".into(),
                consent: true,
                consent_text: Some("Yes".into()),
                consent_version: Some(1),
                photo_id: None,
                video_id: None,
                captions: None,
                referral_code: None,
                page_url: Some("https://acme.test/".into()),
                ip_prefix: Some("203.0.113.0/24".into()),
                follow_up: n == 3,
                contact_me: false,
                status,
                manage_token_hash: format!("manage{n}"),
                verified: n == 1,
                tags: if n == 1 { vec!["espresso".to_owned()] } else { Vec::new() },
                created_at: 10 + n,
                moderated_at: None,
            })
            .await
            .unwrap();
    }
    source.set_tags(site.id, "t1", &["beans".into(), "crema".into()], 20).await.unwrap();
    source.set_reply(site.id, "t1", Some("Thanks!"), 21).await.unwrap();
    source
        .record_audit(fanfare_server::storage::AuditEntry {
            site_id: site.id,
            user_id: Some(user.id),
            actor: user.email.clone(),
            action: "approve".into(),
            testimonial_id: Some("t1".into()),
            detail: None,
            created_at: 22,
        })
        .await
        .unwrap();
    source.server_key("email-links", "key").await.unwrap();
    source.use_nonce("nonce-1", 23).await.unwrap();
    source
        .add_webhook(site.id, "https://hooks.acme.test/", "whsec_1", 24, 10)
        .await
        .unwrap()
        .expect("under the cap");
    source.enqueue_deliveries(site.id, "testimonial.approved", "{}", 25).await.unwrap();
    let (advocate, _) = source
        .upsert_advocate(NewAdvocate {
            site_id: site.id,
            code: "ABCD2345".into(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
            email_key: "ada@example.com".into(),
            ip_prefix: None,
            device: Some("dev".into()),
            lang: "de".into(),
            created_at: 26,
        })
        .await
        .unwrap();
    source.record_visit(advocate.id, Some("friend"), None, 27, 0).await.unwrap();
    source
        .record_conversion(NewConversion {
            site_id: site.id,
            advocate_id: advocate.id,
            external_id: "order-1".into(),
            email: None,
            email_key: None,
            ip_prefix: None,
            device: None,
            flags: vec!["burst".into()],
            source: storage::ConversionSource::Stripe,
            value: Some(storage::Money { amount: 2500, currency: "eur".into() }),
            payment_id: Some("pi_1".into()),
            created_at: 28,
        })
        .await
        .unwrap();
    // A reward with its code, a code still in the pool, a handled Stripe event.
    source.add_coupons(site.id, &["CODE-1".into(), "CODE-2".into()], 28).await.unwrap();
    let conversion =
        source.conversion_for_sale(site.id, storage::SaleRef::Payment("pi_1")).await.unwrap().unwrap();
    let reward = source.create_reward(site.id, advocate.id, &[conversion.id], 29, 28).await.unwrap().unwrap();
    source.release_held_rewards(29).await.unwrap();
    assert_eq!(source.draw_coupon(site.id, reward.id, 29).await.unwrap().as_deref(), Some("CODE-1"));
    assert!(source.give_reward(site.id, reward.id, Some("CODE-1"), 29).await.unwrap());
    assert!(source.record_stripe_event(site.id, "evt_1", 29).await.unwrap());
    let reach = fanfare_server::storage::ReachCount { site_id: site.id, day: 0, list: 3, fragment: 2 };
    source.add_reach(&[reach]).await.unwrap();

    // A video in the media store (its object in SQLite's media directory, beside the file).
    let video = fanfare_server::storage::MediaRecord {
        id: "video1".into(),
        site_id: site.id,
        kind: fanfare_server::storage::MediaKind::Video,
        ready: true,
        content_type: "video/webm".into(),
        byte_size: 5,
        width: 320,
        height: 240,
        duration_ms: Some(2000),
        codecs: Some("vp8,opus".into()),
        poster: false,
        created_at: 29,
    };
    source.insert_media(&video).await.unwrap();
    let video_file = |database: &TestDatabase| database.media_dir.join(video.key());
    std::fs::create_dir_all(video_file(&sqlite).parent().unwrap()).unwrap();
    std::fs::write(video_file(&sqlite), b"webm!").unwrap();
    source.claim_idempotency_key(site.id, "key-1", "hash", 30, 0, 0).await.unwrap();
    let answer = storage::IdempotentAnswer { status: 201, sealed_body: "v1.00", testimonial_id: Some("t1") };
    source.complete_idempotency_key(site.id, "key-1", answer).await.unwrap();
    source.create_site_key(site.id, "keyhash", "order system", "wxyz", 31).await.unwrap();
    let invitation = storage::NewInvitation {
        id: "inv1".into(),
        email: "bo@example.com".into(),
        email_key: "bo@example.com".into(),
        name: Some("Bo".into()),
        tags: vec!["espresso".into()],
        order_id: Some("A-1".into()),
        lang: "de".into(),
        address_hash: "addresshash".into(),
    };
    source.create_invitations(site.id, vec![invitation], 32, 0, false).await.unwrap();
    source.suppress(site.id, "addresshash", "cy@example.com", 33).await.unwrap();

    // Started once, as a database in use is: its secrets sealed under its key, which the copy
    // keeps.
    ok(&sqlite, &["site", "list"]);
    // A photo as the first versions kept it, in the database (starting moves such photos into
    // the media store; this one arrives after the start, as from an older copy).
    sqlx::query("INSERT INTO photos (id, site_id, data, width, height, created_at) VALUES ('photo1', $1, $2, 1, 1, 29)")
        .bind(site.id)
        .bind(vec![0xffu8, 0xd8, 0x00, 0x01, 0xfe])
        .execute(storage::open(&sqlite.url).await.unwrap().pool())
        .await
        .unwrap();
    let media_dir = postgres.media_dir.display().to_string();
    let copied = common::command(&sqlite.url, &sqlite)
        .args(["copy", "--to", &postgres.url, "--to-media-url", &media_dir])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&copied.stderr);
    assert!(copied.status.success(), "{stderr}");
    assert_eq!(stderr, "", "piped, the copy draws no progress and prints nothing extra");
    let report = String::from_utf8(copied.stdout).unwrap();
    assert!(report.contains("every table has the same number of rows"), "{report}");
    assert!(report.contains("copied 1 media objects"), "{report}");
    assert_eq!(
        std::fs::read(video_file(&postgres)).unwrap(),
        b"webm!",
        "the video's object is in the target's store"
    );
    let (from, to) = (storage::open(&sqlite.url).await.unwrap(), storage::open(&postgres.url).await.unwrap());
    for (table, _) in TABLES {
        let (here, there) = (dump_table(&from, table).await.unwrap(), dump_table(&to, table).await.unwrap());
        assert!(!here.is_empty(), "the fixture fills {table}");
        assert_eq!(here, there, "{table} is the same on both sides");
    }

    let again = ok(&sqlite, &["copy", "--to", &postgres.url]);
    let table_lines: Vec<&str> = again.lines().filter(|line| line.ends_with("newly copied")).collect();
    assert_eq!(table_lines.len(), TABLES.len(), "{again}");
    assert!(
        table_lines.iter().all(|line| line.ends_with(" 0 newly copied")),
        "a second run copies nothing: {again}"
    );
    // The copy is sealed under the SQLite database's key: PostgreSQL instances need that key.
    let refused = common::command(&postgres.url, &postgres).args(["site", "list"]).output().unwrap();
    assert!(!refused.status.success(), "another key is refused");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("different secret key"));
    // New rows on PostgreSQL get fresh ids after the copied ones.
    succeeded(common::command(&postgres.url, &sqlite).args([
        "site",
        "add",
        "globex",
        "--name",
        "Globex",
        "--origin",
        "https://globex.test",
    ]));
    assert!(succeeded(common::command(&postgres.url, &sqlite).args(["site", "list"])).contains("globex"));
    let hooks = succeeded(common::command(&postgres.url, &sqlite).args(["webhook", "list"]));
    assert!(hooks.contains("https://hooks.acme.test/"), "the copied webhook opens there: {hooks}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL; cargo xtask test runs it when a server is reachable"]
async fn a_copy_into_a_database_started_with_another_key_is_refused() {
    let sqlite = TestDatabase::create_on(Backend::Sqlite).await.unwrap();
    let postgres = TestDatabase::create_on(Backend::Postgres).await.unwrap();
    ok(&sqlite, &["site", "add", "acme", "--name", "Acme", "--origin", "https://acme.test"]);
    // The PostgreSQL instances were started first, with a key of their own.
    ok(&postgres, &["site", "list"]);

    let refused =
        common::command(&sqlite.url, &sqlite).args(["copy", "--to", &postgres.url]).output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "refused");
    assert!(stderr.contains("different secret key") && stderr.contains("nothing was copied"), "{stderr}");
    assert!(ok(&postgres, &["site", "list"]).is_empty(), "nothing was copied");
}

#[tokio::test]
#[ignore = "needs PostgreSQL; cargo xtask test runs it when a server is reachable"]
async fn a_user_who_may_not_create_the_search_extension_is_told_what_to_ask_for() {
    use sqlx::Executor;
    let database = TestDatabase::create_on(Backend::Postgres).await.unwrap();
    // A user who may make tables in the database but not extensions: it owns nothing there.
    let role = format!("fanfare_test_user_{}", fanfare_server::secrets::testimonial_id());
    let admin = sqlx::AnyPool::connect(&database.url).await.unwrap();
    admin.execute(format!("CREATE ROLE {role} LOGIN").as_str()).await.unwrap();
    admin.execute(format!("GRANT CREATE ON SCHEMA public TO {role}").as_str()).await.unwrap();
    let mut as_user = reqwest::Url::parse(&database.url).unwrap();
    as_user.set_username(&role).unwrap();

    let refused = common::command(as_user.as_str(), &database).args(["site", "list"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "refused");
    assert!(
        stderr.contains("needs the pg_trgm extension") && stderr.contains("run CREATE EXTENSION pg_trgm;"),
        "{stderr}"
    );
    // Doing what the message says is all it takes.
    admin.execute("CREATE EXTENSION pg_trgm").await.unwrap();
    succeeded(common::command(as_user.as_str(), &database).args(["site", "list"]));

    admin.close().await;
    drop(database);
    let server = sqlx::AnyPool::connect(&testing::postgres_admin_url()).await.unwrap();
    server.execute(format!("DROP ROLE {role}").as_str()).await.unwrap();
}
