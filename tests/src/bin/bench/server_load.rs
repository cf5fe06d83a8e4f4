//! The server under load: wrk against the release binary on SQLite and PostgreSQL, and nginx
//! serving the same bytes as static files for reference.

use super::*;

pub(crate) struct ServerFigures {
    pub(crate) get: Vec<(u32, Load)>,
    pub(crate) post: Load,
    pub(crate) peak_rss_mb: f64,
    /// This disk's time to flush a small write, which every durable commit waits for.
    pub(crate) disk_flush_ms: f64,
    /// From starting the process to its first answer, on a database with 50 testimonials.
    pub(crate) cold_start: Duration,
    pub(crate) references: References,
}

/// Fanfare beside nginx serving the same bytes as static files, at 64 connections.
pub(crate) struct References {
    pub(crate) list: Versus,
    pub(crate) wall_fragment: IfServed<Versus>,
}

/// Fanfare and nginx serving the same bytes, at 64 connections.
#[derive(Clone, Copy)]
pub(crate) struct Versus {
    pub(crate) fanfare: Load,
    pub(crate) nginx: Load,
}

/// Fanfare's requests per second as a share of nginx's.
pub(crate) fn share_of(fanfare: &Load, nginx: &Load) -> f64 {
    fanfare.requests_per_second / nginx.requests_per_second.max(1.0)
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
    // Often: the time to the first answer is a figure of its own (cold start).
    for _ in 0..2000 {
        if reqwest::get(url).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bail!("{url} did not answer")
}

/// A release server running on a database until dropped.
pub(crate) struct Server {
    _running: Running,
    pub(crate) pid: u32,
    /// `http://127.0.0.1:PORT`
    pub(crate) base: String,
    /// From starting the process to its first answer (`/healthz`).
    pub(crate) cold_start: Duration,
}

impl Server {
    /// Starts `binary` serving `database` on a free loopback port, rate limits off, and waits
    /// for its first answer.
    pub(crate) async fn start(binary: &Path, database: &TestDatabase) -> anyhow::Result<Self> {
        let port = free_port()?;
        // PostgreSQL keeps no key file beside the database: the server gets the key as the tests do.
        let (key_name, key) = database.secret_key_env();
        // Its own media directory, as every test database has one.
        let (media_name, media) = database.media_env();
        let log = tempfile::NamedTempFile::new().context("creating the server's log file")?;
        let started = std::time::Instant::now();
        let child = Command::new(binary)
            .args(["--database", &database.url, "serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("FANFARE_RATE_LIMITS", "off")
            .env("FANFARE_LOG", "warn")
            .env(key_name, key)
            .env(media_name, media)
            .stdout(Stdio::null())
            .stderr(log.reopen().context("opening the server's log file")?)
            .spawn()
            .context("starting the release server")?;
        let pid = child.id();
        let running = Running(child);
        let base = format!("http://127.0.0.1:{port}");
        wait_for_port(&format!("{base}/healthz")).await.with_context(|| {
            let said = std::fs::read_to_string(log.path()).unwrap_or_default();
            format!("the release server did not start; it said: {}", said.trim())
        })?;
        Ok(Self { _running: running, pid, base, cold_start: started.elapsed() })
    }

    pub(crate) fn peak_rss_mb(&self) -> anyhow::Result<f64> {
        Ok(peak_rss_kb(self.pid)? / 1024.0)
    }
}

pub(crate) async fn server_load(binary: &Path, backend: Backend) -> anyhow::Result<ServerFigures> {
    let database = TestDatabase::create_on(backend).await?;
    seed(&database.url).await?;
    let server = Server::start(binary, &database).await.with_context(|| format!("on {backend:?}"))?;
    let cold_start = server.cold_start;
    println!("   cold start {:.0} ms", cold_start.as_secs_f64() * 1000.0);
    let base = server.base.clone();
    let list = format!("{base}/api/v1/sites/bench/testimonials?limit=50");

    let mut get = Vec::new();
    for connections in [1, 16, 64] {
        let load = repeated(|| wrk(&list, connections, None))?;
        println!(
            "   GET  c={connections:<3} {:>9.0} req/s  p50 {:.2} ms  p99 {:.2} ms  errors {}",
            load.requests_per_second, load.p50_ms, load.p99_ms, load.errors
        );
        get.push((connections, load));
    }
    let disk_flush_ms = disk_flush_ms(&std::env::temp_dir())?;
    println!("   disk flush (fdatasync of 4 KB, median of 100) {disk_flush_ms:.2} ms");
    let script = post_script()?;
    let post = repeated(|| wrk(&format!("{base}/api/v1/sites/bench/testimonials"), 16, Some(script.path())))?;
    println!(
        "   POST c=16  {:>9.0} req/s  p50 {:.2} ms  p99 {:.2} ms  errors {}",
        post.requests_per_second, post.p50_ms, post.p99_ms, post.errors
    );
    let peak_rss_mb = server.peak_rss_mb()?;
    println!("   peak RSS {peak_rss_mb:.1} MB");

    // On each backend, in the same run: the share of nginx is only meaningful side by side.
    let body = reqwest::get(&list).await?.bytes().await.context("reading the list")?;
    let list = versus_nginx(&list, &body, "list.json")?;
    println!(
        "   GET list c=64 beside nginx {:>9.0} req/s  p99 {:.2} ms  errors {}",
        list.fanfare.requests_per_second, list.fanfare.p99_ms, list.fanfare.errors
    );
    let wall_fragment = wall_fragment_versus_nginx(&base).await?;
    let references = References { list, wall_fragment };
    Ok(ServerFigures { get, post, peak_rss_mb, disk_flush_ms, cold_start, references })
}

/// The median time this disk takes to make a 4 KB write durable (`fdatasync`), measured in
/// `dir` (where the SQLite databases are; PostgreSQL's data lives on the same machine). A durable
/// commit waits for one, so it bounds what a writer committing one batch at a time can do.
fn disk_flush_ms(dir: &Path) -> anyhow::Result<f64> {
    use std::io::Write as _;
    let path = dir.join(format!("fanfare-bench-flush-{}", std::process::id()));
    let mut file = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut times = Vec::with_capacity(100);
    for n in 0..100u8 {
        file.write_all(&[n; 4096]).context("writing the flush probe")?;
        let started = std::time::Instant::now();
        file.sync_data().context("flushing the flush probe")?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    drop(file);
    std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    Ok(crate::median(times))
}

/// wrk at 64 connections on the `bench` site's wall fragment, then nginx serving its bytes.
async fn wall_fragment_versus_nginx(base: &str) -> anyhow::Result<IfServed<Versus>> {
    let url = format!("{base}/embed/bench/wall.html");
    let body = match fetch_if_served(&url).await? {
        Ok(body) => body,
        Err(why) => {
            println!("   GET wall fragment: {why}");
            return Ok(Err(why));
        }
    };
    let versus = versus_nginx(&url, &body, "wall.html")?;
    println!(
        "   GET wall fragment c=64 {:>9.0} req/s  p99 {:.2} ms  errors {}",
        versus.fanfare.requests_per_second, versus.fanfare.p99_ms, versus.fanfare.errors
    );
    Ok(Ok(versus))
}

/// wrk's script for the POST: the same testimonial each time, as a form sends it.
pub(crate) fn post_script() -> anyhow::Result<tempfile::NamedTempFile> {
    let script = tempfile::Builder::new().suffix(".lua").tempfile().context("creating wrk's script")?;
    std::fs::write(
        script.path(),
        r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"Load Test","email":"load@example.com","rating":5,"text":"Measured, not guessed.","consent":true}'
"#,
    )?;
    Ok(script)
}

/// 50 approved testimonials on a site called `bench`.
pub(crate) async fn seed(url: &str) -> anyhow::Result<()> {
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

pub(crate) fn repeated(mut run: impl FnMut() -> anyhow::Result<Load>) -> anyhow::Result<Load> {
    let loads: Vec<Load> = (0..RUNS).map(|_| run()).collect::<anyhow::Result<_>>()?;
    Ok(median_load(&loads))
}

/// Each figure's median over the runs; errors summed.
fn median_load(loads: &[Load]) -> Load {
    Load {
        requests_per_second: median(loads.iter().map(|l| l.requests_per_second).collect()),
        p50_ms: median(loads.iter().map(|l| l.p50_ms).collect()),
        p99_ms: median(loads.iter().map(|l| l.p99_ms).collect()),
        errors: loads.iter().map(|l| l.errors).sum(),
    }
}

pub(crate) fn wrk(url: &str, connections: u32, script: Option<&Path>) -> anyhow::Result<Load> {
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

/// Fanfare at `url` beside nginx serving the same body as a static file (`file`, whose
/// extension gives its type), 64 connections each. Their runs take turns (Fanfare, nginx,
/// Fanfare, …): the machine's speed drifts by a fifth within minutes, and runs taken side by
/// side share the drift, where all of one and then all of the other did not.
fn versus_nginx(url: &str, body: &[u8], file: &str) -> anyhow::Result<Versus> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("www"))?;
    std::fs::create_dir_all(dir.path().join("logs"))?;
    std::fs::write(dir.path().join("www").join(file), body)?;
    let port = free_port()?;
    let config = format!(
        "worker_processes 2; error_log {dir}/logs/error.log; pid {dir}/nginx.pid;
         events {{ worker_connections 1024; }}
         http {{ access_log off; types {{ application/json json; text/html html; }}
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
    let static_url = format!("http://127.0.0.1:{port}/{file}");
    let (mut fanfare, mut nginx) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
    for _ in 0..RUNS {
        fanfare.push(wrk(url, 64, None)?);
        nginx.push(wrk(&static_url, 64, None)?);
    }
    let (fanfare, nginx) = (median_load(&fanfare), median_load(&nginx));
    println!(
        "   nginx static {file} c=64 {:>9.0} req/s  p99 {:.2} ms",
        nginx.requests_per_second, nginx.p99_ms
    );
    Ok(Versus { fanfare, nginx })
}
