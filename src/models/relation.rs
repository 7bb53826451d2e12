//! A campaign's relations: named links from its leads to leads of a target
//! campaign ("relation options").

use diesel::prelude::*;

use crate::domain::OnDelete;
use crate::schema::{campaigns, relations};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = relations, check_for_backend(diesel::pg::Pg))]
pub struct Relation {
    pub id: i64,
    pub campaign_id: i64,
    pub slug: String,
    pub label: String,
    pub target_campaign_id: i64,
    pub many: bool,
    pub required: bool,
    pub on_delete: OnDelete,
    pub position: i32,
}

pub struct NewRelation<'a> {
    pub campaign_id: i64,
    pub slug: &'a str,
    pub label: &'a str,
    pub target_campaign_id: i64,
    pub many: bool,
    pub required: bool,
    pub on_delete: OnDelete,
}

impl Relation {
    /// A campaign's relations in order, each with its target's slug and name.
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<(Relation, String, String)>> {
        relations::table
            .inner_join(campaigns::table.on(campaigns::id.eq(relations::target_campaign_id)))
            .filter(relations::campaign_id.eq(campaign_id))
            .order((relations::position, relations::id))
            .select((Relation::as_select(), campaigns::slug, campaigns::name))
            .load(conn)
    }

    pub fn insert(conn: &mut PgConnection, new: &NewRelation<'_>) -> QueryResult<Relation> {
        let position: i32 = relations::table
            .filter(relations::campaign_id.eq(new.campaign_id))
            .select(diesel::dsl::max(relations::position))
            .first::<Option<i32>>(conn)?
            .map_or(0, |p| p + 1);
        diesel::insert_into(relations::table)
            .values((
                relations::campaign_id.eq(new.campaign_id),
                relations::slug.eq(new.slug),
                relations::label.eq(new.label),
                relations::target_campaign_id.eq(new.target_campaign_id),
                relations::many.eq(new.many),
                relations::required.eq(new.required),
                relations::on_delete.eq(new.on_delete),
                relations::position.eq(position),
            ))
            .returning(Relation::as_returning())
            .get_result(conn)
    }

    pub fn delete(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<usize> {
        diesel::delete(relations::table.filter(relations::campaign_id.eq(campaign_id)).filter(relations::id.eq(id)))
            .execute(conn)
    }
}
