//! `cargo xtask bench`: measures what PRODUCT.md promises, the same way every time, writes
//! BENCHMARKS.md, prints every budget missed and then exits non-zero when one was. Run through
//! xtask, which builds the widget and the release binary first.
//!
//! - Browser: headless Chromium, median of 5 runs, navigation → `fanfare:ready` and → the first
//!   wall item; on the long page, → the first testimonial with the snippet and with the wall's
//!   fragment included in the HTML; bytes fetched before and after scrolling to a mount below
//!   the fold.
//! - Pages with only read-only modes: every byte from the Fanfare server, and no `.wasm`.
//! - Lighthouse on every demo page, mobile and desktop, with Fanfare and without it.
//! - Server: wrk (Debian) against the real release binary over loopback, each figure the median
//!   of 3 runs: public GET of a 50-item list at 1, 16 and 64 connections, POST at 16; peak RSS.
//!   On SQLite, and on PostgreSQL when reachable.
//! - Reference: nginx serving the same JSON, and the same wall fragment, as static files.

mod big_site;
mod budgets;
// The compression xtask measures the widget with, so both report brotli alike.
#[path = "../../../../xtask/src/compression.rs"]
#[allow(dead_code)] // gzip: the bench reports brotli only
mod compression;
mod instances;
mod lighthouse;
mod pages;
mod read_only;
mod report;
mod server_load;
mod video_wall;

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use budgets::Budgets;
use fanfare_protocol::api::Status;
use fanfare_server::cli::demo::DEMO_SITE;
use fanfare_server::domain::{Origin, SiteSlug};
use fanfare_server::service::testimonials::{new_record, Draft};
use fanfare_server::storage::{self, Backend, NewSite, NewTestimonialRecord, TestimonialEdit};
use fanfare_server::testing::TestDatabase;
use fanfare_tests::browser::{wait_for, wait_until, Browser};
use fanfare_tests::demo::{widget_dir, RunningDemo};
use lighthouse::{FormFactor, Scores};
use pages::PageCopies;
use read_only::ReadOnlyPage;
use report::{report, with_history, Measured};
use serde_json::json;
use server_load::server_load;

const RUNS: usize = 3;
const BROWSER_RUNS: usize = 5;
const SECONDS: u32 = 5;
/// PRODUCT.md, budgets of wave 2: a public GET reaches this share of nginx serving the same bytes.
const NGINX_SHARE: f64 = 0.9;
/// Lighthouse budgets, with Fanfare on the page.
const LIGHTHOUSE_PERFORMANCE: f64 = 95.0;
const LIGHTHOUSE_CLS: f64 = 0.05;

#[derive(Debug, Clone, Copy, Default)]
struct Load {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

/// Something the Fanfare server may not serve yet: `Err` says why, as the report shows it.
type IfServed<T> = Result<T, String>;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let parts = Parts::from_args(std::env::args().skip(1))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let binary = built_beside_me("fanfare")?;
    for tool in ["wrk", "nginx"] {
        if !on_path(tool) {
            bail!("{tool} is missing: run `apt-get install -y wrk nginx-light` (cargo xtask bench does, as root)");
        }
    }
    let lighthouse = lighthouse::lighthouse_bin(&root);
    let lighthouse_version = lighthouse.as_deref().map(lighthouse::version).unwrap_or_default();
    // A partial run may measure the server alone, without a widget build.
    let sizes = match widget_dir() {
        Ok(dir) => std::fs::read_to_string(dir.join("sizes.md")).unwrap_or_default(),
        Err(error) if parts.all() => return Err(error),
        Err(_) => String::new(),
    };

    let (mut browser, mut read_only, mut audits, mut video_wall) = (None, None, None, None);
    if parts.wants_any(&["browser", "read-only", "lighthouse", "video"]) {
        let demo = RunningDemo::start().await?;
        let wall_fragment = fetch_if_served(&format!("{}/embed/{DEMO_SITE}/wall.html", demo.api_url)).await?;
        let fragment_text =
            wall_fragment.as_ref().ok().map(|bytes| String::from_utf8_lossy(bytes).into_owned());
        let copies = PageCopies::start(&demo.site_url, fragment_text).await?;
        if parts.wants("browser") {
            println!("== browser timings ({BROWSER_RUNS} runs each)");
            browser = Some(browser_timings(&demo, &copies, wall_fragment.is_ok()).await?);
        }
        if parts.wants("read-only") {
            println!("== Fanfare bytes on the pages with only read-only modes");
            read_only = Some(read_only_pages(&root, &demo).await?);
        }
        if parts.wants("lighthouse") {
            println!("== Lighthouse {lighthouse_version} (one run per page, form factor and variant)");
            audits = Some(lighthouse_audits(&root, &lighthouse?, &demo, &copies).await?);
        }
        // After the audits: they measure the demo as it ships, without this testimonial.
        if parts.wants("video") {
            println!("== a wall with a video testimonial, before and after play");
            let measured = video_wall::measure(&demo).await;
            match &measured {
                Ok(wall) => println!(
                    "   {}: {} video requests before play ({:.0} B), {} after play ({:.1} KB)",
                    video_wall::PAGE,
                    wall.before_play.len(),
                    wall.bytes_before_play(),
                    wall.after_play.len(),
                    wall.bytes_after_play() / 1024.0
                ),
                Err(error) => println!("   {error:#}"),
            }
            video_wall = Some(measured);
        }
    }

