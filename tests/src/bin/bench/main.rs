//! `cargo xtask bench`: measures what PRODUCT.md promises, the same way every time, and writes
//! BENCHMARKS.md. Run through xtask, which builds the widget and the release binary first.
//!
//! - Browser: headless Chromium, median of 5 runs, navigation → `fanfare:ready` and → the first
//!   wall item; bytes fetched before and after scrolling to a mount below the fold.
//! - Server: wrk (Debian) against the real release binary over loopback, each figure the median
//!   of 3 runs: public GET of a 50-item list at 1, 16 and 64 connections, POST at 16; peak RSS.
//!   On SQLite, and on PostgreSQL when reachable.
//! - Reference: nginx serving the same JSON as a static file, as the ceiling.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use fanfare_protocol::api::Status;
use fanfare_server::domain::{Origin, SiteSlug};
use fanfare_server::service::testimonials::{new_record, Draft};
use fanfare_server::storage::{self, Backend, NewSite, NewTestimonialRecord, TestimonialEdit};
use fanfare_server::testing::TestDatabase;
use fanfare_tests::browser::{wait_until, Browser};
use fanfare_tests::demo::RunningDemo;
use serde_json::json;

const RUNS: usize = 3;
const BROWSER_RUNS: usize = 5;
const SECONDS: u32 = 5;

#[derive(Debug, Clone, Copy, Default)]
struct Load {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let binary = root.join("target/release/fanfare");
    if !binary.exists() {
        bail!("{} is missing: run `cargo xtask bench`, which builds it", binary.display());
    }
    for tool in ["wrk", "nginx"] {
        if !on_path(tool) {
            bail!("{tool} is missing: run `apt-get install -y wrk nginx-light` (cargo xtask bench does, as root)");
        }
    }
    let sizes = std::fs::read_to_string(root.join("target/widget/sizes.md")).unwrap_or_default();

    println!("== browser timings ({BROWSER_RUNS} runs each)");
    let browser = browser_timings().await?;

    let mut server = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if backend == Backend::Postgres && !postgres_reachable().await {
            println!("== PostgreSQL not reachable: skipped");
            continue;
        }
        println!("== server load on {backend:?}");
        server.push((backend, server_load(&binary, backend).await?));
    }

    let report = report(&sizes, &browser, &server);
    println!("\n{report}");
    let path = root.join("BENCHMARKS.md");
    let previous = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, with_history(&report, &previous))?;
    println!("written to {}", path.display());
    Ok(())
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
    bytes_before_scroll: f64,
    bytes_after_scroll: f64,
    fanfare_requests_before_scroll: f64,
    layout_shift: f64,
}

async fn browser_timings() -> anyhow::Result<BrowserFigures> {
    let demo = RunningDemo::start().await?;
    let (mut ready, mut first, mut before, mut after) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut requests, mut shifts) = (Vec::new(), Vec::new());
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
        page.goto(&format!("{}/how-it-is-made.html", demo.site_url)).await?;
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
    }
    Ok(BrowserFigures {
        ready_ms: median(ready),
        first_item_ms: median(first),
        bytes_before_scroll: median(before),
        bytes_after_scroll: median(after),
        fanfare_requests_before_scroll: median(requests),
        layout_shift: shifts.into_iter().fold(0.0, f64::max),
    })
}

