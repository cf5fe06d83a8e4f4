//! The owner's dashboard in a real browser: the Overview's numbers are what the API reports for
//! the same data, and the Embed page's snippet, pasted into a blank page of another origin under
//! the policy the page hands out, renders the chosen mode.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::response::IntoResponse;
use fanfare_protocol::api::{Status, TestimonialPage};
use fanfare_protocol::overview::SiteOverview;
use fanfare_server::cli::demo::DEMO_SITE;
use fanfare_server::service::sites::SettingsInput;
use fanfare_server::service::Actor;
use fanfare_tests::browser::{wait_for, wait_until, Browser};
use fanfare_tests::demo::RunningDemo;
use fanfare_tests::webdriver::Session;
use serde_json::json;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The rows of the Overview's table for `chart`: row header → the row's numbers.
async fn chart_table(page: &Session, chart: &str) -> anyhow::Result<BTreeMap<String, Vec<u64>>> {
    let rows = page
        .execute(
            "return [...document.querySelectorAll('#' + arguments[0] + ' table tbody tr')].map(tr =>
               [tr.querySelector('th').textContent, [...tr.querySelectorAll('td')].map(td => Number(td.textContent))])",
            vec![json!(chart)],
        )
        .await?;
    let rows: Vec<(String, Vec<u64>)> = serde_json::from_value(rows).context("the chart's table")?;
    Ok(rows.into_iter().collect())
}

