//! `fanfare demo`: a seeded database, the Fanfare server, and a small business website on a
//! second origin that embeds the widget exactly as a customer would.

mod seed;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::config::ServerSettings;
use crate::domain::Role;
use crate::service::{Actor, Service};
use crate::storage::DynStorage;
use crate::{secrets, startup};

pub const DEMO_SITE: &str = "kettle-crow";
pub const DEMO_MODERATOR: &str = "demo@fanfare.test";

/// The demo website's files, compiled in so the binary alone can run the demo.
const PAGES: &[(&str, &str, &str)] = &[
    ("index.html", "text/html; charset=utf-8", include_str!("../../../demo/index.html")),
    ("about.html", "text/html; charset=utf-8", include_str!("../../../demo/about.html")),
    ("product.html", "text/html; charset=utf-8", include_str!("../../../demo/product.html")),
    ("kind-words.html", "text/html; charset=utf-8", include_str!("../../../demo/kind-words.html")),
    ("order-confirmed.html", "text/html; charset=utf-8", include_str!("../../../demo/order-confirmed.html")),
    ("how-it-is-made.html", "text/html; charset=utf-8", include_str!("../../../demo/how-it-is-made.html")),
    ("wholesale.html", "text/html; charset=utf-8", include_str!("../../../demo/wholesale.html")),
    ("journal.html", "text/html; charset=utf-8", include_str!("../../../demo/journal.html")),
    ("stories.html", "text/html; charset=utf-8", include_str!("../../../demo/stories.html")),
    ("hostile.css", "text/css; charset=utf-8", include_str!("../../../demo/hostile.css")),
    ("order.js", "text/javascript; charset=utf-8", include_str!("../../../demo/order.js")),
    ("style.css", "text/css; charset=utf-8", include_str!("../../../demo/style.css")),
];

/// A started demo: both servers bound, the database seeded, credentials issued.
pub struct Demo {
    pub api_url: String,
    pub site_url: String,
    pub moderator_password: String,
    pub token: String,
    app: startup::Application,
    site_listener: TcpListener,
    /// What the demo pages' browsers reported as CSP violations.
    pub csp_reports: CspReports,
}

impl Demo {
    pub async fn start(
        storage: DynStorage,
        settings: ServerSettings,
        site_addr: SocketAddr,
    ) -> anyhow::Result<Self> {
        let site_listener = TcpListener::bind(site_addr).await.with_context(|| {
            format!("binding the demo website to {site_addr} (use --site-addr to pick another)")
        })?;
        let site_addr = site_listener.local_addr()?;
        // The invitation sender and the reward round start once the history is written: they
        // would otherwise act on its invitations and rewards half-way, at today's time.
        let quiet = ServerSettings { send_invitations: false, settle_rewards: false, ..settings.clone() };
        let app = startup::Application::build(storage.clone(), &quiet).await?;
        let api_url = app.public_url().to_owned();
        let site_url = format!("http://{site_addr}");

        let service = app.service();
        let site = seed::site(service, &storage, &site_url, site_addr.port()).await?;
        if settings.send_invitations {
            tokio::spawn(service.clone().send_invitations_forever());
        }
        if settings.settle_rewards {
            tokio::spawn(service.clone().settle_rewards_forever());
        }
        // A fresh password every start: the demo never has a default password.
        let moderator_password: String = secrets::bearer_token("demo").chars().skip(5).take(16).collect();
        let moderator = service
            .add_member(
                &site,
                Actor::CommandLine,
                DEMO_MODERATOR,
                Role::Owner,
                Some(moderator_password.clone()),
            )
            .await?;
        let token = service.create_token(&moderator).await?;
        Ok(Self {
            api_url,
            site_url,
            moderator_password,
            token,
            app,
            site_listener,
            csp_reports: CspReports::default(),
        })
    }

