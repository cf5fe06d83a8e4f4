//! The dashboard's pages over real HTTP: every queue action, owner pages, people and data
//! (signing in and sessions: `dashboard_sessions.rs`).

use fanfare_protocol::api::Status;
use fanfare_server::domain::Role;
use serde_json::json;

use crate::helpers::{refused_field, spawn_app, valid_submission, OTHER_SITE, SITE};

const OWNER: &str = "owner@acme.test";

#[tokio::test]
async fn every_queue_action_works_and_is_audited() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let first = app.submit_ok(&valid_submission()).await;
    let act = |id: &str, action: &str| format!("/admin/sites/{SITE}/testimonials/{id}/{action}");

    let queue = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}")).await;
    assert!(
        queue.contains("Ada Lovelace") && queue.contains("You may publish this."),
        "consent record shown"
    );

    let approved =
        app.post_form(&session, &act(&first.id, "approve"), &[("return_to", "/admin/sites/acme")]).await;
    assert_eq!(approved.status(), 303);
    assert_eq!(approved.headers()["location"], format!("/admin/sites/acme#item-{}", first.id));
    app.post_form(&session, &act(&first.id, "reply"), &[("reply", "Thank you, Ada!")]).await;
    app.post_form(&session, &act(&first.id, "feature"), &[]).await;
    app.post_form(&session, &act(&first.id, "tags"), &[("tags", "Beans, delivery")]).await;
    let edit = [
        ("name", "Ada L."),
        ("role", "Analyst"),
        ("company", ""),
        ("rating", "5"),
        ("text", "Wonderful beans."),
    ];
    assert_eq!(app.post_form(&session, &act(&first.id, "edit"), &edit).await.status(), 303);

    let public = app.public_page("?tag=beans").await;
    assert_eq!(public.items.len(), 1);
    let item = &public.items[0];
    assert_eq!(item.reply.as_deref(), Some("Thank you, Ada!"));
    assert!(item.featured);
    assert_eq!(
        (item.name.as_str(), item.text.as_str(), item.company.as_deref()),
        ("Ada L.", "Wonderful beans.", None)
    );
    assert!(item.edited, "the public item says it was edited");
    assert!(app.stored(SITE, &first.id).await.edited);

    let bad_edit = app
        .post_form(&session, &act(&first.id, "edit"), &[("name", ""), ("rating", "9"), ("text", "x")])
        .await;
    assert_eq!(bad_edit.status(), 422);
    let page = bad_edit.text().await.unwrap();
    assert!(page.contains("name") && page.contains("rating"), "{page}");
    assert_eq!(app.stored(SITE, &first.id).await.name, "Ada L.", "a refused edit changes nothing");

    let second = app.submit_ok(&valid_submission()).await;
    let third = app.submit_ok(&valid_submission()).await;
    app.post_form(&session, &act(&second.id, "reject"), &[]).await;
    assert_eq!(app.stored(SITE, &second.id).await.status, Status::Rejected);
    app.post_form(&session, &act(&second.id, "spam"), &[]).await;
    assert_eq!(app.stored(SITE, &second.id).await.status, Status::Spam);
    let bulk = app
        .post_form(
            &session,
            &format!("/admin/sites/{SITE}/bulk"),
            &[("action", "approve"), ("id", &second.id), ("id", &third.id)],
        )
        .await;
    assert_eq!(bulk.status(), 303);
    assert_eq!(app.stored(SITE, &second.id).await.status, Status::Approved);
    assert_eq!(app.stored(SITE, &third.id).await.status, Status::Approved);
    app.post_form(&session, &act(&first.id, "unfeature"), &[]).await;
    assert!(!app.stored(SITE, &first.id).await.featured);

    let audit = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/audit")).await;
    for action in ["approve", "reply", "feature", "tag", "edit", "reject", "spam", "unfeature"] {
        assert!(audit.contains(&format!("<td data-label=\"What\">{action}</td>")), "audit lacks {action}");
    }
    assert!(audit.contains(OWNER));
}

