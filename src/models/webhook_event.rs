//! Webhook events and their delivery attempts (the delivery log).

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::{destinations, webhook_attempts, webhook_events};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = webhook_events, check_for_backend(diesel::pg::Pg))]
pub struct WebhookEventRow {
    pub id: i64,
    pub public_id: String,
    pub destination_id: i64,
    pub event: String,
    pub lead_id: Option<i64>,
    pub payload: serde_json::Value,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub delivered_at: Option<OffsetDateTime>,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = webhook_events)]
pub struct NewEvent {
    pub public_id: String,
    pub destination_id: i64,
    pub event: String,
    pub lead_id: Option<i64>,
    pub payload: serde_json::Value,
    pub next_attempt_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = webhook_attempts, check_for_backend(diesel::pg::Pg))]
pub struct Attempt {
    pub id: i64,
    pub event_id: i64,
    pub destination_id: i64,
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<String>,
    pub response: Option<String>,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub at: OffsetDateTime,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = webhook_attempts)]
pub struct NewAttempt<'a> {
    pub event_id: i64,
    pub destination_id: i64,
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<&'a str>,
    pub response: Option<&'a str>,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

impl WebhookEventRow {
    /// Writes events (many at once: an import's batch).
    pub fn insert_all(conn: &mut PgConnection, events: &[NewEvent]) -> QueryResult<usize> {
        let mut n = 0;
        // Seven values per row: well under PostgreSQL's 65,535 parameters.
        for chunk in events.chunks(5000) {
            n += diesel::insert_into(webhook_events::table).values(chunk).execute(conn)?;
        }
        Ok(n)
    }

    /// Claims up to `limit` due events of active destinations (test events
    /// go to paused ones too), the oldest first, skipping any whose lead
    /// has an earlier event still pending for the same destination (in
    /// order per lead) and any another instance holds (`SKIP LOCKED`).
    /// Each claimed event's attempt is counted and leased until
    /// `lease_until`, so no one else sends that attempt meanwhile.
    pub fn claim(
        conn: &mut PgConnection,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> QueryResult<Vec<WebhookEventRow>> {
        use diesel::sql_types::{BigInt, Timestamptz};
        let ids: Vec<i64> = diesel::sql_query(
            "SELECT e.id FROM webhook_events e JOIN destinations d ON d.id = e.destination_id \
             WHERE e.state = 'pending' AND e.next_attempt_at <= $1 AND (d.active OR e.event = 'test') \
               AND NOT EXISTS (SELECT 1 FROM webhook_events p WHERE p.destination_id = e.destination_id \
                   AND p.lead_id = e.lead_id AND p.state = 'pending' AND p.id < e.id) \
             ORDER BY e.next_attempt_at, e.id LIMIT $2 FOR UPDATE OF e SKIP LOCKED",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(limit)
        .load::<Claimed>(conn)?
        .into_iter()
        .map(|c| c.id)
        .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(webhook_events::table.filter(webhook_events::id.eq_any(&ids)))
            .set((
                webhook_events::attempts.eq(webhook_events::attempts + 1),
                webhook_events::next_attempt_at.eq(lease_until),
            ))
            .returning(WebhookEventRow::as_returning())
            .get_results(conn)
    }

    pub fn delivered_all(conn: &mut PgConnection, ids: &[i64], now: OffsetDateTime) -> QueryResult<usize> {
        if ids.is_empty() {
            return Ok(0);
        }
        diesel::update(webhook_events::table.filter(webhook_events::id.eq_any(ids)))
            .set((webhook_events::state.eq("delivered"), webhook_events::delivered_at.eq(now)))
            .execute(conn)
    }

    /// Schedules each event's next attempt, in one statement.
    pub fn retry_all(conn: &mut PgConnection, retries: &[(i64, OffsetDateTime)]) -> QueryResult<usize> {
        use diesel::sql_types::{Array, BigInt, Timestamptz};
        if retries.is_empty() {
            return Ok(0);
        }
        let (ids, ats): (Vec<i64>, Vec<OffsetDateTime>) = retries.iter().copied().unzip();
        diesel::sql_query(
            "UPDATE webhook_events e SET next_attempt_at = v.at \
             FROM unnest($1::bigint[], $2::timestamptz[]) AS v(id, at) WHERE e.id = v.id",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<Timestamptz>, _>(ats)
        .execute(conn)
    }

    /// Sends an event again now (Redeliver), delivered or not.
    pub fn redeliver(conn: &mut PgConnection, destination_id: i64, id: i64, now: OffsetDateTime) -> QueryResult<usize> {
        diesel::update(
            webhook_events::table
                .filter(webhook_events::id.eq(id))
                .filter(webhook_events::destination_id.eq(destination_id)),
        )
        .set((
            webhook_events::state.eq("pending"),
            webhook_events::next_attempt_at.eq(now),
            webhook_events::delivered_at.eq(None::<OffsetDateTime>),
        ))
        .execute(conn)
    }

    /// A destination's latest events, newest first.
    pub fn of_destination(
        conn: &mut PgConnection,
        destination_id: i64,
        limit: i64,
    ) -> QueryResult<Vec<WebhookEventRow>> {
        webhook_events::table
            .filter(webhook_events::destination_id.eq(destination_id))
            .order(webhook_events::id.desc())
            .limit(limit)
            .select(WebhookEventRow::as_select())
            .load(conn)
    }

    /// Events still to deliver, and delivered, by destination's campaign
    /// (the benchmark and the tests ask).
    pub fn pending_count(conn: &mut PgConnection) -> QueryResult<i64> {
        webhook_events::table
            .inner_join(destinations::table)
            .filter(webhook_events::state.eq("pending"))
            .count()
            .get_result(conn)
    }
}

impl Attempt {
    pub fn insert_all(conn: &mut PgConnection, new: &[NewAttempt<'_>]) -> QueryResult<usize> {
        diesel::insert_into(webhook_attempts::table).values(new).execute(conn)
    }

    /// A destination's latest attempts, newest first.
    pub fn of_destination(conn: &mut PgConnection, destination_id: i64, limit: i64) -> QueryResult<Vec<Attempt>> {
        webhook_attempts::table
            .filter(webhook_attempts::destination_id.eq(destination_id))
            .order(webhook_attempts::id.desc())
            .limit(limit)
            .select(Attempt::as_select())
            .load(conn)
    }
}