    pub fn print_welcome(&self) {
        let Self { api_url, site_url, moderator_password, token, .. } = self;
        println!("Fanfare demo is running.");
        println!();
        println!("  Demo business website:  {site_url}/   (embeds the widget like a customer would)");
        println!("  Fanfare server:         {api_url}/");
        println!("  Dashboard:              {api_url}/admin");
        println!("  Demo moderator login:   {DEMO_MODERATOR} / {moderator_password}");
        println!("  Moderator API token:    {token}");
        println!();
        println!("Leave a testimonial on {site_url}/kind-words.html, then approve it in the dashboard, or:");
        println!("  curl -H 'Authorization: Bearer {token}' {api_url}/api/v1/sites/{DEMO_SITE}/moderation/testimonials");
        println!(
            "  curl -X POST -H 'Authorization: Bearer {token}' {api_url}/api/v1/sites/{DEMO_SITE}/moderation/testimonials/ID/approve"
        );
        println!("and reload the page. Press Ctrl-C to stop.");
    }

    /// The service the demo's server runs (for tests that set up more than the seed).
    pub fn service(&self) -> &Service {
        self.app.service()
    }

    /// Serves both origins until `shutdown` completes.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // One shutdown future, two servers: a watch channel fans the signal out.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut site_stopped = stopped.clone();
        let mut api_stopped = stopped;
        let website =
            axum::serve(self.site_listener, website_router(self.api_url.clone(), self.csp_reports.clone()))
                .with_graceful_shutdown(async move {
                    let _ = site_stopped.wait_for(|stop| *stop).await;
                });
        let api = self.app.run_until(async move {
            let _ = api_stopped.wait_for(|stop| *stop).await;
        });
        let trigger = async move {
            shutdown.await;
            let _ = stop.send(true);
        };
        let ((), api, site) = tokio::join!(trigger, api, website);
        api.context("serving the Fanfare API")?;
        site.context("serving the demo website")
    }
}

pub async fn run(storage: DynStorage, settings: ServerSettings, site_addr: SocketAddr) -> anyhow::Result<()> {
    let demo = Demo::start(storage, settings, site_addr).await?;
    demo.print_welcome();
    demo.serve(startup::shutdown_signal()).await
}

/// Serves the demo pages with the snippet pointing at this run's Fanfare server, under the
/// strict Content-Security-Policy that PRODUCT.md promises the widget works with.
/// Content-Security-Policy violations the demo pages reported, newest last.
pub type CspReports = Arc<Mutex<Vec<String>>>;

#[derive(Clone)]
struct Website {
    api_url: String,
    csp_reports: CspReports,
}

fn website_router(api_url: String, csp_reports: CspReports) -> Router {
    Router::new()
        .route(
            "/",
            get(|state: State<Website>, query: Query<PageParams>| {
                page(state, Path("index.html".to_owned()), query)
            }),
        )
        .route("/{file}", get(page))
        .route("/csp-reports", post(csp_report))
        .route("/vendor/{file}", get(vendor_css))
        .with_state(Website { api_url, csp_reports })
}

#[derive(serde::Deserialize)]
struct PageParams {
    /// `?theme=dark` shows the widget with `data-theme="dark"`, as a site owner could set it.
    theme: Option<String>,
    /// `?lang=ar` shows it with `data-lang="ar"`.
    lang: Option<String>,
}