#[tokio::test]
async fn approving_without_consent_is_refused_everywhere() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let mut body = valid_submission();
    body["consent"] = json!(false);
    let created = app.submit_ok(&body).await;
    let response = app
        .post_form(&session, &format!("/admin/sites/{SITE}/testimonials/{}/approve", created.id), &[])
        .await;
    assert_eq!(response.status(), 409);
    let token = app.moderator_token(SITE).await;
    assert_eq!(app.moderate(&token, SITE, &created.id, "approve").await.status(), 409);
    assert_eq!(app.stored(SITE, &created.id).await.status, Status::Pending);
}

/// The sentence of a dashboard 404, after checking the dashboard said it: a path no route
/// matches is a 404 as well, but the router's fallback answers it in the API's JSON, so the
/// status alone cannot tell a refusal from a route that is gone or misspelt.
async fn refusal(response: reqwest::Response) -> String {
    let url = response.url().path().to_owned();
    assert_eq!(response.status(), 404, "{url}");
    let html = response.headers()["content-type"].to_str().unwrap().starts_with("text/html");
    let body = response.text().await.unwrap();
    assert!(html, "{url}: not a dashboard page but {body}");
    let alert = body.split_once("<p role=\"alert\">").and_then(|(_, rest)| rest.split_once("</p>"));
    alert.unwrap_or_else(|| panic!("{url}: no error sentence in {body}")).0.to_owned()
}

#[tokio::test]
async fn another_sites_moderator_gets_404_for_everything_here() {
    let app = spawn_app().await;
    app.dashboard_user("mod@globex.test", OTHER_SITE, Role::Moderator).await;
    let session = app.login("mod@globex.test").await;
    let created = app.submit_ok(&valid_submission()).await;
    for page in ["", "/audit", "/follow-ups"] {
        // The same page of their own site opens, so the route is there to refuse.
        app.get_page(&session.cookie, &format!("/admin/sites/{OTHER_SITE}{page}")).await;
        let path = format!("/admin/sites/{SITE}{page}");
        let response = app.client.get(app.url(&path)).header("Cookie", &session.cookie).send().await.unwrap();
        // The same sentence as for a site that does not exist: nothing says `acme` is here.
        assert_eq!(refusal(response).await, "No such site.", "{path}");
    }
    let approve = app
        .post_form(&session, &format!("/admin/sites/{SITE}/testimonials/{}/approve", created.id), &[])
        .await;
    assert_eq!(refusal(approve).await, "No such site.");
    // Their own site's path with this item's id: the site is theirs, the item is not.
    let crossed = app
        .post_form(&session, &format!("/admin/sites/{OTHER_SITE}/testimonials/{}/approve", created.id), &[])
        .await;
    assert_eq!(refusal(crossed).await, "No such testimonial.");
    assert_eq!(app.stored(SITE, &created.id).await.status, Status::Pending);
}

#[tokio::test]
async fn moderators_cannot_reach_owner_pages() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    app.dashboard_user("mod@acme.test", SITE, Role::Moderator).await;
    let (owner, moderator) = (app.login(OWNER).await, app.login("mod@acme.test").await);
    for page in ["settings", "members", "webhooks", "data", "export.csv"] {
        let path = format!("/admin/sites/{SITE}/{page}");
        app.get_page(&owner.cookie, &path).await;
        let response =
            app.client.get(app.url(&path)).header("Cookie", &moderator.cookie).send().await.unwrap();
        assert_eq!(refusal(response).await, "No such page.", "{page}");
    }
}

#[tokio::test]
async fn the_session_works_on_the_api_but_writes_need_the_csrf_header() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let created = app.submit_ok(&valid_submission()).await;
    let list = app
        .client
        .get(app.url(&format!("/api/v1/sites/{SITE}/moderation/testimonials")))
        .header("Cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let url = app.url(&format!("/api/v1/sites/{SITE}/moderation/testimonials/{}/approve", created.id));
    let without = app.client.post(&url).header("Cookie", &session.cookie).send().await.unwrap();
    assert_eq!(without.status(), 403);
    let with = app
        .client
        .post(&url)
        .header("Cookie", &session.cookie)
        .header("X-CSRF-Token", &session.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 200);
}

