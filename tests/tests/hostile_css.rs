//! The widget on a page built with Bootstrap and Bulma plus a theme that resets `*`, `div`,
//! `button` and form fields with `!important`: it looks and works as on the plain page, and
//! the host's own elements look exactly as they did before the widget arrived. And on a page
//! laid out as block themes lay out a post, every mount is a block box the host page sizes and
//! places: in the text column, in a flex row, in a grid cell.

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

/// Each mount's box beside the box the host page meant for it, once the widget has drawn in it.
const MOUNT_BOXES: &str = "
  const box = (element) => { const r = element.getBoundingClientRect(); return { left: Math.round(r.left), width: Math.round(r.width) }; };
  const mount = (mode) => document.querySelector(`[data-fanfare=${mode}]`);
  const column = box(document.querySelector('.journal > p'));
  const row = document.querySelector('.journal-badge-row');
  const label = box(row.querySelector('span'));
  const gap = parseFloat(getComputedStyle(row).columnGap);
  const pair = document.querySelector('.journal-pair');
  const half = (box(pair).width - parseFloat(getComputedStyle(pair).columnGap)) / 2;
  const report = (mode) => ({ display: getComputedStyle(mount(mode)).display, box: box(mount(mode)), overflows: mount(mode).scrollWidth > Math.ceil(mount(mode).getBoundingClientRect().width) + 1 });
  return {
    column, label, gap, half: Math.round(half), pair: box(pair), row: box(row),
    wall: report('wall'), badge: report('badge'), carousel: report('carousel'), refer: report('refer'),
  };";

#[tokio::test]
async fn mounts_are_block_boxes_the_host_page_sizes_and_places() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/journal.html", demo.site_url)).await?;
    for mode in ["badge", "wall", "carousel", "refer"] {
        let root = browser.mount_root(mode).await?;
        browser.wait_in(&root, ".fanfare").await?;
    }
    browser.screenshot_if_asked("journal-layout").await?;
    let boxes = page.execute(MOUNT_BOXES, vec![]).await?;
    let int = |value: &Value| value.as_f64().unwrap_or(f64::NAN);
    let column = &boxes["column"];
    assert_eq!(int(&column["width"]), 640.0, "the theme's text column is 40rem: {boxes}");

    // In a constrained column (max-width plus auto margins on every child), as WordPress does.
    let wall = &boxes["wall"];
    assert_eq!(wall["display"], "block", "{boxes}");
    assert_eq!(wall["box"], *column, "the wall keeps to the text column: {boxes}");

    // A flex item that takes what the label leaves of the row.
    let badge = &boxes["badge"]["box"];
    let row = &boxes["row"];
    let expected_left = int(&boxes["label"]["left"]) + int(&boxes["label"]["width"]) + int(&boxes["gap"]);
    assert!((int(&badge["left"]) - expected_left).abs() <= 1.0, "the badge follows its label: {boxes}");
    assert!(
        (int(&badge["left"]) + int(&badge["width"]) - (int(&row["left"]) + int(&row["width"]))).abs() <= 1.0,
        "the badge fills the rest of its flex row: {boxes}"
    );

    // Two grid cells side by side, each mount exactly its cell.
    for (mode, column_index) in [("carousel", 0.0), ("refer", 1.0)] {
        let mount = &boxes[mode]["box"];
        let half = int(&boxes["half"]);
        assert!((int(&mount["width"]) - half).abs() <= 1.0, "{mode} fills its grid cell: {boxes}");
        let cell_left = int(&boxes["pair"]["left"]) + column_index * (int(&boxes["pair"]["width"]) - half);
        assert!((int(&mount["left"]) - cell_left).abs() <= 1.0, "{mode} sits in its own cell: {boxes}");
    }
    for mode in ["wall", "badge", "carousel", "refer"] {
        assert_eq!(boxes[mode]["overflows"], false, "{mode} stays inside the box it was given: {boxes}");
    }
    browser.close().await;
    Ok(())
}
