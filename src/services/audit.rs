//! Writing the audit log. Every entry is written in the transaction of the
//! change it records, so the log and the data cannot disagree.

use diesel::PgConnection;
use time::OffsetDateTime;

use super::Actor;
use crate::models::{AuditEvent, NewAuditEvent};

pub fn record(
    conn: &mut PgConnection,
    at: OffsetDateTime,
    actor: &Actor,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> diesel::QueryResult<()> {
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
    )
}
