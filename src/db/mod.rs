//! The connection pool, embedded migrations and the embedded cluster.

pub mod embedded;

use std::time::Duration;

use anyhow::Context as _;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub type PgPool = Pool<ConnectionManager<PgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Every pooled connection names itself and bounds its statements, so a
/// stuck query shows up in `pg_stat_activity` and cannot hold a worker forever.
#[derive(Debug)]
struct SessionSettings;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        use diesel::connection::SimpleConnection as _;
        conn.batch_execute("SET application_name = 'keyward'; SET statement_timeout = '30s'; SET TIME ZONE 'UTC'")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

pub fn build_pool(database_url: &str, size: u32, timeout: Duration) -> anyhow::Result<PgPool> {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(size.min(2)))
        .connection_timeout(timeout)
        .connection_customizer(Box::new(SessionSettings))
        .build(ConnectionManager::new(database_url))
        .context("cannot connect to PostgreSQL")
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
pub async fn blocking<T, F>(f: F) -> Result<T, crate::error::AppError>
where
    F: FnOnce() -> Result<T, crate::error::AppError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f)).await?
}
