//! Referral codes, visits, conversions and their fraud flags over real HTTP.

use fanfare_protocol::referrals::normalise_code;
use fanfare_server::domain::{IpCidr, Role};
use fanfare_server::storage::SiteChanges;
use serde_json::{json, Value};

use crate::helpers::{
    error_of, spawn_app, spawn_app_with, valid_submission, TestApp, ORIGIN, OTHER_SITE, SITE,
};

impl TestApp {
    async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Origin", ORIGIN)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// The code and link for `email` on `acme`.
    async fn refer(&self, name: &str, email: &str) -> (String, String) {
        let response = self
            .post_json(&format!("/api/v1/sites/{SITE}/referrals"), &json!({"name": name, "email": email}))
            .await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        (body["code"].as_str().unwrap().to_owned(), body["link"].as_str().unwrap().to_owned())
    }

    async fn convert(&self, body: Value) -> reqwest::Response {
        self.post_json(&format!("/api/v1/sites/{SITE}/conversions"), &body).await
    }

    async fn flags_of(&self, external_id: &str) -> Vec<String> {
        let site = self.storage.site_by_slug(SITE).await.unwrap().unwrap();
        let mut all = Vec::new();
        for row in self.storage.advocate_stats(site.id, 100, 0).await.unwrap() {
            all.extend(self.storage.conversions_of(site.id, row.advocate.id).await.unwrap());
        }
        all.into_iter().find(|c| c.external_id == external_id).expect("the conversion is stored").flags
    }
}

#[tokio::test]
async fn one_person_one_code_whatever_the_spelling() {
    let app = spawn_app().await;
    let (code, link) = app.refer("Ada", "ada.lovelace@gmail.com").await;
    assert_eq!(normalise_code(&code).as_deref(), Some(code.as_str()), "codes use the unambiguous alphabet");
    assert_eq!(link, format!("{ORIGIN}/?ref={code}"));
    for spelling in ["Ada.Lovelace@gmail.com", "adalovelace+shop@googlemail.com"] {
        assert_eq!(app.refer("Ada L.", spelling).await.0, code, "{spelling}");
    }
    let (other, _) = app.refer("Grace", "grace@example.com").await;
    assert_ne!(other, code);

    let bad = app
        .post_json(&format!("/api/v1/sites/{SITE}/referrals"), &json!({"name": "", "email": "nope", "x": 1}))
        .await;
    assert_eq!(bad.status(), 422);
    let bad = app
        .post_json(&format!("/api/v1/sites/{SITE}/referrals"), &json!({"name": "", "email": "nope"}))
        .await;
    let (_, fields) = error_of(bad).await;
    assert!(fields.get("name").is_some() && fields.get("email").is_some(), "{fields}");
}

#[tokio::test]
async fn visits_count_once_per_browser_and_bad_codes_reveal_nothing() {
    let app = spawn_app().await;
    let (code, _) = app.refer("Ada", "ada@example.com").await;
    let visit = |code: String, device: &'static str| {
        let app = &app;
        async move {
            app.post_json(
                &format!("/api/v1/sites/{SITE}/referrals/{code}/visits"),
                &json!({"device": device}),
            )
            .await
        }
    };
    let first = visit(code.to_lowercase(), "browser-1").await;
    assert_eq!(first.status(), 204);
    assert_eq!(first.headers()["fanfare-referral-days"], "30");
    assert_eq!(visit(code.clone(), "browser-1").await.status(), 204);
    assert_eq!(visit(code.clone(), "browser-2").await.status(), 204);
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    assert_eq!(app.storage.advocate_stats(site.id, 10, 0).await.unwrap()[0].visits, 2);

    let unknown = error_of(visit("ZZZZ2222".into(), "b").await).await;
    let malformed = error_of(visit("not-a-code".into(), "b").await).await;
    assert_eq!(unknown, malformed, "an unknown code and a malformed one look the same");
    assert_eq!(unknown.0, "not_found");
    let elsewhere = app
        .client
        .post(app.url(&format!("/api/v1/sites/{OTHER_SITE}/referrals/{code}/visits")))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 404, "codes belong to their site");
}

