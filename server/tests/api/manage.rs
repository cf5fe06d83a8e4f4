//! The author's manage link: view, correct (back to moderation), withdraw (unpublished at once).

use fanfare_protocol::api::Status;

use crate::helpers::{spawn_app, valid_submission, SITE};

#[tokio::test]
async fn authors_see_correct_and_withdraw_through_their_private_link() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let created = app.submit_ok(&valid_submission()).await;
    let path =
        created.manage_url.strip_prefix(&app.address).expect("manage links point at this server").to_owned();
    assert_eq!(app.moderate(&token, SITE, &created.id, "approve").await.status(), 200);

    let page = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Published on the website") && page.contains("The beans are wonderful"));

    let edit = [
        ("name", "Ada"),
        ("role", ""),
        ("company", ""),
        ("rating", "4"),
        ("text", "Still wonderful, a bit pricey."),
    ];
    let response = app
        .client
        .post(app.url(&format!("{path}/edit")))
        .header("Origin", &app.address)
        .form(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let stored = app.stored(SITE, &created.id).await;
    assert_eq!(
        (stored.status, stored.rating, stored.edited),
        (Status::Pending, 4, true),
        "a correction is moderated again"
    );
    assert!(app.public_page("").await.items.iter().all(|item| item.id != created.id));

    app.moderate(&token, SITE, &created.id, "approve").await;
    let response = app
        .client
        .post(app.url(&format!("{path}/withdraw")))
        .header("Origin", &app.address)
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(app.public_page("").await.items.is_empty(), "withdrawal unpublishes at once");
    assert_eq!(app.moderate(&token, SITE, &created.id, "approve").await.status(), 409, "and for good");
    assert!(app
        .client
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("Withdrawn by you"));
}

#[tokio::test]
async fn manage_links_refuse_strangers_and_bad_corrections() {
    let app = spawn_app().await;
    let created = app.submit_ok(&valid_submission()).await;
    let path = created.manage_url.strip_prefix(&app.address).unwrap().to_owned();
    assert_eq!(app.client.get(app.url("/manage/ffm_guessed")).send().await.unwrap().status(), 404);

    let cross_site = app
        .client
        .post(app.url(&format!("{path}/withdraw")))
        .header("Origin", "https://evil.test")
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let bad = [("name", "Ada"), ("rating", "0"), ("text", "")];
    let response = app
        .client
        .post(app.url(&format!("{path}/edit")))
        .header("Origin", &app.address)
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let stored = app.stored(SITE, &created.id).await;
    assert_eq!((stored.status, stored.rating, stored.edited), (Status::Pending, 5, false));
}
