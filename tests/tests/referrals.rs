//! Referrals in real browsers: an advocate gets a link in one browser, a friend opens it in
//! another (a separate profile: nothing shared), the visit counts once and repeated conversions
//! of one order credit the advocate once.

use fanfare_protocol::referrals::CreateReferral;
use fanfare_server::cli::demo::DEMO_SITE;
use fanfare_server::service::sites::SettingsInput;
use fanfare_server::service::Actor;
use fanfare_tests::browser::{wait_for, wait_until, Browser};
use fanfare_tests::demo::RunningDemo;
use serde_json::json;

#[tokio::test]
async fn a_friend_through_an_advocates_link_converts_once() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let site = demo.storage.site_by_slug(DEMO_SITE).await?.expect("the demo site");

    // The advocate asks for their link on the About page.
    let advocate = Browser::launch().await?;
    let page = &advocate.session;
    page.goto(&format!("{}/about.html", demo.site_url)).await?;
    let refer = advocate.mount_root("refer").await?;
    page.send_keys(&advocate.wait_in(&refer, "input[name=name]").await?, "Olu Advocate").await?;
    page.send_keys(&advocate.wait_in(&refer, "input[name=email]").await?, "olu@example.com").await?;
    page.click(&advocate.wait_in(&refer, "button[type=submit]").await?).await?;
    let link_field = advocate.wait_in(&refer, "#fanfare-ref-link").await?;
    advocate.screenshot_if_asked("refer-ready").await?;
    let link = page.property(&link_field, "value").await?.as_str().unwrap_or_default().to_owned();
    assert!(link.starts_with(&format!("{}/about.html?ref=", demo.site_url)), "{link}");
    let code = link.rsplit("ref=").next().unwrap_or_default().to_owned();
    let share = page.find_in(&refer, "a[href^='https://wa.me/']").await?.expect("a WhatsApp share link");
    let share_href = page.property(&share, "href").await?;
    assert!(share_href.as_str().unwrap_or_default().contains(&code), "plain share links carry the link");
    advocate.close().await;

    // The friend, in a browser that shares nothing with the advocate's.
    let friend = Browser::launch().await?;
    let page = &friend.session;
    page.goto(&link).await?;
    let stats = || async {
        let rows = demo.storage.advocate_stats(site.id, 10, 0).await?;
        let row = rows.into_iter().find(|row| row.advocate.code == code).expect("the advocate is listed");
        anyhow::Ok((row.visits, row.conversions))
    };
    wait_until("the visit is recorded", || async { Ok(stats().await?.0 == 1) }).await?;
    // The demo's programme is double-sided: the friend sees the shop's welcome code.
    let offer = wait_for("the friend's code on the landing page", || async {
        let shown = page
            .execute(
                "var slot = document.querySelector('[data-fanfare-friend-coupon]'); \
                 var box = slot && slot.closest('.friend-offer'); \
                 return slot && !slot.hidden && box.getBoundingClientRect().height > 0 ? slot.textContent : null",
                vec![],
            )
            .await?;
        Ok(shown.as_str().map(str::to_owned))
    })
    .await?;
    assert_eq!(offer, "FRIEND10");
    // What a shop's own checkout reads to send Stripe the code.
    assert_eq!(page.execute("return window.Fanfare.referral()", vec![]).await?, json!(code));
    page.refresh().await?;
    page.goto(&format!("{}/product.html", demo.site_url)).await?;

    // Two calls with one order id, as a thank-you page reloaded would make.
    for _ in 0..2 {
        let answer = page
            .execute("return window.Fanfare.convert({ id: 'order-1', email: 'friend@example.com' })", vec![])
            .await?;
        assert_eq!(answer, json!({ "id": "order-1" }));
    }
    // The shop's own thank-you page converts through the queue before embed.js has loaded.
    page.goto(&format!("{}/order-confirmed.html?order=order-2", demo.site_url)).await?;
    let credited = wait_for("both orders credited once each", || async {
        let (visits, conversions) = stats().await?;
        Ok((conversions == 2).then_some(visits))
    })
    .await?;
    assert_eq!(credited, 1, "reloads and later pages did not count as visits");
    let advocate_row = demo.storage.advocate_by_code(site.id, &code).await?.expect("the advocate");
    let ids: Vec<String> = demo
        .storage
        .conversions_of(site.id, advocate_row.id)
        .await?
        .into_iter()
        .map(|c| c.external_id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"order-1".to_owned()) && ids.contains(&"order-2".to_owned()));
    // This browser came through the link, so nothing says otherwise (both browsers share the
    // loopback network here, which is flagged as such).
    for conversion in demo.storage.conversions_of(site.id, advocate_row.id).await? {
        assert!(!conversion.flags.contains(&"no_visit".to_owned()), "{:?}", conversion.flags);
    }

    friend.close().await;
    Ok(())
}

