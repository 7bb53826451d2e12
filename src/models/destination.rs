//! Destinations: where a campaign's events are delivered.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::destinations;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = destinations, check_for_backend(diesel::pg::Pg))]
pub struct Destination {
    pub id: i64,
    pub campaign_id: i64,
    pub filter_id: Option<i64>,
    pub name: String,
    pub url: String,
    pub events: Vec<Option<String>>,
    pub active: bool,
    pub paused_reason: Option<String>,
    pub owner_id: i64,
    pub failing_since: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub struct NewDestination<'a> {
    pub campaign_id: i64,
    pub filter_id: Option<i64>,
    pub name: &'a str,
    pub url: &'a str,
    pub events: &'a [&'a str],
    pub owner_id: i64,
    pub now: OffsetDateTime,
}

impl Destination {
    /// The event names it wants.
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().flatten().any(|e| e == event)
    }

    pub fn insert(conn: &mut PgConnection, new: &NewDestination<'_>) -> QueryResult<Destination> {
        let events: Vec<Option<&str>> = new.events.iter().map(|e| Some(*e)).collect();
        diesel::insert_into(destinations::table)
            .values((
                destinations::campaign_id.eq(new.campaign_id),
                destinations::filter_id.eq(new.filter_id),
                destinations::name.eq(new.name),
                destinations::url.eq(new.url),
                destinations::events.eq(events),
                destinations::owner_id.eq(new.owner_id),
                destinations::created_at.eq(new.now),
                destinations::updated_at.eq(new.now),
            ))
            .returning(Destination::as_returning())
            .get_result(conn)
    }

    pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Destination>> {
        destinations::table.find(id).select(Destination::as_select()).first(conn).optional()
    }

    pub fn find_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Destination>> {
        destinations::table.find(id).select(Destination::as_select()).for_update().first(conn).optional()
    }

    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Destination>> {
        destinations::table
            .filter(destinations::campaign_id.eq(campaign_id))
            .order(destinations::id)
            .select(Destination::as_select())
            .load(conn)
    }

    pub fn of_owner(conn: &mut PgConnection, owner_id: i64) -> QueryResult<Vec<Destination>> {
        destinations::table
            .filter(destinations::owner_id.eq(owner_id))
            .order(destinations::id)
            .select(Destination::as_select())
            .load(conn)
    }

    pub fn set_active(
        conn: &mut PgConnection,
        id: i64,
        active: bool,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        diesel::update(destinations::table.find(id))
            .set((
                destinations::active.eq(active),
                destinations::paused_reason.eq(reason),
                destinations::updated_at.eq(now),
            ))
            .execute(conn)
            .map(drop)
    }

    /// Records a success (no longer failing) or a failure (failing since
    /// the first one in a row); the failing streak's start.
    pub fn record_result(
        conn: &mut PgConnection,
        id: i64,
        ok: bool,
        now: OffsetDateTime,
    ) -> QueryResult<Option<OffsetDateTime>> {
        let q = diesel::update(destinations::table.find(id));
        if ok {
            q.set(destinations::failing_since.eq(None::<OffsetDateTime>))
                .returning(destinations::failing_since)
                .get_result(conn)
        } else {
            let since = diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>>(
                "COALESCE(failing_since, ",
            )
            .bind::<diesel::sql_types::Timestamptz, _>(now)
            .sql(")");
            q.set(destinations::failing_since.eq(since)).returning(destinations::failing_since).get_result(conn)
        }
    }
}
