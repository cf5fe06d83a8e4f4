//! The widget on a page built with Bootstrap and Bulma plus a theme that resets `*`, `div`,
//! `button` and form fields with `!important`: it looks and works as on the plain page, and
//! the host's own elements look exactly as they did before the widget arrived.

use fanfare_tests::browser::{wait_until, Browser};
use fanfare_tests::demo::RunningDemo;
use fanfare_tests::webdriver::Session;
use serde_json::Value;

/// Computed styles of a few widget elements that any leak would change.
const WIDGET_STYLES: &str = "
  const root = document.querySelector('[data-fanfare=collect]').shadowRoot;
  const pick = (selector, props) => { const s = getComputedStyle(root.querySelector(selector)); return props.map(p => s.getPropertyValue(p)); };
  return {
    button: pick('button[type=submit]', ['background-color', 'color', 'font-size', 'padding-left', 'border-radius', 'line-height']),
    input: pick('input[name=name]', ['display', 'font-size', 'border-top-width', 'letter-spacing', 'color']),
    label: pick('label[for=fanfare-name]', ['text-transform', 'font-weight', 'letter-spacing']),
    card: pick('form', ['padding-top', 'border-top-style', 'background-color']),
  };";

const HOST_STYLES: &str = "
  const pick = (selector) => { const s = getComputedStyle(document.querySelector(selector)); return ['background-color', 'color', 'font-size', 'padding-left', 'line-height', 'border-top-width'].map(p => s.getPropertyValue(p)); };
  return { button: pick('.host-button'), input: pick('.host-input'), heading: pick('h1') };";

async fn widget_styles(browser: &Browser, page: &Session) -> anyhow::Result<Value> {
    let form = browser.mount_root("collect").await?;
    browser.wait_in(&form, "button[type=submit]").await?;
    page.execute(WIDGET_STYLES, vec![]).await
}

#[tokio::test]
async fn the_widget_is_untouched_by_hostile_css_and_touches_nothing_of_the_host() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;

    page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;
    let plain = widget_styles(&browser, page).await?;

    page.goto(&format!("{}/wholesale.html", demo.site_url)).await?;
    wait_until("the frameworks' styles", || async {
        let styles = page.execute(HOST_STYLES, vec![]).await?;
        Ok(styles["button"][0] == "rgb(255, 0, 170)")
    })
    .await?;
    let host_before = page.execute(HOST_STYLES, vec![]).await?;
    let hostile = widget_styles(&browser, page).await?;
    browser.screenshot_if_asked("hostile-css").await?;
    assert_eq!(hostile, plain, "the widget looks the same under hostile CSS");
    assert_eq!(page.execute(HOST_STYLES, vec![]).await?, host_before, "the host's elements are untouched");

    // And it works: a testimonial goes through.
    let form = browser.mount_root("collect").await?;
    page.send_keys(&browser.wait_in(&form, "input[name=name]").await?, "Hostile Hannah").await?;
    page.send_keys(&browser.wait_in(&form, "input[name=email]").await?, "hannah@example.com").await?;
    // Bootstrap makes scrolling smooth: scroll instantly, so clicks land where they aim.
    let (shared, form) = (&browser, &form);
    let click = |selector: &'static str| async move {
        let element = shared.wait_in(form, selector).await?;
        page.execute(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})",
            vec![element.to_json()],
        )
        .await?;
        page.click(&element).await
    };
    click("label[for=fanfare-rating-5]").await?;
    page.send_keys(&browser.wait_in(form, "textarea[name=text]").await?, "Works on our odd theme.").await?;
    click("input[name=consent]").await?;
    click("button[type=submit]").await?;
    browser.wait_in(form, ".fanfare-thanks").await?;
    browser.close().await;
    Ok(())
}
