//! WCAG 2.2 AA, checked by axe-core in Chromium on every widget mode (inside their shadow
//! roots) and an advocate's private page; and one testimonial sent with the keyboard alone.
//! The dashboard's pages are checked in dashboard_layout.rs, on a phone and on a desktop.

use fanfare_tests::browser::{axe_source, wait_for, Browser};
use fanfare_tests::demo::RunningDemo;

#[tokio::test]
async fn every_widget_mode_and_the_advocate_page_have_no_axe_violation() -> anyhow::Result<()> {
    let axe = axe_source()?;
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    let mut found = Vec::new();

    // Each page with its mounts loaded and rendered.
    let rendered = |mode: &str| match mode {
        "wall" | "carousel" => ".fanfare-quote",
        "badge" => ".fanfare-badge",
        _ => "form",
    };
    let pages = [
        ("kind-words.html", &["collect", "wall"][..]),
        ("product.html", &["badge", "collect"][..]),
        ("about.html", &["carousel", "refer"][..]),
        // The wall in the page's own HTML, the carousel and badge placed by the loader.
        ("stories.html", &["wall", "carousel", "badge"][..]),
    ];
    for (theme, (path, modes)) in
        ["light", "dark"].into_iter().flat_map(|theme| pages.map(|page| (theme, page)))
    {
        page.goto(&format!("{}/{path}?theme={theme}", demo.site_url)).await?;
        for mode in modes {
            let root = browser.mount_root(mode).await?;
            browser.wait_in(&root, rendered(mode)).await?;
        }
        found.extend(
            browser
                .accessibility_violations(&axe)
                .await?
                .into_iter()
                .map(|v| format!("{path} ({theme}): {v}")),
        );
    }
    // The floating button's dialog, open.
    page.goto(&format!("{}/index.html", demo.site_url)).await?;
    let floating = browser.widget_root("[data-fanfare-floating]").await?;
    page.click(&browser.wait_in(&floating, "button").await?).await?;
    browser.wait_in(&floating, "dialog[open] input[name=name]").await?;
    found.extend(browser.accessibility_violations(&axe).await?.into_iter().map(|v| format!("dialog: {v}")));

    // An advocate's private page, with a purchase waiting out the refund window and a reward
    // held for it, in the advocate's language and in Arabic (right to left).
    let site = demo.service.find_site(fanfare_server::cli::demo::DEMO_SITE).await?;
    let request = fanfare_protocol::referrals::CreateReferral {
        name: Some("Ada Advocate".into()),
        email: Some("ada.advocate@example.com".into()),
        ..Default::default()
    };
    let code = demo.service.refer(&site, None, "en", request).await?.code;
    let key =
        demo.service.create_site_key(&site, fanfare_server::service::Actor::CommandLine, "shop").await?;
    let sale = fanfare_protocol::referrals::RecordConversion {
        code: Some(code.clone()),
        id: Some("A11Y-1".into()),
        amount: Some(1450),
        currency: Some("EUR".into()),
        ..Default::default()
    };
    demo.service.convert_from_system(&site, &key.secret, sale).await?;
    let advocate = demo.storage.advocate_by_code(site.id, &code).await?.expect("the advocate");
    let private_page = demo.service.advocate_page_url(&site, &advocate);
    for lang in ["en", "ar"] {
        page.goto(&format!("{private_page}?lang={lang}")).await?;
        wait_for("the advocate's page", || async { page.find("table.history").await }).await?;
        if lang == "en" {
            browser.screenshot_if_asked("advocate-page").await?;
        }
        found.extend(
            browser
                .accessibility_violations(&axe)
                .await?
                .into_iter()
                .map(|v| format!("advocate page ({lang}): {v}")),
        );
    }
    assert!(found.is_empty(), "accessibility violations:\n{}", found.join("\n"));

    // And the check sees into shadow roots: an unlabelled field planted in the wall is caught.
    page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;
    let wall = browser.mount_root("wall").await?;
    browser.wait_in(&wall, ".fanfare-quote").await?;
    page.execute(
        "document.querySelector('[data-fanfare=wall]').shadowRoot.querySelector('section').appendChild(document.createElement('input'))",
        vec![],
    )
    .await?;
    let planted = browser.accessibility_violations(&axe).await?;
    assert!(planted.iter().any(|v| v.starts_with("label")), "axe reports the planted field: {planted:?}");
    browser.close().await;
    Ok(())
}

/// WebDriver key codes.
const TAB: &str = "\u{E004}";
const SPACE: &str = "\u{E00D}";
const ENTER: &str = "\u{E007}";
const ARROW_RIGHT: &str = "\u{E014}";

#[tokio::test]
async fn a_testimonial_can_be_sent_with_the_keyboard_alone() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;
    let form = browser.mount_root("collect").await?;
    browser.wait_in(&form, "input[name=name]").await?;
    let active = "return document.querySelector('[data-fanfare=collect]').shadowRoot.activeElement";
    // Keys go to whatever has focus, as they would from a keyboard.
    let type_keys = |keys: String| async move {
        let element = page.execute(active, vec![]).await?;
        let id = element
            .as_object()
            .and_then(|object| object.values().next())
            .and_then(|value| value.as_str())
            .map(str::to_owned);
        let element =
            fanfare_tests::webdriver::Element(id.ok_or_else(|| anyhow::anyhow!("nothing has focus"))?);
        page.send_keys(&element, &keys).await
    };
    page.execute("document.querySelector('[data-fanfare=collect]').shadowRoot.querySelector('input[name=name]').focus()", vec![])
        .await?;
    // role, company, photo, "Add a video"
    type_keys(format!("Kim Keyboard{TAB}kim@example.com{TAB}{TAB}{TAB}{TAB}{TAB}")).await?;
    type_keys(format!("{ARROW_RIGHT}{ARROW_RIGHT}{ARROW_RIGHT}{ARROW_RIGHT}")).await?; // the rating, by arrows
    type_keys(format!("{TAB}No mouse needed at all.{TAB}{SPACE}")).await?; // text, consent
    type_keys(format!("{TAB}{ENTER}")).await?; // the send button
    browser.wait_in(&form, ".fanfare-thanks").await?;
    let pending = demo.queue(fanfare_protocol::api::Status::Pending).await?;
    let sent = pending
        .items
        .iter()
        .find(|item| item.public.name == "Kim Keyboard")
        .expect("the testimonial arrived");
    assert_eq!(sent.public.rating, 5, "four arrow presses from the first star");
    assert!(sent.consent);
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn arabic_reads_right_to_left_in_arabic_and_stays_accessible() -> anyhow::Result<()> {
    let axe = axe_source()?;
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/kind-words.html?lang=ar", demo.site_url)).await?;
    let wall = browser.mount_root("wall").await?;
    let title = page.text(&browser.wait_in(&wall, "#fanfare-wall-title").await?).await?;
    assert_eq!(title, "شهادات مختارة");
    browser.wait_in(&wall, ".fanfare-quote").await?;
    let direction = page
        .execute("return getComputedStyle(document.querySelector('[data-fanfare=wall]').shadowRoot.querySelector('.fanfare')).direction", vec![])
        .await?;
    assert_eq!(direction, "rtl");
    let form = browser.mount_root("collect").await?;
    let submit = page.text(&browser.wait_in(&form, "button[type=submit]").await?).await?;
    assert_eq!(submit, "إرسال الشهادة");
    browser.screenshot_if_asked("wall-arabic").await?;
    let violations = browser.accessibility_violations(&axe).await?;
    assert!(violations.is_empty(), "{violations:#?}");
    browser.close().await;
    Ok(())
}