#[tokio::test]
async fn tokens_are_created_listed_and_revoked_in_the_dashboard() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let page = app.post_form(&session, "/admin/tokens", &[]).await.text().await.unwrap();
    let token =
        page.split("id=\"new-token\">").nth(1).and_then(|rest| rest.split('<').next()).unwrap().to_owned();
    assert!(token.starts_with("fft_"));
    let queue = |token: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&format!("/api/v1/sites/{SITE}/moderation/testimonials")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(queue(token.clone()).await, 200);
    let listing = app.get_page(&session.cookie, "/admin/tokens").await;
    assert!(listing.contains("Active") && !listing.contains(&token), "listed, never shown again");
    let user = app.storage.user_by_email(OWNER).await.unwrap().unwrap();
    let id = app.storage.tokens_of_user(user.id).await.unwrap()[0].id;
    assert_eq!(app.post_form(&session, &format!("/admin/tokens/{id}/revoke"), &[]).await.status(), 303);
    assert_eq!(queue(token).await, 401);
}

#[tokio::test]
async fn owners_change_settings_and_bad_values_are_named_without_changing_anything() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let path = format!("/admin/sites/{SITE}/settings");
    let good = [
        ("name", "Acme Roasters"),
        ("origins", "https://acme.test\nhttps://www.acme.test"),
        ("accent", "#224466"),
        ("consent_text", "Publish my words, please."),
        ("low_rating_threshold", "2"),
        ("moderation", "auto"),
        ("auto_approve_min_rating", "5"),
        ("texts", "collect.title = Tell us!\nde:collect.title = Erzählen Sie!"),
        ("referral_landing_url", "https://www.acme.test/welcome"),
        ("referral_window_days", "14"),
        ("conversion_burst_limit", "5"),
        ("proof_of_work", "0"),
        ("referral_attribution", "last"),
    ];
    assert_eq!(app.post_form(&session, &path, &good).await.status(), 200);
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    assert_eq!(
        (site.name.as_str(), site.accent.as_str(), site.low_rating_threshold),
        ("Acme Roasters", "#224466", 2)
    );
    assert_eq!(site.consent_version, 2);
    assert_eq!(site.auto_approve_min_rating, Some(5));
    assert_eq!(site.texts.get("collect.title").map(String::as_str), Some("Tell us!"));
    assert_eq!(site.referral_landing_url.as_deref(), Some("https://www.acme.test/welcome"));
    assert_eq!((site.referral_window_days, site.conversion_burst_limit), (14, 5));
    assert_eq!(site.referral_attribution, fanfare_protocol::referrals::ReferralAttribution::Last);

    let published = app.submit_ok(&valid_submission()).await;
    assert_eq!(published.status, Status::Approved, "consenting 5 stars are published at once");
    let mut four = valid_submission();
    four["rating"] = json!(4);
    assert_eq!(app.submit_ok(&four).await.status, Status::Pending);

    let mut bad: Vec<(&str, &str)> = good.to_vec();
    bad[2] = ("accent", "brown");
    bad[1] = ("origins", "not an origin");
    let response = app.post_form(&session, &path, &bad).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("accent") && page.contains("origins"), "{page}");
    assert_eq!(app.storage.site_by_slug(SITE).await.unwrap().unwrap(), site, "nothing saved");
}

