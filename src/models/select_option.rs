//! The options of a select list.

use diesel::prelude::*;

use crate::schema::{select_options, selects};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = select_options, check_for_backend(diesel::pg::Pg))]
pub struct SelectOption {
    pub id: i64,
    pub select_id: i64,
    pub slug: String,
    pub label: String,
    pub position: i32,
}

impl SelectOption {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<SelectOption>> {
        select_options::table
            .inner_join(selects::table)
            .filter(selects::campaign_id.eq(campaign_id))
            .order((select_options::select_id, select_options::position, select_options::id))
            .select(SelectOption::as_select())
            .load(conn)
    }

    pub fn insert(conn: &mut PgConnection, select_id: i64, slug: &str, label: &str) -> QueryResult<SelectOption> {
        let position: i32 = select_options::table
            .filter(select_options::select_id.eq(select_id))
            .select(diesel::dsl::max(select_options::position))
            .first::<Option<i32>>(conn)?
            .map_or(0, |p| p + 1);
        diesel::insert_into(select_options::table)
            .values((
                select_options::select_id.eq(select_id),
                select_options::slug.eq(slug),
                select_options::label.eq(label),
                select_options::position.eq(position),
            ))
            .returning(SelectOption::as_returning())
            .get_result(conn)
    }

    pub fn find(conn: &mut PgConnection, select_id: i64, id: i64) -> QueryResult<SelectOption> {
        select_options::table
            .filter(select_options::select_id.eq(select_id))
            .filter(select_options::id.eq(id))
            .select(SelectOption::as_select())
            .first(conn)
    }

    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
        diesel::delete(select_options::table.find(id)).execute(conn)
    }
}
