//! Readiness and the numbers `/metrics` reads from the database.

use super::context::Services;
use crate::error::AppError;
use crate::models::OutboxMessage;

/// Whether the database answers (one round trip). The error keeps its
/// cause for the log; the answer says only "unavailable".
pub async fn ready(svc: &Services) -> Result<(), AppError> {
    svc.run(|conn| crate::db::ping(conn).map_err(AppError::unavailable)).await
}

/// Refreshes the gauges that live in the database and returns the
/// Prometheus text.
pub async fn metrics(svc: &Services) -> Result<String, AppError> {
    let backlog = svc.run(|conn| Ok(OutboxMessage::pending_count(conn)?)).await?;
    svc.metrics.outbox_backlog.set(backlog);
    svc.metrics.cache_entries.set(i64::try_from(svc.tokens.cache.entries()).unwrap_or(i64::MAX));
    Ok(svc.metrics.render())
}
