//! Leads: what intake stores and the leads API reads and writes.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::leads;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = leads, check_for_backend(diesel::pg::Pg))]
pub struct Lead {
    pub id: i64,
    pub campaign_id: i64,
    pub source_id: Option<i64>,
    pub status: String,
    pub fields: serde_json::Value,
    pub selects: serde_json::Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A new lead, as written: one row of a (multi-row) insert.
#[derive(Insertable, Debug)]
#[diesel(table_name = leads, treat_none_as_default_value = false)]
pub struct LeadRow {
    pub campaign_id: i64,
    pub source_id: Option<i64>,
    pub status: String,
    pub fields: serde_json::Value,
    pub selects: serde_json::Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A lead for `COPY` (binary), with an id taken from the sequence first.
#[derive(Insertable, Debug)]
#[diesel(table_name = leads, treat_none_as_default_value = false)]
pub struct CopyLead {
    pub id: i64,
    pub campaign_id: i64,
    pub source_id: Option<i64>,
    pub status: String,
    pub fields: serde_json::Value,
    pub selects: serde_json::Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct NextId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

impl Lead {
    /// `n` new lead ids from the sequence, in one round trip.
    pub fn next_ids(conn: &mut PgConnection, n: i64) -> QueryResult<Vec<i64>> {
        diesel::sql_query("SELECT nextval('leads_id_seq') AS id FROM generate_series(1, $1)")
            .bind::<diesel::sql_types::BigInt, _>(n)
            .load::<NextId>(conn)
            .map(|rows| rows.into_iter().map(|r| r.id).collect())
    }

    /// Stores leads with `COPY … FROM STDIN (FORMAT binary)`.
    pub fn copy_in(conn: &mut PgConnection, rows: &[CopyLead]) -> QueryResult<usize> {
        diesel::copy_from(leads::table).from_insertable(rows).execute(conn)
    }

    /// The leads of a campaign whose field `slug` holds one of `values`
    /// (compared as text): an upsert key's matches, as (id, value).
    pub fn by_field_values(
        conn: &mut PgConnection,
        campaign_id: i64,
        slug: &str,
        values: &[String],
    ) -> QueryResult<Vec<(i64, String)>> {
        use diesel::sql_types::{Array, BigInt, Text};
        #[derive(QueryableByName)]
        struct Match {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Text)]
            value: String,
        }
        diesel::sql_query(
            "SELECT id, fields->>$2 AS value FROM leads WHERE campaign_id = $1 AND fields->>$2 = ANY($3) ORDER BY id",
        )
        .bind::<BigInt, _>(campaign_id)
        .bind::<Text, _>(slug)
        .bind::<Array<Text>, _>(values)
        .load::<Match>(conn)
        .map(|rows| rows.into_iter().map(|m| (m.id, m.value)).collect())
    }

    /// Intake's one statement. Written as column assignments rather than
    /// a derived `Insertable`, whose `DEFAULT`-capable values diesel never
    /// caches: this way the insert is prepared once per connection instead
    /// of parsed and planned on every lead.
    /// One statement for any number of rows (a statement is a transaction
    /// of its own: all of them are stored, or none); the leads come back in
    /// the rows' order.
    pub fn insert_many(conn: &mut PgConnection, rows: &[LeadRow]) -> QueryResult<Vec<Lead>> {
        diesel::insert_into(leads::table).values(rows).returning(Lead::as_returning()).get_results(conn)
    }

    pub fn count_with_status(conn: &mut PgConnection, campaign_id: i64, status: &str) -> QueryResult<i64> {
        leads::table
            .filter(leads::campaign_id.eq(campaign_id))
            .filter(leads::status.eq(status))
            .count()
            .get_result(conn)
    }

    pub fn count_of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<i64> {
        leads::table.filter(leads::campaign_id.eq(campaign_id)).count().get_result(conn)
    }
}

/// What a leads listing asks for; `after` is the keyset cursor (a lead id).
#[derive(Debug, Clone, Default)]
pub struct LeadQuery {
    pub campaign_id: i64,
    /// The token's filter, as a JSON object the selects must contain.
    pub containing: Option<serde_json::Value>,
    pub status: Option<String>,
    pub updated_since: Option<OffsetDateTime>,
    pub after: Option<i64>,
    pub limit: i64,
}

impl Lead {
    /// Oldest first by id: a page never repeats or skips a lead, whatever is
    /// inserted meanwhile (new leads come after the cursor).
    pub fn page(conn: &mut PgConnection, q: &LeadQuery) -> QueryResult<Vec<Lead>> {
        let mut query =
            leads::table.filter(leads::campaign_id.eq(q.campaign_id)).select(Lead::as_select()).into_boxed();
        if let Some(c) = &q.containing {
            query = query.filter(leads::selects.contains(c.clone()));
        }
        if let Some(s) = &q.status {
            query = query.filter(leads::status.eq(s.clone()));
        }
        if let Some(since) = q.updated_since {
            query = query.filter(leads::updated_at.ge(since));
        }
        if let Some(after) = q.after {
            query = query.filter(leads::id.gt(after));
        }
        query.order(leads::id).limit(q.limit).load(conn)
    }