#[tokio::test]
async fn owners_turn_structured_data_on_with_a_checkbox_and_off_by_unticking_it() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let path = format!("/admin/sites/{SITE}/settings");
    let page = app.get_page(&session.cookie, &path).await;
    assert!(page.contains(r#"name="structured_data" value="on""#), "{page}");
    assert!(!page.contains(r#"value="on" checked"#), "off by default: {page}");
    assert!(
        page.contains("Google shows no review stars for reviews a business publishes about itself"),
        "{page}"
    );
    let form = |structured_data: Option<&'static str>| {
        let mut fields = vec![
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
        ];
        fields.extend(structured_data.map(|value| ("structured_data", value)));
        fields
    };
    let on = |app: &crate::helpers::TestApp| {
        let storage = app.storage.clone();
        async move { storage.site_by_slug(SITE).await.unwrap().unwrap().structured_data }
    };

    let saved = app.post_form(&session, &path, &form(Some("on"))).await;
    assert_eq!(saved.status(), 200);
    assert!(saved.text().await.unwrap().contains(r#"value="on" checked"#), "the box stays ticked");
    assert!(on(&app).await);

    let refused = app.post_form(&session, &path, &form(Some("yes"))).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("structured_data-error") && page.contains("must be on or off"), "{page}");
    assert!(on(&app).await, "nothing changed");

    assert_eq!(app.post_form(&session, &path, &form(None)).await.status(), 200);
    assert!(!on(&app).await, "an unticked box is sent as nothing: off");
}

#[tokio::test]
async fn low_ratings_and_contact_requests_reach_the_follow_up_inbox() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let mut low = valid_submission();
    low["rating"] = json!(2);
    low["text"] = json!("Arrived stale this time.");
    let low = app.submit_ok(&low).await;
    let mut contact = valid_submission();
    contact["contact_me"] = json!(true);
    contact["text"] = json!("Please call me about a wholesale order.");
    app.submit_ok(&contact).await;
    app.submit_ok(&valid_submission()).await;

    let inbox_path = format!("/admin/sites/{SITE}/follow-ups");
    let inbox = app.get_page(&session.cookie, &inbox_path).await;
    assert!(inbox.contains("Arrived stale") && inbox.contains("wholesale order"));
    assert!(!inbox.contains("The beans are wonderful"), "happy 5-star reviews need no follow-up");

    let resolve = format!("/admin/sites/{SITE}/testimonials/{}/resolve", low.id);
    app.post_form(&session, &resolve, &[("note", "Called, sent a fresh bag"), ("return_to", &inbox_path)])
        .await;
    assert!(!app.get_page(&session.cookie, &inbox_path).await.contains("Arrived stale"));
    let resolved = app.get_page(&session.cookie, &format!("{inbox_path}?resolved=1")).await;
    assert!(resolved.contains("Arrived stale") && resolved.contains("Called, sent a fresh bag"));
}

#[tokio::test]
async fn owners_export_and_erase_from_the_dashboard() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let mut body = valid_submission();
    body["name"] = json!("=HYPERLINK(\"http://evil.test\")");
    app.submit_ok(&body).await;
    let csv = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/export.csv")).await;
    assert!(csv.contains("\"'=HYPERLINK"), "{csv}");
    let exported = app.get_page(&session.cookie, &format!("/admin/sites/{SITE}/export.json")).await;
    assert!(exported.contains("ada@example.com"));

    let page =
        app.post_form(&session, &format!("/admin/sites/{SITE}/erase"), &[("email", "ADA@example.com")]).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Erased 1 testimonials"));
    assert!(app.everything_stored().await.is_empty());
}

#[tokio::test]
async fn owners_manage_people_but_never_remove_the_last_owner() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let path = format!("/admin/sites/{SITE}/members");
    let added =
        app.post_form(&session, &path, &[("email", "New.Mod@Acme.test"), ("role", "moderator")]).await;
    assert_eq!(added.status(), 303);
    let page = app.get_page(&session.cookie, &path).await;
    assert!(page.contains("New.Mod@acme.test"), "{page}");
    let bad = app.post_form(&session, &path, &[("email", "nobody"), ("role", "moderator")]).await;
    assert_eq!(bad.status(), 422);

    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    let owner = app.storage.user_by_email(OWNER).await.unwrap().unwrap();
    let demote = app.post_form(&session, &path, &[("email", OWNER), ("role", "moderator")]).await;
    assert_eq!(demote.status(), 409);
    let remove = app.post_form(&session, &format!("{path}/{}/remove", owner.id), &[]).await;
    assert_eq!(remove.status(), 409);
    assert_eq!(app.storage.role_on_site(owner.id, site.id).await.unwrap(), Some(Role::Owner));

    let moderator = app.storage.user_by_email("New.Mod@acme.test").await.unwrap().unwrap();
    assert_eq!(app.post_form(&session, &format!("{path}/{}/remove", moderator.id), &[]).await.status(), 303);
    assert_eq!(app.storage.role_on_site(moderator.id, site.id).await.unwrap(), None);
    assert!(app
        .get_page(&session.cookie, &format!("/admin/sites/{SITE}/audit"))
        .await
        .contains("remove person"));
}

