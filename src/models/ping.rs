//! Pings: the first step of a ping-post submission, waiting for its post.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::pings;

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