    let mut server = Vec::new();
    if parts.wants("server") {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            if backend == Backend::Postgres && !postgres_reachable().await {
                println!("== PostgreSQL not reachable: skipped");
                continue;
            }
            println!("== server load on {backend:?}");
            server.push((backend, server_load(&binary, backend).await?));
        }
    }
    let mut two_instances = None;
    if parts.wants("instances") {
        if postgres_reachable().await {
            println!("== two instances behind one PostgreSQL database");
            two_instances = Some(instances::measure(&binary).await);
        } else {
            println!("== PostgreSQL not reachable: two instances not measured");
        }
    }
    let mut big_sites = Vec::new();
    if parts.wants("big-site") {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            if backend == Backend::Postgres && !postgres_reachable().await {
                println!("== PostgreSQL not reachable: no big site on it");
                continue;
            }
            println!("== a site with 1,000,000 testimonials on {backend:?}");
            big_sites.push((backend, big_site::measure(&binary, backend).await));
        }
    }

    let mut budgets = Budgets::default();
    let measured = Measured {
        sizes: &sizes,
        browser: browser.as_ref(),
        read_only: read_only.as_deref(),
        audits: audits.as_deref(),
        video_wall: video_wall.as_ref(),
        server: &server,
        two_instances: two_instances.as_ref(),
        big_site: &big_sites,
    };
    let report = report(&mut budgets, &measured, &lighthouse_version);
    println!("\n{report}");
    if parts.all() {
        let path = root.join("BENCHMARKS.md");
        let previous = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(&path, with_history(&report, &previous, budgets.missed_count()))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("written to {}", path.display());
    } else {
        println!("(a partial run: BENCHMARKS.md, which holds whole runs, is left as it was)");
    }
    println!("\n{}", budgets.summary());
    println!("{}", budgets.verdict_line(std::io::stdout().is_terminal()));
    Ok(if budgets.any_missed() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The parts of the bench a run measures: all of them, or those `--only a,b` names (to work on
/// one part without waiting for the rest).
struct Parts(Option<Vec<String>>);

const PARTS: [&str; 7] = ["browser", "read-only", "lighthouse", "video", "server", "instances", "big-site"];

impl Parts {
    fn from_args(mut args: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let Some(first) = args.next() else { return Ok(Self(None)) };
        let list = match first.strip_prefix("--only=") {
            Some(list) => list.to_owned(),
            None if first == "--only" => args.next().context("--only needs a list of parts")?,
            None => bail!(
                "unknown argument {first}: the bench takes `--only PART,...` (parts: {})",
                PARTS.join(", ")
            ),
        };
        let named: Vec<String> = list.split(',').map(str::trim).map(str::to_owned).collect();
        if let Some(unknown) = named.iter().find(|part| !PARTS.contains(&part.as_str())) {
            bail!("--only: no part called {unknown} (parts: {})", PARTS.join(", "));
        }
        Ok(Self(Some(named)))
    }

    fn all(&self) -> bool {
        self.0.is_none()
    }

    fn wants(&self, part: &str) -> bool {
        self.0.as_ref().is_none_or(|named| named.iter().any(|named| named == part))
    }

    fn wants_any(&self, parts: &[&str]) -> bool {
        parts.iter().any(|part| self.wants(part))
    }
}

/// A binary built into the same directory as this one (`cargo xtask bench` builds both).
fn built_beside_me(name: &str) -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("finding the bench's own path")?;
    let binary = me.with_file_name(name);
    if !binary.exists() {
        bail!("{} is missing: run `cargo xtask bench`, which builds it", binary.display());
    }
    Ok(binary)
}

/// The body at `url`, or why not (`not available (404 Not Found)`) when the server does not serve it.
async fn fetch_if_served(url: &str) -> anyhow::Result<IfServed<Vec<u8>>> {
    let response = reqwest::get(url).await.with_context(|| format!("fetching {url}"))?;
    if !response.status().is_success() {
        return Ok(Err(format!(
            "not available (GET {} answers {})",
            response.url().path(),
            response.status()
        )));
    }
    Ok(Ok(response.bytes().await.with_context(|| format!("reading {url}"))?.to_vec()))
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

async fn postgres_reachable() -> bool {
    TestDatabase::create_on(Backend::Postgres).await.is_ok()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

struct BrowserFigures {
    ready_ms: f64,
    first_item_ms: f64,
    /// On the long page, scrolled to the wall from the first frame on: with the snippet …
    first_testimonial_snippet_ms: f64,
    /// … and with the wall's fragment included in the page's HTML.
    first_testimonial_static_ms: IfServed<f64>,
    bytes_before_scroll: f64,
    bytes_after_scroll: f64,
    fanfare_requests_before_scroll: f64,
    layout_shift: f64,
}

/// The long demo page, with the wall far below the fold.
const LONG_PAGE: &str = "how-it-is-made.html";

async fn browser_timings(
    demo: &RunningDemo,
    copies: &PageCopies,
    fragment_served: bool,
) -> anyhow::Result<BrowserFigures> {
    let (mut ready, mut first, mut before, mut after) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut requests, mut shifts) = (Vec::new(), Vec::new());
    let (mut snippet, mut static_include) = (Vec::new(), Vec::new());
    for _ in 0..BROWSER_RUNS {
        // A fresh profile each time: nothing cached, as for a first-time visitor.
        let browser = Browser::launch().await?;
        let page = &browser.session;
        page.goto(&format!("{}/kind-words.html", demo.site_url)).await?;
        let times = page
            .execute(
                "return new Promise(done => { const check = () => {
                   const root = document.querySelector('[data-fanfare=wall]').shadowRoot;
                   const mark = performance.getEntriesByName('fanfare:ready')[0];
                   if (root && root.querySelector('.fanfare-item') && mark) done([mark.startTime, performance.now()]);
                   else requestAnimationFrame(check); }; check(); })",
                vec![],
            )
            .await?;
        ready.push(times[0].as_f64().unwrap_or_default());
        first.push(times[1].as_f64().unwrap_or_default());

        browser.close().await;

        // A second fresh profile: the widget's files must not come from the first page's cache.
        let browser = Browser::launch().await?;
        let page = &browser.session;
        page.goto(&format!("{}/{LONG_PAGE}", demo.site_url)).await?;
        page.execute(
            "window.__shift = 0; new PerformanceObserver(l => l.getEntries().forEach(e => window.__shift += e.value))
               .observe({ type: 'layout-shift', buffered: true });",
            vec![],
        )
        .await?;
        wait_until("the loader", || async {
            Ok(page.execute("return performance.getEntriesByName('fanfare:ready').length", vec![]).await?
                == json!(1))
        })
        .await?;
        let transferred = "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
                             .reduce((sum, e) => sum + (e.transferSize || 0), 0)";
        before.push(page.execute(transferred, vec![]).await?.as_f64().unwrap_or_default());
        let ours = format!(
            "return performance.getEntriesByType('resource').filter(e => e.name.startsWith('{}')).length",
            demo.api_url
        );
        requests.push(page.execute(&ours, vec![]).await?.as_f64().unwrap_or_default());
        let wall = browser.mount_root("wall").await?;
        browser.wait_in(&wall, ".fanfare-item").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        after.push(page.execute(transferred, vec![]).await?.as_f64().unwrap_or_default());
        shifts.push(page.execute("return window.__shift", vec![]).await?.as_f64().unwrap_or_default());
        browser.close().await;

        snippet.push(first_testimonial_ms(&format!("{}/{LONG_PAGE}", demo.site_url)).await?);
        if fragment_served {
            static_include.push(first_testimonial_ms(&copies.with_static_wall(LONG_PAGE)).await?);
        }
    }
    Ok(BrowserFigures {
        ready_ms: median(ready),
        first_item_ms: median(first),
        first_testimonial_snippet_ms: median(snippet),
        first_testimonial_static_ms: if fragment_served {
            Ok(median(static_include))
        } else {
            Err(format!("not available (the server has no /embed/{DEMO_SITE}/wall.html yet)"))
        },
        bytes_before_scroll: median(before),
        bytes_after_scroll: median(after),
        fanfare_requests_before_scroll: median(requests),
        layout_shift: shifts.into_iter().fold(0.0, f64::max),
    })
}

