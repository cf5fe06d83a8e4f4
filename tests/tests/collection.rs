//! The hosted collection page in Chromium: sent with the keyboard alone and JavaScript off (the
//! error summary first, then the thank-you screen), read right to left in Arabic, the private
//! path shown at once where the script runs, and no axe-core violation on the form, its error
//! state or the thank-you screen (axe needs scripts: it runs where they are on). Screenshots at a
//! phone's size.

use anyhow::Context;
use fanfare_protocol::api::Status;
use fanfare_server::cli::demo::DEMO_SITE;
use fanfare_server::service::sites::SettingsInput;
use fanfare_server::service::Actor;
use fanfare_tests::browser::{axe_source, wait_for, wait_until, Browser};
use fanfare_tests::demo::RunningDemo;
use fanfare_tests::webdriver::Element;
use serde_json::{json, Value};

/// WebDriver key codes.
const TAB: &str = "\u{E004}";
const SPACE: &str = "\u{E00D}";
const ENTER: &str = "\u{E007}";
const ARROW_RIGHT: &str = "\u{E014}";
const ARROW_LEFT: &str = "\u{E012}";

/// A phone held upright, as the page's readers mostly hold it.
async fn phone_sized(browser: &Browser) -> anyhow::Result<()> {
    let metrics = json!({ "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true });
    browser.session.devtools("Emulation.setDeviceMetricsOverride", metrics).await?;
    Ok(())
}

/// The `id` (or else `name`) of whatever has focus.
async fn focused(browser: &Browser) -> anyhow::Result<String> {
    let page = &browser.session;
    let element = page.active().await?.context("something has focus")?;
    let id = page.property(&element, "id").await?;
    let name = page.property(&element, "name").await?;
    Ok(match (id.as_str(), name.as_str()) {
        (Some(id), _) if !id.is_empty() => id.to_owned(),
        (_, Some(name)) => name.to_owned(),
        _ => String::new(),
    })
}

async fn heading(browser: &Browser) -> anyhow::Result<String> {
    let page = &browser.session;
    let h1 = wait_for("the page's heading", || async { page.find("h1").await }).await?;
    page.text(&h1).await
}

async fn no_violations(browser: &Browser, axe: &str, what: &str) -> anyhow::Result<()> {
    let violations = browser.accessibility_violations(axe).await?;
    assert!(violations.is_empty(), "{what}: {violations:#?}");
    Ok(())
}

#[tokio::test]
async fn without_javascript_the_form_is_sent_with_the_keyboard_alone() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch_without_javascript().await?;
    phone_sized(&browser).await?;
    let page = &browser.session;
    page.goto(&format!("{}/c/{DEMO_SITE}", demo.api_url)).await?;
    assert_eq!(heading(&browser).await?, "Share your experience");

    // The first Tab reaches the first field: nothing to get past.
    page.press(TAB).await?;
    assert_eq!(focused(&browser).await?, "name");
    page.press(&format!("Kim Keyboard{ENTER}")).await?;

    // Refused: the error summary has focus, its links first in the tab order.
    wait_until("the error summary", || async { Ok(page.find("#problems").await?.is_some()) }).await?;
    assert_eq!(focused(&browser).await?, "problems");
    let summary = page.text(&page.find("#problems").await?.context("the summary")?).await?;
    for sentence in ["Email is required", "Rating is required", "Testimonial is required"] {
        assert!(summary.contains(sentence), "{sentence} in {summary}");
    }
    page.press(&TAB.repeat(4)).await?; // the summary's three links, then the name (kept)
    assert_eq!(focused(&browser).await?, "name");
    page.press(&format!("{TAB}kim@example.com{TAB}{TAB}{TAB}")).await?; // email; role, company
    page.press(&ARROW_RIGHT.repeat(4)).await?; // the rating: arrows move along the stars
    page.press(&format!("{TAB}No mouse, no script, no trouble.{TAB}")).await?; // the text
    assert_eq!(focused(&browser).await?, "photo");
    page.press(&format!("{TAB}{SPACE}{TAB}{TAB}")).await?; // consent ticked; past "contact me"
    assert_eq!(page.text(&page.active().await?.context("focus")?).await?, "Send testimonial");
    page.press(ENTER).await?;

    wait_until("the thank-you screen", || async { Ok(page.find("a.manage").await?.is_some()) }).await?;
    assert_eq!(heading(&browser).await?, "Thank you!");
    browser.screenshot_if_asked("collection-thanks").await?;
    let sent = demo
        .queue(Status::Pending)
        .await?
        .items
        .into_iter()
        .find(|item| item.public.name == "Kim Keyboard")
        .context("the testimonial arrived")?;
    assert_eq!(sent.public.rating, 5, "four arrow presses from the first star");
    assert!(sent.consent);
    assert_eq!(sent.public.text, "No mouse, no script, no trouble.");
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn in_arabic_the_page_reads_right_to_left_and_every_state_passes_axe() -> anyhow::Result<()> {
    let axe = axe_source()?;
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/c/{DEMO_SITE}?lang=ar", demo.api_url)).await?;
    assert_eq!(heading(&browser).await?, "شاركنا تجربتك");
    let direction = page.execute("return getComputedStyle(document.body).direction", vec![]).await?;
    assert_eq!(direction, "rtl");
    phone_sized(&browser).await?;
    // Right to left, anything pushed off to the left would scroll: nothing is.
    let widths = page.execute("return [document.documentElement.scrollWidth, innerWidth]", vec![]).await?;
    assert_eq!(widths[0], widths[1], "nothing scrolls sideways in Arabic");
    no_violations(&browser, &axe, "the Arabic form").await?;

    let submit = page.find("button[type=submit]").await?.context("the send button")?;
    assert_eq!(page.text(&submit).await?, "إرسال الشهادة");
    page.execute("arguments[0].focus()", vec![submit.to_json()]).await?;
    page.press(ENTER).await?;
    wait_until("the error summary", || async { Ok(page.find("#problems").await?.is_some()) }).await?;
    no_violations(&browser, &axe, "the Arabic error state").await?;

    fill(&browser, "Layla", "layla@example.com", "القهوة رائعة وتصل طازجة.").await?;
    // Right to left, the next star is to the left.
    let first_star = page.find("#rating-1").await?.context("the first star")?;
    page.execute("arguments[0].focus()", vec![first_star.to_json()]).await?;
    page.press(&ARROW_LEFT.repeat(4)).await?;
    page.press(&format!("{TAB}{TAB}{TAB}{TAB}{SPACE}")).await?; // text, photo, "Add a video", consent
    page.execute("document.querySelector('button[type=submit]').focus()", vec![]).await?;
    page.press(ENTER).await?;
    wait_until("the thank-you screen", || async { Ok(page.find("a.manage").await?.is_some()) }).await?;
    assert_eq!(heading(&browser).await?, "شكرًا لك!");
    no_violations(&browser, &axe, "the Arabic thank-you screen").await?;
    let sent = demo.queue(Status::Pending).await?.items.into_iter().find(|item| item.public.name == "Layla");
    let sent = sent.context("the testimonial arrived")?;
    assert_eq!(sent.public.rating, 5);
    browser.close().await;
    Ok(())
}

/// Types name, email and text into their fields (clearing what is there).
async fn fill(browser: &Browser, name: &str, email: &str, text: &str) -> anyhow::Result<()> {
    let page = &browser.session;
    for (id, value) in [("name", name), ("email", email), ("text", text)] {
        let field = page.find(&format!("#{id}")).await?.with_context(|| format!("the {id} field"))?;
        page.execute("arguments[0].value = ''", vec![field.to_json()]).await?;
        page.send_keys(&field, value).await?;
    }
    Ok(())
}

async fn shown(browser: &Browser, id: &str) -> anyhow::Result<bool> {
    let element: Element =
        browser.session.find(&format!("#{id}")).await?.with_context(|| format!("#{id}"))?;
    let hidden: Value = browser.session.property(&element, "hidden").await?;
    Ok(hidden == json!(false))
}

#[tokio::test]
async fn with_javascript_a_low_rating_shows_the_private_path_at_once() -> anyhow::Result<()> {
    let axe = axe_source()?;
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    phone_sized(&browser).await?;
    let page = &browser.session;
    page.goto(&format!("{}/c/{DEMO_SITE}", demo.api_url)).await?;
    heading(&browser).await?;
    // Before a rating: the consent, not the private path.
    wait_until("the script", || async { Ok(!shown(&browser, "contact-box").await?) }).await?;
    assert!(shown(&browser, "consent-box").await? && !shown(&browser, "private-note").await?);
    fill(&browser, "Sam Phone", "sam@example.com", "The grinder arrived late and the box was torn.").await?;
    // The page has to fit the phone: nothing wider than its screen.
    let widths = page.execute("return [document.documentElement.scrollWidth, innerWidth]", vec![]).await?;
    assert_eq!(widths[0], widths[1], "nothing scrolls sideways");
    page.execute("window.scrollTo(0, 0)", vec![]).await?;
    browser.screenshot_if_asked("collection-page").await?;

    let two = page.find("#rating-2").await?.context("the second star")?;
    page.execute("arguments[0].focus()", vec![two.to_json()]).await?;
    page.press(SPACE).await?;
    assert!(shown(&browser, "private-note").await? && shown(&browser, "contact-box").await?);
    assert!(!shown(&browser, "consent-box").await?, "nothing to publish, no consent to ask");
    no_violations(&browser, &axe, "the private path").await?;
    page.press(ARROW_RIGHT).await?;
    page.press(ARROW_RIGHT).await?;
    page.press(ARROW_RIGHT).await?;
    assert!(shown(&browser, "consent-box").await? && !shown(&browser, "private-note").await?, "five stars");
    page.execute("document.getElementById('rating-2').focus()", vec![]).await?;
    page.press(SPACE).await?;
    let contact = page.find("#contact-me").await?.context("contact me")?;
    page.execute("arguments[0].focus()", vec![contact.to_json()]).await?;
    page.press(SPACE).await?;
    page.execute("document.querySelector('button[type=submit]').focus()", vec![]).await?;
    page.press(ENTER).await?;

    wait_until("the thank-you screen", || async { Ok(page.find("a.manage").await?.is_some()) }).await?;
    let thanks = page.text(&page.find("main").await?.context("main")?).await?;
    assert!(thanks.contains("your words went privately to the team"), "{thanks}");
    no_violations(&browser, &axe, "the private thank-you screen").await?;
    let sent =
        demo.queue(Status::Pending).await?.items.into_iter().find(|item| item.public.name == "Sam Phone");
    let sent = sent.context("the feedback arrived")?;
    assert_eq!(sent.public.rating, 2);
    assert!(!sent.consent && sent.follow_up, "{sent:?}");
    let site = demo.storage.site_by_slug(DEMO_SITE).await?.context("the demo site")?;
    let stored = demo.storage.testimonial(site.id, &sent.public.id).await?.context("stored")?;
    assert!(stored.contact_me, "the visitor asked to be contacted");
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn where_the_site_asks_for_proof_of_work_the_script_solves_it_before_sending() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let site = demo.service.find_site(DEMO_SITE).await?;
    let input = SettingsInput { proof_of_work: Some("10"), ..SettingsInput::default() };
    demo.service.change_site(&site, Actor::CommandLine, input).await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/c/{DEMO_SITE}", demo.api_url)).await?;
    heading(&browser).await?;
    fill(&browser, "Pat Puzzle", "pat@example.com", "Solved without noticing.").await?;
    page.execute(
        "document.getElementById('rating-5').click(); document.getElementById('consent').click()",
        vec![],
    )
    .await?;
    page.execute("document.querySelector('button[type=submit]').focus()", vec![]).await?;
    page.press(ENTER).await?;
    wait_until("the thank-you screen", || async { Ok(page.find("a.manage").await?.is_some()) }).await?;
    let sent =
        demo.queue(Status::Pending).await?.items.into_iter().find(|item| item.public.name == "Pat Puzzle");
    assert!(sent.is_some(), "the testimonial arrived with its proof of work");
    browser.close().await;
    Ok(())
}
