//! The database underneath the models: the gated connection pool, embedded
//! migrations, the embedded cluster, and change notifications (NOTIFY and
//! the LISTEN thread). Only `services` (and the background work below it:
//! the mail worker, the token core) holds a [`Db`].

pub mod batch;
pub mod changes;
pub mod embedded;
pub mod listener;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::metrics::Metrics;

pub type PgPool = Pool<Manager>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// A connection is checked with a round trip before use only when it has
/// been idle this long or its last use failed: under load every checkout
/// would otherwise cost a `SELECT 1`, doubling the round trips of a
/// one-query request.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(2);

/// A pooled connection and what the pool needs to know about its health.
pub struct Conn {
    conn: PgConnection,
    last_ok: Option<Instant>,
}

impl Deref for Conn {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

/// Connections being opened: r2d2 opens them on its worker threads, and a
/// process that exits while one of them is inside libpq can crash in the
/// C library's exit handlers. [`quiesce`] stops new ones and waits for
/// these before a command returns.
static OPENING: AtomicUsize = AtomicUsize::new(0);
static CLOSING: AtomicBool = AtomicBool::new(false);

/// One connection being opened, counted while it lives.
struct Opening;

impl Opening {
    fn start() -> Result<Self, diesel::r2d2::Error> {
        // Counted before the flag is read: either this connect sees the
        // flag, or `quiesce` sees the count.
        OPENING.fetch_add(1, Ordering::SeqCst);
        if CLOSING.load(Ordering::SeqCst) {
            OPENING.fetch_sub(1, Ordering::SeqCst);
            return Err(diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                "the process is exiting".into(),
            )));
        }
        Ok(Self)
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        OPENING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Called once, as the process ends: no connection is opened from now on,
/// and those being opened are waited for (at most `limit`). Returns
/// whether none was left.
pub fn quiesce(limit: Duration) -> bool {
    CLOSING.store(true, Ordering::SeqCst);
    let until = Instant::now() + limit;
    while OPENING.load(Ordering::SeqCst) > 0 {
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

/// diesel's r2d2 manager, with the health check skipped for connections
/// that have just worked.
#[derive(Debug)]
pub struct Manager {
    inner: ConnectionManager<PgConnection>,
    /// A transaction pooler is in between: no statement cache.
    pooled: bool,
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        let _opening = Opening::start()?;
        let mut conn = self.inner.connect()?;
        // Every connection names itself and bounds its statements, so a
        // stuck query shows up in `pg_stat_activity` and cannot hold a
        // worker forever. Through PgBouncer, the time zone and the name
        // follow the client to every server session (PgBouncer tracks
        // both); the statement timeout is the pooler's `query_timeout` (see
        // the README's recipe).
        {
            use diesel::connection::SimpleConnection as _;
            conn.batch_execute("SET application_name = 'keyward'; SET statement_timeout = '30s'; SET TIME ZONE 'UTC'")
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        if self.pooled {
            // Each statement is then sent unnamed, parsed, bound and run in
            // one exchange (PQsendQueryParams), which a transaction pooler
            // can route; a named statement prepared on one server session
            // may be missing on the next.
            conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
        }
        Ok(Conn { conn, last_ok: Some(Instant::now()) })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        match conn.last_ok {
            Some(at) if at.elapsed() < CHECK_AFTER_IDLE => Ok(()),
            _ => {
                self.inner.is_valid(&mut conn.conn)?;
                conn.last_ok = Some(Instant::now());
                Ok(())
            }
        }
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        self.inner.has_broken(&mut conn.conn)
    }
}

/// The pool; `pooled`: `database_url` is a transaction pooler.
pub fn build_pool(database_url: &str, pooled: bool, size: u32, timeout: Duration) -> anyhow::Result<PgPool> {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(size.min(2)))
        .connection_timeout(timeout)
        .build(Manager { inner: ConnectionManager::new(database_url), pooled })
        .context("cannot connect to PostgreSQL")
}

/// The pool behind a gate: at most as many database calls run on the
/// blocking pool as there are connections. The rest wait here, as async
/// tasks, rather than each parking a blocking thread on the pool's lock;
/// on two cores those extra threads cost a third of the throughput in
/// context switches.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    gate: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

impl Db {
    pub fn new(pool: PgPool, metrics: Arc<Metrics>) -> Self {
        let gate = Arc::new(Semaphore::new(pool.max_size() as usize));
        Self { pool, gate, metrics }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `f` with a pooled connection on the blocking pool. A failure
    /// marks the connection for a check before its next use, so one that
    /// died with its server is found and replaced. An unexpected error that
    /// leaves the connection dead is the database going away (a crash, a
    /// restart, a failover) rather than a bug: it is answered 503, which a
    /// client may retry.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let waited = Instant::now();
        let _permit = self
            .gate
            .acquire()
            .await
            .map_err(|_| AppError::Unavailable(crate::error::Cause::msg("the database pool is shutting down")))?;
        let pool = self.pool.clone();
        let metrics = self.metrics.clone();
        blocking(move || {
            let mut conn = pool.get()?;
            metrics.pool_wait_seconds.observe(waited.elapsed().as_secs_f64());
            let result = f(&mut conn).map_err(|e| match e {
                AppError::Internal(cause) if ping(&mut conn).is_err() => AppError::Unavailable(cause),
                other => other,
            });
            conn.last_ok = result.as_ref().ok().map(|_| Instant::now());
            result
        })
        .await
    }
}

/// One round trip: whether the database answers (readiness).
pub fn ping(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT 1").execute(conn).map(drop)
}

/// Applies every pending migration; returns how many ran.
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<usize> {
    // One instance migrates at a time when several start together.
    diesel::sql_query("SELECT pg_advisory_lock(7291001)").execute(conn)?;
    let result = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|done| done.len())
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
    diesel::sql_query("SELECT pg_advisory_unlock(7291001)").execute(conn)?;
    result
}

/// `web::block` with the caller's tracing span kept on the blocking thread.
pub async fn blocking<T, F>(f: F) -> Result<T, AppError>
where
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f)).await?
}