    pub fn find_in_campaign(
        conn: &mut PgConnection,
        campaign_id: i64,
        id: i64,
        lock: bool,
    ) -> QueryResult<Option<Lead>> {
        let q =
            leads::table.filter(leads::campaign_id.eq(campaign_id)).filter(leads::id.eq(id)).select(Lead::as_select());
        if lock { q.for_update().first(conn).optional() } else { q.first(conn).optional() }
    }

    /// A campaign's leads newest first, before lead `before` (a cursor).
    pub fn newest(
        conn: &mut PgConnection,
        campaign_id: i64,
        status: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<Lead>> {
        let mut q = leads::table.filter(leads::campaign_id.eq(campaign_id)).into_boxed();
        if let Some(s) = status {
            q = q.filter(leads::status.eq(s));
        }
        if let Some(b) = before {
            q = q.filter(leads::id.lt(b));
        }
        q.order(leads::id.desc()).limit(limit).select(Lead::as_select()).load(conn)
    }

    /// Replaces what an import's row brings (upsert): fields and select
    /// values; the status and source when the row has them.
    pub fn replace_content(
        conn: &mut PgConnection,
        id: i64,
        status: Option<&str>,
        fields: &serde_json::Value,
        selects: &serde_json::Value,
        source_id: Option<i64>,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        use diesel::dsl::sql;
        use diesel::sql_types::{BigInt, Nullable, Text};
        diesel::update(leads::table.find(id))
            .set((
                leads::fields.eq(fields),
                leads::selects.eq(selects),
                leads::status.eq(sql::<Text>("COALESCE(").bind::<Nullable<Text>, _>(status).sql(", status)")),
                leads::source_id.eq(sql::<Nullable<BigInt>>("COALESCE(")
                    .bind::<Nullable<BigInt>, _>(source_id)
                    .sql(", source_id)")),
                leads::updated_at.eq(now),
            ))
            .execute(conn)
            .map(drop)
    }

    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
        diesel::delete(leads::table.find(id)).execute(conn)
    }

    pub fn update(
        conn: &mut PgConnection,
        id: i64,
        status: &str,
        fields: &serde_json::Value,
        selects: &serde_json::Value,
        now: OffsetDateTime,
    ) -> QueryResult<Lead> {
        diesel::update(leads::table.find(id))
            .set((
                leads::status.eq(status),
                leads::fields.eq(fields),
                leads::selects.eq(selects),
                leads::updated_at.eq(now),
            ))
            .returning(Lead::as_returning())
            .get_result(conn)
    }
}

impl Lead {
    /// Lead counts by status (public stats).
    /// Leads per source (`None`: through the API), for public counts.
    pub fn counts_by_source(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<(Option<i64>, i64)>> {
        leads::table
            .filter(leads::campaign_id.eq(campaign_id))
            .group_by(leads::source_id)
            .select((leads::source_id, diesel::dsl::count_star()))
            .load(conn)
    }

    /// A campaign's leads oldest first after `after`, as (id, created_at,
    /// status, the values of `slugs`): what the public list shows.
    pub fn public_page(
        conn: &mut PgConnection,
        campaign_id: i64,
        after: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<(i64, OffsetDateTime, String, serde_json::Value)>> {
        let mut q = leads::table.filter(leads::campaign_id.eq(campaign_id)).into_boxed();
        if let Some(a) = after {
            q = q.filter(leads::id.gt(a));
        }
        q.order(leads::id).limit(limit).select((leads::id, leads::created_at, leads::status, leads::fields)).load(conn)
    }

    pub fn counts_by_status(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<(String, i64)>> {
        leads::table
            .filter(leads::campaign_id.eq(campaign_id))
            .group_by(leads::status)
            .select((leads::status, diesel::dsl::count_star()))
            .order(leads::status)
            .load(conn)
    }

    /// Leads created per UTC day since `since` (public stats).
    pub fn counts_by_day(
        conn: &mut PgConnection,
        campaign_id: i64,
        since: time::Date,
    ) -> QueryResult<Vec<(time::Date, i64)>> {
        use diesel::sql_types::{BigInt, Date};
        #[derive(QueryableByName)]
        struct DayCount {
            #[diesel(sql_type = Date)]
            day: time::Date,
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let rows: Vec<DayCount> = diesel::sql_query(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM leads \
             WHERE campaign_id = $1 AND created_at >= $2::date GROUP BY 1 ORDER BY 1",
        )
        .bind::<BigInt, _>(campaign_id)
        .bind::<Date, _>(since)
        .load(conn)?;
        Ok(rows.into_iter().map(|d| (d.day, d.n)).collect())
    }
}
