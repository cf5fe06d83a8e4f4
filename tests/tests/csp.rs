//! The widget on host pages that lock everything down: the demo website sends the strict
//! Content-Security-Policy from the README (with Trusted Types required) and collects every
//! violation the browser reports. Every mode is exercised; none may be reported.

use std::time::Duration;

use anyhow::{anyhow, Context};
use fanfare_protocol::modes::Mode;
use fanfare_tests::browser::{wait_for, Browser};
use fanfare_tests::demo::RunningDemo;

/// The first demo page (by file name) that embeds `mode`, where a site owner would see it. The
/// demo server serves these same files, compiled in.
fn demo_page_with(mode: Mode) -> anyhow::Result<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo");
    let mut pages: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    pages.retain(|name| name.ends_with(".html"));
    pages.sort();
    let mount = format!("data-fanfare=\"{}\"", mode.as_str());
    for page in pages {
        if std::fs::read_to_string(dir.join(&page))?.contains(&mount) {
            return Ok(page);
        }
    }
    Err(anyhow!(
        "no demo page embeds the {} mode, so nothing shows it under the strict policy",
        mode.as_str()
    ))
}

/// What the demo website has been sent so far. A panic while a report was being stored
/// poisons the lock and may have lost that report, so a poisoned lock cannot pass for "none".
fn csp_reports(demo: &RunningDemo) -> anyhow::Result<Vec<String>> {
    let reports = demo
        .csp_reports
        .lock()
        .map_err(|_| anyhow!("the CSP report list is poisoned: a report may have been lost"))?;
    Ok(reports.clone())
}

#[tokio::test]
async fn every_mode_works_under_the_strict_policy_without_a_violation() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    // So the collect form below also solves a proof of work, with WebCrypto, under the policy.
    let changes = fanfare_server::storage::SiteChanges { proof_of_work: Some(10), ..Default::default() };
    demo.storage.update_site(fanfare_server::cli::demo::DEMO_SITE, changes).await?;

    for mode in Mode::ALL {
        let name = mode.as_str();
        page.goto(&format!("{}/{}", demo.site_url, demo_page_with(mode)?)).await?;
        let root = browser.mount_root(name).await?;
        // Rendered, and not the sentence the widget shows when it cannot load the site.
        browser.wait_in(&root, ".fanfare > *").await?;
        assert!(page.find_in(&root, ".fanfare > .fanfare-alert").await?.is_none(), "{name} failed to load");
        // Each mode's own work; a new mode must say here what it does.
        match mode {
            Mode::Wall => {
                browser.wait_in(&root, ".fanfare-grid .fanfare-quote").await?;
            }
            Mode::Carousel => {
                let quote = ".fanfare-slide > li:not(.is-away) .fanfare-quote";
                let first = page.text(&browser.wait_in(&root, quote).await?).await?;
                let next = ".is-live [data-step='1']";
                page.click(&browser.wait_in(&root, next).await?).await?;
                wait_for("the carousel to turn", || async {
                    let shown = page.text(&browser.wait_in(&root, quote).await?).await?;
                    Ok((shown != first).then_some(()))
                })
                .await?;
            }
            Mode::Badge => {
                browser.wait_in(&root, "a.fanfare-badge [role=img]").await?;
            }
            Mode::Collect => {
                page.send_keys(&browser.wait_in(&root, "input[name=name]").await?, "Strict Steph").await?;
                page.send_keys(&browser.wait_in(&root, "input[name=email]").await?, "steph@example.com")
                    .await?;
                page.click(&browser.wait_in(&root, "label[for=fanfare-rating-4]").await?).await?;
                page.send_keys(
                    &browser.wait_in(&root, "textarea[name=text]").await?,
                    "Works under a strict policy.",
                )
                .await?;
                page.click(&browser.wait_in(&root, "input[name=consent]").await?).await?;
                page.click(&browser.wait_in(&root, "button[type=submit]").await?).await?;
                browser.wait_in(&root, ".fanfare-thanks").await?;
            }
            Mode::Refer => {
                page.send_keys(&browser.wait_in(&root, "input[name=name]").await?, "Strict Steph").await?;
                page.send_keys(&browser.wait_in(&root, "input[name=email]").await?, "steph@example.com")
                    .await?;
                page.click(&browser.wait_in(&root, "button[type=submit]").await?).await?;
                browser.wait_in(&root, "#fanfare-ref-link").await?;
            }
        }
    }

    // A page that includes the wall in its own HTML: the loader runs its "show more".
    page.goto(&format!("{}/stories.html", demo.site_url)).await?;
    let included = browser.widget_root("fanfare-wall").await?;
    let shown = || async {
        page.execute("return document.querySelector('fanfare-wall').shadowRoot.querySelectorAll('.fanfare-grid > li').length", vec![]).await
    };
    let before = shown().await?;
    page.click(&browser.wait_in(&included, ".is-live .fanfare-more").await?).await?;
    wait_for("the next page of the included wall", || async { Ok((shown().await? != before).then_some(())) })
        .await?;

    // The floating button and its dialog, on a page without mounts.
    page.goto(&format!("{}/index.html", demo.site_url)).await?;
    let floating = browser.widget_root("[data-fanfare-floating]").await?;
    page.click(&browser.wait_in(&floating, "button").await?).await?;
    wait_for("the dialog's form", || async { page.find_in(&floating, "dialog form").await }).await?;

    // Reports are sent asynchronously: give the browser time to deliver any.
    page.goto(&format!("{}/about.html", demo.site_url)).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let reports = csp_reports(&demo)?;
    assert!(reports.is_empty(), "CSP violations were reported: {reports:#?}");

    // And the reporting itself works: a deliberate violation does arrive.
    page.execute("const img = document.createElement('img'); img.src = 'https://elsewhere.example/x.png'; document.body.appendChild(img);", vec![])
        .await?;
    wait_for("the deliberate violation's report", || async {
        Ok(csp_reports(&demo)?.iter().any(|report| report.contains("img-src")).then_some(()))
    })
    .await?;
    browser.close().await;
    Ok(())
}
