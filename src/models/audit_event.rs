use diesel::prelude::*;
use time::OffsetDateTime;

use crate::domain::AuditAction;
use crate::schema::audit_events;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg))]
pub struct AuditEvent {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub at: OffsetDateTime,
    pub actor_id: Option<i64>,
    pub actor: &'a str,
    pub action: AuditAction,
    pub target: &'a str,
    pub ip: Option<&'a str>,
    pub details: serde_json::Value,
}

/// What the audit page and its CSV filter on.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Part of the actor as shown (an email, "system", a token key).
    pub actor: Option<String>,
    /// An exact action (`user.invited`) or a group (`user`).
    pub action: Option<String>,
    /// Part of the target (an email, a token key, a campaign).
    pub target: Option<String>,
    /// Events from this day on, and up to this day, inclusive (UTC).
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
}

impl AuditEvent {
    pub fn insert(conn: &mut PgConnection, new: &NewAuditEvent<'_>) -> QueryResult<()> {
        diesel::insert_into(audit_events::table).values(new).execute(conn).map(drop)
    }

    /// Newest first, `limit` events with an id below `before`.
    pub fn page(
        conn: &mut PgConnection,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<AuditEvent>> {
        let mut q = audit_events::table.select(AuditEvent::as_select()).into_boxed();
        if let Some(actor) = &filter.actor {
            q = q.filter(audit_events::actor.ilike(format!("%{}%", escape_like(actor))));
        }
        if let Some(action) = &filter.action {
            q = if action.contains('.') {
                q.filter(audit_events::action.eq(action.clone()))
            } else {
                q.filter(audit_events::action.like(format!("{}.%", escape_like(action))))
            };
        }
        if let Some(target) = &filter.target {
            q = q.filter(audit_events::target.ilike(format!("%{}%", escape_like(target))));
        }
        if let Some(from) = filter.from {
            q = q.filter(audit_events::at.ge(from.midnight().assume_utc()));
        }
        if let Some(to) = filter.to.and_then(|d| d.next_day()) {
            q = q.filter(audit_events::at.lt(to.midnight().assume_utc()));
        }
        if let Some(before) = before {
            q = q.filter(audit_events::id.lt(before));
        }
        q.order(audit_events::id.desc()).limit(limit).load(conn)
    }

    pub fn recent(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<AuditEvent>> {
        Self::page(conn, &AuditFilter::default(), None, limit)
    }

    pub fn distinct_actions(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
        audit_events::table.select(audit_events::action).distinct().order(audit_events::action).load(conn)
    }
}

/// Escapes `%`, `_` and `\` so user input matches literally in LIKE.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