async fn page(
    State(website): State<Website>,
    Path(file): Path<String>,
    Query(params): Query<PageParams>,
) -> Response {
    let Some((_, content_type, body)) = PAGES.iter().find(|(name, _, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    };
    let api_url = &website.api_url;
    let theme = params.theme.as_deref().filter(|theme| ["light", "dark", "auto"].contains(theme));
    // Any tag made of letters, digits, `-` and `_` (so also malformed ones such as `de_DE`, as
    // real pages have them), and nothing that could leave the attribute.
    let plain_tag = |lang: &&str| {
        (1..=35).contains(&lang.len())
            && lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let lang = params.lang.as_deref().filter(plain_tag);
    // Extra script-tag attributes, closed and reopened inside data-site's quotes; and the same
    // settings for the fragments the page includes, as a template would pass them.
    let mut site = DEMO_SITE.to_owned();
    let mut included = Vec::new();
    for (attribute, value) in [("theme", theme), ("lang", lang)] {
        if let Some(value) = value {
            site.push_str(&format!("\" data-{attribute}=\"{value}"));
            included.push(format!("{attribute}={value}"));
        }
    }
    let body = body
        .replace("{{FANFARE_URL}}", api_url)
        .replace("{{FANFARE_SITE}}", &site)
        .replace("{{FANFARE_QUERY}}", &included.join("&"));
    let body = include_fragments(&body, api_url).await;
    // The strict policy README.md tells site owners to use; violations are reported back here.
    let csp = format!(
        "default-src 'self'; script-src 'self' {api_url} 'wasm-unsafe-eval'; connect-src {api_url}; \
         img-src 'self' {api_url}; media-src {api_url} blob:; style-src 'self' {api_url}; \
         require-trusted-types-for 'script'; trusted-types fanfare; report-uri /csp-reports"
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// What nginx's `ssi on` does with `<!--# include virtual="/embed/…" -->`, the recipe README
/// gives: the server-rendered view, fetched from Fanfare and written into the page's own HTML.
/// A failed fetch leaves a comment in its place, as nginx leaves an error message.
async fn include_fragments(page: &str, api_url: &str) -> String {
    const OPEN: &str = "<!--# include virtual=\"";
    const CLOSE: &str = "\" -->";
    let mut included = String::with_capacity(page.len());
    let mut rest = page;
    while let Some((before, after)) = rest.split_once(OPEN) {
        let Some((path, tail)) = after.split_once(CLOSE) else {
            break;
        };
        included.push_str(before);
        let fetched = async {
            let response = reqwest::get(format!("{api_url}{path}")).await?.error_for_status()?;
            response.text().await
        };
        match fetched.await {
            Ok(fragment) => included.push_str(&fragment),
            Err(error) => {
                tracing::warn!(%error, path, "the demo website could not include a fragment");
                included.push_str("<!-- Fanfare: the testimonials could not be included -->");
            }
        }
        rest = tail;
    }
    included.push_str(rest);
    included
}

/// Bootstrap and Bulma for the wholesale page, from the npm packages `cargo xtask` installs
/// in the source tree (a binary without it serves the page unstyled, which still works).
/// Gzipped for a browser that accepts it, as any web server or CDN sends them: 0.9 MB as they
/// are, 96 KB gzipped. The page is about the widget meeting both frameworks' rules, not their
/// bytes; sent raw, it measured a site that no real server would serve.
async fn vendor_css(Path(file): Path<String>, headers: axum::http::HeaderMap) -> Response {
    static GZIPPED: [std::sync::OnceLock<Option<Vec<u8>>>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let (index, path) = match file.as_str() {
        "bootstrap.min.css" => (0, "bootstrap/dist/css/bootstrap.min.css"),
        "bulma.min.css" => (1, "bulma/css/bulma.min.css"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/node_modules").join(path);
    let Ok(css) = tokio::fs::read(&full).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let content_type = (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
    let accepts_gzip =
        headers.get(header::ACCEPT_ENCODING).and_then(|value| value.to_str().ok()).is_some_and(|value| {
            value.split(',').any(|coding| {
                let mut parts = coding.split(';').map(str::trim);
                parts.next() == Some("gzip") && !parts.any(|parameter| parameter == "q=0")
            })
        });
    let gzipped = GZIPPED[index].get_or_init(|| {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&css).and_then(|()| encoder.finish()).ok()
    });
    match gzipped {
        Some(gzipped) if accepts_gzip => {
            let encoding = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            ([content_type, vary, encoding], gzipped.clone()).into_response()
        }
        _ => ([content_type, vary], css).into_response(),
    }
}

/// Browsers POST a JSON report for each violation; the demo logs it and keeps it for tests.
async fn csp_report(State(website): State<Website>, body: String) -> StatusCode {
    let report: String = body.chars().take(4000).collect();
    tracing::warn!(%report, "the demo website reported a Content-Security-Policy violation");
    website.csp_reports.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(report);
    StatusCode::NO_CONTENT
}
