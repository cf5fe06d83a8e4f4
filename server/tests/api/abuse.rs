//! Hostile traffic over real HTTP: rate limits, the honeypot, forwarded addresses, retries with
//! an Idempotency-Key, slow clients. Each test checks the exact status and what is stored.

use std::time::Duration;

use fanfare_server::domain::IpCidr;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{error_of, spawn_app, spawn_app_with, valid_submission, ORIGIN, SITE};

#[tokio::test]
async fn one_address_gets_its_quota_then_429_with_retry_after() {
    let app = spawn_app().await;
    for n in 0..30 {
        let mut body = valid_submission();
        body["email"] = json!(format!("person{n}@example.com"));
        assert_eq!(app.submit(&body).await.status(), 201, "submission {n}");
    }
    let before = app.everything_stored().await;
    let mut body = valid_submission();
    body["email"] = json!("one.more@example.com");
    let refused = app.submit(&body).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    assert_eq!(error_of(refused).await.0, "rate_limited");
    assert_eq!(app.everything_stored().await, before, "nothing stored");
}

/// Refused requests spend the quota too: otherwise a client could probe without limit, and one
/// that is over its limit would learn from a 422 what a 429 should hide.
#[tokio::test]
async fn refused_requests_count_towards_the_limit_on_every_public_write() {
    let app = spawn_app().await;
    for n in 0..30 {
        let mut invalid = valid_submission();
        invalid["rating"] = json!(9);
        invalid["email"] = json!(format!("person{n}@example.com"));
        assert_eq!(app.submit(&invalid).await.status(), 422, "submission {n}");
    }
    assert_eq!(app.submit(&valid_submission()).await.status(), 429, "a valid one after 30 refused");
    let refer = app
        .client
        .post(app.url(&format!("/api/v1/sites/{SITE}/referrals")))
        .header("Origin", ORIGIN)
        .json(&json!({"name": "", "email": "not an address"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refer.status(), 429, "the referral link shares the write quota");
}

#[tokio::test]
async fn one_email_gets_ten_testimonials_an_hour_per_site() {
    let app = spawn_app().await;
    for _ in 0..10 {
        assert_eq!(app.submit(&valid_submission()).await.status(), 201);
    }
    let before = app.everything_stored().await;
    let mut same_person = valid_submission();
    same_person["email"] = json!("Ada+again@Example.com");
    let refused = app.submit(&same_person).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(app.everything_stored().await, before);
}

#[tokio::test]
async fn a_flood_spread_over_many_addresses_is_capped_per_site() {
    // Behind a trusted proxy each request names its own client, so only the site cap applies.
    let app =
        spawn_app_with(|settings| settings.trusted_proxies = vec![IpCidr::parse("127.0.0.1").unwrap()]).await;
    let url = app.url(&format!("/api/v1/sites/{SITE}/testimonials"));
    let send = |n: u32| {
        app.client
            .post(&url)
            .header("Origin", ORIGIN)
            .header("X-Forwarded-For", format!("198.51.{}.{}", n / 250, n % 250 + 1))
            // Invalid on purpose: the cap counts requests before any work is done.
            .json(&json!({"rating": 9}))
            .send()
    };
    for n in 0..600 {
        assert_eq!(send(n).await.unwrap().status(), 422, "request {n}");
    }
    assert_eq!(send(600).await.unwrap().status(), 429);
    assert!(app.everything_stored().await.is_empty());
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let trusting =
        spawn_app_with(|settings| settings.trusted_proxies = vec![IpCidr::parse("127.0.0.0/8").unwrap()])
            .await;
    let direct = spawn_app().await;
    for app in [&trusting, &direct] {
        let response = app
            .client
            .post(app.url(&format!("/api/v1/sites/{SITE}/testimonials")))
            .header("Origin", ORIGIN)
            .header("X-Forwarded-For", "203.0.113.77")
            .json(&valid_submission())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    assert_eq!(trusting.everything_stored().await[0].ip_prefix.as_deref(), Some("203.0.113.0/24"));
    assert_eq!(
        direct.everything_stored().await[0].ip_prefix.as_deref(),
        Some("127.0.0.0/24"),
        "a client cannot claim an address"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_clients_bad_sign_ins_lock_out_only_that_client() {
    let behind_proxy =
        spawn_app_with(|settings| settings.trusted_proxies = vec![IpCidr::parse("127.0.0.1").unwrap()]).await;
    let direct = spawn_app().await;
    let sign_in = |app: &crate::helpers::TestApp, n: u32, client: &str| {
        app.client
            .post(app.url("/admin/login"))
            .header("Origin", &app.address)
            .header("X-Forwarded-For", client.to_owned())
            .form(&[("email", format!("guess{n}@acme.test")), ("password", "wrong".into())])
            .send()
    };
    for n in 0..10 {
        assert_eq!(sign_in(&behind_proxy, n, "203.0.113.5").await.unwrap().status(), 401);
        // Sent straight to the server, the header is the client's own claim: not believed.
        assert_eq!(sign_in(&direct, n, &format!("198.51.{n}.7")).await.unwrap().status(), 401);
    }
    assert_eq!(sign_in(&behind_proxy, 10, "203.0.113.5").await.unwrap().status(), 429);
    assert_eq!(sign_in(&behind_proxy, 11, "198.51.100.7").await.unwrap().status(), 401, "others sign in");
    assert_eq!(sign_in(&direct, 12, "192.0.2.1").await.unwrap().status(), 429, "a new claim escapes nothing");
}

#[tokio::test]
async fn the_honeypot_answers_like_a_person_and_stores_nothing() {
    let app = spawn_app().await;
    let mut bot = valid_submission();
    bot["website"] = json!("https://cheap-pills.example");
    let response = app.submit(&bot).await;
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pending");
    assert!(body["manage_url"].as_str().unwrap().contains("/manage/"));
    assert!(app.everything_stored().await.is_empty());
}

#[tokio::test]
async fn an_idempotency_key_makes_retries_safe() {
    let app = spawn_app().await;
    let post = |key: &'static str, body: serde_json::Value| {
        let app = &app;
        async move {
            app.client
                .post(app.url(&format!("/api/v1/sites/{SITE}/testimonials")))
                .header("Origin", ORIGIN)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = post("retry-1", valid_submission()).await;
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = post("retry-1", valid_submission()).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<serde_json::Value>().await.unwrap(), first, "the same answer, word for word");
    assert_eq!(app.everything_stored().await.len(), 1, "stored once");

    let mut other = valid_submission();
    other["text"] = json!("A different testimonial altogether.");
    let reused = post("retry-1", other).await;
    assert_eq!(reused.status(), 422);
    assert!(error_of(reused).await.1.get("Idempotency-Key").is_some());

    // A refused request frees its key, so the corrected retry is handled.
    let bad = post("retry-2", json!({"rating": 0})).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(post("retry-2", valid_submission()).await.status(), 201);
    assert_eq!(app.everything_stored().await.len(), 2);
    let bad_key = app
        .client
        .post(app.url(&format!("/api/v1/sites/{SITE}/testimonials")))
        .header("Origin", ORIGIN)
        .header("Idempotency-Key", "")
        .json(&valid_submission())
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.status(), 422);
    assert_eq!(app.everything_stored().await.len(), 2);
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    let app = spawn_app_with(|settings| {
        settings.timeouts.header_read = Duration::from_millis(500);
        settings.timeouts.request = Duration::from_millis(800);
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();

    // Headers that never finish: the connection is closed.
    let mut slow_headers = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow_headers.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow_headers.read_to_end(&mut buffer)).await;
    assert!(read.is_ok(), "the server closed the connection within its header timeout");

    // A body that never arrives: 408, and nothing stored.
    let mut slow_body = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/sites/{SITE}/testimonials HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\n\
         Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"name\""
    );
    slow_body.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), slow_body.read_to_end(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(app.everything_stored().await.is_empty());
}

#[tokio::test]
async fn bidi_overrides_are_kept_as_written_but_neutralised_when_shown() {
    use fanfare_server::domain::Role;
    let app = spawn_app().await;
    app.dashboard_user("owner@acme.test", SITE, Role::Owner).await;
    let session = app.login("owner@acme.test").await;
    let mut body = valid_submission();
    body["name"] = json!("Eve \u{202E}gnp.exe");
    app.submit_ok(&body).await;
    assert_eq!(
        app.everything_stored().await[0].name,
        "Eve \u{202E}gnp.exe",
        "the author's words are stored as sent"
    );
    let queue = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}")).await;
    assert!(queue.contains("Eve gnp.exe") && !queue.contains('\u{202E}'), "no override reaches the page");
}

#[tokio::test]
async fn a_site_may_ask_for_proof_of_work_and_each_solution_counts_once() {
    use fanfare_server::storage::SiteChanges;
    let app = spawn_app().await;
    app.storage
        .update_site(SITE, SiteChanges { proof_of_work: Some(10), ..SiteChanges::default() })
        .await
        .unwrap();
    let without = app.submit(&valid_submission()).await;
    assert_eq!(without.status(), 422);
    assert!(error_of(without).await.1.get("pow").is_some());

    let fetch = || async {
        let challenge: serde_json::Value = app
            .client
            .get(app.url(&format!("/api/v1/sites/{SITE}/challenge")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(challenge["difficulty"], 10);
        challenge["challenge"].as_str().unwrap().to_owned()
    };
    let solution = fanfare_server::service::pow::solve(&fetch().await, 10);
    let mut body = valid_submission();
    body["pow"] = json!(solution);
    // A form the rules refuse does not use up its puzzle: corrected, it goes through with it.
    let mut refused = body.clone();
    refused["text"] = json!("Hi");
    let refused = app.submit(&refused).await;
    assert_eq!(refused.status(), 422);
    assert!(error_of(refused).await.1.get("pow").is_none(), "refused for its words, not its puzzle");
    assert_eq!(app.submit(&body).await.status(), 201);
    let replayed = app.submit(&body).await;
    assert_eq!(replayed.status(), 422, "a solution works once");
    assert!(error_of(replayed).await.1["pow"].as_str().unwrap().contains("already used"));

    let forged = format!("{}:1", fetch().await.replace("pow.acme.", "pow.globex."));
    body["pow"] = json!(forged);
    assert_eq!(app.submit(&body).await.status(), 422);
    assert_eq!(app.everything_stored().await.len(), 1);
}
