//! A campaign's lead statuses; one is the default for new leads.

use diesel::prelude::*;

use crate::schema::statuses;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = statuses, check_for_backend(diesel::pg::Pg))]
pub struct Status {
    pub id: i64,
    pub campaign_id: i64,
    pub slug: String,
    pub label: String,
    pub is_default: bool,
    pub position: i32,
}

impl Status {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Status>> {
        statuses::table
            .filter(statuses::campaign_id.eq(campaign_id))
            .order((statuses::position, statuses::id))
            .select(Status::as_select())
            .load(conn)
    }

    pub fn insert(conn: &mut PgConnection, campaign_id: i64, slug: &str, label: &str) -> QueryResult<Status> {
        let position: i32 = statuses::table
            .filter(statuses::campaign_id.eq(campaign_id))
            .select(diesel::dsl::max(statuses::position))
            .first::<Option<i32>>(conn)?
            .map_or(0, |p| p + 1);
        diesel::insert_into(statuses::table)
            .values((
                statuses::campaign_id.eq(campaign_id),
                statuses::slug.eq(slug),
                statuses::label.eq(label),
                statuses::position.eq(position),
            ))
            .returning(Status::as_returning())
            .get_result(conn)
    }

    /// Makes `id` the campaign's only default status.
    pub fn set_default(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<usize> {
        diesel::update(statuses::table.filter(statuses::campaign_id.eq(campaign_id)).filter(statuses::is_default))
            .set(statuses::is_default.eq(false))
            .execute(conn)?;
        diesel::update(statuses::table.filter(statuses::campaign_id.eq(campaign_id)).filter(statuses::id.eq(id)))
            .set(statuses::is_default.eq(true))
            .execute(conn)
    }

    pub fn delete(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<usize> {
        diesel::delete(statuses::table.filter(statuses::campaign_id.eq(campaign_id)).filter(statuses::id.eq(id)))
            .execute(conn)
    }
}
