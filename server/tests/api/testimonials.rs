use serde_json::{json, Value};

use crate::helpers::{error_of, spawn_app, valid_submission, ORIGIN, SITE};

#[tokio::test]
async fn a_submission_is_pending_until_approved_then_public() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;

    let created = app.submit_ok(&valid_submission()).await;
    assert_eq!(created.status, fanfare_protocol::api::Status::Pending);
    assert!(created.manage_url.starts_with(&app.address), "{}", created.manage_url);
    assert!(app.public_page("").await.items.is_empty(), "pending items are not public");

    let approved = app.moderate(&token, SITE, &created.id, "approve").await;
    assert_eq!(approved.status(), 200);

    let page = app.public_page("").await;
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, created.id);
    assert_eq!(page.items[0].name, "Ada Lovelace");
    assert_eq!(page.items[0].company.as_deref(), Some("Engines Ltd"));
    assert_eq!(page.items[0].rating, 5);
}

#[tokio::test]
async fn public_items_never_carry_private_fields() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let created = app.submit_ok(&valid_submission()).await;
    app.moderate(&token, SITE, &created.id, "approve").await;

    let raw: Value = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/testimonials")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = raw["items"][0].as_object().unwrap();
    let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "company",
            "created_at",
            "edited",
            "featured",
            "id",
            "name",
            "photo_url",
            "rating",
            "reply",
            "role",
            "text",
            "verified"
        ]
    );
    assert!(!raw.to_string().contains("ada@example.com"));
}

#[tokio::test]
async fn invalid_fields_are_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    let before = app.everything_stored().await;

    let mut body = valid_submission();
    body["rating"] = json!(6);
    body["email"] = json!("not-an-email");
    body["name"] = json!("   ");
    let response = app.submit(&body).await;

    assert_eq!(response.status(), 422);
    let (code, fields) = error_of(response).await;
    assert_eq!(code, "validation_failed");
    assert_eq!(fields["rating"], "must be a whole number from 1 to 5");
    assert_eq!(fields["email"], "must be an email address like name@example.com");
    assert_eq!(fields["name"], "is required");
    assert_eq!(app.everything_stored().await, before);
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_are_422_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        ("rating", json!("5")),
        ("rating", json!(4.5)),
        ("consent", json!("yes")),
        ("name", json!(["Ada"])),
        ("status", json!("approved")),
    ];
    for (field, value) in cases {
        let mut body = valid_submission();
        body[field] = value.clone();
        let response = app.submit(&body).await;
        assert_eq!(response.status(), 422, "{field} = {value}");
        let (_, fields) = error_of(response).await;
        assert!(fields.get(field).is_some(), "{field} = {value} should be named, got {fields}");
    }
    assert!(app.everything_stored().await.is_empty());
}

#[tokio::test]
async fn numbers_out_of_every_range_are_422_naming_the_field() {
    let app = spawn_app().await;
    let url = app.url(&format!("/api/v1/sites/{SITE}/testimonials"));
    // Written by hand: serde_json cannot even hold 1e309 as a number to send.
    for rating in ["1e309", "-1e309", "99999999999999999999", "-99999999999999999999", "1e2", "0"] {
        let body =
            valid_submission().to_string().replacen("\"rating\":5", &format!("\"rating\":{rating}"), 1);
        assert!(body.contains(rating), "the body carries {rating}: {body}");
        let response = app
            .client
            .post(&url)
            .header("Origin", ORIGIN)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "rating {rating}");
        let (code, fields) = error_of(response).await;
        assert_eq!(code, "validation_failed", "rating {rating}");
        assert!(fields.get("rating").is_some(), "rating {rating} should be named, got {fields}");
    }
    assert!(app.everything_stored().await.is_empty());
}