/// Runs in the page before its own scripts: each frame until a wall item shows anywhere in the
/// page (shadow roots included), scrolls the wall's slot into view (the layout moves as the
/// stylesheet arrives), then notes the time in `window.__firstTestimonial`.
const FIRST_TESTIMONIAL_WATCH: &str = "(() => {
    const deep = root => root.querySelector('.fanfare-item')
      || [...root.querySelectorAll('*')].reduce((hit, el) => hit || (el.shadowRoot && deep(el.shadowRoot)), null);
    const check = () => {
      if (deep(document)) return void (window.__firstTestimonial = performance.now());
      const slot = document.querySelector('.wall-slot');
      if (slot) slot.scrollIntoView({ block: 'center', behavior: 'instant' });
      requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  })();";

/// Navigation → the first wall item in the page, in a fresh browser.
async fn first_testimonial_ms(url: &str) -> anyhow::Result<f64> {
    let browser = Browser::launch().await?;
    let page = &browser.session;
    let watched = async {
        page.devtools("Page.addScriptToEvaluateOnNewDocument", json!({ "source": FIRST_TESTIMONIAL_WATCH }))
            .await?;
        page.goto(url).await?;
        wait_for(&format!("the first testimonial on {url}"), || async {
            Ok(page.execute("return window.__firstTestimonial ?? null", vec![]).await?.as_f64())
        })
        .await
    }
    .await;
    browser.close().await;
    watched
}

