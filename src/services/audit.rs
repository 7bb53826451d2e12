//! The audit log: written in the transaction of the change it records (so
//! the log and the data cannot disagree), read by the audit page and its
//! CSV download (support and super admins).

use diesel::PgConnection;
use time::OffsetDateTime;

use crate::domain::{Actor, AuditAction, Permission};
use crate::error::AppError;
use crate::models::NewAuditEvent;
pub use crate::models::{AuditEvent, AuditFilter};
use crate::services::context::Services;

/// Records `action` on `target` by `actor`, in the caller's transaction.
pub(in crate::services) fn record(
    conn: &mut PgConnection,
    at: OffsetDateTime,
    actor: &Actor,
    action: AuditAction,
    target: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    let mut details = details;
    if let Some(key) = &actor.via_token {
        match &mut details {
            serde_json::Value::Object(map) => {
                map.insert("via_token".into(), key.clone().into());
            }
            _ => details = serde_json::json!({"via_token": key}),
        }
    }
    AuditEvent::insert(
        conn,
        &NewAuditEvent {
            at,
            actor_id: actor.user_id,
            actor: &actor.label,
            action,
            target,
            ip: actor.ip.as_deref(),
            details,
        },
    )?;
    Ok(())
}

/// One page of the filtered log, newest first (`limit` entries with an id
/// below `before`), and every action that occurs, for the filter's choices.
pub async fn page(
    svc: &Services,
    actor: &Actor,
    filter: AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<AuditEvent>, Vec<String>), AppError> {
    actor.require(Permission::ViewAudit)?;
    svc.run(move |conn| Ok((AuditEvent::page(conn, &filter, before, limit)?, AuditEvent::distinct_actions(conn)?)))
        .await
}

/// A batch of the filtered log for the CSV download, newest first.
pub async fn batch(
    svc: &Services,
    actor: &Actor,
    filter: AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>, AppError> {
    actor.require(Permission::ViewAudit)?;
    svc.run(move |conn| Ok(AuditEvent::page(conn, &filter, before, limit)?)).await
}