#[tokio::test]
async fn conversions_are_idempotent_on_their_id() {
    let app = spawn_app().await;
    let (code, _) = app.refer("Ada", "ada@example.com").await;
    for _ in 0..2 {
        let response =
            app.convert(json!({"code": code, "id": "order-1", "email": "grace@example.com"})).await;
        assert_eq!(response.status(), 201);
        assert_eq!(response.json::<Value>().await.unwrap(), json!({"id": "order-1"}), "flags stay private");
    }
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    assert_eq!(app.storage.advocate_stats(site.id, 10, 0).await.unwrap()[0].conversions, 1);
    let missing_id = app.convert(json!({"code": code})).await;
    assert!(error_of(missing_id).await.1["id"].is_string(), "the missing id is named");
    assert_eq!(app.convert(json!({"code": "ZZZZ2222", "id": "x"})).await.status(), 404);
}

#[tokio::test]
async fn every_fraud_signal_flags_for_review() {
    let app = spawn_app().await;
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    let create = json!({"name": "Ada", "email": "ada.l+x@gmail.com", "device": "ada-browser"});
    let created: Value =
        app.post_json(&format!("/api/v1/sites/{SITE}/referrals"), &create).await.json().await.unwrap();
    let code = created["code"].as_str().unwrap();
    // Both browsers came through the link, so each case shows only its own signal.
    for device in ["grace-browser", "ada-browser"] {
        let path = format!("/api/v1/sites/{SITE}/referrals/{code}/visits");
        assert_eq!(app.post_json(&path, &json!({"device": device})).await.status(), 204);
    }
    // Every test request comes from 127.0.0.1, the advocate's own network.
    let cases = [
        (
            json!({"code": code, "id": "c1", "email": "grace@example.com", "device": "grace-browser"}),
            vec!["same_network"],
        ),
        (
            json!({"code": code, "id": "c2", "email": "AdaL@gmail.com", "device": "grace-browser"}),
            vec!["self_referral", "same_network"],
        ),
        (json!({"code": code, "id": "c3", "device": "ada-browser"}), vec!["same_network", "same_device"]),
        (
            json!({"code": code, "id": "c4", "email": "x@mailinator.com", "device": "grace-browser"}),
            vec!["same_network", "disposable_email"],
        ),
    ];
    for (body, flags) in cases {
        let id = body["id"].as_str().unwrap().to_owned();
        assert_eq!(app.convert(body).await.status(), 201);
        assert_eq!(app.flags_of(&id).await, flags, "{id}");
    }
    app.storage
        .update_site(SITE, SiteChanges { conversion_burst_limit: Some(4), ..SiteChanges::default() })
        .await
        .unwrap();
    // Changed behind the server's back, as the CLI does: it applies within the site cache's life.
    tokio::time::sleep(fanfare_server::service::cache::FRESH_FOR).await;
    app.convert(json!({"code": code, "id": "c5", "device": "grace-browser"})).await;
    assert_eq!(app.flags_of("c5").await, ["same_network", "burst"], "the fifth within the hour, over 4");
    let board = app.storage.advocate_stats(site.id, 10, 0).await.unwrap();
    assert_eq!((board[0].conversions, board[0].flagged), (5, 5), "flagged still counts until reviewed");
}