#[tokio::test]
async fn the_overview_shows_what_the_api_reports() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let http = reqwest::Client::new();
    let api = format!("{}/api/v1/sites/{DEMO_SITE}", demo.api_url);
    let overview_url = format!("{api}/moderation/overview");
    let before: SiteOverview = demo.get_as_moderator(&overview_url).await?;
    let today = |overview: &SiteOverview| overview.reach.last().map(|day| (day.list, day.fragment));

    // Widget reach: three first pages of the JSON list, two fragments; a "show more" is the same
    // showing, not another.
    let mut first_page: Option<TestimonialPage> = None;
    for _ in 0..3 {
        first_page = Some(http.get(format!("{api}/testimonials?limit=2")).send().await?.json().await?);
    }
    for mode in ["wall", "badge"] {
        let fragment = http.get(format!("{}/embed/{DEMO_SITE}/{mode}.html", demo.api_url)).send().await?;
        assert_eq!(fragment.status(), 200);
    }
    let cursor = first_page.and_then(|page| page.next_cursor).context("the demo has a second page")?;
    let more = http.get(format!("{api}/testimonials?limit=2&cursor={cursor}")).send().await?;
    assert_eq!(more.status(), 200);
    let after: SiteOverview = demo.get_as_moderator(&overview_url).await?;
    let (list, fragment) = today(&before).context("thirty days of reach")?;
    assert_eq!(today(&after), Some((list + 3, fragment + 2)), "counted once per first page");

    let browser = Browser::launch().await?;
    let page = &browser.session;
    demo.sign_in(page).await?;
    // The site list opens a site on its Overview.
    page.goto(&format!("{}/admin", demo.api_url)).await?;
    let site = wait_for("the site list", || async { page.find("ul.sites li a").await }).await?;
    page.click(&site).await?;
    wait_for("the overview", || async { page.find("#ratings table").await }).await?;
    browser.whole_page_screenshot_if_asked((1280, 900), "dashboard-overview").await?;

    // Ratings: every moderated one (approved and rejected), star by star, as the moderation API
    // lists them and the public summary counts them.
    let moderated: Vec<_> =
        [Status::Approved, Status::Rejected].into_iter().map(|status| demo.all_in(status)).collect();
    let mut decided = Vec::new();
    for listing in moderated {
        decided.extend(listing.await?);
    }
    let ratings = chart_table(page, "ratings").await?;
    for stars in 1..=5u8 {
        let listed = decided.iter().filter(|item| item.public.rating == stars).count() as u64;
        assert_eq!(ratings.get(&format!("{stars} stars")), Some(&vec![listed]), "{stars}-star ratings");
    }
    let summary = demo.wall().await?.summary;
    assert_eq!(ratings.values().map(|row| row[0]).sum::<u64>(), summary.count);
    assert!(summary.count > 5, "the demo has a history to show: {summary:?}");

    // Received per week: every testimonial but spam, by the Monday of its week.
    let mut received = BTreeMap::<String, u64>::new();
    for status in [Status::Pending, Status::Approved, Status::Rejected, Status::Withdrawn] {
        for item in demo.all_in(status).await? {
            // Days since 1970-01-01, a Thursday: Monday is three days further on the week.
            let day = fanfare_server::clock::parse_rfc3339(&item.public.created_at)
                .context("an RFC 3339 time")?
                .div_euclid(DAY_MS);
            let monday = (day - (day + 3).rem_euclid(7)) * DAY_MS;
            let monday: String = fanfare_server::clock::rfc3339(monday).chars().take(10).collect();
            *received.entry(monday).or_default() += 1;
        }
    }
    let weeks = chart_table(page, "received").await?;
    assert_eq!(weeks.len(), 12);
    for (week, row) in &weeks {
        assert_eq!(row[0], received.get(week).copied().unwrap_or(0), "week of {week}");
    }
    assert!(weeks.values().filter(|row| row[0] > 0).count() >= 6, "weeks of history: {weeks:?}");

    // The referral funnel: the leaderboard's advocates, visits, conversions and rewards.
    let advocates = demo.all_advocates().await?;
    let funnel = chart_table(page, "referrals").await?;
    assert_eq!(funnel["Links handed out"], vec![advocates.len() as u64]);
    assert_eq!(funnel["Visits through them"], vec![advocates.iter().map(|a| a.visits).sum::<u64>()]);
    assert_eq!(funnel["Conversions"], vec![advocates.iter().map(|a| a.conversions).sum::<u64>()]);
    assert_eq!(funnel["Rewards given"], vec![advocates.iter().map(|a| a.rewards_given).sum::<u64>()]);
    assert!(advocates.iter().any(|advocate| advocate.flagged > 0), "one advocate's conversion is flagged");

    // Reach: today's row holds the requests above (the widget's fragments first).
    let reach = chart_table(page, "reach").await?;
    let last = after.reach.last().context("today")?;
    assert_eq!(reach.get(&last.day), Some(&vec![fragment + 2, list + 3]));

    // Invitations: emails that went out, and answers, as the invitations API lists them.
    let (mut sent, mut answered) = (0, 0);
    for status in ["queued", "sent", "reminded", "responded", "unsubscribed", "failed"] {
        let mut next_page = String::new();
        loop {
            let page: serde_json::Value =
                demo.get_as_moderator(&format!("{api}/invitations?status={status}{next_page}")).await?;
            for item in page["items"].as_array().context("invitations")? {
                sent += u64::from(!item["sent_at"].is_null());
                answered += u64::from(item["status"] == "responded");
            }
            match page["next_cursor"].as_str() {
                Some(next) => next_page = format!("&cursor={next}"),
                None => break,
            }
        }
    }
    assert!(sent > 0 && answered > 0, "the demo has invitations answered");

    // And the figures above the charts.
    let tiles = page
        .execute("return document.querySelector('dl.tiles').innerText", vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let pending = demo.all_in(Status::Pending).await?.len();
    assert!(tiles.contains(&format!("Waiting for a decision\n{pending} open the queue")), "{tiles}");
    assert!(tiles.contains(&format!("Invitations answered\n{answered} of {sent} sent")), "{tiles}");
    // Follow-ups: as many as the inbox the tile links to lists.
    page.goto(&format!("{}/admin/sites/{DEMO_SITE}/follow-ups", demo.api_url)).await?;
    let inbox =
        page.execute("return document.querySelectorAll('ol.items article.item').length", vec![]).await?;
    let inbox = inbox.as_u64().context("a count")?;
    assert!(inbox > 0, "the demo has follow-ups open");
    assert!(tiles.contains(&format!("Follow-ups open\n{inbox} answer them")), "{tiles}");
    assert!(
        after.time_to_moderate.decided > 0,
        "the demo's decisions took time: {:?}",
        after.time_to_moderate
    );
    browser.close().await;
    Ok(())
}

