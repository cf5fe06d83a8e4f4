//! The dashboard in a real browser: sign in, approve and reply from the queue, see the reply on
//! the demo website's wall; forged cross-site posts, replayed cookies and other sites' moderators
//! get nowhere.

use fanfare_protocol::api::Status;
use fanfare_server::cli::demo::DEMO_SITE;
use fanfare_server::domain::{Origin, Role, SiteSlug};
use fanfare_server::service::Actor;
use fanfare_server::storage::NewSite;
use fanfare_tests::browser::{wait_for, wait_until, Browser};
use fanfare_tests::demo::RunningDemo;
use fanfare_tests::webdriver::Session;

async fn body_text(page: &Session) -> anyhow::Result<String> {
    Ok(page.execute("return document.body.innerText", vec![]).await?.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_moderator_approves_and_replies_and_the_wall_shows_the_reply() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let id = demo.submit("Grace Hopper", "The pour-over changed my mornings.").await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    demo.sign_in(page).await?;

    page.goto(&format!("{}/admin/sites/{DEMO_SITE}", demo.api_url)).await?;
    let approve = wait_for("the item in the queue", || async {
        page.find(&format!("#item-{id} button[data-key=a]")).await
    })
    .await?;
    browser.screenshot_if_asked("dashboard-queue").await?;
    page.click(&approve).await?;
    wait_until("the item leaves the pending tab", || async {
        Ok(page.find(&format!("#item-{id}")).await?.is_none()
            && page.find("nav.status-tabs").await?.is_some())
    })
    .await?;
    assert_eq!(demo.status_of(&id).await?, Status::Approved);

    page.goto(&format!("{}/admin/sites/{DEMO_SITE}?status=approved", demo.api_url)).await?;
    let summary =
        wait_for("the approved item", || async { page.find(&format!("#item-{id} details summary")).await })
            .await?;
    page.click(&summary).await?;
    let reply = page.find(&format!("#reply-{id}")).await?.expect("a reply box");
    page.send_keys(&reply, "Thank you, Grace! See you at the counter.").await?;
    let save = page.find(&format!("#item-{id} form[action$='/reply'] button")).await?.expect("a save button");
    page.click(&save).await?;
    wait_until("the reply is saved", || async {
        Ok(page.find(&format!("#item-{id} .reply")).await?.is_some())
    })
    .await?;
    // A moderator's correction is published with an "Edited" mark.
    let summary = page.find(&format!("#item-{id} details summary")).await?.expect("the details");
    page.click(&summary).await?;
    let text_box = page.find(&format!("#edit-text-{id}")).await?.expect("the text box");
    page.send_keys(&text_box, " Truly.").await?;
    page.click(
        &page.find(&format!("#item-{id} form[action$='/edit'] button")).await?.expect("a save button"),
    )
    .await?;
    wait_until("the edit is saved", || async {
        Ok(page.find(&format!("#item-{id} .badge")).await?.is_some())
    })
    .await?;

    page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;
    let wall = browser.mount_root("wall").await?;
    let text = wait_for("the reply on the wall", || async {
        let Some(grid) = page.find_in(&wall, ".fanfare-grid").await? else { return Ok(None) };
        let text = page.text(&grid).await?;
        Ok(text.contains("See you at the counter").then_some(text))
    })
    .await?;
    browser.screenshot_if_asked("wall-with-reply").await?;
    assert!(text.contains("The pour-over changed my mornings. Truly."), "{text}");
    assert!(page.find_in(&wall, ".fanfare-edited").await?.is_some(), "the wall marks the edit");

    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn forged_posts_replayed_cookies_and_other_sites_moderators_get_nowhere() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let target = demo.submit("Pending Person", "Waiting for a decision.").await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    demo.sign_in(page).await?;
    page.goto(&format!("{}/admin/sites/{DEMO_SITE}", demo.api_url)).await?;
    let csrf = page.execute("return document.querySelector('input[name=csrf]').value", vec![]).await?;
    let csrf = csrf.as_str().unwrap_or_default().to_owned();
    assert!(!csrf.is_empty());

    // A page on another origin auto-submits a form at the approve URL. Even knowing the CSRF
    // token (an attacker would not), the browser's own Sec-Fetch-Site header gives it away.
    page.goto(&format!("{}/about.html", demo.site_url)).await?;
    let action = format!("{}/admin/sites/{DEMO_SITE}/testimonials/{target}/approve", demo.api_url);
    page.execute(
        "const form = document.createElement('form'); form.method = 'post'; form.action = arguments[0];
         const token = document.createElement('input'); token.name = 'csrf'; token.value = arguments[1];
         form.appendChild(token); document.body.appendChild(form); form.submit();",
        vec![action.clone().into(), csrf.clone().into()],
    )
    .await?;
    let refused = wait_for("the refusal page", || async {
        let text = body_text(page).await?;
        Ok(text.contains("Forbidden").then_some(text))
    })
    .await?;
    assert!(refused.contains("another page"), "{refused}");
    assert_eq!(demo.status_of(&target).await?, Status::Pending);

    // Sign out, then replay the old cookie from outside the browser.
    page.goto(&format!("{}/admin", demo.api_url)).await?;
    let cookie = page.cookie("fanfare_session").await?.expect("the session cookie");
    page.click(&page.find("form[action='/admin/logout'] button").await?.expect("a sign-out button")).await?;
    wait_until("signed out", || async { Ok(page.find("form.login").await?.is_some()) }).await?;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let replayed = http
        .post(&action)
        .header("Cookie", format!("fanfare_session={cookie}"))
        .header("Origin", &demo.api_url)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await?;
    assert_eq!(replayed.status(), 401);
    let page_after = http
        .get(format!("{}/admin", demo.api_url))
        .header("Cookie", format!("fanfare_session={cookie}"))
        .send()
        .await?;
    assert_eq!(page_after.status(), 303, "back to sign-in");
    assert_eq!(demo.status_of(&target).await?, Status::Pending);

    // A moderator of another site sees nothing of this one: the same 404 as a missing site.
    let other = NewSite {
        slug: SiteSlug::parse("other-shop").map_err(anyhow::Error::msg)?,
        name: "Other Shop".into(),
        origins: vec![Origin::parse("https://other.test").map_err(anyhow::Error::msg)?],
        consent_text: "Yes.".into(),
    };
    let other_shop = demo.storage.create_site(other, 0).await?;
    demo.service
        .add_member(
            &other_shop,
            Actor::CommandLine,
            "mod@other.test",
            Role::Moderator,
            Some("other password 123".into()),
        )
        .await?;
    demo.sign_in_as(page, "mod@other.test", "other password 123").await?;
    page.goto(&format!("{}/admin/sites/{DEMO_SITE}", demo.api_url)).await?;
    let text = wait_for("the not-found page", || async {
        let text = body_text(page).await?;
        Ok(text.contains("No such").then_some(text))
    })
    .await?;
    assert!(!text.contains("Pending Person"));
    let cookie = page.cookie("fanfare_session").await?.expect("the other moderator's cookie");
    page.goto(&format!("{}/admin/tokens", demo.api_url)).await?;
    let their_csrf = page.execute("return document.querySelector('input[name=csrf]').value", vec![]).await?;
    let forced = http
        .post(&action)
        .header("Cookie", format!("fanfare_session={cookie}"))
        .header("Origin", &demo.api_url)
        .form(&[("csrf", their_csrf.as_str().unwrap_or_default())])
        .send()
        .await?;
    assert_eq!(forced.status(), 404);
    assert_eq!(demo.status_of(&target).await?, Status::Pending);

    browser.close().await;
    Ok(())
}