#[tokio::test]
async fn a_conversion_from_a_browser_without_a_visit_through_the_link_is_flagged() {
    // Behind a trusted proxy, so the advocate and the friend are on different networks and a
    // clean conversion has no flag at all.
    let app =
        spawn_app_with(|settings| settings.trusted_proxies = vec![IpCidr::parse("127.0.0.1").unwrap()]).await;
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    app.add_webhook_as_operator("http://127.0.0.1:9/nowhere").await;
    let from = |address: &'static str, path: String, body: Value| {
        let app = &app;
        async move {
            app.client
                .post(app.url(&path))
                .header("Origin", ORIGIN)
                .header("X-Forwarded-For", address)
                .json(&body)
                .send()
                .await
                .expect("request sent")
        }
    };
    let (ada, friend) = ("203.0.113.5", "198.51.100.7");
    let created = from(
        ada,
        format!("/api/v1/sites/{SITE}/referrals"),
        json!({"name": "Ada", "email": "ada@example.com", "device": "ada-browser"}),
    )
    .await;
    let code = created.json::<Value>().await.unwrap()["code"].as_str().unwrap().to_owned();
    let (other, _) = app.refer("Bob", "bob@example.com").await;
    let visits = [(code.as_str(), "grace-browser"), (other.as_str(), "mallory-browser")];
    for (code, device) in visits {
        let path = format!("/api/v1/sites/{SITE}/referrals/{code}/visits");
        assert_eq!(from(friend, path, json!({"device": device})).await.status(), 204);
    }

    let conversions = [
        (json!({"code": code, "id": "ORDER-1042", "device": "grace-browser"}), vec![]),
        // The forgery: a code and a future order id, from no browser that followed the link.
        (json!({"code": code, "id": "ORDER-1043"}), vec!["no_visit"]),
        (json!({"code": code, "id": "ORDER-1044", "device": "never-visited"}), vec!["no_visit"]),
        // A visit through another advocate's link does not vouch for this one.
        (json!({"code": code, "id": "ORDER-1045", "device": "mallory-browser"}), vec!["no_visit"]),
    ];
    for (body, flags) in conversions {
        let id = body["id"].as_str().unwrap().to_owned();
        let response = from(friend, format!("/api/v1/sites/{SITE}/conversions"), body).await;
        assert_eq!(response.status(), 201, "{id}: recorded, never dropped");
        assert_eq!(response.json::<Value>().await.unwrap(), json!({"id": id}), "flags stay private");
        assert_eq!(app.flags_of(&id).await, flags, "{id}");
    }

    // Moderators see them as flagged; like every flag, they count until reviewed.
    let page = app.referral_board().await;
    let row = page["items"].as_array().unwrap().iter().find(|item| item["code"] == code.as_str()).unwrap();
    assert_eq!((row["conversions"].as_u64(), row["flagged"].as_u64()), (Some(4), Some(3)), "{row}");
    app.dashboard_user("mod@acme.test", SITE, Role::Moderator).await;
    let session = app.login("mod@acme.test").await;
    let dashboard = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/referrals")).await;
    assert!(dashboard.contains("No visit through the link from this browser"), "{dashboard}");

    // Webhooks carry the flag with the conversion.
    let flags_sent: Vec<Value> = app
        .storage
        .deliveries(site.id, 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|delivery| delivery.event == "referral.converted")
        .map(|delivery| serde_json::from_str::<Value>(&delivery.payload).unwrap())
        .filter(|payload| payload["conversion"]["id"] == "ORDER-1043")
        .map(|payload| payload["conversion"]["flags"].clone())
        .collect();
    assert_eq!(flags_sent, [json!(["no_visit"])]);
}

#[tokio::test]
async fn a_referred_testimonial_credits_the_advocate_and_tells_webhooks() {
    let app = spawn_app().await;
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    app.add_webhook_as_operator("http://127.0.0.1:9/nowhere").await;
    let (code, _) = app.refer("Ada", "ada@example.com").await;
    let mut body = valid_submission();
    body["email"] = json!("grace@example.com");
    body["ref"] = json!(code);
    let created = app.submit_ok(&body).await;
    let conversions = app
        .storage
        .conversions_of(site.id, app.storage.advocate_by_code(site.id, &code).await.unwrap().unwrap().id)
        .await
        .unwrap();
    assert_eq!(conversions.len(), 1);
    assert_eq!(conversions[0].external_id, format!("testimonial-{}", created.id));
    assert!(conversions[0].flags.contains(&"no_visit".to_owned()), "sent with a code but no visit behind it");
    let events: Vec<String> =
        app.storage.deliveries(site.id, 10).await.unwrap().into_iter().map(|d| d.event).collect();
    assert!(events.contains(&"referral.converted".to_owned()), "{events:?}");

    let mut unknown = valid_submission();
    unknown["ref"] = json!("ZZZZ2222");
    assert_eq!(app.submit(&unknown).await.status(), 201, "an unknown code never costs the testimonial");
}

