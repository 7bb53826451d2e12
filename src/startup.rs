//! Wiring: `Application::build` connects, migrates, binds the listener (port
//! 0 works: tests use exactly this), registers every route and middleware,
//! and starts the background jobs; `run_until_stopped` serves until the
//! server is stopped, then stops the jobs in order.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, web};
use anyhow::Context as _;
use secrecy::ExposeSecret;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;

use crate::cache::{Caches, CatalogCache};
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::Keys;
use crate::error::AppError;
use crate::mail::transport::Transport;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::tokens::Verifier;
use crate::tokens::cache::TokenCache;
use crate::tokens::listener::Listener;
use crate::{api, assets, db, jobs, mail, services, telemetry, web as console};

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    shutdown: Arc<watch::Sender<bool>>,
    jobs: Vec<JoinHandle<()>>,
    listener: Listener,
    setup_code: Option<String>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// As [`build`](Self::build), with a clock the caller may move (tests).
    pub async fn build_with_clock(mut settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("KEYWARD_BIND: cannot listen on {}", settings.bind))?;
        let local = listener.local_addr()?;
        if !settings.public_url_explicit {
            settings.public_url = crate::config::default_public_url(local);
        }
        let state = connect(settings, clock).await?;
        let transport = Transport::from_settings(&state.settings)?;

        let now = state.now();
        let setup_code = state
            .db(move |conn| services::accounts::prepare_setup(conn, now))
            .await
            .map_err(|e| anyhow::anyhow!("preparing first-run setup: {e}"))?;

        let port = local.port();
        let server = http_server(state.clone(), listener)?;

        let url = state.settings.database_url.as_ref().map(|u| u.expose_secret().to_owned()).unwrap_or_default();
        let listener = Listener::start(
            url,
            format!("keyward-listener-{}", state.instance_id),
            state.caches.clone(),
            state.metrics.clone(),
        )?;
        let (shutdown, rx) = watch::channel(false);
        let jobs = vec![
            tokio::spawn(mail::worker::run(state.clone(), transport, rx.clone())),
            tokio::spawn(jobs::sweeper::run(state.clone(), rx.clone())),
            tokio::spawn(jobs::usage::run(state.clone(), rx)),
        ];
        Ok(Self { port, server, state, shutdown: Arc::new(shutdown), jobs, listener, setup_code })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The one-time setup code, while no user exists.
    pub fn setup_code(&self) -> Option<&str> {
        self.setup_code.as_deref()
    }

    /// Stops the server from elsewhere (signals, tests).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Tells the background jobs to stop now (they also stop once the
    /// server has stopped); for callers that cannot wait for the server.
    pub fn job_stopper(&self) -> impl Fn() + Send + Sync + 'static + use<> {
        let shutdown = self.shutdown.clone();
        move || {
            let _ = shutdown.send(true);
        }
    }

    /// Serves until stopped; in-flight requests finish, then the background
    /// jobs stop (the usage counts are flushed on the way) and the listener.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let result = self.server.await;
        let _ = self.shutdown.send(true);
        for job in std::mem::take(&mut self.jobs) {
            let _ = job.await;
        }
        let mut listener = self.listener;
        tokio::task::spawn_blocking(move || listener.stop()).await.ok();
        result
    }
}

/// Pool, migrations and keys: everything a command needs to work on the
/// database, server or not.
pub async fn connect(settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
    let url = settings.database_url.as_ref().context("DATABASE_URL is not set")?.expose_secret().to_owned();
    let size = settings.db_pool_size;
    let timeout = settings.db_pool_timeout;
    let pool = tokio::task::spawn_blocking(move || -> anyhow::Result<db::PgPool> {
        let pool = db::build_pool(&url, size, timeout)?;
        let mut conn = pool.get().context("cannot connect to PostgreSQL")?;
        let applied = db::run_migrations(&mut conn)?;
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        Ok(pool)
    })
    .await??;
    let keys = Arc::new(Keys::load(&settings)?);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let metrics = Arc::new(Metrics::new());
    let database = db::Db::new(pool, metrics.clone());
    let token_cache = Arc::new(TokenCache::new(settings.cache, metrics.clone()));
    let caches = Arc::new(Caches { tokens: token_cache.clone(), catalog: CatalogCache::new(settings.cache) });
    let tokens = Arc::new(Verifier::new(
        keys.clone(),
        database.clone(),
        clock.clone(),
        settings.failed_token_limit,
        token_cache,
        metrics.clone(),
    ));
    Ok(AppState {
        settings: Arc::new(settings),
        database,

        keys,
        clock,
        mail_wake: Arc::new(Notify::new()),
        password_slots: Arc::new(Semaphore::new(cores)),
        tokens,
        caches,
        metrics,
        instance_id: Arc::from(crate::tokens::random_base62(8)),
    })
}

fn http_server(state: AppState, listener: TcpListener) -> anyhow::Result<Server> {
    let workers = state.settings.workers;
    let blocking_threads = state.settings.db_pool_size as usize + state.password_slots.available_permits() + 2;

    let secure = state.settings.secure_cookies;
    let data = web::Data::new(state);
    let server = actix_web::HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(console::middleware::FORM_LIMIT)
                    .error_handler(|e, _| AppError::bad_request(format!("The form could not be read: {e}")).into()),
            )
            .app_data(web::QueryConfig::default().error_handler(|e, _| AppError::bad_request(e.to_string()).into()))
            .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
            .wrap(from_fn(telemetry::request_span))
            .wrap(console::middleware::security_headers(secure))
            .route("/healthz", web::get().to(api::healthz))
            .route("/livez", web::get().to(api::livez))
            .route("/metrics", web::get().to(api::metrics))
            .service(
                web::scope("/api")
                    .wrap(from_fn(api::json_errors))
                    .configure(api::configure)
                    .default_service(web::to(api::not_found)),
            )
            // After the API: its pattern is a regex, and API requests need not try it.
            .route("/static/{path:.*}", web::get().to(assets::serve))
            .service(
                web::scope("")
                    .wrap(from_fn(console::middleware::console_guard))
                    .configure(console::configure)
                    .default_service(web::to(not_found_page)),
            )
    })
    .workers(workers)
    // Blocking work is database calls (gated at the pool's size) and
    // password hashing (gated at the core count): more threads than that
    // would only wait, each with its own stack and malloc arena.
    .worker_max_blocking_threads(blocking_threads)
    .disable_signals()
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}

async fn not_found_page() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
