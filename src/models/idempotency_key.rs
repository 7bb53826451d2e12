//! Idempotency keys: the first answer to a key, kept for a day.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::idempotency_keys;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = idempotency_keys, check_for_backend(diesel::pg::Pg))]
pub struct IdempotencyKey {
    pub id: i64,
    pub scope: String,
    pub key: String,
    pub request_hash: Vec<u8>,
    /// 0 while the request that claimed the key is being answered.
    pub status: i16,
    pub response: serde_json::Value,
    pub created_at: OffsetDateTime,
}

impl IdempotencyKey {
    /// Claims (`scope`, `key`) for a request: inserts it, or takes over a
    /// row older than `stale_before`. `None` when a live row has it; if
    /// another transaction is inserting it right now, this waits for that
    /// one to commit or roll back first (PostgreSQL's speculative insert).
    pub fn claim(
        conn: &mut PgConnection,
        scope: &str,
        key: &str,
        request_hash: &[u8],
        now: OffsetDateTime,
        stale_before: OffsetDateTime,
    ) -> QueryResult<Option<i64>> {
        use diesel::sql_types::{BigInt, Bytea, Text, Timestamptz};
        #[derive(QueryableByName)]
        struct Claimed {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let claimed: Option<Claimed> = diesel::sql_query(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at) \
             VALUES ($1, $2, $3, 0, 'null', $4) \
             ON CONFLICT (scope, key) DO UPDATE \
                SET request_hash = excluded.request_hash, status = 0, response = 'null', created_at = excluded.created_at \
                WHERE idempotency_keys.created_at < $5 \
             RETURNING id",
        )
        .bind::<Text, _>(scope)
        .bind::<Text, _>(key)
        .bind::<Bytea, _>(request_hash)
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(stale_before)
        .get_result(conn)
        .optional()?;
        Ok(claimed.map(|c| c.id))
    }

    pub fn find(conn: &mut PgConnection, scope: &str, key: &str) -> QueryResult<Option<IdempotencyKey>> {
        idempotency_keys::table
            .filter(idempotency_keys::scope.eq(scope))
            .filter(idempotency_keys::key.eq(key))
            .select(IdempotencyKey::as_select())
            .first(conn)
            .optional()
    }

    pub fn record(conn: &mut PgConnection, id: i64, status: i16, response: &serde_json::Value) -> QueryResult<()> {
        diesel::update(idempotency_keys::table.find(id))
            .set((idempotency_keys::status.eq(status), idempotency_keys::response.eq(response)))
            .execute(conn)
            .map(drop)
    }

    pub fn prune(conn: &mut PgConnection, before: OffsetDateTime) -> QueryResult<usize> {
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before))).execute(conn)
    }
}
