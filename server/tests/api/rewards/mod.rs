//! Referral rewards end to end over real HTTP, a real SMTP conversation on loopback and Stripe
//! events signed in the test the way Stripe signs them: the sale, the hold (time driven by the
//! test, never by sleeping), the code by email, refunds before and after, an empty pool, an
//! order system with a site key, the friend's code, the advocate's private page and the
//! dashboard.

use fanfare_protocol::referrals::ReferralPage;
use fanfare_server::clock::now_ms;
use fanfare_server::domain::Role;
use fanfare_server::service::rewards::stripe::sign;
use fanfare_server::service::sites::SettingsInput;
use fanfare_server::service::Actor;
use fanfare_server::storage::RewardState;
use serde_json::{json, Value};

use crate::helpers::{error_of, spawn_app_with, ORIGIN, OTHER_SITE, SITE};
use crate::notifications::{mail_to_sink, next_message, smtp_sink};

mod dashboard;
mod fixtures;

use self::fixtures::*;

#[tokio::test]
async fn a_stripe_sale_waits_out_the_hold_then_the_advocate_gets_a_code_by_email() {
    let (app, mut inbox) = app_with_mail().await;
    app.reward_rules("1", "14").await;
    app.add_codes("SPRING-AAA\nSPRING-BBB\n").await;
    let code = app.join("ada@example.com", "de-DE,de;q=0.9").await;
    let welcome = next_message(&mut inbox).await;
    assert!(welcome.contains("To: ada@example.com"), "{welcome}");
    assert!(welcome.contains(&format!("ref={code}")), "the link to share: {welcome}");
    let page = private_page(&welcome);
    assert!(page.contains("/c/acme/advocate/"), "{page}");

    let start = now_ms();
    assert_eq!(app.stripe(&checkout("evt_1", "cs_1", &code, "pi_1")).await, "converted");
    let (status, html) = app.page(&page).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"lang="de""#), "the advocate's language");
    assert!(html.contains("49,00 EUR"), "the sale's amount, as German writes it: {html}");

    let held = app.service.settle_rewards(start + 13 * DAY_MS).await.unwrap();
    assert_eq!(held.given, 0, "inside the refund window");
    assert_eq!(app.reward_states().await, [RewardState::Held]);
    let paid = app.service.settle_rewards(start + 14 * DAY_MS + 60_000).await.unwrap();
    assert_eq!(paid.given, 1);

    let email = next_message(&mut inbox).await;
    assert!(email.contains("To: ada@example.com"), "{email}");
    assert!(email.contains("SPRING-AAA"), "the oldest code: {email}");
    assert!(email.contains(&page), "with the private page: {email}");
    assert!(!email.contains("List-Unsubscribe"), "an email they asked for, not marketing");
    let (_, html) = app.page(&page).await;
    assert!(html.contains("SPRING-AAA"), "the page shows the code: {html}");
    assert_eq!(app.reward_states().await, [RewardState::Given]);
}

#[tokio::test]
async fn a_refund_during_the_hold_cancels_the_reward() {
    let (app, mut inbox) = app_with_mail().await;
    app.reward_rules("1", "14").await;
    app.add_codes("SPRING-AAA\n").await;
    let code = app.join("ada@example.com", "en").await;
    let page = private_page(&next_message(&mut inbox).await);
    let start = now_ms();
    assert_eq!(app.stripe(&checkout("evt_1", "cs_1", &code, "pi_1")).await, "converted");
    assert_eq!(app.stripe(&refunded("evt_2", "pi_1")).await, "refunded");
    assert_eq!(app.reward_states().await, [RewardState::Cancelled]);
    let report = app.service.settle_rewards(start + 15 * DAY_MS).await.unwrap();
    assert_eq!(report.given, 0);
    let pool = app.service.coupon_counts(&app.acme().await).await.unwrap();
    assert_eq!((pool.unused, pool.used), (1, 0), "the code stays in the pool");
    let (_, html) = app.page(&page).await;
    assert!(html.contains("Refunded") && html.contains("Cancelled"), "{html}");
}

