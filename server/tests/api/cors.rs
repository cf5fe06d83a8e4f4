use crate::helpers::{error_of, spawn_app, valid_submission, ORIGIN, OTHER_ORIGIN, SITE};

#[tokio::test]
async fn the_sites_own_origin_passes_preflight() {
    let app = spawn_app().await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url(&format!("/api/v1/sites/{SITE}/testimonials")))
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    assert!(headers["access-control-allow-headers"].to_str().unwrap().contains("content-type"));
    assert!(headers["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    assert_eq!(headers["vary"], "origin");
}

#[tokio::test]
async fn a_foreign_origin_fails_preflight_and_cannot_write() {
    let app = spawn_app().await;
    let url = app.url(&format!("/api/v1/sites/{SITE}/testimonials"));
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, &url)
        .header("Origin", OTHER_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 403);
    assert!(preflight.headers().get("access-control-allow-origin").is_none());

    let write = app
        .client
        .post(&url)
        .header("Origin", "https://evil.test")
        .json(&valid_submission())
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 403);
    assert_eq!(error_of(write).await.0, "origin_not_allowed");
    assert!(app.everything_stored().await.is_empty());
}

#[tokio::test]
async fn reads_from_a_foreign_origin_get_no_cors_grant() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/testimonials")))
        .header("Origin", OTHER_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("access-control-allow-origin").is_none());
    assert_eq!(response.headers()["vary"], "origin");
}

#[tokio::test]
async fn the_allowed_origin_is_echoed_exactly_on_reads() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/widget")))
        .header("Origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN);
}

#[tokio::test]
async fn a_write_without_origin_is_an_ordinary_pending_submission() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/sites/{SITE}/testimonials")))
        .json(&valid_submission())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(app.everything_stored().await[0].status, fanfare_protocol::api::Status::Pending);
}

#[tokio::test]
async fn origins_changed_in_storage_apply_without_a_restart() {
    let app = spawn_app().await;
    let new_origin = "https://shop.acme.test";
    let changes = fanfare_server::storage::SiteChanges {
        origins: Some(vec![fanfare_server::domain::Origin::parse(new_origin).unwrap()]),
        ..Default::default()
    };
    app.storage.update_site(SITE, changes).await.unwrap();

    let url = app.url(&format!("/api/v1/sites/{SITE}/testimonials"));
    let old = app.client.post(&url).header("Origin", ORIGIN).json(&valid_submission()).send().await.unwrap();
    assert_eq!(old.status(), 403);
    let new =
        app.client.post(&url).header("Origin", new_origin).json(&valid_submission()).send().await.unwrap();
    assert_eq!(new.status(), 201);
}

/// The collection page (`/c/{site}`) is the server's own: its video recorder writes to the API
/// from the server's origin, which no site lists among its origins.
#[tokio::test]
async fn the_servers_own_pages_may_write() {
    let app = spawn_app().await;
    let url = app.url(&format!("/api/v1/sites/{SITE}/testimonials"));
    let own = app.url("");
    let own = own.trim_end_matches('/');
    let response = app
        .client
        .post(&url)
        .header("Origin", own)
        .header("Sec-Fetch-Site", "same-origin")
        .json(&valid_submission())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(response.headers().get("access-control-allow-origin").is_none(), "nothing to grant");
    // Another port of the same host is another origin ("same-site"), and still refused.
    let neighbour = app
        .client
        .post(&url)
        .header("Origin", OTHER_ORIGIN)
        .header("Sec-Fetch-Site", "same-site")
        .json(&valid_submission())
        .send()
        .await
        .unwrap();
    assert_eq!(neighbour.status(), 403);
}