#[tokio::test]
async fn malformed_oversized_and_non_json_bodies_get_their_status() {
    let app = spawn_app().await;
    let url = app.url(&format!("/api/v1/sites/{SITE}/testimonials"));
    let post = |content_type: &'static str, body: Vec<u8>| {
        app.client.post(&url).header("Origin", ORIGIN).header("Content-Type", content_type).body(body).send()
    };

    let malformed = post("application/json", b"{\"name\": \"Ada\",".to_vec()).await.unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(error_of(malformed).await.0, "malformed_request");

    let not_json = post("text/plain", valid_submission().to_string().into_bytes()).await.unwrap();
    assert_eq!(not_json.status(), 415);

    let mut huge = valid_submission();
    huge["text"] = json!("a".repeat(100_000));
    let too_large = post("application/json", huge.to_string().into_bytes()).await.unwrap();
    assert_eq!(too_large.status(), 413);
    assert_eq!(error_of(too_large).await.0, "too_large");

    let not_an_object = post("application/json", b"[1, 2, 3]".to_vec()).await.unwrap();
    assert_eq!(not_an_object.status(), 422);

    let deeply_nested =
        post("application/json", format!("{}{}", "[".repeat(2_000), "]".repeat(2_000)).into_bytes())
            .await
            .unwrap();
    assert_eq!(deeply_nested.status(), 400);

    assert!(app.everything_stored().await.is_empty());
}

#[tokio::test]
async fn bad_input_does_not_touch_what_is_stored() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let kept = app.submit_ok(&valid_submission()).await;
    app.moderate(&token, SITE, &kept.id, "approve").await;
    let before = app.everything_stored().await;

    let mut hostile = valid_submission();
    hostile["text"] = json!(7);
    assert_eq!(app.submit(&hostile).await.status(), 422);
    assert_eq!(app.moderate(&token, SITE, "does-not-exist", "approve").await.status(), 404);

    assert_eq!(app.everything_stored().await, before);
}

#[tokio::test]
async fn an_unknown_site_is_404_in_our_error_shape() {
    let app = spawn_app().await;
    for path in ["/api/v1/sites/nope/widget", "/api/v1/sites/nope/testimonials"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(error_of(response).await.0, "not_found");
    }
    let post = app
        .client
        .post(app.url("/api/v1/sites/nope/testimonials"))
        .json(&valid_submission())
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 404);
}

#[tokio::test]
async fn markup_is_stored_and_returned_verbatim_as_text() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let payload = "<img src=x onerror=alert(1)><script>alert(2)</script>";
    let mut body = valid_submission();
    body["name"] = json!(payload);
    let created = app.submit_ok(&body).await;
    app.moderate(&token, SITE, &created.id, "approve").await;

    assert_eq!(app.public_page("").await.items[0].name, payload);
}

#[tokio::test]
async fn the_summary_counts_every_moderated_rating_but_not_spam_or_pending() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let mut decisions = Vec::new();
    for (rating, action) in [(5, "approve"), (1, "reject"), (3, "approve"), (5, "spam"), (2, "")] {
        let mut body = valid_submission();
        body["rating"] = json!(rating);
        let created = app.submit_ok(&body).await;
        decisions.push((created.id, action));
    }
    for (id, action) in &decisions {
        if !action.is_empty() {
            assert_eq!(app.moderate(&token, SITE, id, action).await.status(), 200);
        }
    }

    let page = app.public_page("").await;
    assert_eq!(page.items.len(), 2, "only approved items are listed");
    assert_eq!(page.summary.count, 3, "approved and rejected ratings count; spam and pending do not");
    assert_eq!(page.summary.average, Some(3.0));
}

