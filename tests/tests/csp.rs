//! The widget on host pages that lock everything down: the demo website sends the strict
//! Content-Security-Policy from the README (with Trusted Types required) and collects every
//! violation the browser reports. Every mode is exercised; none may be reported.

use std::time::Duration;

use fanfare_tests::browser::{wait_for, Browser};
use fanfare_tests::demo::RunningDemo;

#[tokio::test]
async fn every_mode_works_under_the_strict_policy_without_a_violation() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;

    // Collect and wall: submit a testimonial (solving the site's proof of work with WebCrypto
    // on the way), see the wall render.
    let changes = fanfare_server::storage::SiteChanges { proof_of_work: Some(10), ..Default::default() };
    demo.storage.update_site(fanfare_server::cli::demo::DEMO_SITE, changes).await?;
    page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;
    let form = browser.mount_root("collect").await?;
    page.send_keys(&browser.wait_in(&form, "input[name=name]").await?, "Strict Steph").await?;
    page.send_keys(&browser.wait_in(&form, "input[name=email]").await?, "steph@example.com").await?;
    page.click(&browser.wait_in(&form, "label[for=fanfare-rating-4]").await?).await?;
    page.send_keys(&browser.wait_in(&form, "textarea[name=text]").await?, "Works under a strict policy.")
        .await?;
    page.click(&browser.wait_in(&form, "input[name=consent]").await?).await?;
    page.click(&browser.wait_in(&form, "button[type=submit]").await?).await?;
    browser.wait_in(&form, ".fanfare-thanks").await?;
    let wall = browser.mount_root("wall").await?;
    browser.wait_in(&wall, ".fanfare-grid").await?;

    // Refer: get a link.
    page.goto(&format!("{}/about.html", demo.site_url)).await?;
    let refer = browser.mount_root("refer").await?;
    page.send_keys(&browser.wait_in(&refer, "input[name=name]").await?, "Strict Steph").await?;
    page.send_keys(&browser.wait_in(&refer, "input[name=email]").await?, "steph@example.com").await?;
    page.click(&browser.wait_in(&refer, "button[type=submit]").await?).await?;
    browser.wait_in(&refer, "#fanfare-ref-link").await?;

    // The floating button and its dialog, on a page without mounts.
    page.goto(&format!("{}/index.html", demo.site_url)).await?;
    let floating = browser.widget_root("[data-fanfare-floating]").await?;
    page.click(&browser.wait_in(&floating, "button").await?).await?;
    wait_for("the dialog's form", || async { page.find_in(&floating, "dialog form").await }).await?;

    // Reports are sent asynchronously: give the browser time to deliver any.
    page.goto(&format!("{}/about.html", demo.site_url)).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let reports = demo.csp_reports.lock().map(|reports| reports.clone()).unwrap_or_default();
    assert!(reports.is_empty(), "CSP violations were reported: {reports:#?}");

    // And the reporting itself works: a deliberate violation does arrive.
    page.execute("const img = document.createElement('img'); img.src = 'https://elsewhere.example/x.png'; document.body.appendChild(img);", vec![])
        .await?;
    wait_for("the deliberate violation's report", || async {
        let reports = demo.csp_reports.lock().map(|reports| reports.clone()).unwrap_or_default();
        Ok(reports.iter().any(|report| report.contains("img-src")).then_some(()))
    })
    .await?;
    browser.close().await;
    Ok(())
}