/// A blank page of another origin with `body` in it, sent under `policy`; reports of what the
/// policy blocked are kept.
struct HostPage {
    origin: String,
    reports: Arc<Mutex<Vec<String>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve_host_page(body: String, policy: String) -> anyhow::Result<HostPage> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let reports = Arc::new(Mutex::new(Vec::new()));
    let kept = reports.clone();
    let html = format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>A blank page</title></head><body>\n{body}\n</body></html>");
    let header = format!("default-src 'none'; {policy}; report-uri /csp-reports");
    let app =
        axum::Router::new()
            .route(
                "/",
                axum::routing::get(move || {
                    let (html, header) = (html.clone(), header.clone());
                    async move {
                        ([("content-security-policy", header)], axum::response::Html(html)).into_response()
                    }
                }),
            )
            .route(
                "/csp-reports",
                axum::routing::post(move |report: String| {
                    let kept = kept.clone();
                    async move {
                        kept.lock().expect("reports").push(report);
                        axum::http::StatusCode::NO_CONTENT
                    }
                }),
            );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(HostPage { origin, reports, _stop: stop })
}

#[tokio::test]
async fn the_embed_pages_snippet_renders_the_chosen_mode_on_a_blank_page() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    demo.sign_in(page).await?;
    page.goto(&format!("{}/admin/sites/{DEMO_SITE}/embed", demo.api_url)).await?;

    // Choose the carousel in German: the page shows it at once (no button pressed).
    let mode = wait_for("the mode", || async { page.find("select#mode").await }).await?;
    page.execute(
        "arguments[0].value = 'carousel'; arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
        vec![mode.to_json()],
    )
    .await?;
    wait_until("the carousel chosen", || async {
        Ok(page.find("iframe[src*='mode=carousel']").await?.is_some())
    })
    .await?;
    let lang = page.find("select#lang").await?.context("the language")?;
    page.execute(
        "arguments[0].value = 'de'; arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
        vec![lang.to_json()],
    )
    .await?;
    wait_until("German chosen", || async { Ok(page.find("iframe[src*='lang=de']").await?.is_some()) })
        .await?;

    // The preview runs the real widget on a page of our origin.
    let quote_in_preview = "const frame = document.querySelector('.preview iframe');
        const host = frame && frame.contentDocument && frame.contentDocument.querySelector('[data-fanfare=carousel]');
        const quote = host && host.shadowRoot && host.shadowRoot.querySelector('.fanfare-quote');
        return quote ? quote.textContent : null;";
    wait_for("the carousel in the preview", || async {
        Ok(page.execute(quote_in_preview, vec![]).await?.as_str().map(str::to_owned))
    })
    .await?;
    browser.whole_page_screenshot_if_asked((1280, 900), "dashboard-embed").await?;

    // Copy, as the owner would: the clipboard holds the snippet and the policy.
    page.devtools(
        "Browser.grantPermissions",
        json!({ "origin": demo.api_url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"] }),
    )
    .await?;
    let copy = |id: &'static str| async move {
        let button = page.find(&format!("button[data-copy={id}]")).await?.context("a Copy button")?;
        page.click(&button).await?;
        wait_until("copied", || async {
            Ok(page
                .execute(
                    &format!("return document.querySelector('#{id} + button + .copied').textContent"),
                    vec![],
                )
                .await?
                == "Copied.")
        })
        .await?;
        let text = page.execute("return navigator.clipboard.readText()", vec![]).await?;
        text.as_str().map(str::to_owned).context("the clipboard's text")
    };
    let snippet = copy("snippet").await?;
    assert!(
        snippet.contains("data-lang=\"de\"") && snippet.contains("<div data-fanfare=\"carousel\"></div>"),
        "{snippet}"
    );
    let policy = copy("policy").await?;
    assert!(!policy.contains("wasm-unsafe-eval"), "a carousel needs no WebAssembly: {policy}");

    // Pasted into a blank page of another origin (added to the site's origins, as Settings
    // does), under exactly that policy, with Trusted Types required as the page advises.
    let policy = format!("{policy}; require-trusted-types-for 'script'; trusted-types fanfare");
    let host = serve_host_page(snippet, policy).await?;
    let site = demo.service.find_site(DEMO_SITE).await?;
    let mut origins = site.origins.clone();
    origins.push(host.origin.clone());
    let origins: Vec<&str> = origins.iter().map(String::as_str).collect();
    demo.service
        .change_site(
            &site,
            Actor::CommandLine,
            SettingsInput { origins: Some(origins), ..SettingsInput::default() },
        )
        .await?;
    page.goto(&format!("{}/", host.origin)).await?;
    let carousel = browser.mount_root("carousel").await?;
    browser.wait_in(&carousel, ".fanfare-quote").await?;
    let heading = page
        .execute("return document.querySelector('[data-fanfare=carousel]').shadowRoot.querySelector('.fanfare').getAttribute('lang')", vec![])
        .await?;
    assert_eq!(heading, "de", "the carousel speaks the chosen language");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        host.reports.lock().expect("reports").len(),
        0,
        "the policy blocked nothing: {:?}",
        host.reports
    );

    // The fragment's address the page gives for the page's own HTML answers with the carousel.
    page.goto(&format!("{}/admin/sites/{DEMO_SITE}/embed?mode=carousel&lang=de", demo.api_url)).await?;
    let recipe = page
        .execute("return document.getElementById('fragment').textContent", vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let url = recipe.split('\'').nth(1).context("the curl line's address")?;
    let fragment = reqwest::get(url).await?;
    assert_eq!(fragment.status(), 200);
    assert!(fragment.text().await?.contains("<fanfare-carousel"), "{url}");
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn the_accent_is_checked_against_both_themes_and_saved_by_the_owner() -> anyhow::Result<()> {
    let demo = RunningDemo::start().await?;
    let browser = Browser::launch().await?;
    let page = &browser.session;
    demo.sign_in(page).await?;
    // A pale yellow: unreadable on white, fine on the dark ground.
    page.goto(&format!("{}/admin/sites/{DEMO_SITE}/embed?mode=wall&accent=%23ffd84d", demo.api_url)).await?;
    let verdicts = wait_for("the contrast check", || async {
        Ok(page
            .execute("const c = document.getElementById('contrast'); return c && c.innerText", vec![])
            .await?
            .as_str()
            .map(str::to_owned))
    })
    .await?;
    assert!(verdicts.contains("Light theme (white): 1.4:1, below AA"), "{verdicts}");
    let dark =
        verdicts.lines().find(|line| line.starts_with("This colour on the dark theme")).unwrap_or_default();
    assert!(dark.ends_with("passes AA"), "{verdicts}");
    assert!(verdicts.contains("Dark theme: its own amber (#f59e0b), 8.1:1, passes AA"), "{verdicts}");
    let save = page.find("form[action$='/embed/accent'] button").await?.context("the save button")?;
    page.click(&save).await?;
    wait_until("saved", || async {
        Ok(page.find("form[action$='/embed/accent']").await?.is_none()
            && page.find("#contrast").await?.is_some())
    })
    .await?;
    assert_eq!(demo.service.find_site(DEMO_SITE).await?.accent, "#ffd84d");
    browser.close().await;
    Ok(())
}
