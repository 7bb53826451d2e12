//! A campaign's named filters (their conditions are `filter_condition`).

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::filters;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = filters, check_for_backend(diesel::pg::Pg))]
pub struct Filter {
    pub id: i64,
    pub campaign_id: i64,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Filter {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Filter>> {
        filters::table
            .filter(filters::campaign_id.eq(campaign_id))
            .order(filters::name)
            .select(Filter::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<Filter> {
        filters::table
            .filter(filters::campaign_id.eq(campaign_id))
            .filter(filters::id.eq(id))
            .select(Filter::as_select())
            .first(conn)
    }

    pub fn insert(conn: &mut PgConnection, campaign_id: i64, name: &str, now: OffsetDateTime) -> QueryResult<Filter> {
        diesel::insert_into(filters::table)
            .values((
                filters::campaign_id.eq(campaign_id),
                filters::name.eq(name),
                filters::created_at.eq(now),
                filters::updated_at.eq(now),
            ))
            .returning(Filter::as_returning())
            .get_result(conn)
    }

    pub fn rename(conn: &mut PgConnection, id: i64, name: &str, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(filters::table.find(id))
            .set((filters::name.eq(name), filters::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
        diesel::delete(filters::table.find(id)).execute(conn)
    }
}
