use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::outbox;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = outbox, check_for_backend(diesel::pg::Pg))]
pub struct OutboxMessage {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub template: String,
    pub created_at: OffsetDateTime,
    pub attempts: i32,
    pub next_attempt_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = outbox)]
pub struct NewOutboxMessage<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub template: &'a str,
    pub created_at: OffsetDateTime,
    pub next_attempt_at: OffsetDateTime,
}

impl OutboxMessage {
    pub fn insert(conn: &mut PgConnection, new: &NewOutboxMessage<'_>) -> QueryResult<i64> {
        diesel::insert_into(outbox::table).values(new).returning(outbox::id).get_result(conn)
    }

    /// Takes up to `limit` due messages for delivery: each is leased until
    /// `lease_until`, so a worker that dies mid-send leaves it to be retried,
    /// and concurrent workers (other instances) skip what is taken.
    pub fn claim_due(
        conn: &mut PgConnection,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> QueryResult<Vec<OutboxMessage>> {
        conn.transaction(|conn| {
            let ids: Vec<i64> = outbox::table
                .filter(outbox::sent_at.is_null())
                .filter(outbox::next_attempt_at.le(now))
                .order(outbox::id)
                .limit(limit)
                .select(outbox::id)
                .for_update()
                .skip_locked()
                .load(conn)?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                .set((outbox::next_attempt_at.eq(lease_until), outbox::attempts.eq(outbox::attempts + 1)))
                .returning(OutboxMessage::as_returning())
                .get_results(conn)
        })
    }

    /// Delivered: the bodies go, so that links in them do not outlive delivery.
    pub fn mark_sent(conn: &mut PgConnection, id: i64, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(outbox::table.find(id))
            .set((
                outbox::sent_at.eq(now),
                outbox::body_text.eq(""),
                outbox::body_html.eq(""),
                outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)
            .map(drop)
    }

    pub fn mark_failed(conn: &mut PgConnection, id: i64, retry_at: OffsetDateTime, error: &str) -> QueryResult<()> {
        diesel::update(outbox::table.find(id))
            .set((outbox::next_attempt_at.eq(retry_at), outbox::last_error.eq(error)))
            .execute(conn)
            .map(drop)
    }

    pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<OutboxMessage>> {
        outbox::table.find(id).select(OutboxMessage::as_select()).first(conn).optional()
    }

    pub fn recent(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<OutboxMessage>> {
        outbox::table.order(outbox::id.desc()).limit(limit).select(OutboxMessage::as_select()).load(conn)
    }

    pub fn pending_count(conn: &mut PgConnection) -> QueryResult<i64> {
        outbox::table.filter(outbox::sent_at.is_null()).count().get_result(conn)
    }
}