#[tokio::test]
async fn a_refund_after_the_reward_is_recorded_and_the_owner_told() {
    let (app, mut inbox) = app_with_mail().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    app.reward_rules("1", "14").await;
    app.add_codes("SPRING-AAA\n").await;
    let code = app.join("ada@example.com", "en").await;
    next_message(&mut inbox).await;
    let start = now_ms();
    app.stripe(&checkout("evt_1", "cs_1", &code, "pi_1")).await;
    assert_eq!(app.service.settle_rewards(start + 15 * DAY_MS).await.unwrap().given, 1);
    assert!(next_message(&mut inbox).await.contains("SPRING-AAA"));

    assert_eq!(app.stripe(&refunded("evt_2", "pi_1")).await, "refunded");
    let told = next_message(&mut inbox).await;
    assert!(told.contains(&format!("To: {OWNER}")), "{told}");
    assert!(told.contains("refund after a referral reward") && told.contains("cs_1"), "{told}");
    assert!(told.contains("SPRING-AAA") && told.contains("ada@example.com"), "{told}");
    assert_eq!(app.reward_states().await, [RewardState::Given], "nothing is taken back");
    assert_eq!(app.stripe(&refunded("evt_3", "pi_1")).await, "refunded", "Stripe's second refund event");
    let audit = app.service.audit_log(&app.acme().await, Role::Owner, 20).await.unwrap();
    assert_eq!(audit.iter().filter(|entry| entry.action == "refund conversion").count(), 1, "recorded once");
}

#[tokio::test]
async fn stripe_events_that_do_not_hold_are_refused_and_replays_change_nothing() {
    let (app, mut inbox) = app_with_mail().await;
    app.reward_rules("1", "0").await;
    app.add_codes("A1\nA2\nA3\n").await;
    let code = app.join("ada@example.com", "en").await;
    next_message(&mut inbox).await;
    let now = now_ms() / 1000;
    let sale = checkout("evt_1", "cs_1", &code, "pi_1");

    let wrong = app.stripe_signed(SITE, &sale, "whsec_someone_else", now).await;
    assert_eq!(error_of(wrong).await.0, "invalid_signature");
    let old = app.stripe_signed(SITE, &sale, SIGNING_SECRET, now - 301).await;
    assert_eq!(old.status(), 400);
    let body: Value = old.json().await.unwrap();
    assert_eq!(body["error"], "invalid_signature");
    assert!(body["message"].as_str().unwrap().contains("5 minutes"), "a replay says why: {body}");
    let unsigned =
        app.client.post(app.url("/hooks/stripe/acme")).body(sale.to_string()).send().await.unwrap();
    assert_eq!(error_of(unsigned).await.0, "invalid_signature");
    let elsewhere = app.stripe_signed(OTHER_SITE, &sale, SIGNING_SECRET, now).await;
    assert_eq!(elsewhere.status(), 404, "a site without a signing secret takes no events");
    let not_json = app
        .client
        .post(app.url("/hooks/stripe/acme"))
        .header("Stripe-Signature", sign(SIGNING_SECRET, b"not json", now))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 422);

    assert_eq!(app.stripe(&sale).await, "converted");
    assert_eq!(app.stripe(&sale).await, "already_handled", "a replay of the same event");
    assert_eq!(
        app.stripe(&checkout("evt_1b", "cs_1", &code, "pi_1")).await,
        "converted",
        "another event for the same session"
    );
    assert_eq!(app.stripe(&checkout("evt_2", "cs_2", "ZZZZ2222", "pi_2")).await, "unknown_referral_code");
    let mut no_code = checkout("evt_3", "cs_3", "", "pi_3");
    no_code["data"]["object"]["client_reference_id"] = Value::Null;
    assert_eq!(app.stripe(&no_code).await, "no_referral_code");
    assert_eq!(app.stripe(&refunded("evt_4", "pi_nobody")).await, "unknown_payment");
    let other = json!({ "id": "evt_5", "type": "invoice.paid", "data": { "object": {} } });
    assert_eq!(app.stripe(&other).await, "event_type_not_used");

    let settled = app.service.settle_rewards(now_ms() + 1000).await.unwrap();
    assert_eq!(settled.given, 1, "one sale, one reward, however often Stripe sent it");
    let board = app.service.leaderboard(&app.acme().await, 10, 0).await.unwrap();
    assert_eq!(board[0].conversions, 1);
    assert!(board[0].advocate.code == code);
}

