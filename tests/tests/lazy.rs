//! Lazy and steady: on a long page with the wall far below the fold, only `embed.js` is
//! fetched until the visitor scrolls near the wall; then the server's view of it arrives (no
//! WebAssembly for a wall), and filling it in shifts nothing on the page (a layout-shift sum of
//! exactly 0, as the browser measures it).

use fanfare_tests::browser::{wait_for, wait_until, Browser};
use fanfare_tests::demo::RunningDemo;
use serde_json::json;

const RESOURCES: &str = "return performance.getEntriesByType('resource').map(e => e.name)";

#[tokio::test]
async fn nothing_but_the_loader_loads_before_scrolling_and_nothing_shifts_after() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    page.goto(&format!("{}/how-it-is-made.html", demo.site_url)).await?;
    // Layout shifts are recorded from the start (buffered) and summed at the end.
    browser.watch_layout_shifts().await?;
    wait_until("the loader to run", || async {
        Ok(page.execute("return !!(window.Fanfare && window.Fanfare.loaded)", vec![]).await? == json!(true))
    })
    .await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before: Vec<String> = serde_json::from_value(page.execute(RESOURCES, vec![]).await?)?;
    let ours: Vec<&String> = before.iter().filter(|url| url.starts_with(&demo.api_url)).collect();
    assert_eq!(ours.len(), 1, "only embed.js before scrolling: {ours:?}");
    assert!(ours[0].ends_with("/embed.js"));

    let wall = browser.mount_root("wall").await?; // scrolls the wall into view
    wait_for("the wall's items", || async { page.find_in(&wall, ".fanfare-grid .fanfare-item").await })
        .await?;
    let after: Vec<String> = serde_json::from_value(page.execute(RESOURCES, vec![]).await?)?;
    assert!(after.iter().any(|url| url.contains("/embed/kettle-crow/wall.html")), "{after:#?}");
    assert!(!after.iter().any(|url| url.ends_with(".wasm")), "a wall needs no WebAssembly: {after:#?}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let shifts = browser.layout_shifts().await?;
    assert_eq!(shifts.total, 0.0, "layout shift caused by the widget: {:#}", shifts.moved);
    browser.close().await;
    Ok(())
}
