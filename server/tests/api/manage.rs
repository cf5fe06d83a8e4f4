//! The author's manage link: view, correct (back to moderation), withdraw (unpublished at once).

use fanfare_protocol::api::Status;

use fanfare_server::domain::IpCidr;

use crate::helpers::{spawn_app, spawn_app_with, valid_submission, TestApp, SITE};

impl TestApp {
    /// What an author's browser sends from their manage page: `edit` or `withdraw`.
    async fn author_posts(&self, path: &str, action: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let url = self.url(&format!("{path}/{action}"));
        self.client.post(url).header("Origin", &self.address).form(form).send().await.unwrap()
    }
}

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
    let response = app.author_posts(&path, "edit", &edit).await;
    assert_eq!(response.status(), 303);
    let stored = app.stored(SITE, &created.id).await;
    assert_eq!(
        (stored.status, stored.rating, stored.edited),
        (Status::Pending, 4, true),
        "a correction is moderated again"
    );
    assert!(app.public_page("").await.items.iter().all(|item| item.id != created.id));

    app.moderate(&token, SITE, &created.id, "approve").await;
    let response = app.author_posts(&path, "withdraw", &[("x", "")]).await;
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
    let response = app.author_posts(&path, "edit", &bad).await;
    assert_eq!(response.status(), 422);
    let stored = app.stored(SITE, &created.id).await;
    assert_eq!((stored.status, stored.rating, stored.edited), (Status::Pending, 5, false));
}

#[tokio::test]
async fn an_authors_edit_leaves_spam_and_rejected_where_moderators_put_them() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    for decision in ["spam", "reject"] {
        let created = app.submit_ok(&valid_submission()).await;
        let path = created.manage_url.strip_prefix(&app.address).unwrap().to_owned();
        assert_eq!(app.moderate(&token, SITE, &created.id, decision).await.status(), 200);
        let before = app.stored(SITE, &created.id).await.status;

        let edit = [("name", "Ada"), ("rating", "5"), ("text", "Buy cheap watches at example.test")];
        let response = app.author_posts(&path, "edit", &edit).await;
        assert_eq!(response.status(), 303);
        let stored = app.stored(SITE, &created.id).await;
        assert_eq!((stored.status, stored.edited), (before, true), "{decision}: stays where it was put");
        assert_eq!(stored.text, "Buy cheap watches at example.test", "the correction itself is kept");
    }
    assert!(app.queue(&token, "pending").await.items.is_empty(), "nothing came back to the queue");
}

#[tokio::test]
async fn manage_links_are_rate_limited_per_link_and_per_client() {
    // Behind a trusted proxy, so each request can come from its own client.
    let app =
        spawn_app_with(|settings| settings.trusted_proxies = vec![IpCidr::parse("127.0.0.1").unwrap()]).await;
    let created = app.submit_ok(&valid_submission()).await;
    let path = created.manage_url.strip_prefix(&app.address).unwrap().to_owned();
    let get = |path: String, client: String| {
        app.client.get(app.url(&path)).header("X-Forwarded-For", client).send()
    };

    // One link from many clients: 30 uses, then 429 for the page and the forms alike.
    for n in 0..30 {
        assert_eq!(get(path.clone(), format!("198.51.100.{n}")).await.unwrap().status(), 200, "use {n}");
    }
    let limited = get(path.clone(), "198.51.100.200".into()).await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    let edit = app
        .client
        .post(app.url(&format!("{path}/edit")))
        .header("Origin", &app.address)
        .header("X-Forwarded-For", "198.51.100.201")
        .form(&[("name", "Mallory"), ("rating", "1"), ("text", "Changed by whoever found the link.")])
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 429);
    assert!(edit.headers().contains_key("retry-after"));
    let stored = app.stored(SITE, &created.id).await;
    assert_eq!((stored.name.as_str(), stored.edited), ("Ada Lovelace", false), "nothing changed");

    // One client trying many links: 60 guesses, then even a real link is refused to it.
    let fresh = app.submit_ok(&valid_submission()).await;
    let fresh_path = fresh.manage_url.strip_prefix(&app.address).unwrap().to_owned();
    for n in 0..60 {
        let guess = get(format!("/manage/ffm_guess{n}"), "203.0.113.9".into()).await.unwrap();
        assert_eq!(guess.status(), 404, "guess {n}");
    }
    let limited = get(fresh_path.clone(), "203.0.113.9".into()).await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(get(fresh_path, "203.0.113.10".into()).await.unwrap().status(), 200, "other clients go on");
}
