//! Readiness, the master key check at start, and the numbers `/metrics`
//! reads from the database.

use subtle::ConstantTimeEq as _;

use crate::error::AppError;
use crate::models::{OrgSettings, OutboxMessage};
use crate::services::context::Services;

/// Whether this instance's master key is the database's: the first
/// instance records its key's check value; every later one must match it,
/// or it would refuse every token (and seal with a key the others cannot
/// open).
pub async fn master_key_matches(svc: &Services) -> Result<bool, AppError> {
    let mine = svc.keys.check_value();
    let recorded = svc.run(move |conn| Ok(OrgSettings::claim_master_key_check(conn, &mine)?)).await?;
    Ok(bool::from(recorded.as_slice().ct_eq(&mine)))
}

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
