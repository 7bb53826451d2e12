//! Campaigns: the unit of intake, structure and tokens.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::campaigns;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = campaigns, check_for_backend(diesel::pg::Pg))]
pub struct Campaign {
    pub id: i64,
    pub public_id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub token_enabled: bool,
    pub archived_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Content types accepted as lead files (see [`Campaign::accepts`]).
    pub file_types: Vec<Option<String>>,
}

impl Campaign {
    /// The content types accepted as lead files.
    pub fn file_types(&self) -> Vec<&str> {
        self.file_types.iter().flatten().map(String::as_str).collect()
    }

    /// Whether lead files of `content_type` are accepted.
    pub fn accepts(&self, content_type: &str) -> bool {
        self.file_types.iter().flatten().any(|t| t == content_type)
    }

    pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Campaign> {
        campaigns::table.find(id).select(Campaign::as_select()).first(conn)
    }

    pub fn find_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<Campaign> {
        campaigns::table.find(id).select(Campaign::as_select()).for_update().first(conn)
    }

    /// By numeric id or by slug (slugs are never all digits).
    pub fn by_ref(conn: &mut PgConnection, reference: &str) -> QueryResult<Option<Campaign>> {
        let q = campaigns::table.select(Campaign::as_select());
        match reference.parse::<i64>() {
            Ok(id) => q.filter(campaigns::id.eq(id)).first(conn).optional(),
            Err(_) => q.filter(campaigns::slug.eq(reference)).first(conn).optional(),
        }
    }

    pub fn by_public_id(conn: &mut PgConnection, public_id: &str) -> QueryResult<Option<Campaign>> {
        campaigns::table.filter(campaigns::public_id.eq(public_id)).select(Campaign::as_select()).first(conn).optional()
    }

    pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<Campaign>> {
        campaigns::table
            .order((campaigns::archived_at.is_not_null(), campaigns::name))
            .select(Campaign::as_select())
            .load(conn)
    }

    pub fn insert(
        conn: &mut PgConnection,
        public_id: &str,
        slug: &str,
        name: &str,
        description: &str,
        now: OffsetDateTime,
    ) -> QueryResult<Campaign> {
        diesel::insert_into(campaigns::table)
            .values((
                campaigns::public_id.eq(public_id),
                campaigns::slug.eq(slug),
                campaigns::name.eq(name),
                campaigns::description.eq(description),
                campaigns::created_at.eq(now),
                campaigns::updated_at.eq(now),
            ))
            .returning(Campaign::as_returning())
            .get_result(conn)
    }

    pub fn set_file_types(conn: &mut PgConnection, id: i64, types: &[&str], now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(campaigns::table.find(id))
            .set((
                campaigns::file_types.eq(types.iter().map(|t| Some(*t)).collect::<Vec<_>>()),
                campaigns::updated_at.eq(now),
            ))
            .execute(conn)
            .map(drop)
    }

    pub fn update_details(
        conn: &mut PgConnection,
        id: i64,
        name: &str,
        description: &str,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        diesel::update(campaigns::table.find(id))
            .set((campaigns::name.eq(name), campaigns::description.eq(description), campaigns::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn set_archived(
        conn: &mut PgConnection,
        id: i64,
        at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        diesel::update(campaigns::table.find(id))
            .set((campaigns::archived_at.eq(at), campaigns::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn set_token_enabled(conn: &mut PgConnection, id: i64, enabled: bool, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(campaigns::table.find(id))
            .set((campaigns::token_enabled.eq(enabled), campaigns::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }
}
