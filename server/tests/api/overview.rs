//! `GET …/moderation/overview` and the dashboard's Overview: what they count, that reach is
//! counted once per showing and survives being stored, and who may see them.

use fanfare_protocol::overview::SiteOverview;
use fanfare_server::service::reach::Seen;
use fanfare_server::service::{Service, ServiceSettings};
use serde_json::json;

use crate::helpers::{spawn_app, valid_submission, TestApp, ORIGIN, OTHER_SITE, SITE};

async fn overview(app: &TestApp, token: &str) -> SiteOverview {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/moderation/overview")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Today's reach: (JSON list, fragments).
fn today(overview: &SiteOverview) -> (u64, u64) {
    let day = overview.reach.last().expect("thirty days");
    (day.list, day.fragment)
}

#[tokio::test]
async fn the_overview_counts_arrivals_decisions_follow_ups_and_referrals() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let mut ids = Vec::new();
    for (n, rating) in [5, 4, 2].into_iter().enumerate() {
        ids.push(app.submit_ok(&submission(&format!("customer{n}@example.com"), rating)).await.id);
    }
    assert_eq!(app.moderate(&token, SITE, &ids[0], "approve").await.status(), 200);
    assert_eq!(app.moderate(&token, SITE, &ids[2], "reject").await.status(), 200);
    let first = overview(&app, &token).await;
    // A second decision on the same testimonial is no second wait.
    assert_eq!(app.moderate(&token, SITE, &ids[2], "approve").await.status(), 200);
    assert_eq!(app.moderate(&token, SITE, &ids[2], "reject").await.status(), 200);
    let referral = app
        .client
        .post(app.url(&format!("/api/v1/sites/{SITE}/referrals")))
        .header("Origin", ORIGIN)
        .json(&json!({ "name": "Ada", "email": "ada@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(referral.status(), 201);
    let code = referral.json::<serde_json::Value>().await.unwrap()["code"].as_str().unwrap().to_owned();
    let visit = app
        .client
        .post(app.url(&format!("/api/v1/sites/{SITE}/referrals/{code}/visits")))
        .header("Origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(visit.status(), 204);

    let seen = overview(&app, &token).await;
    assert_eq!(seen.weeks.len(), 12);
    assert_eq!(seen.weeks.last().map(|week| week.received), Some(3), "three arrived this week");
    assert_eq!(seen.weeks.iter().map(|week| week.received).sum::<u64>(), 3);
    let ratings: Vec<(u8, u64)> = seen.ratings.iter().map(|rating| (rating.stars, rating.count)).collect();
    assert_eq!(ratings, [(1, 0), (2, 1), (3, 0), (4, 0), (5, 1)], "moderated ones only, as the summary");
    assert_eq!(app.public_page("").await.summary.count, 2);
    assert_eq!(seen.time_to_moderate.decided, 2);
    assert!(seen.time_to_moderate.median_seconds.is_some());
    assert_eq!(seen.time_to_moderate, first.time_to_moderate);
    assert_eq!(seen.follow_ups_open, 1, "the 2-star rating waits for a private answer");
    assert_eq!(seen.pending, 1);
    assert_eq!((seen.referrals.links, seen.referrals.visits, seen.referrals.conversions), (1, 1, 0));
    assert_eq!((seen.invitations.sent, seen.invitations.answered), (0, 0));
}

/// A valid submission from `email` with `rating` stars.
fn submission(email: &str, rating: u8) -> serde_json::Value {
    let mut body = valid_submission();
    body["email"] = json!(email);
    body["rating"] = json!(rating);
    body
}

#[tokio::test]
async fn reach_counts_first_pages_once_and_survives_being_stored_by_two_instances() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    for n in 0..3 {
        let created = app.submit_ok(&submission(&format!("c{n}@example.com"), 5)).await;
        assert_eq!(app.moderate(&token, SITE, &created.id, "approve").await.status(), 200);
    }
    assert_eq!(today(&overview(&app, &token).await), (0, 0));

    let first = app.public_page("?limit=2").await;
    app.public_page("?limit=2").await;
    // "Show more" shows the same wall: not another showing.
    app.public_page(&format!("?limit=2&cursor={}", first.next_cursor.expect("a second page"))).await;
    // A refused request shows nothing.
    let refused =
        app.client.get(app.url(&format!("/api/v1/sites/{SITE}/testimonials?limit=x"))).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    for mode in ["wall", "badge"] {
        let fragment = app.client.get(app.url(&format!("/embed/{SITE}/{mode}.html"))).send().await.unwrap();
        assert_eq!(fragment.status(), 200);
    }
    // Another site's showings are its own.
    let other =
        app.client.get(app.url(&format!("/api/v1/sites/{OTHER_SITE}/testimonials"))).send().await.unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(today(&overview(&app, &token).await), (2, 2), "counted in memory, shown at once");

    // Stored, the counts are the same, not doubled; a second instance over the same database
    // adds its own.
    app.service.store_reach().await.unwrap();
    assert_eq!(today(&overview(&app, &token).await), (2, 2));
    let settings = ServiceSettings {
        public_url: app.address.clone(),
        mail: None,
        rate_limits: false,
        allow_private_network_webhooks: false,
        secret_key: app.database.secret_key.clone(),
        media: app.database.media(),
    };
    let second = Service::open(app.storage.clone(), &settings).await.unwrap();
    let site = second.find_site(SITE).await.unwrap();
    second.public_page(&site, &Default::default(), Seen::List).await.unwrap();
    second.store_reach().await.unwrap();
    app.public_page("").await;
    assert_eq!(today(&overview(&app, &token).await), (4, 2));
    app.service.store_reach().await.unwrap();
    assert_eq!(today(&overview(&app, &token).await), (4, 2));
}

#[tokio::test]
async fn only_the_sites_people_see_its_overview() {
    let app = spawn_app().await;
    let url = app.url(&format!("/api/v1/sites/{SITE}/moderation/overview"));
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 401);
    let stranger = app.moderator_token(OTHER_SITE).await;
    assert_eq!(app.client.get(&url).bearer_auth(&stranger).send().await.unwrap().status(), 404);
    // The dashboard page: a moderator of the site sees it; the site list leads there.
    app.dashboard_user("moderator@example.com", SITE, fanfare_server::domain::Role::Moderator).await;
    let session = app.login("moderator@example.com").await;
    let home = app.get_page(&session.cookie, "/admin").await;
    assert!(home.contains(&format!("href=\"/admin/sites/{SITE}/overview\"")), "{home}");
    let page = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/overview")).await;
    assert!(page.contains("<figure class=\"chart\" id=\"ratings\""), "{page}");
    // The picture is hidden from screen readers; its table, named by the chart's title, is read.
    assert!(page.contains("<svg viewBox=\"0 0 360 124\" aria-hidden=\"true\""), "{page}");
    assert!(page.contains("<table class=\"visually-hidden\" aria-labelledby=\"ratings-title\">"), "{page}");
}

#[tokio::test]
async fn follow_ups_count_as_the_inbox_lists_them_and_only_a_moderators_first_decision_is_a_wait() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    // A happy customer who asks to be contacted is in the follow-up inbox too.
    let mut asks = submission("asks@example.com", 5);
    asks["contact_me"] = json!(true);
    app.submit_ok(&asks).await;
    // Published at once by the site's rule: nobody waited on it, and a later rejection is no
    // first decision either.
    let site = app.acme().await;
    let rule = fanfare_server::service::sites::SettingsInput {
        auto_approve_min_rating: Some(Some("5")),
        ..Default::default()
    };
    app.service.change_site(&site, fanfare_server::service::Actor::CommandLine, rule).await.unwrap();
    let published = app.submit_ok(&submission("fan@example.com", 5)).await;
    assert_eq!(app.stored(SITE, &published.id).await.status, fanfare_protocol::api::Status::Approved);
    assert_eq!(app.moderate(&token, SITE, &published.id, "reject").await.status(), 200);
    // Another one, corrected by its author weeks later (back to pending), then approved: the
    // moderator's hour is no wait since it arrived.
    let corrected = app.submit_ok(&submission("later@example.com", 5)).await;
    let manage_token = corrected.manage_url.rsplit('/').next().unwrap().to_owned();
    let correction = fanfare_server::service::authors::Correction {
        name: "Ada Lovelace",
        role: "",
        company: "",
        rating: "5",
        text: "The beans are wonderful and arrive fresh, every single week.",
    };
    app.service.correct_by_author(&manage_token, correction, None).await.unwrap();
    assert_eq!(app.stored(SITE, &corrected.id).await.status, fanfare_protocol::api::Status::Pending);
    assert_eq!(app.moderate(&token, SITE, &corrected.id, "approve").await.status(), 200);

    let seen = overview(&app, &token).await;
    let site = app.acme().await;
    let inbox = app.storage.follow_ups(site.id, false, 100).await.unwrap();
    assert_eq!(seen.follow_ups_open, inbox.len() as u64);
    assert_eq!(seen.follow_ups_open, 1, "the contact request");
    assert_eq!(seen.time_to_moderate.decided, 0, "{:?}", seen.time_to_moderate);
}

#[tokio::test]
async fn the_embed_pages_own_preview_is_not_a_showing() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    for path in [format!("/api/v1/sites/{SITE}/testimonials"), format!("/embed/{SITE}/wall.html")] {
        let own =
            app.client.get(app.url(&path)).header("Sec-Fetch-Site", "same-origin").send().await.unwrap();
        assert_eq!(own.status(), 200);
        let host =
            app.client.get(app.url(&path)).header("Sec-Fetch-Site", "cross-site").send().await.unwrap();
        assert_eq!(host.status(), 200);
    }
    assert_eq!(today(&overview(&app, &token).await), (1, 1));
}
