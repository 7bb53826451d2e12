//! Leads and pings.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::{leads, pings};

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

#[derive(Insertable, Debug)]
#[diesel(table_name = leads)]
pub struct NewLead<'a> {
    pub campaign_id: i64,
    pub source_id: Option<i64>,
    pub status: &'a str,
    pub fields: &'a serde_json::Value,
    pub selects: &'a serde_json::Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Lead {
    pub fn insert(conn: &mut PgConnection, new: &NewLead<'_>) -> QueryResult<Lead> {
        diesel::insert_into(leads::table).values(new).returning(Lead::as_returning()).get_result(conn)
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

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = pings, check_for_backend(diesel::pg::Pg))]
pub struct Ping {
    pub id: i64,
    pub public_id: String,
    pub campaign_id: i64,
    pub source_id: i64,
    pub data: serde_json::Value,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
    pub lead_id: Option<i64>,
}

impl Ping {
    pub fn insert(
        conn: &mut PgConnection,
        public_id: &str,
        campaign_id: i64,
        source_id: i64,
        data: &serde_json::Value,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> QueryResult<Ping> {
        diesel::insert_into(pings::table)
            .values((
                pings::public_id.eq(public_id),
                pings::campaign_id.eq(campaign_id),
                pings::source_id.eq(source_id),
                pings::data.eq(data),
                pings::created_at.eq(now),
                pings::expires_at.eq(expires_at),
            ))
            .returning(Ping::as_returning())
            .get_result(conn)
    }

    /// The ping, locked so that only one post can use it.
    pub fn by_public_id_for_update(conn: &mut PgConnection, public_id: &str) -> QueryResult<Option<Ping>> {
        pings::table
            .filter(pings::public_id.eq(public_id))
            .select(Ping::as_select())
            .for_update()
            .first(conn)
            .optional()
    }

    pub fn mark_used(conn: &mut PgConnection, id: i64, lead_id: i64, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(pings::table.find(id))
            .set((pings::used_at.eq(now), pings::lead_id.eq(lead_id)))
            .execute(conn)
            .map(drop)
    }

    /// Pings that expired more than a day ago are of no further use.
    pub fn prune(conn: &mut PgConnection, before: OffsetDateTime) -> QueryResult<usize> {
        diesel::delete(pings::table.filter(pings::expires_at.lt(before))).execute(conn)
    }
}
