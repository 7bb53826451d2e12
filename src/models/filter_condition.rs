//! The "select = option" conditions of a filter, ANDed.

use diesel::prelude::*;

use crate::schema::{filter_conditions, filters};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = filter_conditions, check_for_backend(diesel::pg::Pg))]
pub struct FilterCondition {
    pub id: i64,
    pub filter_id: i64,
    pub select_id: i64,
    pub option_id: i64,
}

impl FilterCondition {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<FilterCondition>> {
        filter_conditions::table
            .inner_join(filters::table)
            .filter(filters::campaign_id.eq(campaign_id))
            .order(filter_conditions::id)
            .select(FilterCondition::as_select())
            .load(conn)
    }

    pub fn replace(conn: &mut PgConnection, filter_id: i64, conditions: &[(i64, i64)]) -> QueryResult<()> {
        diesel::delete(filter_conditions::table.filter(filter_conditions::filter_id.eq(filter_id))).execute(conn)?;
        let rows: Vec<_> = conditions
            .iter()
            .map(|(s, o)| {
                (
                    filter_conditions::filter_id.eq(filter_id),
                    filter_conditions::select_id.eq(*s),
                    filter_conditions::option_id.eq(*o),
                )
            })
            .collect();
        diesel::insert_into(filter_conditions::table).values(rows).execute(conn).map(drop)
    }

    /// Filters that use an option (or any option of a select).
    pub fn count_using_option(conn: &mut PgConnection, option_id: i64) -> QueryResult<i64> {
        filter_conditions::table.filter(filter_conditions::option_id.eq(option_id)).count().get_result(conn)
    }

    pub fn count_using_select(conn: &mut PgConnection, select_id: i64) -> QueryResult<i64> {
        filter_conditions::table.filter(filter_conditions::select_id.eq(select_id)).count().get_result(conn)
    }
}
