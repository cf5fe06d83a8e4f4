//! The read-only modes without WebAssembly. The demo's `stories.html` carries the wall in its
//! own HTML (its web server includes `/embed/…/wall.html` as nginx's SSI would), and a carousel
//! and a badge that the loader fills with the server's view. The widget's wasm is never
//! fetched, the controls work, a reader without JavaScript still sees the testimonials, and
//! nothing moves on a page that reserved no room for them.

use anyhow::Context;
use fanfare_tests::browser::{wait_for, wait_until, Browser};
use fanfare_tests::demo::RunningDemo;
use serde_json::json;

const RESOURCES: &str = "return performance.getEntriesByType('resource').map(e => e.name)";
/// How many testimonials the page includes (its SSI line asks for `limit=3`).
const INCLUDED: usize = 3;

/// How many `css` match inside the shadow root of the first `host`.
async fn count_in(browser: &Browser, host: &str, css: &str) -> anyhow::Result<u64> {
    let script =
        "return document.querySelector(arguments[0]).shadowRoot.querySelectorAll(arguments[1]).length";
    let count = browser.session.execute(script, vec![json!(host), json!(css)]).await?;
    count.as_u64().context("a count")
}

#[tokio::test]
async fn every_read_only_mode_shows_and_works_without_ever_fetching_the_wasm() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let published = demo.wall().await?.items.len();
    assert!(published > INCLUDED, "the demo has more than one page of the included wall: {published}");
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/stories.html", demo.site_url)).await?;

    // The included wall: in the page's HTML, then made live by the loader's views.js.
    let wall = browser.widget_root("fanfare-wall").await?;
    assert_eq!(count_in(&browser, "fanfare-wall", ".fanfare-grid > li").await?, INCLUDED as u64);
    let more = browser.wait_in(&wall, ".fanfare-wall.is-live .fanfare-more").await?;
    page.click(&more).await?;
    wait_until("the next page of the wall", || async {
        Ok(count_in(&browser, "fanfare-wall", ".fanfare-grid > li").await? as usize
            == published.min(2 * INCLUDED))
    })
    .await?;

    // The carousel, placed by the loader: one testimonial at a time, turned by the visitor.
    let carousel = browser.mount_root("carousel").await?;
    let pause = browser.wait_in(&carousel, ".fanfare-carousel.is-live [aria-pressed]").await?;
    page.click(&pause).await?;
    let current = ".fanfare-slide > li:not(.is-away) .fanfare-quote";
    let first = page.text(&browser.wait_in(&carousel, current).await?).await?;
    let visible = "return [...document.querySelector('[data-fanfare=carousel]').shadowRoot.querySelectorAll('.fanfare-slide > li')]
                     .filter(li => getComputedStyle(li).visibility === 'visible').length";
    assert_eq!(page.execute(visible, vec![]).await?, json!(1), "one at a time");
    page.click(&browser.wait_in(&carousel, "[data-step='1']").await?).await?;
    wait_for("the next testimonial", || async {
        let shown = page.text(&browser.wait_in(&carousel, current).await?).await?;
        Ok((shown != first).then_some(()))
    })
    .await?;
    let position = page.text(&browser.wait_in(&carousel, ".fanfare-controls > span").await?).await?;
    assert_eq!(position, format!("2 of {published}"));

    // The badge: the honest summary, linking where the mount's data-href says.
    let badge = browser.mount_root("badge").await?;
    let link = browser.wait_in(&badge, "a.fanfare-badge").await?;
    let href = page.property(&link, "href").await?;
    assert_eq!(href, format!("{}/kind-words.html", demo.site_url));
    let label = page.property(&browser.wait_in(&badge, "[role=img]").await?, "ariaLabel").await?;
    assert!(label.as_str().unwrap_or_default().contains(" out of 5 from "), "{label}");

    browser.screenshot_if_asked("stories-badge").await?;
    page.execute("document.querySelector('fanfare-wall').scrollIntoView()", vec![]).await?;
    browser.screenshot_if_asked("stories-wall").await?;
    let fetched: Vec<String> = serde_json::from_value(page.execute(RESOURCES, vec![]).await?)?;
    let ours: Vec<&String> = fetched.iter().filter(|url| url.starts_with(&demo.api_url)).collect();
    assert!(ours.iter().any(|url| url.contains("/embed/kettle-crow/carousel.html")), "{ours:#?}");
    assert!(ours.iter().any(|url| url.contains("/widget/views-")), "{ours:#?}");
    let widget: Vec<&&String> = ours
        .iter()
        .filter(|url| url.ends_with(".wasm") || url.contains("/widget/fanfare-") && url.ends_with(".js"))
        .collect();
    assert!(widget.is_empty(), "the WebAssembly widget was fetched for read-only modes: {widget:#?}");
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn a_reader_without_javascript_sees_the_included_testimonials() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let newest = demo.wall().await?.items.into_iter().next().context("a published testimonial")?;
    let browser = Browser::launch_without_javascript().await?;
    let page = &browser.session;
    page.goto(&format!("{}/stories.html", demo.site_url)).await?;

    let wall = browser.widget_root("fanfare-wall").await?;
    let quote = page.text(&browser.wait_in(&wall, ".fanfare-grid > li .fanfare-quote").await?).await?;
    assert_eq!(quote, newest.text.trim());
    let title = page.text(&browser.wait_in(&wall, "#fanfare-wall-title").await?).await?;
    assert_eq!(title, "Selected testimonials");
    // Scripts really are off: the loader never gave the other mounts their shadow roots.
    let carousel = page.find("[data-fanfare=carousel]").await?.context("the carousel mount")?;
    assert!(page.shadow_root(&carousel).await?.is_none(), "embed.js ran");
    browser.screenshot_if_asked("stories-without-javascript").await?;
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn the_included_view_moves_nothing_on_a_page_that_reserved_no_room() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/stories.html", demo.site_url)).await?;
    browser.watch_layout_shifts().await?;
    // The wall is at the top and the text under it in view, so any move would be seen.
    let below = page
        .execute(
            "return document.getElementById('roasting').getBoundingClientRect().top < innerHeight",
            vec![],
        )
        .await?;
    assert_eq!(below, json!(true), "the text under the included wall starts in the first screen");
    // Not scrolled to: the loader must not fill the mounts further down meanwhile.
    let wall = wait_for("the included wall", || async {
        let Some(host) = page.find("fanfare-wall").await? else { return Ok(None) };
        page.shadow_root(&host).await
    })
    .await?;
    browser.wait_in(&wall, ".fanfare-wall.is-live").await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let shifts = browser.layout_shifts().await?;
    assert_eq!(shifts.total, 0.0, "layout shift on the page with the included wall: {:#}", shifts.moved);
    browser.close().await;
    Ok(())
}