struct ServerFigures {
    get: Vec<(u32, Load)>,
    post: Load,
    peak_rss_mb: f64,
    nginx: Option<Load>,
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn wait_for_port(url: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if reqwest::get(url).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{url} did not answer")
}

async fn server_load(binary: &Path, backend: Backend) -> anyhow::Result<ServerFigures> {
    let database = TestDatabase::create_on(backend).await?;
    seed(&database.url).await?;
    let port = free_port()?;
    let child = Command::new(binary)
        .args(["--database", &database.url, "serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("FANFARE_RATE_LIMITS", "off")
        .env("FANFARE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the release server")?;
    let pid = child.id();
    let _server = Running(child);
    let base = format!("http://127.0.0.1:{port}");
    let list = format!("{base}/api/v1/sites/bench/testimonials?limit=50");
    wait_for_port(&format!("{base}/healthz")).await?;

    let mut get = Vec::new();
    for connections in [1, 16, 64] {
        let load = repeated(|| wrk(&list, connections, None))?;
        println!(
            "   GET  c={connections:<3} {:>9.0} req/s  p50 {:.2} ms  p99 {:.2} ms  errors {}",
            load.requests_per_second, load.p50_ms, load.p99_ms, load.errors
        );
        get.push((connections, load));
    }
    let script = std::env::temp_dir().join(format!("fanfare-post-{port}.lua"));
    std::fs::write(
        &script,
        r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"Load Test","email":"load@example.com","rating":5,"text":"Measured, not guessed.","consent":true}'
"#,
    )?;
    let post = repeated(|| wrk(&format!("{base}/api/v1/sites/bench/testimonials"), 16, Some(&script)))?;
    println!(
        "   POST c=16  {:>9.0} req/s  p50 {:.2} ms  p99 {:.2} ms  errors {}",
        post.requests_per_second, post.p50_ms, post.p99_ms, post.errors
    );
    let peak_rss_mb = peak_rss_kb(pid)? / 1024.0;
    println!("   peak RSS {peak_rss_mb:.1} MB");

    let nginx = if backend == Backend::Sqlite {
        let body = reqwest::get(&list).await?.bytes().await?;
        Some(nginx_reference(&body)?)
    } else {
        None
    };
    Ok(ServerFigures { get, post, peak_rss_mb, nginx })
}

/// 50 approved testimonials on a site called `bench`.
async fn seed(url: &str) -> anyhow::Result<()> {
    let storage = storage::connect(url).await?;
    let site = storage
        .create_site(
            NewSite {
                slug: SiteSlug::parse("bench").map_err(anyhow::Error::msg)?,
                name: "Bench".into(),
                origins: vec![Origin::parse("https://bench.test").map_err(anyhow::Error::msg)?],
                consent_text: "Yes".into(),
            },
            0,
        )
        .await?;
    for n in 0..50 {
        let (record, _manage_token) = new_record(
            &site,
            Draft {
                content: TestimonialEdit {
                    name: format!("Customer {n}"),
                    role: Some("Regular".into()),
                    company: (n % 3 == 0).then(|| "Acme".to_owned()),
                    rating: 4 + u8::from(n % 2 == 0),
                    text: "Fresh beans every time, and a roast that tastes of something. Worth every cent."
                        .into(),
                },
                email: format!("c{n}@example.com"),
                consent: true,
            },
        );
        storage
            .insert_testimonial(NewTestimonialRecord {
                id: format!("seed{n:04}"),
                status: Status::Approved,
                created_at: 1_700_000_000_000 + n,
                ..record
            })
            .await?;
    }
    Ok(())
}

fn repeated(mut run: impl FnMut() -> anyhow::Result<Load>) -> anyhow::Result<Load> {
    let loads: Vec<Load> = (0..RUNS).map(|_| run()).collect::<anyhow::Result<_>>()?;
    Ok(Load {
        requests_per_second: median(loads.iter().map(|l| l.requests_per_second).collect()),
        p50_ms: median(loads.iter().map(|l| l.p50_ms).collect()),
        p99_ms: median(loads.iter().map(|l| l.p99_ms).collect()),
        errors: loads.iter().map(|l| l.errors).sum(),
    })
}

fn wrk(url: &str, connections: u32, script: Option<&PathBuf>) -> anyhow::Result<Load> {
    let mut command = Command::new("wrk");
    command.args([
        "-t",
        &connections.min(2).to_string(),
        "-c",
        &connections.to_string(),
        "-d",
        &format!("{SECONDS}s"),
        "--latency",
    ]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command.arg(url).output().context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_wrk(&text).with_context(|| format!("reading wrk's output:\n{text}"))
}

fn parse_wrk(text: &str) -> Option<Load> {
    let millis = |raw: &str| -> Option<f64> {
        let raw = raw.trim();
        if let Some(us) = raw.strip_suffix("us") {
            us.parse::<f64>().ok().map(|v| v / 1000.0)
        } else if let Some(ms) = raw.strip_suffix("ms") {
            ms.parse().ok()
        } else {
            raw.strip_suffix('s')?.parse::<f64>().ok().map(|v| v * 1000.0)
        }
    };
    let line = |prefix: &str| text.lines().map(str::trim).find(|line| line.starts_with(prefix));
    let requests_per_second = line("Requests/sec:")?.split_whitespace().nth(1)?.parse().ok()?;
    let p50_ms = millis(line("50%")?.split_whitespace().nth(1)?)?;
    let p99_ms = millis(line("99%")?.split_whitespace().nth(1)?)?;
    let non_2xx: u64 = line("Non-2xx or 3xx responses:")
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
        .unwrap_or(0);
    let socket: u64 = line("Socket errors:")
        .map(|l| l.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Some(Load { requests_per_second, p50_ms, p99_ms, errors: non_2xx + socket })
}

fn peak_rss_kb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).context("no VmHWM")?;
    Ok(line.split_whitespace().nth(1).and_then(|kb| kb.parse().ok()).unwrap_or_default())
}

/// The same body as a static file from nginx, at 64 connections: the ceiling to compare with.
fn nginx_reference(body: &[u8]) -> anyhow::Result<Load> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("www"))?;
    std::fs::create_dir_all(dir.path().join("logs"))?;
    std::fs::write(dir.path().join("www/list.json"), body)?;
    let port = free_port()?;
    let config = format!(
        "worker_processes 2; error_log {dir}/logs/error.log; pid {dir}/nginx.pid;
         events {{ worker_connections 1024; }}
         http {{ access_log off; default_type application/json;
                 client_body_temp_path {dir}/tmp; proxy_temp_path {dir}/tmp; fastcgi_temp_path {dir}/tmp;
                 uwsgi_temp_path {dir}/tmp; scgi_temp_path {dir}/tmp;
                 server {{ listen 127.0.0.1:{port}; root {dir}/www; }} }}",
        dir = dir.path().display()
    );
    std::fs::write(dir.path().join("nginx.conf"), config)?;
    let child = Command::new("nginx")
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stderr(Stdio::null())
        .spawn()
        .context("starting nginx")?;
    let _nginx = Running(child);
    std::thread::sleep(Duration::from_millis(300));
    let load = repeated(|| wrk(&format!("http://127.0.0.1:{port}/list.json"), 64, None))?;
    println!("   nginx static c=64 {:>9.0} req/s  p99 {:.2} ms", load.requests_per_second, load.p99_ms);
    Ok(load)
}