/// The demo pages whose mounts (and included fragments) are all read-only (wall, carousel,
/// badge), each measured.
async fn read_only_pages(root: &Path, demo: &RunningDemo) -> anyhow::Result<Vec<ReadOnlyPage>> {
    let mut measured = Vec::new();
    for page in pages::demo_pages(root)? {
        // As served: a page may include fragments (themselves `data-fanfare` elements) on the server.
        let url = format!("{}/{page}", demo.site_url);
        let response = reqwest::get(&url).await.with_context(|| format!("fetching {url}"))?;
        let html = response.text().await.with_context(|| format!("reading {url}"))?;
        let modes = pages::mounts(&html).with_context(|| format!("finding the mounts of {page}"))?;
        if modes.is_empty() || !modes.iter().all(|mode| pages::READ_ONLY_MODES.contains(&mode.as_str())) {
            continue;
        }
        let result = read_only::measure(&page, &url, &modes, &demo.api_url).await;
        match &result.measured {
            Ok(bytes) => println!(
                "   {page} ({}): {:.1} KB brotli from Fanfare in {} responses, .wasm fetched: {}",
                modes.join(", "),
                bytes.brotli() / 1024.0,
                bytes.responses.len(),
                bytes.wasm_fetched()
            ),
            Err(error) => println!("   {page}: {error:#}"),
        }
        measured.push(result);
    }
    Ok(measured)
}

/// Lighthouse on one page in one form factor, with Fanfare as the demo ships it and without it.
struct PageAudit {
    page: String,
    form_factor: FormFactor,
    with_fanfare: anyhow::Result<Scores>,
    without_fanfare: anyhow::Result<Scores>,
}

async fn lighthouse_audits(
    root: &Path,
    lighthouse: &Path,
    demo: &RunningDemo,
    copies: &PageCopies,
) -> anyhow::Result<Vec<PageAudit>> {
    let mut audits = Vec::new();
    for page in pages::demo_pages(root)? {
        for form_factor in FormFactor::ALL {
            let with_fanfare =
                lighthouse::audit(lighthouse, &format!("{}/{page}", demo.site_url), form_factor).await;
            let without_fanfare =
                lighthouse::audit(lighthouse, &copies.without_fanfare(&page), form_factor).await;
            let audit = PageAudit { page: page.clone(), form_factor, with_fanfare, without_fanfare };
            println!("   {page} {}: {}", form_factor.label(), audit.one_line());
            audits.push(audit);
        }
    }
    Ok(audits)
}

impl PageAudit {
    fn one_line(&self) -> String {
        let show = |scores: &anyhow::Result<Scores>| match scores {
            Ok(s) => format!(
                "performance {:.0}, CLS {:.3}, SEO {:.0}",
                s.performance, s.cumulative_layout_shift, s.seo
            ),
            Err(error) => format!("failed: {error:#}"),
        };
        format!("{} (without Fanfare: {})", show(&self.with_fanfare), show(&self.without_fanfare))
    }
}
