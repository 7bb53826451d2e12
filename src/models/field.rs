//! A campaign's fields.

use diesel::prelude::*;

use crate::domain::FieldType;
use crate::schema::fields;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = fields, check_for_backend(diesel::pg::Pg))]
pub struct Field {
    pub id: i64,
    pub campaign_id: i64,
    pub slug: String,
    pub label: String,
    pub field_type: FieldType,
    pub required: bool,
    pub position: i32,
    /// Its values may be listed through the public token.
    pub public: bool,
}

impl Field {
    pub fn set_public(conn: &mut PgConnection, campaign_id: i64, id: i64, public: bool) -> QueryResult<usize> {
        diesel::update(fields::table.filter(fields::campaign_id.eq(campaign_id)).filter(fields::id.eq(id)))
            .set(fields::public.eq(public))
            .execute(conn)
    }

    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Field>> {
        fields::table
            .filter(fields::campaign_id.eq(campaign_id))
            .order((fields::position, fields::id))
            .select(Field::as_select())
            .load(conn)
    }

    pub fn insert(
        conn: &mut PgConnection,
        campaign_id: i64,
        slug: &str,
        label: &str,
        field_type: FieldType,
        required: bool,
    ) -> QueryResult<Field> {
        let position: i32 = fields::table
            .filter(fields::campaign_id.eq(campaign_id))
            .select(diesel::dsl::max(fields::position))
            .first::<Option<i32>>(conn)?
            .map_or(0, |p| p + 1);
        diesel::insert_into(fields::table)
            .values((
                fields::campaign_id.eq(campaign_id),
                fields::slug.eq(slug),
                fields::label.eq(label),
                fields::field_type.eq(field_type),
                fields::required.eq(required),
                fields::position.eq(position),
            ))
            .returning(Field::as_returning())
            .get_result(conn)
    }

    pub fn update(
        conn: &mut PgConnection,
        campaign_id: i64,
        id: i64,
        label: &str,
        required: bool,
    ) -> QueryResult<usize> {
        diesel::update(fields::table.filter(fields::campaign_id.eq(campaign_id)).filter(fields::id.eq(id)))
            .set((fields::label.eq(label), fields::required.eq(required)))
            .execute(conn)
    }

    pub fn delete(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<usize> {
        diesel::delete(fields::table.filter(fields::campaign_id.eq(campaign_id)).filter(fields::id.eq(id)))
            .execute(conn)
    }
}
