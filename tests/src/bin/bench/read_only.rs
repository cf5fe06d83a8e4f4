//! "A page with only read-only modes: all Fanfare bytes, brotli ≤ 10 KB, no .wasm": a fresh
//! browser on each demo page whose mounts are all wall, carousel or badge scrolls to every mount,
//! waits until each has rendered, then lists every response from the Fanfare server (Resource
//! Timing). Each body is then fetched again asking for brotli: its size as sent when the server
//! sends brotli, otherwise compressed here at the build's settings.

use std::time::Duration;

use anyhow::Context;
use fanfare_tests::browser::{wait_until, Browser};
use serde::Deserialize;
use serde_json::json;

use crate::compression::brotli;

/// PRODUCT.md, budgets of wave 2.
pub const BUDGET_BYTES: f64 = 10.0 * 1024.0;

/// What marks each read-only mode as rendered, in its shadow root (or a shadow root within).
fn rendered_marker(mode: &str) -> &'static str {
    match mode {
        "wall" => ".fanfare-item",
        "carousel" => ".fanfare-carousel",
        _ => ".fanfare-badge",
    }
}

/// Whether the `index`-th mount shows `selector`, looking through shadow roots within shadow roots.
const RENDERED: &str = "const [index, selector] = arguments;
    const deep = root => root.querySelector(selector)
      || [...root.querySelectorAll('*')].reduce((hit, el) => hit || (el.shadowRoot && deep(el.shadowRoot)), null);
    const host = document.querySelectorAll('[data-fanfare]')[index];
    host.scrollIntoView({ block: 'center', behavior: 'instant' });
    return Boolean((host.shadowRoot && deep(host.shadowRoot)) || deep(host));";

pub struct ReadOnlyPage {
    pub page: String,
    pub modes: Vec<String>,
    pub measured: anyhow::Result<FanfareBytes>,
}

/// Every response from the Fanfare server to one page.
pub struct FanfareBytes {
    pub responses: Vec<FanfareResponse>,
}

pub struct FanfareResponse {
    pub url: String,
    /// Resource Timing's `transferSize`: headers and body as they went over the wire.
    pub transferred: f64,
    pub brotli: usize,
    /// Whether the server sent this body as brotli (else [`Self::brotli`] was compressed here).
    pub served_as_brotli: bool,
}

impl FanfareBytes {
    pub fn transferred(&self) -> f64 {
        self.responses.iter().map(|response| response.transferred).sum()
    }

    pub fn brotli(&self) -> f64 {
        self.responses.iter().map(|response| response.brotli as f64).sum()
    }

    pub fn wasm_fetched(&self) -> bool {
        self.responses
            .iter()
            .any(|response| response.url.split(['?', '#']).next().unwrap_or_default().ends_with(".wasm"))
    }

    pub fn within_budget(&self) -> bool {
        self.brotli() <= BUDGET_BYTES && !self.wasm_fetched()
    }
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    #[serde(rename = "transferSize")]
    transfer_size: f64,
}

/// Loads `url` (the demo page `page`, whose mounts are `modes`) and measures what came from `api_url`.
pub async fn measure(page: &str, url: &str, modes: &[String], api_url: &str) -> ReadOnlyPage {
    let measured = fanfare_bytes(url, modes, api_url)
        .await
        .with_context(|| format!("measuring the Fanfare bytes of {page}"));
    ReadOnlyPage { page: page.to_owned(), modes: modes.to_vec(), measured }
}

async fn fanfare_bytes(url: &str, modes: &[String], api_url: &str) -> anyhow::Result<FanfareBytes> {
    let browser = Browser::launch().await?;
    let entries = rendered_page_entries(&browser, url, modes, api_url).await;
    browser.close().await;
    let http = reqwest::Client::new();
    let mut responses = Vec::new();
    for entry in entries? {
        let (brotli, served_as_brotli) = brotli_size(&http, &entry.name).await?;
        responses.push(FanfareResponse {
            url: entry.name,
            transferred: entry.transfer_size,
            brotli,
            served_as_brotli,
        });
    }
    Ok(FanfareBytes { responses })
}

/// Every mount scrolled to and rendered, then the Resource Timing entries of `api_url`.
async fn rendered_page_entries(
    browser: &Browser,
    url: &str,
    modes: &[String],
    api_url: &str,
) -> anyhow::Result<Vec<Entry>> {
    let page = &browser.session;
    page.goto(url).await?;
    for (index, mode) in modes.iter().enumerate() {
        wait_until(&format!("the {mode} mount to render"), || async {
            Ok(page.execute(RENDERED, vec![json!(index), json!(rendered_marker(mode))]).await? == json!(true))
        })
        .await?;
    }
    // Late requests (an image, a second page of items) are counted too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let entries = page
        .execute(
            "return performance.getEntriesByType('resource').filter(e => e.name.startsWith(arguments[0]))
               .map(e => ({ name: e.name, transferSize: e.transferSize }))",
            vec![json!(api_url)],
        )
        .await?;
    serde_json::from_value(entries).context("reading the Resource Timing entries")
}

/// The brotli size of `url`'s body, and whether the server sent it as brotli.
async fn brotli_size(http: &reqwest::Client, url: &str) -> anyhow::Result<(usize, bool)> {
    let response = http
        .get(url)
        .header("Accept-Encoding", "br")
        .send()
        .await
        .with_context(|| format!("fetching {url} again"))?;
    let served_as_brotli = response.headers().get("content-encoding").is_some_and(|value| value == "br");
    let body = response.bytes().await.with_context(|| format!("reading {url}"))?;
    Ok(if served_as_brotli { (body.len(), true) } else { (brotli(&body).len(), false) })
}