#[tokio::test]
async fn an_empty_pool_keeps_the_reward_due_and_tells_the_owner_once() {
    let (app, mut inbox) = app_with_mail().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    app.reward_rules("1", "0").await;
    let code = app.join("ada@example.com", "en").await;
    next_message(&mut inbox).await;
    app.stripe(&checkout("evt_1", "cs_1", &code, "pi_1")).await;
    let now = now_ms() + 1000;
    let report = app.service.settle_rewards(now).await.unwrap();
    assert_eq!((report.given, report.waiting), (0, 1));
    let told = next_message(&mut inbox).await;
    assert!(told.contains(&format!("To: {OWNER}")) && told.contains("no coupon codes left"), "{told}");
    assert_eq!(app.service.settle_rewards(now).await.unwrap().waiting, 1);
    assert_eq!(app.reward_states().await, [RewardState::Due]);

    app.add_codes("LATE-1\n").await;
    assert_eq!(app.service.settle_rewards(now).await.unwrap().given, 1);
    // Had the second round warned again, that email would come before this one.
    let next = next_message(&mut inbox).await;
    assert!(next.contains("To: ada@example.com") && next.contains("LATE-1"), "{next}");
}

#[tokio::test]
async fn any_order_system_converts_and_refunds_with_a_site_key() {
    let (app, mut inbox) = app_with_mail().await;
    app.reward_rules("1", "14").await;
    let key = app.site_key(SITE).await;
    let code = app.join("ada@example.com", "en").await;
    next_message(&mut inbox).await;
    let convert = |body: Value| {
        app.client
            .post(app.url(&format!("/api/v1/sites/{SITE}/conversions")))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    let created =
        convert(json!({ "code": code, "id": "A-100", "amount": 12_900, "currency": "EUR" })).await.unwrap();
    assert_eq!(created.status(), 201);
    let refused = convert(json!({ "code": code, "id": "A-101", "amount": 100 })).await.unwrap();
    let (error, fields) = error_of(refused).await;
    assert_eq!((error.as_str(), fields["currency"].is_string()), ("validation_failed", true), "{fields}");

    let board: ReferralPage = serde_json::from_value(app.referral_board().await).unwrap();
    assert_eq!(board.items[0].flagged, 0, "the business's own sale needs no browser visit");
    assert_eq!(board.items[0].amounts[0].amount, 12_900);
    assert_eq!(board.items[0].amounts[0].currency, "eur");

    let refund = |id: &str, body: Option<Value>, credential: Option<&str>| {
        let mut request = app.client.post(app.url(&format!("/api/v1/sites/{SITE}/conversions/{id}/refund")));
        if let Some(credential) = credential {
            request = request.bearer_auth(credential);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    assert_eq!(refund("A-100", None, None).await.unwrap().status(), 401);
    assert_eq!(refund("A-100", None, Some("ffs_not_a_key")).await.unwrap().status(), 401);
    assert_eq!(refund("A-999", None, Some(&key)).await.unwrap().status(), 404);
    let negative = refund("A-100", Some(json!({ "refunded_amount": -1 })), Some(&key)).await.unwrap();
    assert!(error_of(negative).await.1["refunded_amount"].is_string());
    let partial = refund("A-100", Some(json!({ "refunded_amount": 2_900 })), Some(&key)).await.unwrap();
    assert_eq!(partial.json::<Value>().await.unwrap(), json!({ "id": "A-100", "status": "pending" }));
    assert_eq!(app.reward_states().await, [RewardState::Held], "a partial refund keeps the reward");
    let full = refund("A-100", None, Some(&key)).await.unwrap();
    assert_eq!(full.json::<Value>().await.unwrap(), json!({ "id": "A-100", "status": "reversed" }));
    assert_eq!(app.reward_states().await, [RewardState::Cancelled]);
}

#[tokio::test]
async fn a_referred_friend_is_offered_the_sites_code_with_the_visit() {
    let (app, _inbox) = app_with_mail().await;
    let code = app.join("ada@example.com", "en").await;
    let visit = || {
        app.client
            .post(app.url(&format!("/api/v1/sites/{SITE}/referrals/{code}/visits")))
            .header("Origin", ORIGIN)
            .send()
    };
    let plain = visit().await.unwrap();
    assert!(plain.headers().get("fanfare-friend-coupon").is_none(), "single-sided by default");
    let input = SettingsInput { friend_coupon: Some("WELCOME10"), ..SettingsInput::default() };
    app.service.change_site(&app.acme().await, Actor::CommandLine, input).await.unwrap();
    let double = visit().await.unwrap();
    assert_eq!(double.status(), 204);
    assert_eq!(double.headers()["fanfare-friend-coupon"], "WELCOME10");
    let exposed = double.headers()["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.contains("fanfare-friend-coupon"), "the loader may read it: {exposed}");
}

#[tokio::test]
async fn the_private_page_opens_only_with_its_signature_and_site() {
    let (app, mut inbox) = app_with_mail().await;
    app.join("ada@example.com", "en").await;
    let page = private_page(&next_message(&mut inbox).await);
    assert_eq!(app.page(&page).await.0, 200);
    let (id, signature) = page.rsplit('/').next().unwrap().split_once('.').unwrap();
    let forged = format!("/c/acme/advocate/{}.{signature}", id.parse::<i64>().unwrap() + 1);
    assert_eq!(app.page(&forged).await.0, 404);
    assert_eq!(app.page(&format!("/c/acme/advocate/{id}.{}", "0".repeat(64))).await.0, 404);
    assert_eq!(app.page(&page.replace("/c/acme/", "/c/globex/")).await.0, 404, "signed for one site only");
    assert_eq!(app.page(&format!("/c/acme/advocate/{id}")).await.0, 404);
}

#[tokio::test]
async fn the_stripe_secret_is_kept_sealed_and_never_shown() {
    let (app, _inbox) = app_with_mail().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let owner = app.login(OWNER).await;
    let path = format!("/admin/sites/{SITE}/settings");
    let form = |secret: &'static str| {
        vec![
            ("name", "acme Inc."),
            ("origins", "https://acme.test"),
            ("accent", "#224466"),
            ("consent_text", "You may publish this."),
            ("low_rating_threshold", "3"),
            ("moderation", "manual"),
            ("texts", ""),
            ("referral_landing_url", ""),
            ("referral_window_days", "30"),
            ("conversion_burst_limit", "20"),
            ("proof_of_work", "0"),
            ("referral_attribution", "first"),
            ("reward_every", "3"),
            ("reward_hold_days", "30"),
            ("reward_min_amount", ""),
            ("friend_coupon", "WELCOME10"),
            ("stripe_signing_secret", secret),
        ]
    };
    let saved = app.post_form(&owner, &path, &form(SIGNING_SECRET)).await.text().await.unwrap();
    assert!(saved.contains("Settings saved."), "{saved}");
    assert!(!saved.contains(SIGNING_SECRET), "never shown again");
    assert!(saved.contains("(set; leave empty to keep it)"));
    let site = app.acme().await;
    assert_eq!((site.rewards.every, site.rewards.hold_days), (Some(3), 30));
    assert_eq!(site.rewards.friend_coupon.as_deref(), Some("WELCOME10"));
    let at_rest = fanfare_server::testing::everything_at_rest(&app.database.url).await.unwrap();
    assert!(!at_rest.contains(SIGNING_SECRET), "sealed at rest");
    let ping = json!({ "id": "evt_x", "type": "ping", "data": { "object": {} } });
    assert_eq!(app.stripe(&ping).await, "event_type_not_used");

    // Saved again with the field left empty: the secret stays.
    let again = app.post_form(&owner, &path, &form("")).await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        app.stripe(&json!({ "id": "evt_y", "type": "ping", "data": { "object": {} } })).await,
        "event_type_not_used"
    );
    let bad = app.post_form(&owner, &path, &form("sk_live_123")).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("whsec_"), "the refusal says what is expected");
}

#[tokio::test]
async fn a_site_paying_in_its_own_system_hears_by_webhook_and_owners_hear_when_codes_run_low() {
    let (app, mut inbox) = app_with_mail().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    app.reward_rules("1", "0").await;
    let payout = |how: &'static str| SettingsInput { reward_payout: Some(how), ..SettingsInput::default() };
    app.service.change_site(&app.acme().await, Actor::CommandLine, payout("webhook")).await.unwrap();
    let code = app.join("ada@example.com", "en").await;
    next_message(&mut inbox).await;
    app.stripe(&checkout("evt_1", "cs_1", &code, "pi_1")).await;
    let nowhere = app.service.settle_rewards(now_ms() + 1000).await.unwrap();
    assert_eq!((nowhere.given, nowhere.waiting), (0, 1), "no webhook to carry it: it waits as due");
    app.add_webhook_as_operator("http://127.0.0.1:9/nowhere").await;
    assert_eq!(
        app.service.settle_rewards(now_ms() + 1000).await.unwrap().given,
        1,
        "paid elsewhere, at once"
    );
    let site = app.acme().await;
    let rewarded: Vec<Value> = app
        .storage
        .deliveries(site.id, 20)
        .await
        .unwrap()
        .into_iter()
        .filter(|delivery| delivery.event == "referral.rewarded")
        .map(|delivery| serde_json::from_str(&delivery.payload).unwrap())
        .collect();
    assert_eq!(rewarded.len(), 1);
    assert_eq!(rewarded[0]["reward"]["code"], json!(code));
    assert_eq!(rewarded[0]["reward"]["advocate"]["email"], "ada@example.com");
    assert_eq!(rewarded[0]["reward"]["coupon_code"], Value::Null, "the business pays it its own way");

    // Paid in codes now: six, and one goes.
    app.service.change_site(&app.acme().await, Actor::CommandLine, payout("coupons")).await.unwrap();
    app.add_codes("C1\nC2\nC3\nC4\nC5\nC6\n").await;
    app.stripe(&checkout("evt_2", "cs_2", &code, "pi_2")).await;
    assert_eq!(app.service.settle_rewards(now_ms() + 1000).await.unwrap().given, 1);
    assert!(next_message(&mut inbox).await.contains("C1"), "the advocate's code");
    let low = next_message(&mut inbox).await;
    assert!(low.contains(&format!("To: {OWNER}")) && low.contains("only 5 coupon codes left"), "{low}");
    let with_code = app.storage.deliveries(site.id, 20).await.unwrap();
    assert!(with_code
        .iter()
        .any(|d| d.event == "referral.rewarded" && d.payload.contains(r#""coupon_code":"C1""#)));

    let session = app.login(OWNER).await;
    let board = app.get_page(&session.cookie, "/admin/sites/acme/referrals").await;
    assert!(board.contains("98.00 EUR"), "the leaderboard sums the advocate's sales: {board}");
}

#[tokio::test]
async fn a_browsers_report_of_a_sale_waits_for_a_moderator_and_testimonials_earn_nothing() {
    // Behind a proxy, so the friend's browser can be on another network than the advocate's.
    let (port, mut inbox) = smtp_sink().await;
    let app = spawn_app_with(|settings| {
        mail_to_sink(settings, port);
        settings.settle_rewards = false;
        settings.trusted_proxies = vec![fanfare_server::domain::IpCidr::parse("127.0.0.1").unwrap()];
    })
    .await;
    app.reward_rules("1", "0").await;
    app.add_codes("C1\nC2\n").await;
    let code = app.join("ada@example.com", "en").await;
    next_message(&mut inbox).await;
    // Anyone can post this, amount and all, even with a visit recorded under a device id of
    // their choosing: no reward until someone has seen the order.
    let visit = app
        .client
        .post(app.url(&format!("/api/v1/sites/{SITE}/referrals/{code}/visits")))
        .header("Origin", ORIGIN)
        .header("X-Forwarded-For", "198.51.100.7")
        .json(&json!({ "device": "chosen-device" }))
        .send()
        .await
        .unwrap();
    assert_eq!(visit.status(), 204);
    let posted = app
        .client
        .post(app.url(&format!("/api/v1/sites/{SITE}/conversions")))
        .header("Origin", ORIGIN)
        .header("X-Forwarded-For", "198.51.100.7")
        .json(&json!({ "code": code, "id": "WEB-1", "amount": 999_999, "currency": "EUR", "device": "chosen-device" }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    let mut referred = crate::helpers::valid_submission();
    referred["email"] = json!("grace@example.com");
    referred["ref"] = json!(code);
    app.submit_ok(&referred).await;
    let now = now_ms() + 1000;
    assert_eq!(app.service.settle_rewards(now).await.unwrap().created, 0);
    assert!(app.reward_states().await.is_empty(), "neither a browser's word nor a testimonial pays");

    let site = app.acme().await;
    let flagged = app.service.flagged_conversions(&site).await.unwrap();
    let web =
        flagged.iter().find(|conversion| conversion.external_id == "WEB-1").expect("in the review list");
    assert_eq!(web.flags, ["unverified_sale"], "nothing else gives it away");
    // Accepting the testimonial's credit too: still no sale.
    for credit in flagged.iter().filter(|conversion| conversion.external_id.starts_with("testimonial-")) {
        let review = fanfare_server::service::referrals::ConversionReview::Accept;
        app.service.review_conversion(&site, Actor::CommandLine, credit.id, review).await.unwrap();
    }
    assert!(app.reward_states().await.is_empty());
    let review = fanfare_server::service::referrals::ConversionReview::Accept;
    app.service.review_conversion(&site, Actor::CommandLine, web.id, review).await.unwrap();
    assert_eq!(app.reward_states().await, [RewardState::Held], "accepted: it counts");
    assert_eq!(app.service.settle_rewards(now).await.unwrap().given, 1);
}
