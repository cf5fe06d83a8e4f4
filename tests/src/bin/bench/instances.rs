//! Two instances behind one PostgreSQL database, as a deployment with a load balancer runs them:
//! throughput with the load split between both, and whether a decision made through one is
//! served by the other on the request right after the decision's answer.

use std::time::Instant;

use fanfare_protocol::api::TestimonialPage;

use super::*;
use crate::server_load::{post_script, repeated, seed, wrk, Server};

/// Decisions made for the consistency check, alternating between the two instances.
const DECISIONS: usize = 200;

pub(crate) struct TwoInstances {
    /// wrk against each instance at once, 32 connections each; requests per second summed,
    /// the worse p99 of the two.
    pub(crate) get: Load,
    /// The same for the POST, 8 connections each.
    pub(crate) post: Load,
    pub(crate) consistency: Consistency,
}

/// A decision through one instance, then a GET of the public list through the other.
pub(crate) struct Consistency {
    pub(crate) decisions: usize,
    /// Decisions the other instance served on the first GET after the decision's answer.
    pub(crate) served_at_once: usize,
    /// From the decision's answer until the other instance served it, when not at once.
    pub(crate) worst_ms: f64,
}

pub(crate) async fn measure(binary: &Path) -> anyhow::Result<TwoInstances> {
    let database = TestDatabase::create_on(Backend::Postgres).await?;
    seed(&database.url).await?;
    let token = owner_token(binary, &database)?;
    let first = Server::start(binary, &database).await?;
    let second = Server::start(binary, &database).await?;

    let lists =
        [&first, &second].map(|server| format!("{}/api/v1/sites/bench/testimonials?limit=50", server.base));
    let get = repeated(|| both_at_once(&lists, 32, None))?;
    println!(
        "   GET  2 × c=32 {:>9.0} req/s  p99 {:.2} ms  errors {}",
        get.requests_per_second, get.p99_ms, get.errors
    );
    let script = post_script()?;
    let forms = [&first, &second].map(|server| format!("{}/api/v1/sites/bench/testimonials", server.base));
    let post = repeated(|| both_at_once(&forms, 8, Some(script.path())))?;
    println!(
        "   POST 2 × c=8  {:>9.0} req/s  p99 {:.2} ms  errors {}",
        post.requests_per_second, post.p99_ms, post.errors
    );
    let consistency = consistency(&first.base, &second.base, &token).await?;
    println!(
        "   {} of {} decisions served by the other instance on the next request; worst {:.1} ms",
        consistency.served_at_once, consistency.decisions, consistency.worst_ms
    );
    Ok(TwoInstances { get, post, consistency })
}

/// An owner of the `bench` site and an API token of theirs, through the CLI as an operator would.
fn owner_token(binary: &Path, database: &TestDatabase) -> anyhow::Result<String> {
    let (key_name, key) = database.secret_key_env();
    let (media_name, media) = database.media_env();
    let cli = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new(binary)
            .args(["--database", &database.url])
            .args(args)
            .env(key_name, &key)
            .env(media_name, &media)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running fanfare {}", args.join(" ")))?;
        if !output.status.success() {
            bail!("fanfare {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    cli(&["user", "add", "owner@bench.test", "--site", "bench", "--role", "owner"])?;
    let printed = cli(&["token", "create", "--user", "owner@bench.test"])?;
    printed.lines().last().map(str::to_owned).context("`fanfare token create` printed no token")
}

/// wrk against both URLs at the same time, `connections` each.
fn both_at_once(urls: &[String; 2], connections: u32, script: Option<&Path>) -> anyhow::Result<Load> {
    let runs = std::thread::scope(|scope| {
        let running: Vec<_> =
            urls.iter().map(|url| scope.spawn(move || wrk(url, connections, script))).collect();
        running
            .into_iter()
            .map(|run| run.join().unwrap_or_else(|_| Err(anyhow::anyhow!("wrk's thread panicked"))))
            .collect::<anyhow::Result<Vec<Load>>>()
    })?;
    Ok(Load {
        requests_per_second: runs.iter().map(|load| load.requests_per_second).sum(),
        p50_ms: runs.iter().map(|load| load.p50_ms).fold(0.0, f64::max),
        p99_ms: runs.iter().map(|load| load.p99_ms).fold(0.0, f64::max),
        errors: runs.iter().map(|load| load.errors).sum(),
    })
}

/// For each decision: a new testimonial (pending), each instance's list read (so both hold it
/// in memory), the approval through one instance, then the other instance's list until it
/// shows the testimonial.
async fn consistency(first: &str, second: &str, token: &str) -> anyhow::Result<Consistency> {
    let client = reqwest::Client::new();
    let mut measured = Consistency { decisions: DECISIONS, served_at_once: 0, worst_ms: 0.0 };
    for decision in 0..DECISIONS {
        let (deciding, serving) = if decision % 2 == 0 { (first, second) } else { (second, first) };
        let created: serde_json::Value = client
            .post(format!("{deciding}/api/v1/sites/bench/testimonials"))
            .json(&json!({ "name": "Ada", "email": format!("ada{decision}@example.com"), "rating": 5,
                           "text": "Decided through one, served by the other.", "consent": true }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let id = created["id"].as_str().context("a created testimonial has an id")?.to_owned();
        for base in [first, second] {
            newest_public(&client, base).await?;
        }
        client
            .post(format!("{deciding}/api/v1/sites/bench/moderation/testimonials/{id}/approve"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()
            .context("approving through one instance")?;
        let answered = Instant::now();
        if newest_public(&client, serving).await? == id {
            measured.served_at_once += 1;
            continue;
        }
        loop {
            if answered.elapsed() > Duration::from_secs(5) {
                bail!("{serving} did not serve a decision made through {deciding} within 5 s");
            }
            if newest_public(&client, serving).await? == id {
                break;
            }
        }
        measured.worst_ms = measured.worst_ms.max(answered.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(measured)
}

/// The id of the newest published testimonial, as the public list serves it.
async fn newest_public(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let page: TestimonialPage = client
        .get(format!("{base}/api/v1/sites/bench/testimonials?limit=50"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(page.items.first().map(|item| item.id.clone()).unwrap_or_default())
}