#[tokio::test]
async fn two_owners_removing_each_other_at_once_leave_one_owner() {
    let app = spawn_app().await;
    let other = "second-owner@acme.test";
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    app.dashboard_user(other, SITE, Role::Owner).await;
    let (first, second) = (app.login(OWNER).await, app.login(other).await);
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    let first_id = app.storage.user_by_email(OWNER).await.unwrap().unwrap().id;
    let second_id = app.storage.user_by_email(other).await.unwrap().unwrap().id;

    let (remove_second, remove_first) = (
        format!("/admin/sites/{SITE}/members/{second_id}/remove"),
        format!("/admin/sites/{SITE}/members/{first_id}/remove"),
    );
    let (a, b) =
        tokio::join!(app.post_form(&first, &remove_second, &[]), app.post_form(&second, &remove_first, &[]));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    // One removal goes through; the other is refused as the last owner's (409), or, when it
    // arrives after the first is committed, its sender is no owner any more (404).
    assert!(statuses == [303, 409] || statuses == [303, 404], "{statuses:?}");
    let owners = [
        app.storage.role_on_site(first_id, site.id).await.unwrap(),
        app.storage.role_on_site(second_id, site.id).await.unwrap(),
    ];
    assert_eq!(owners.iter().filter(|role| **role == Some(Role::Owner)).count(), 1, "{owners:?}");
}

