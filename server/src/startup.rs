//! Builds the server around a listener it binds itself, so tests can ask for port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use std::time::Duration;

use tokio::sync::{Notify, OnceCell, Semaphore};

use crate::admin::LoginLimiter;
use crate::assets::WidgetAssets;
use crate::config::ServerSettings;
use crate::notify::email::Mailer;
use crate::notify::links::LinkSigner;
use crate::notify::webhooks::WebhookWorker;
use crate::notify::Notifier;
use crate::routes;
use crate::secrets;
use crate::state::AppState;
use crate::storage::DynStorage;

pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
    public_url: String,
}

impl Application {
    pub async fn build(storage: DynStorage, settings: &ServerSettings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("binding {} (is another server running there?)", settings.addr))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let assets = WidgetAssets::load(&settings.widget_dir)
            .with_context(|| format!("loading the widget from {}", settings.widget_dir.display()))?;
        if assets.is_empty() {
            tracing::warn!(
                dir = %settings.widget_dir.display(),
                "no widget build found: embed.js will answer 503 until `cargo xtask build` has run"
            );
        }
        let public_url_shared: Arc<str> = public_url.as_str().into();
        let mailer = settings.mail.as_ref().map(Mailer::new).transpose()?;
        let link_key = storage
            .server_key("email-links", &secrets::random_key())
            .await
            .context("reading the key that signs email links")?;
        let webhook_wake = Arc::new(Notify::new());
        let notify = Notifier::new(
            storage.clone(),
            mailer,
            LinkSigner::new(link_key.as_bytes()),
            public_url_shared.clone(),
            webhook_wake.clone(),
        );
        let worker = WebhookWorker {
            storage: storage.clone(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("Fanfare-Webhooks/", env!("CARGO_PKG_VERSION")))
                .build()
                .context("building the webhook HTTP client")?,
            wake: webhook_wake,
            retry_base: settings.webhook_retry_base,
        };
        tokio::spawn(worker.run());
        let state = AppState {
            storage,
            public_url: public_url_shared,
            assets: Arc::new(assets),
            notify,
            secure_cookies: public_url.starts_with("https://"),
            password_work: Arc::new(Semaphore::new(2)),
            dummy_password_hash: Arc::new(OnceCell::new()),
            login_limiter: Arc::new(LoginLimiter::default()),
        };
        Ok(Self { listener, addr, router: routes::app(state), public_url })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await
    }
}

/// Completes on Ctrl-C or SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
