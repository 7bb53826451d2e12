use diesel::prelude::*;
use time::OffsetDateTime;

use crate::domain::LinkPurpose;
use crate::schema::account_links;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = account_links, check_for_backend(diesel::pg::Pg))]
pub struct AccountLink {
    pub id: i64,
    pub user_id: i64,
    pub purpose: LinkPurpose,
    pub digest: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

impl AccountLink {
    pub fn insert(
        conn: &mut PgConnection,
        user_id: i64,
        purpose: LinkPurpose,
        digest: &[u8],
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> QueryResult<AccountLink> {
        diesel::insert_into(account_links::table)
            .values((
                account_links::user_id.eq(user_id),
                account_links::purpose.eq(purpose),
                account_links::digest.eq(digest),
                account_links::created_at.eq(now),
                account_links::expires_at.eq(expires_at),
            ))
            .returning(AccountLink::as_returning())
            .get_result(conn)
    }

    /// The link, locked, so that two submissions cannot both use it.
    pub fn by_digest_for_update(conn: &mut PgConnection, digest: &[u8]) -> QueryResult<Option<AccountLink>> {
        account_links::table
            .filter(account_links::digest.eq(digest))
            .select(AccountLink::as_select())
            .for_update()
            .first(conn)
            .optional()
    }

    pub fn by_digest(conn: &mut PgConnection, digest: &[u8]) -> QueryResult<Option<AccountLink>> {
        account_links::table
            .filter(account_links::digest.eq(digest))
            .select(AccountLink::as_select())
            .first(conn)
            .optional()
    }

    pub fn mark_used(conn: &mut PgConnection, id: i64, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(account_links::table.find(id)).set(account_links::used_at.eq(now)).execute(conn).map(drop)
    }

    /// A new link of a purpose replaces the unused ones.
    pub fn retire_unused(
        conn: &mut PgConnection,
        user_id: i64,
        purpose: LinkPurpose,
        now: OffsetDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            account_links::table
                .filter(account_links::user_id.eq(user_id))
                .filter(account_links::purpose.eq(purpose))
                .filter(account_links::used_at.is_null()),
        )
        .set(account_links::used_at.eq(now))
        .execute(conn)
    }
}