/// The journal page on Lighthouse's phone (412 × 823): the loader fills its badge (a flex item
/// beside a label, given `min-height: 3rem`) and its wall in the first screen, after the first
/// paint, with text in view under each. The badge keeps to two lines however narrow it is, and
/// the wall's room reaches past the screen, so nothing moves (Lighthouse measured CLS 0.135
/// here: the badge wrapped to four lines and pushed the text down).
#[tokio::test]
async fn the_badge_and_the_wall_the_loader_fills_in_the_first_screen_move_nothing_on_a_phone(
) -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    browser.set_viewport(412, 823).await?;
    page.goto(&format!("{}/journal.html", demo.site_url)).await?;
    browser.watch_layout_shifts().await?;
    let under_badge = page
        .execute(
            "return document.querySelector('.journal-badge-row + p').getBoundingClientRect().bottom",
            vec![],
        )
        .await?;
    assert!(under_badge.as_f64().is_some_and(|bottom| bottom < 823.0), "the text under the badge is in view");
    // Not scrolled: each fills in where the page put it.
    let filled = "const root = document.querySelector(`[data-fanfare=${arguments[0]}]`).shadowRoot;
                  return !!(root && root.querySelector(arguments[1]));";
    for (mode, content) in [("badge", ".fanfare-badge"), ("wall", ".fanfare-grid .fanfare-item")] {
        wait_until(&format!("the {mode} to fill in"), || async {
            Ok(page.execute(filled, vec![json!(mode), json!(content)]).await? == json!(true))
        })
        .await?;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let shifts = browser.layout_shifts().await?;
    assert_eq!(shifts.total, 0.0, "layout shift on the journal page on a phone: {:#}", shifts.moved);
    let badge = page
        .execute(
            "return document.querySelector('[data-fanfare=badge]').getBoundingClientRect().height",
            vec![],
        )
        .await?;
    assert_eq!(badge.as_f64(), Some(48.0), "the badge stays in the 3rem the page gave it");
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn the_carousel_stands_still_for_readers_who_asked_for_reduced_motion() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    for (reduce, turning) in [("reduce", false), ("no-preference", true)] {
        let features = json!([{ "name": "prefers-reduced-motion", "value": reduce }]);
        page.devtools("Emulation.setEmulatedMedia", json!({ "features": features })).await?;
        page.goto(&format!("{}/stories.html", demo.site_url)).await?;
        let carousel = browser.mount_root("carousel").await?;
        let pause = browser.wait_in(&carousel, ".fanfare-carousel.is-live [aria-pressed]").await?;
        // aria-pressed is the pause button's: pressed means standing still.
        assert_eq!(page.property(&pause, "ariaPressed").await?, json!((!turning).to_string()), "{reduce}");
        let label = page.text(&pause).await?;
        assert_eq!(label, if turning { "Pause" } else { "Play" }, "{reduce}");
    }
    browser.close().await;
    Ok(())
}
