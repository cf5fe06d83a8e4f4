//! Builds the server around a listener it binds itself, so tests can ask for port 0: the
//! service over its storage, the HTTP application over the service, the webhook worker beside.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};

use crate::config::{ServerSettings, Timeouts};
use crate::service::notify::webhooks::DeliveryTiming;
use crate::service::{Service, ServiceSettings};
use crate::storage::DynStorage;
use crate::web::error::AppError;
use crate::web::state::{AppState, Shared};
use crate::web::widget_files::WidgetAssets;

pub struct Application {
    service: Service,
    timeouts: Timeouts,
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
        let service_settings = ServiceSettings {
            public_url: public_url.clone(),
            mail: settings.mail.clone(),
            rate_limits: settings.rate_limits,
            allow_private_network_webhooks: settings.allow_private_network_webhooks,
            secret_key: settings.secret_key.clone(),
            media: settings.media.clone(),
        };
        let service = Service::open(storage, &service_settings).await?;
        tokio::spawn(
            service
                .webhook_worker(DeliveryTiming {
                    retry_base: settings.webhook_retry_base,
                    request_timeout: settings.webhook_timeout,
                })?
                .run(),
        );
        if settings.send_invitations {
            tokio::spawn(service.clone().send_invitations_forever());
        }
        if settings.settle_rewards {
            tokio::spawn(service.clone().settle_rewards_forever());
        }
        tokio::spawn(service.clone().store_reach_forever());
        // Before serving: from the first request on, changes made through other instances on
        // this database are heard.
        if service.follow_other_instances().await {
            tracing::info!("hearing changes made through other instances on this database");
        }
        // Sessions, nonces, idempotency keys and finished deliveries would otherwise only grow.
        tokio::spawn(service.clone().prune_forever());
        let state = AppState::new(Shared {
            service: service.clone(),
            assets,
            secure_cookies: public_url.starts_with("https://"),
            trusted_proxies: settings.trusted_proxies.clone().into(),
        });
        Ok(Self {
            service,
            timeouts: settings.timeouts,
            listener,
            addr,
            router: crate::web::app(state),
            public_url,
        })
    }

    /// The service this server runs, for work beside HTTP (the demo's seed).
    pub fn service(&self) -> &Service {
        &self.service
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

    /// Serves until `shutdown` completes, then lets in-flight requests finish (for up to
    /// [`DRAIN_TIMEOUT`]).
    ///
    /// Our own accept loop rather than `axum::serve`, which sets no timeouts: a client must send
    /// its headers in time, and every request is answered or cut off by its deadline (see
    /// [`Timeouts`]), so slow clients cannot hold connections open.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let deadline = self.timeouts.request;
        let counted = self.service.clone();
        // Around the router once, where `Router::layer` would wrap every route (and cost
        // allocations on each request for it).
        let router = ServiceBuilder::new()
            .layer(axum::middleware::from_fn(move |request, next| request_deadline(deadline, request, next)))
            .layer(axum::middleware::from_fn(move |request, next| {
                crate::web::count_response(counted.clone(), request, next)
            }))
            .service(self.router);
        let graceful = GracefulShutdown::new();
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(self.timeouts.header_read);
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: pause instead of spinning.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let router = router.clone();
            let service = service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(request.map(Body::new))
            });
            let connection = http.serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                }
            });
        }
        if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
            tracing::warn!("requests still running after {DRAIN_TIMEOUT:?}; stopping anyway");
        }
        // The last minute's reach counts, which would otherwise go with the process.
        if let Err(error) = self.service.store_reach().await {
            tracing::warn!(%error, "the last widget reach counts could not be stored");
        }
        Ok(())
    }
}

/// How long shutdown waits for requests in flight.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Answers 408 to a request that is not done by its deadline.
async fn request_deadline(
    deadline: Duration,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout.into_response(),
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
