//! `token_usage_daily` (uses and refusals per token and day) and
//! `token_ips` (the addresses a token was last used from): written in
//! batches by the usage flush, read by a token's page and the dashboard.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date as SqlDate, Jsonb, Text, Timestamptz};
use time::{Date, OffsetDateTime};

use crate::schema::{token_ips, token_usage_daily, tokens};

/// How many days of use are kept per token.
pub const DAYS_KEPT: i64 = 90;
/// How many distinct addresses are kept per token.
pub const IPS_KEPT: i64 = 10;

#[derive(Debug, Clone, Queryable)]
pub struct UsageDay {
    pub day: Date,
    pub uses: i64,
    /// `{reason: count}`.
    pub refused: serde_json::Value,
}

pub struct TokenUsage;

impl TokenUsage {
    /// Adds uses and refusals per (token, day): one statement for the
    /// batch. `refused` holds one JSON object of counts per row, merged
    /// key by key into what is there.
    pub fn add_daily(
        conn: &mut PgConnection,
        ids: &[i64],
        days: &[Date],
        uses: &[i64],
        refused: &[serde_json::Value],
    ) -> QueryResult<usize> {
        diesel::sql_query(
            "INSERT INTO token_usage_daily AS d (token_id, day, uses, refused) \
             SELECT u.id, u.day, u.n, u.refused \
             FROM unnest($1::int8[], $2::date[], $3::int8[], $4::jsonb[]) AS u(id, day, n, refused) \
             WHERE EXISTS (SELECT 1 FROM tokens t WHERE t.id = u.id) \
             ON CONFLICT (token_id, day) DO UPDATE SET \
                uses = d.uses + EXCLUDED.uses, \
                refused = COALESCE((SELECT jsonb_object_agg(k, COALESCE((d.refused->>k)::int8, 0) + COALESCE((EXCLUDED.refused->>k)::int8, 0)) \
                    FROM (SELECT jsonb_object_keys(d.refused) UNION SELECT jsonb_object_keys(EXCLUDED.refused)) AS keys(k)), '{}'::jsonb)",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<SqlDate>, _>(days)
        .bind::<Array<BigInt>, _>(uses)
        .bind::<Array<Jsonb>, _>(refused)
        .execute(conn)
    }

    /// Records the addresses tokens were used from, keeping the latest
    /// [`IPS_KEPT`] per token.
    pub fn touch_ips(conn: &mut PgConnection, ids: &[i64], ips: &[String], seen: &[OffsetDateTime]) -> QueryResult<()> {
        diesel::sql_query(
            "INSERT INTO token_ips AS i (token_id, ip, last_seen) \
             SELECT u.id, u.ip, u.seen FROM unnest($1::int8[], $2::text[], $3::timestamptz[]) AS u(id, ip, seen) \
             WHERE EXISTS (SELECT 1 FROM tokens t WHERE t.id = u.id) \
             ON CONFLICT (token_id, ip) DO UPDATE SET last_seen = GREATEST(i.last_seen, EXCLUDED.last_seen)",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<Text>, _>(ips)
        .bind::<Array<Timestamptz>, _>(seen)
        .execute(conn)?;
        diesel::sql_query(
            "DELETE FROM token_ips AS i USING ( \
                SELECT token_id, ip, row_number() OVER (PARTITION BY token_id ORDER BY last_seen DESC) AS n \
                FROM token_ips WHERE token_id = ANY($1::int8[])) AS r \
             WHERE i.token_id = r.token_id AND i.ip = r.ip AND r.n > $2",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<BigInt, _>(IPS_KEPT)
        .execute(conn)
        .map(drop)
    }

    /// One token's days since `since`, oldest first (days without use or
    /// refusal have no row).
    pub fn daily(conn: &mut PgConnection, token_id: i64, since: Date) -> QueryResult<Vec<UsageDay>> {
        token_usage_daily::table
            .filter(token_usage_daily::token_id.eq(token_id))
            .filter(token_usage_daily::day.ge(since))
            .order(token_usage_daily::day)
            .select((token_usage_daily::day, token_usage_daily::uses, token_usage_daily::refused))
            .load(conn)
    }

    pub fn ips(conn: &mut PgConnection, token_id: i64) -> QueryResult<Vec<(String, OffsetDateTime)>> {
        token_ips::table
            .filter(token_ips::token_id.eq(token_id))
            .order(token_ips::last_seen.desc())
            .limit(IPS_KEPT)
            .select((token_ips::ip, token_ips::last_seen))
            .load(conn)
    }

    /// Uses per day across the organisation since `since`.
    pub fn org_daily(conn: &mut PgConnection, since: Date) -> QueryResult<Vec<(Date, i64)>> {
        diesel::sql_query(
            "SELECT day, sum(uses)::int8 AS uses FROM token_usage_daily WHERE day >= $1 GROUP BY day ORDER BY day",
        )
        .bind::<SqlDate, _>(since)
        .load::<DayTotal>(conn)
        .map(|rows| rows.into_iter().map(|r| (r.day, r.uses)).collect())
    }

    /// The live tokens used most since `since`: (token id, uses).
    pub fn most_used(conn: &mut PgConnection, since: Date, limit: i64) -> QueryResult<Vec<(i64, i64)>> {
        diesel::sql_query(
            "SELECT d.token_id, sum(d.uses)::int8 AS uses FROM token_usage_daily d \
             JOIN tokens t ON t.id = d.token_id AND t.revoked_at IS NULL \
             WHERE d.day >= $1 AND d.uses > 0 GROUP BY d.token_id ORDER BY uses DESC, d.token_id LIMIT $2",
        )
        .bind::<SqlDate, _>(since)
        .bind::<BigInt, _>(limit)
        .load::<Ranked>(conn)
        .map(|rows| rows.into_iter().map(|r| (r.token_id, r.uses)).collect())
    }

    /// Forgets days before `before`.
    pub fn prune(conn: &mut PgConnection, before: Date) -> QueryResult<usize> {
        diesel::delete(token_usage_daily::table.filter(token_usage_daily::day.lt(before))).execute(conn)
    }

    /// Live tokens created before `before` and not used since then: (id).
    pub fn unused_since(conn: &mut PgConnection, before: OffsetDateTime, limit: i64) -> QueryResult<Vec<i64>> {
        tokens::table
            .filter(tokens::revoked_at.is_null())
            .filter(tokens::created_at.lt(before))
            .filter(tokens::last_used_at.is_null().or(tokens::last_used_at.lt(before)))
            .order(tokens::last_used_at.asc().nulls_first())
            .limit(limit)
            .select(tokens::id)
            .load(conn)
    }
}

#[derive(QueryableByName)]
struct Ranked {
    #[diesel(sql_type = BigInt)]
    token_id: i64,
    #[diesel(sql_type = BigInt)]
    uses: i64,
}

#[derive(QueryableByName)]
struct DayTotal {
    #[diesel(sql_type = SqlDate)]
    day: Date,
    #[diesel(sql_type = BigInt)]
    uses: i64,
}