#[tokio::test]
async fn a_refused_person_is_shown_again_under_its_field_as_typed() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let site = app.storage.site_by_slug(SITE).await.unwrap().unwrap();
    let path = format!("/admin/sites/{SITE}/members");
    let before = app.storage.members(site.id).await.unwrap().len();

    let bad = app.post_form(&session, &path, &[("email", "nobody"), ("role", "owner")]).await;
    assert_eq!(bad.status(), 422);
    let page = bad.text().await.unwrap();
    assert!(page.contains("<h1>People</h1>"), "the People page itself: {page}");
    let email = refused_field(&page, "member-email");
    assert!(email.tag.contains(r#"value="nobody""#), "as typed: {}", email.tag);
    assert_eq!(email.message, "must be an email address like name@example.com");
    assert!(page.contains(r#"<option value="owner" selected>"#), "the role as chosen: {page}");
    assert!(!page.contains(r#"id="member-role-error""#), "{page}");

    let bad_role = app.post_form(&session, &path, &[("email", "new@acme.test"), ("role", "admin")]).await;
    assert_eq!(bad_role.status(), 422);
    let page = bad_role.text().await.unwrap();
    let role = refused_field(&page, "member-role");
    assert_eq!(role.message, "role &quot;admin&quot; must be owner or moderator");
    assert!(refused_field_absent(&page, "member-email"), "{page}");
    assert!(page.contains(r#"value="new@acme.test""#), "the address as typed: {page}");

    assert_eq!(app.storage.members(site.id).await.unwrap().len(), before, "nobody added");
    assert!(app.storage.user_by_email("new@acme.test").await.unwrap().is_none());
}

/// The field `id` is on the page and not marked refused.
fn refused_field_absent(page: &str, id: &str) -> bool {
    page.contains(&format!(" id=\"{id}\"")) && !page.contains(&format!("{id}-error"))
}

#[tokio::test]
async fn a_refused_erasure_is_shown_again_under_its_field_as_typed() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    app.submit_ok(&valid_submission()).await;

    let path = format!("/admin/sites/{SITE}/erase");
    let bad = app.post_form(&session, &path, &[("email", "ada at example.com")]).await;
    assert_eq!(bad.status(), 422);
    let page = bad.text().await.unwrap();
    assert!(page.contains("<h1>Data</h1>") && page.contains("Download JSON"), "the Data page itself: {page}");
    let email = refused_field(&page, "erase-email");
    assert!(email.tag.contains(r#"value="ada at example.com""#), "as typed: {}", email.tag);
    assert_eq!(email.message, "must be an email address like name@example.com");
    assert!(!page.contains("Erased"), "{page}");
    assert_eq!(app.everything_stored().await.len(), 1, "nothing erased");
}

#[tokio::test]
async fn a_refused_reply_tags_or_edit_opens_its_item_again_with_the_error_under_the_field() {
    let app = spawn_app().await;
    app.dashboard_user(OWNER, SITE, Role::Owner).await;
    let session = app.login(OWNER).await;
    let older = app.submit_ok(&valid_submission()).await;
    let item = app.submit_ok(&valid_submission()).await;
    let act = |action: &str| format!("/admin/sites/{SITE}/testimonials/{}/{action}", item.id);
    let back = ("return_to", "/admin/sites/acme?status=pending&q=Ada");
    let stored = app.stored(SITE, &item.id).await;

    let edit = [
        ("name", " "),
        ("role", "Analyst"),
        ("company", ""),
        ("rating", "9"),
        ("text", "Lovely <b>beans</b>."),
        back,
    ];
    let refused = app.post_form(&session, &act("edit"), &edit).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("<h1>Queue</h1>"), "the queue itself: {page}");
    assert!(page.contains(r#"value="/admin/sites/acme?status=pending&amp;q=Ada""#), "the same page: {page}");
    let (card, other) = (format!(r#"id="item-{}""#, item.id), format!(r#"id="item-{}""#, older.id));
    let card = &page[page.find(&card).unwrap()..];
    assert!(card.split("</article>").next().unwrap().contains("<details open>"), "its form open: {card}");
    assert!(!page[page.find(&other).unwrap()..]
        .split("</article>")
        .next()
        .unwrap()
        .contains("<details open>"));
    let name = refused_field(&page, &format!("edit-name-{}", item.id));
    assert_eq!(name.message, "is required");
    assert!(name.tag.contains(" autofocus"), "the first refused field takes the focus: {}", name.tag);
    let rating = refused_field(&page, &format!("edit-rating-{}", item.id));
    assert!(rating.tag.contains(r#"value="9""#) && !rating.tag.contains("autofocus"), "{}", rating.tag);
    assert!(page.contains(r#"value="Analyst""#), "accepted fields as typed too: {page}");
    assert!(page.contains("Lovely &lt;b&gt;beans&lt;/b&gt;.</textarea>"), "{page}");

    let tags = app.post_form(&session, &act("tags"), &[("tags", "beans, not/a/tag"), back]).await;
    assert_eq!(tags.status(), 422);
    let page = tags.text().await.unwrap();
    let field = refused_field(&page, &format!("tags-{}", item.id));
    assert!(
        field.tag.contains(r#"value="beans, not/a/tag""#) && field.message.contains("not/a/tag"),
        "{}",
        field.tag
    );

    let long = "a".repeat(2001);
    let reply = app.post_form(&session, &act("reply"), &[("reply", &long), back]).await;
    assert_eq!(reply.status(), 422);
    let page = reply.text().await.unwrap();
    let field = refused_field(&page, &format!("reply-{}", item.id));
    assert_eq!(
        (field.inner.as_str(), field.message.as_str()),
        (long.as_str(), "must be at most 2,000 characters")
    );

    assert_eq!(app.stored(SITE, &item.id).await, stored, "nothing changed");
}

#[tokio::test]
async fn the_queue_pages_on_past_its_second_page() {
    let app = spawn_app().await;
    let site = app.acme().await;
    for n in 0..45 {
        let draft = fanfare_server::service::testimonials::Draft {
            content: fanfare_server::storage::TestimonialEdit {
                name: format!("Customer {n}"),
                role: None,
                company: None,
                rating: 5,
                text: "Fine coffee, every week.".into(),
            },
            email: format!("customer{n}@example.com"),
            consent: true,
        };
        let (record, _manage_token) = fanfare_server::service::testimonials::new_record(&site, draft);
        app.service.seed_testimonial(record).await.unwrap();
    }
    app.dashboard_user("pager@example.com", SITE, Role::Moderator).await;
    let session = app.login("pager@example.com").await;
    // Page one, page two, and the third through page two's "Older items" link.
    let mut path = format!("/admin/sites/{SITE}?status=pending");
    for _ in 0..2 {
        let page = app.get_page(&session.cookie, &path).await;
        let older = page.split("rel=\"next\" href=\"").nth(1).and_then(|rest| rest.split('"').next());
        path = older.expect("an Older items link").replace("&amp;", "&");
    }
    assert_eq!(path.matches("cursor=").count(), 1, "{path}");
    let third = app.get_page(&session.cookie, &path).await;
    assert!(third.contains("Customer "), "the third page lists the oldest");
}
