//! Wiring: `Application::build` connects, migrates, binds the listener (port
//! 0 works: tests use exactly this), registers every route and middleware,
//! and starts the background jobs and the change listener;
//! `run_until_stopped` serves until the server is stopped, then stops the
//! jobs in order.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, web};
use anyhow::Context as _;
use diesel::Connection as _;
use secrecy::ExposeSecret;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::Keys;
use crate::db::listener::Listener;
use crate::error::AppError;
use crate::http::TrustProxy;
use crate::mail::transport::Transport;
use crate::mail::worker::Worker;
use crate::metrics::Metrics;
use crate::services::{self, Parts, Services};
use crate::{api, assets, db, jobs, mail, telemetry, web as console};

pub struct Application {
    port: u16,
    server: Server,
    state: Services,
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
        let (state, mail) = connect_with_mail(settings, clock).await?;

        let setup_code = services::accounts::prepare_setup(&state)
            .await
            .map_err(|e| anyhow::anyhow!("preparing first-run setup: {e:?}"))?;

        let port = local.port();
        let server = http_server(state.clone(), listener)?;

        // LISTEN needs a session of its own: on the server itself.
        let url = state.settings.direct_url().unwrap_or_default().to_owned();
        let listener = Listener::start(
            url,
            format!("keyward-listener-{}", state.instance_id),
            state.change_sink(),
            state.metrics.clone(),
        )?;
        let (shutdown, rx) = watch::channel(false);
        let sender = crate::webhook::Sender::new(state.settings.webhook_timeout, vec![port])?;
        let jobs = vec![
            tokio::spawn(jobs::webhooks::run(state.clone(), sender, rx.clone())),
            tokio::spawn(mail::worker::run(mail, rx.clone())),
            tokio::spawn(jobs::sweeper::run(state.clone(), rx.clone())),
            tokio::spawn(jobs::usage::run(state.clone(), rx)),
        ];
        Ok(Self { port, server, state, shutdown: Arc::new(shutdown), jobs, listener, setup_code })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn services(&self) -> &Services {
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
pub async fn connect(settings: Settings, clock: Clock) -> anyhow::Result<Services> {
    Ok(connect_parts(settings, clock).await?.0)
}

/// [`connect`], and the mail worker that delivers what the services queue.
async fn connect_with_mail(settings: Settings, clock: Clock) -> anyhow::Result<(Services, Worker)> {
    let (services, db) = connect_parts(settings, clock.clone()).await?;
    let transport = Transport::from_settings(&services.settings)?;
    let worker = Worker { db, clock, settings: services.settings.clone(), wake: services.mail_wake(), transport };
    Ok((services, worker))
}

async fn connect_parts(settings: Settings, clock: Clock) -> anyhow::Result<(Services, db::Db)> {
    let url = settings.database_url.as_ref().context("DATABASE_URL is not set")?.expose_secret().to_owned();
    let direct = settings.direct_url().map(str::to_owned).unwrap_or_else(|| url.clone());
    let pooled = settings.behind_pooler();
    let size = settings.db_pool_size;
    let timeout = settings.db_pool_timeout;
    let pool = tokio::task::spawn_blocking(move || -> anyhow::Result<db::PgPool> {
        let pool = db::build_pool(&url, pooled, size, timeout)?;
        // Migrations hold a session lock: on the server itself, never
        // through a transaction pooler.
        let applied = if pooled {
            let mut conn = diesel::PgConnection::establish(&direct)
                .context("KEYWARD_DIRECT_DATABASE_URL: cannot connect to PostgreSQL")?;
            db::run_migrations(&mut conn)?
        } else {
            let mut conn = pool.get().context("cannot connect to PostgreSQL")?;
            db::run_migrations(&mut conn)?
        };
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        Ok(pool)
    })
    .await??;
    let keys = Arc::new(Keys::load(&settings)?);
    let metrics = Arc::new(Metrics::new());
    let database = db::Db::new(pool, metrics.clone());
    let services = Services::new(Parts {
        settings: Arc::new(settings),
        db: database.clone(),
        keys,
        clock,
        mail_wake: Arc::new(Notify::new()),
        metrics,
    });
    let matches = services::health::master_key_matches(&services)
        .await
        .map_err(|e| anyhow::anyhow!("checking the master key: {e:?}"))?;
    anyhow::ensure!(
        matches,
        "KEYWARD_MASTER_KEY: this is not the master key the database was set up with; every instance and command sharing a database must use the same key (set KEYWARD_MASTER_KEY, or copy master.key from the data directory of the first instance)"
    );
    Ok((services, database))
}

fn http_server(state: Services, listener: TcpListener) -> anyhow::Result<Server> {
    let workers = state.settings.workers;
    let blocking_threads = state.blocking_threads();
    let secure = state.settings.secure_cookies;
    let trust_proxy = web::Data::new(TrustProxy(state.settings.trust_proxy.clone()));
    let metrics = web::Data::from(state.metrics.clone());
    // The API's document, built once from the route table: served as
    // `/api/v1/openapi.json` and rendered as `/docs/api`.
    let document = web::Data::new(api::document(&state.settings.public_url));
    let data = web::Data::new(state);
    let server = actix_web::HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(trust_proxy.clone())
            .app_data(metrics.clone())
            .app_data(document.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(console::middleware::FORM_LIMIT)
                    .error_handler(|e, _| AppError::bad_request(format!("The form could not be read: {e}")).into()),
            )
            .app_data(web::QueryConfig::default().error_handler(|e, _| AppError::bad_request(e.to_string()).into()))
            .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
            .wrap(from_fn(crate::edge::refuse_nul_in_url))
            .wrap(from_fn(crate::edge::head_as_get))
            .wrap(from_fn(telemetry::request_span))
            .wrap(from_fn(console::middleware::frame_policy))
            .wrap(console::middleware::security_headers(secure))
            .route("/healthz", web::get().to(api::health::healthz))
            .route("/livez", web::get().to(api::health::livez))
            .route("/metrics", web::get().to(api::health::metrics))
            .service(
                web::scope("/api")
                    .wrap(from_fn(api::body::refuse_nul))
                    .wrap(from_fn(api::json_errors))
                    .configure(api::configure)
                    .default_service(web::to(api::not_found)),
            )
            // After the API: its pattern is a regex, and API requests need not try it.
            .route("/static/{path:.*}", web::get().to(assets::serve))
            .route("/widget.js", web::get().to(assets::widget_js))
            // The widget's frame: outside the console (no session, no CSRF cookie).
            .route("/widget/{c}", web::get().to(console::widget::page))
            .service(
                web::scope("")
                    .wrap(from_fn(console::middleware::console_errors))
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