#[tokio::test]
async fn an_empty_site_has_no_average() {
    let app = spawn_app().await;
    let page = app.public_page("").await;
    assert_eq!(page.summary.count, 0);
    assert_eq!(page.summary.average, None);
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn pages_follow_the_cursor_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let mut body = valid_submission();
        body["text"] = json!(format!("Testimonial number {n}"));
        let created = app.submit_ok(&body).await;
        app.moderate(&token, SITE, &created.id, "approve").await;
        ids.push(created.id);
    }

    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let page = app.public_page(&query).await;
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().map(|item| item.id));
        match page.next_cursor {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    ids.sort();
    seen.sort();
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn bad_list_parameters_are_named() {
    let app = spawn_app().await;
    for (query, field) in [("?limit=lots", "limit"), ("?cursor=garbage", "cursor")] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/sites/{SITE}/testimonials{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{query}");
        let (_, fields) = error_of(response).await;
        assert!(fields.get(field).is_some(), "{query}: {fields}");
    }
    assert_eq!(app.public_page("?limit=100000").await.items.len(), 0, "huge limits are clamped, not refused");
}

#[tokio::test]
async fn the_widget_config_is_public_and_complete() {
    let app = spawn_app().await;
    let response = app.client.get(app.url(&format!("/api/v1/sites/{SITE}/widget"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let config: fanfare_protocol::api::WidgetConfig = response.json().await.unwrap();
    assert_eq!(config.site, SITE);
    assert_eq!(config.consent_text, "You may publish this.");
    assert_eq!(config.low_rating_threshold, 3);
    assert!(config.modes.iter().any(|mode| mode == "collect"));
}

#[tokio::test]
async fn consent_and_page_are_recorded_for_moderators() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let mut body = valid_submission();
    body["rating"] = json!(2);
    body["page_url"] = json!("https://acme.test/thanks");
    app.submit_ok(&body).await;

    let queue = app.queue(&token, "pending").await;
    assert_eq!(queue.items.len(), 1);
    let item = &queue.items[0];
    assert_eq!(item.email, "ada@example.com");
    assert!(item.consent);
    assert!(item.follow_up, "a rating of 2 is at or below the default threshold of 3");
    assert_eq!(item.page_url.as_deref(), Some("https://acme.test/thanks"));
    let stored = &app.everything_stored().await[0];
    assert_eq!(stored.consent_text.as_deref(), Some("You may publish this."));
    assert_eq!(stored.consent_version, Some(1));
    assert_eq!(stored.ip_prefix.as_deref(), Some("127.0.0.0/24"), "only a truncated address is kept");
}

#[tokio::test]
async fn the_widget_texts_come_in_the_asked_language_with_the_sites_wording_on_top() {
    use fanfare_server::storage::SiteChanges;
    let app = spawn_app().await;
    let texts = std::collections::BTreeMap::from([
        ("collect.title".to_owned(), "Tell us!".to_owned()),
        ("de:collect.submit".to_owned(), "Abschicken".to_owned()),
    ]);
    app.storage
        .update_site(SITE, SiteChanges { texts: Some(texts), ..SiteChanges::default() })
        .await
        .unwrap();
    let config = |lang: &'static str| {
        let app = &app;
        async move {
            let url = app.url(&format!("/api/v1/sites/{SITE}/widget?lang={lang}"));
            app.client.get(url).send().await.unwrap().json::<Value>().await.unwrap()["texts"].clone()
        }
    };
    let german = config("de-AT").await;
    assert_eq!(german["wall.title"], "Ausgewählte Erfahrungsberichte");
    assert_eq!(german["collect.submit"], "Abschicken", "a site's wording for one language");
    assert_eq!(german["collect.title"], "Tell us!", "a site's wording for every language");
    assert_eq!(config("ar").await["wall.title"], "شهادات مختارة");
    let english = config("en").await;
    assert_eq!(english["collect.title"], "Tell us!");
    assert_eq!(english["wall.title"], "Selected testimonials", "English comes from the server too");
    assert_eq!(english["collect.submit"], "Send testimonial");
    assert_eq!(config("xx").await["wall.more"], "Show more", "unknown languages get English");
    assert_eq!(german["error.required"], "ist erforderlich", "the form's refusals are translated");
}

#[tokio::test]
async fn the_public_list_has_an_etag_and_answers_304_until_something_changes() {
    let app = spawn_app().await;
    let token = app.moderator_token(SITE).await;
    let url = app.url(&format!("/api/v1/sites/{SITE}/testimonials"));
    let first = app.client.get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(first.headers()["cache-control"], "public, no-cache");
    let again = app.client.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    let created = app.submit_ok(&valid_submission()).await;
    app.moderate(&token, SITE, &created.id, "approve").await;
    let changed = app.client.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(changed.status(), 200, "an approval shows at once, cache or not");
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    let page: Value = changed.json().await.unwrap();
    assert_eq!(page["items"][0]["id"], created.id.as_str());
}