fn report(sizes: &str, browser: &BrowserFigures, server: &[(Backend, ServerFigures)]) -> String {
    let mut out = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let _ = writeln!(out, "## Latest run\n");
    let _ = writeln!(out, "Machine: {cores} cores ({cpu}), loopback. Command: `cargo xtask bench`. Load: wrk, {SECONDS} s per run, median of {RUNS} runs; browser: median of {BROWSER_RUNS} fresh Chromium profiles.\n");
    let _ = writeln!(out, "### Sizes\n\n{sizes}\n");
    let _ = writeln!(out, "### Browser\n");
    let _ = writeln!(out, "| what | measured | budget |\n|---|---|---|");
    let _ =
        writeln!(out, "| navigation → `fanfare:ready` (kind-words page) | {:.0} ms | — |", browser.ready_ms);
    let _ = writeln!(out, "| navigation → first wall item rendered | {:.0} ms | — |", browser.first_item_ms);
    let _ = writeln!(
        out,
        "| requests to Fanfare before a mount nears the viewport | {:.0} | 1 (embed.js) |",
        browser.fanfare_requests_before_scroll
    );
    let _ = writeln!(
        out,
        "| layout shift on a long page as the wall loads (worst of the runs) | {:.3} | 0 |",
        browser.layout_shift
    );
    let _ = writeln!(
        out,
        "| bytes fetched before scrolling to a mount below the fold (page + CSS + embed.js) | {:.1} KB | — |",
        browser.bytes_before_scroll / 1024.0
    );
    let _ = writeln!(
        out,
        "| bytes after scrolling to it (+ wasm, glue, CSS, API) | {:.1} KB | — |\n",
        browser.bytes_after_scroll / 1024.0
    );
    for (backend, figures) in server {
        let _ = writeln!(out, "### Server on {backend:?}\n");
        let _ = writeln!(
            out,
            "| request | connections | req/s | p50 | p99 | errors | budget |\n|---|---|---|---|---|---|---|"
        );
        for (connections, load) in &figures.get {
            let budget = if *connections == 64 { "≥ 20,000 req/s, p99 ≤ 10 ms" } else { "—" };
            let _ = writeln!(
                out,
                "| GET list (50 items) | {connections} | {:.0} | {:.2} ms | {:.2} ms | {} | {budget} |",
                load.requests_per_second, load.p50_ms, load.p99_ms, load.errors
            );
        }
        let p = &figures.post;
        let _ = writeln!(out, "| POST testimonial (durable) | 16 | {:.0} | {:.2} ms | {:.2} ms | {} | ≥ 1,500 req/s, zero errors |", p.requests_per_second, p.p50_ms, p.p99_ms, p.errors);
        let _ = writeln!(
            out,
            "\nPeak server RSS over the whole run: {:.1} MB (budget ≤ 60 MB).\n",
            figures.peak_rss_mb
        );
        if let Some(nginx) = &figures.nginx {
            let ours = figures
                .get
                .iter()
                .find(|(c, _)| *c == 64)
                .map(|(_, l)| l.requests_per_second)
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "Reference: nginx serving the same JSON as a static file at 64 connections: {:.0} req/s, p99 {:.2} ms; Fanfare reaches {:.0} % of it.\n",
                nginx.requests_per_second,
                nginx.p99_ms,
                100.0 * ours / nginx.requests_per_second.max(1.0)
            );
        }
    }
    out
}