#[tokio::test]
async fn without_a_ref_code_nothing_is_attributed() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let site = demo.storage.site_by_slug(DEMO_SITE).await?.expect("the demo site");
    // The demo's own advocates, with their visits and conversions as the seed left them.
    let advocates = demo.storage.advocate_stats(site.id, 10, 0).await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/product.html?ref=not-a-code", demo.site_url)).await?;
    wait_until("the loader ran", || async {
        Ok(page.execute("return !!(window.Fanfare && window.Fanfare.loaded)", vec![]).await? == json!(true))
    })
    .await?;
    let answer = page.execute("return window.Fanfare.convert({ id: 'order-1' })", vec![]).await?;
    assert_eq!(answer, json!(null), "no explicit, valid ?ref code: no conversion");
    assert_eq!(page.execute("return window.Fanfare.referral()", vec![]).await?, json!(null));
    assert_eq!(demo.storage.advocate_stats(site.id, 10, 0).await?, advocates, "nothing attributed to anyone");
    page.goto(&format!("{}/about.html", demo.site_url)).await?;
    wait_until("the loader ran", || async {
        Ok(page.execute("return !!(window.Fanfare && window.Fanfare.loaded)", vec![]).await? == json!(true))
    })
    .await?;
    let offer_height = page
        .execute("return document.querySelector('.friend-offer').getBoundingClientRect().height", vec![])
        .await?;
    assert_eq!(offer_height, json!(0), "no friend's code for a visitor nobody referred");
    browser.close().await;
    Ok(())
}

/// A browser follows Ada's link, then Bob's, and converts at once on Bob's landing page: the
/// site's rule decides who is credited, and the conversion carries a visit either way.
#[tokio::test]
async fn a_second_link_follows_the_sites_attribution_rule() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let site = demo.storage.site_by_slug(DEMO_SITE).await?.expect("the demo site");
    let mut codes = Vec::new();
    for (name, email) in [("Ada", "ada@example.com"), ("Bob", "bob@example.com")] {
        let request =
            CreateReferral { name: Some(name.into()), email: Some(email.into()), ..Default::default() };
        codes.push(demo.service.refer(&site, None, "en", request).await?.code);
    }
    let (ada, bob) = (codes[0].clone(), codes[1].clone());

    for (rule, credited) in [("first", &ada), ("last", &bob)] {
        let input = SettingsInput { referral_attribution: Some(rule), ..SettingsInput::default() };
        let site = demo.service.change_site(&site, Actor::CommandLine, input).await?;
        let browser = Browser::launch().await?;
        let page = &browser.session;
        let ada_id = demo.storage.advocate_by_code(site.id, &ada).await?.expect("Ada").id;
        let visits_of_ada = || async {
            let rows = demo.storage.advocate_stats(site.id, 10, 0).await?;
            anyhow::Ok(rows.into_iter().find(|row| row.advocate.id == ada_id).map_or(0, |row| row.visits))
        };
        let before = visits_of_ada().await?;
        page.goto(&format!("{}/product.html?ref={ada}", demo.site_url)).await?;
        wait_until("Ada's visit is recorded", || async { Ok(visits_of_ada().await? > before) }).await?;
        page.goto(&format!("{}/product.html?ref={bob}", demo.site_url)).await?;
        let order = format!("order-{rule}");
        let answer =
            page.execute(&format!("return window.Fanfare.convert({{ id: '{order}' }})"), vec![]).await?;
        assert_eq!(answer, json!({ "id": order }), "{rule}");

        let conversion = wait_for("the conversion is stored", || async {
            for code in [&ada, &bob] {
                let advocate = demo.storage.advocate_by_code(site.id, code).await?.expect("the advocate");
                let found = demo.storage.conversions_of(site.id, advocate.id).await?;
                if let Some(conversion) = found.into_iter().find(|c| c.external_id == order) {
                    return Ok(Some((code.clone(), conversion)));
                }
            }
            Ok(None)
        })
        .await?;
        assert_eq!(&conversion.0, credited, "{rule} touch");
        assert!(!conversion.1.flags.contains(&"no_visit".to_owned()), "{rule}: {:?}", conversion.1.flags);
        browser.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn a_visit_that_never_answers_holds_up_neither_the_page_nor_its_conversion() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let site = demo.storage.site_by_slug(DEMO_SITE).await?.expect("the demo site");
    let request = CreateReferral {
        name: Some("Ada".into()),
        email: Some("ada@example.com".into()),
        ..Default::default()
    };
    let code = demo.service.refer(&site, None, "en", request).await?.code;

    let browser = Browser::launch().await?;
    let page = &browser.session;
    // Every visit request is held by the browser itself, unanswered, as on a network that drops it.
    page.devtools("Fetch.enable", json!({ "patterns": [{ "urlPattern": "*/visits*" }] })).await?;
    page.goto(&format!("{}/kind-words.html?ref={code}", demo.site_url)).await?;
    let wall = browser.mount_root("wall").await?;
    browser.wait_in(&wall, ".fanfare-quote").await?;
    let converted = page
        .execute(
            "return window.Fanfare.convert({ id: 'order-held-visit' }).then((answer) => answer && answer.id);",
            vec![],
        )
        .await?;
    assert_eq!(converted, "order-held-visit", "the conversion went out without the visit's answer");
    browser.close().await;
    Ok(())
}
