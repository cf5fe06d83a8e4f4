use serde_json::json;

use crate::helpers::{error_of, spawn_app, valid_submission, OTHER_SITE, SITE};

#[tokio::test]
async fn moderation_needs_a_valid_token() {
    let app = spawn_app().await;
    let created = app.submit_ok(&valid_submission()).await;
    let list = app.url(&format!("/api/v1/sites/{SITE}/moderation/testimonials"));

    let anonymous = app.client.get(&list).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(error_of(anonymous).await.0, "unauthenticated");
    let forged = app.client.get(&list).bearer_auth("fft_not-a-real-token").send().await.unwrap();
    assert_eq!(forged.status(), 401);
    assert_eq!(app.moderate("fft_nope", SITE, &created.id, "approve").await.status(), 401);

    assert_eq!(app.everything_stored().await[0].status, fanfare_protocol::api::Status::Pending);
}

#[tokio::test]
async fn another_sites_moderator_gets_404_never_403() {
    let app = spawn_app().await;
    let created = app.submit_ok(&valid_submission()).await;
    let outsider = app.moderator_token(OTHER_SITE).await;

    let listing = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/moderation/testimonials")))
        .bearer_auth(&outsider)
        .send()
        .await
        .unwrap();
    assert_eq!(listing.status(), 404);
    assert_eq!(app.moderate(&outsider, SITE, &created.id, "approve").await.status(), 404);
    // Through their own site, the other site's item does not exist either.
    assert_eq!(app.moderate(&outsider, OTHER_SITE, &created.id, "approve").await.status(), 404);

    assert_eq!(app.everything_stored().await[0].status, fanfare_protocol::api::Status::Pending);
}

#[tokio::test]
async fn each_decision_moves_the_item_between_queues() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let created = app.submit_ok(&valid_submission()).await;
    assert_eq!(app.queue(&token, "pending").await.items.len(), 1);

    for (action, status) in [("reject", "rejected"), ("spam", "spam"), ("approve", "approved")] {
        let response = app.moderate(&token, SITE, &created.id, action).await;
        assert_eq!(response.status(), 200, "{action}");
        let item: fanfare_protocol::api::ModerationTestimonial = response.json().await.unwrap();
        assert_eq!(item.status.as_str(), status);
        let queue = app.queue(&token, status).await;
        assert_eq!(
            queue.items.iter().map(|item| item.public.id.as_str()).collect::<Vec<_>>(),
            [created.id.as_str()]
        );
        assert!(app.queue(&token, "pending").await.items.is_empty());
    }
}

#[tokio::test]
async fn approving_without_consent_is_refused_with_409() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let mut body = valid_submission();
    body["consent"] = json!(false);
    let created = app.submit_ok(&body).await;

    let response = app.moderate(&token, SITE, &created.id, "approve").await;
    assert_eq!(response.status(), 409);
    assert_eq!(error_of(response).await.0, "consent_missing");
    assert!(app.public_page("").await.items.is_empty());
    assert_eq!(app.everything_stored().await[0].status, fanfare_protocol::api::Status::Pending);
    // Rejecting it is fine: it still counts in the honest summary.
    assert_eq!(app.moderate(&token, SITE, &created.id, "reject").await.status(), 200);
    assert_eq!(app.public_page("").await.summary.count, 1);
}

#[tokio::test]
async fn decisions_are_post_only() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let created = app.submit_ok(&valid_submission()).await;
    for action in ["approve", "reject", "spam"] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/sites/{SITE}/moderation/testimonials/{}/{action}", created.id)))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{action}");
        assert_eq!(error_of(response).await.0, "method_not_allowed");
    }
    assert_eq!(app.everything_stored().await[0].status, fanfare_protocol::api::Status::Pending);
}

#[tokio::test]
async fn an_unknown_status_filter_is_named() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/moderation/testimonials?status=published")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(error_of(response).await.1.get("status").is_some());
}