#[tokio::test]
async fn moderators_read_the_leaderboard_of_their_own_site_only() {
    let app = spawn_app().await;
    let (code, _) = app.refer("Ada", "ada@example.com").await;
    app.convert(json!({"code": code, "id": "o1"})).await;
    let token = app.moderator_token(SITE).await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/moderation/referrals")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["items"][0]["code"], code.as_str());
    assert_eq!(page["items"][0]["conversions"], 1);
    assert_eq!(page["items"][0]["email"], "ada@example.com");
    let other = app.moderator_token(OTHER_SITE).await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/moderation/referrals")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_dashboard_reviews_flags_marks_rewards_and_exports() {
    let app = spawn_app().await;
    app.dashboard_user("mod@acme.test", SITE, Role::Moderator).await;
    let session = app.login("mod@acme.test").await;
    let (code, _) = app.refer("Ada", "ada@example.com").await;
    app.convert(json!({"code": code, "id": "order-9", "email": "=cmd@yopmail.com"})).await;

    let page = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/referrals")).await;
    assert!(page.contains("Throwaway email address") && page.contains("order-9"), "{page}");
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    let id = app.storage.flagged_conversions(site.id).await.unwrap()[0].id;
    let accepted =
        app.post_form(&session, &format!("/admin/sites/{SITE}/conversions/{id}/accept"), &[]).await;
    assert_eq!(accepted.status(), 303);
    assert!(app.storage.flagged_conversions(site.id).await.unwrap().is_empty());
    app.post_form(&session, &format!("/admin/sites/{SITE}/conversions/{id}/reward"), &[]).await;
    let advocate = app.storage.advocate_by_code(site.id, &code).await.unwrap().unwrap();
    let history =
        app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/referrals/{}", advocate.id)).await;
    assert!(history.contains("Reward given") && history.contains("Accepted"));
    let csv = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/referrals.csv")).await;
    assert!(csv.starts_with("\"code\",\"name\",\"email\"") && csv.contains(&code), "{csv}");

    // Erasing the advocate's address takes their referral rows with it.
    app.service.erase(&site, fanfare_server::service::Actor::CommandLine, "ada@example.com").await.unwrap();
    assert!(app.storage.advocate_by_code(site.id, &code).await.unwrap().is_none());
}

#[tokio::test]
async fn the_attribution_rule_is_a_site_setting_that_visits_and_the_widget_config_carry() {
    let app = spawn_app().await;
    let (code, _) = app.refer("Ada", "ada@example.com").await;
    let rule_now = || async {
        let visit = app
            .post_json(&format!("/api/v1/sites/{SITE}/referrals/{code}/visits"), &json!({"device": "b-1"}))
            .await;
        assert_eq!(visit.status(), 204);
        let exposed = visit.headers()["access-control-expose-headers"].to_str().unwrap().to_owned();
        assert!(exposed.contains("fanfare-referral-attribution"), "the loader may read it: {exposed}");
        let header = visit.headers()["fanfare-referral-attribution"].to_str().unwrap().to_owned();
        let config: Value = app
            .client
            .get(app.url(&format!("/api/v1/sites/{SITE}/widget")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(config["referral_attribution"], header.as_str(), "the widget config says the same");
        header
    };
    assert_eq!(rule_now().await, "first", "first touch by default");

    app.dashboard_user("owner@acme.test", SITE, Role::Owner).await;
    let session = app.login("owner@acme.test").await;
    let path = format!("/admin/sites/{SITE}/settings");
    let form = |rule: &'static str| {
        [
            ("name", "Acme"),
            ("origins", ORIGIN),
            ("accent", "#224466"),
            ("consent_text", "Publish my words, please."),
            ("low_rating_threshold", "3"),
            ("moderation", "manual"),
            ("texts", ""),
            ("referral_landing_url", ""),
            ("referral_window_days", "30"),
            ("conversion_burst_limit", "20"),
            ("proof_of_work", "0"),
            ("referral_attribution", rule),
        ]
    };
    let before = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    let refused = app.post_form(&session, &path, &form("sideways")).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("referral_attribution-error") && page.contains("must be first"), "{page}");
    assert_eq!(app.storage.site_by_slug(SITE).await.unwrap().unwrap(), before, "nothing saved");
    assert_eq!(rule_now().await, "first");

    assert_eq!(app.post_form(&session, &path, &form("last")).await.status(), 200);
    assert_eq!(rule_now().await, "last", "in force at once");
    let page = app.get_page(&session.cookie, &path).await;
    assert!(page.contains(r#"value="last" checked"#), "the form shows the rule in force: {page}");
}
