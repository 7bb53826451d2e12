//! A campaign's select lists.

use diesel::prelude::*;

use crate::schema::selects;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = selects, check_for_backend(diesel::pg::Pg))]
pub struct Select {
    pub id: i64,
    pub campaign_id: i64,
    pub slug: String,
    pub label: String,
}

impl Select {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Select>> {
        selects::table
            .filter(selects::campaign_id.eq(campaign_id))
            .order(selects::id)
            .select(Select::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<Select> {
        selects::table
            .filter(selects::campaign_id.eq(campaign_id))
            .filter(selects::id.eq(id))
            .select(Select::as_select())
            .first(conn)
    }

    pub fn insert(conn: &mut PgConnection, campaign_id: i64, slug: &str, label: &str) -> QueryResult<Select> {
        diesel::insert_into(selects::table)
            .values((selects::campaign_id.eq(campaign_id), selects::slug.eq(slug), selects::label.eq(label)))
            .returning(Select::as_returning())
            .get_result(conn)
    }

    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
        diesel::delete(selects::table.find(id)).execute(conn)
    }
}