/// The new report, then a one-line summary of every run so far, newest first.
fn with_history(report: &str, previous: &str) -> String {
    let mut history: Vec<String> = previous
        .lines()
        .skip_while(|l| !l.starts_with("## History"))
        .skip(1)
        .filter(|l| l.starts_with("- "))
        .map(str::to_owned)
        .collect();
    let today = Command::new("date")
        .arg("+%F %H:%M UTC")
        .env("TZ", "UTC")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let headline: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("| GET list (50 items) | 64") || l.starts_with("| POST"))
        .collect();
    let backends: Vec<&str> = report.lines().filter_map(|l| l.strip_prefix("### Server on ")).collect();
    let cells = |row: &str| row.split('|').map(str::trim).map(str::to_owned).collect::<Vec<String>>();
    let figures: Vec<String> = headline
        .chunks(2)
        .zip(backends)
        .map(|(rows, backend)| {
            let get = rows.first().map(|row| cells(row)).unwrap_or_default();
            let post = rows.get(1).map(|row| cells(row)).unwrap_or_default();
            let cell = |row: &[String], index: usize| row.get(index).cloned().unwrap_or_default();
            format!(
                "{backend}: GET c=64 {} req/s p99 {}, POST c=16 {} req/s p99 {}",
                cell(&get, 3),
                cell(&get, 5),
                cell(&post, 3),
                cell(&post, 5)
            )
        })
        .collect();
    history.insert(0, format!("- {today}: {}", figures.join("; ")));
    format!(
        "# Benchmarks\n\nWhat PRODUCT.md promises, measured by `cargo xtask bench` on this project's 2-core machine \
         kind. Figures vary between runs on shared machines: each is a median of repeated runs, and the nginx \
         ratio matters more than any absolute number. Not part of `cargo xtask test`: no test asserts a timing.\n\n\
         {report}\n## History\n\n{}\n",
        history.join("\n")
    )
}
