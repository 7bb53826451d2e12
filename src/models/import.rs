//! Bulk imports of leads: one row each, with progress and the report.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::domain::{ImportMode, ImportState, LeadFormat};
use crate::schema::imports;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = imports, check_for_backend(diesel::pg::Pg))]
pub struct Import {
    pub id: i64,
    pub campaign_id: i64,
    pub token_id: Option<i64>,
    pub token_key: String,
    pub user_id: Option<i64>,
    pub user_label: String,
    pub format: LeadFormat,
    pub mode: ImportMode,
    pub upsert_field: Option<String>,
    pub state: ImportState,
    pub bytes: i64,
    pub rows_read: i64,
    pub imported: i64,
    pub updated: i64,
    pub rejected: i64,
    pub errors: serde_json::Value,
    pub failure: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<Vec<u8>>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = imports)]
pub struct NewImport<'a> {
    pub campaign_id: i64,
    pub token_id: Option<i64>,
    pub token_key: &'a str,
    pub user_id: Option<i64>,
    pub user_label: &'a str,
    pub format: LeadFormat,
    pub mode: ImportMode,
    pub upsert_field: Option<&'a str>,
    pub state: ImportState,
    pub bytes: i64,
    pub idempotency_key: Option<&'a str>,
    pub request_hash: Option<&'a [u8]>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Where an import stands: counts so far and the report.
pub struct Progress<'a> {
    pub rows_read: i64,
    pub imported: i64,
    pub updated: i64,
    pub rejected: i64,
    pub errors: &'a serde_json::Value,
}

impl Import {
    pub fn insert(conn: &mut PgConnection, new: &NewImport<'_>) -> QueryResult<Import> {
        diesel::insert_into(imports::table).values(new).returning(Import::as_returning()).get_result(conn)
    }

    pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Import>> {
        imports::table.find(id).select(Import::as_select()).first(conn).optional()
    }

    /// The import a token made with this Idempotency-Key.
    pub fn by_key(conn: &mut PgConnection, token_id: i64, key: &str) -> QueryResult<Option<Import>> {
        imports::table
            .filter(imports::token_id.eq(token_id))
            .filter(imports::idempotency_key.eq(key))
            .select(Import::as_select())
            .first(conn)
            .optional()
    }

    /// Frees a key last used before `before` (keys live a day).
    pub fn forget_key(conn: &mut PgConnection, token_id: i64, key: &str, before: OffsetDateTime) -> QueryResult<usize> {
        diesel::update(
            imports::table
                .filter(imports::token_id.eq(token_id))
                .filter(imports::idempotency_key.eq(key))
                .filter(imports::created_at.lt(before)),
        )
        .set(imports::idempotency_key.eq(None::<String>))
        .execute(conn)
    }

    /// A campaign's imports, newest first.
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64, limit: i64) -> QueryResult<Vec<Import>> {
        imports::table
            .filter(imports::campaign_id.eq(campaign_id))
            .order(imports::id.desc())
            .limit(limit)
            .select(Import::as_select())
            .load(conn)
    }

    pub fn progress(conn: &mut PgConnection, id: i64, p: &Progress<'_>, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(imports::table.find(id))
            .set((
                imports::rows_read.eq(p.rows_read),
                imports::imported.eq(p.imported),
                imports::updated.eq(p.updated),
                imports::rejected.eq(p.rejected),
                imports::errors.eq(p.errors),
                imports::updated_at.eq(now),
            ))
            .execute(conn)
            .map(drop)
    }

    /// Ends an import: done, or failed with the reason.
    pub fn finish(
        conn: &mut PgConnection,
        id: i64,
        p: &Progress<'_>,
        failure: Option<&str>,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        Self::progress(conn, id, p, now)?;
        let state = if failure.is_some() { ImportState::Failed } else { ImportState::Done };
        diesel::update(imports::table.find(id))
            .set((imports::state.eq(state), imports::failure.eq(failure), imports::finished_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    /// Running imports no one has moved since `before`: their process
    /// stopped. Marks them failed; how many.
    pub fn fail_stale(conn: &mut PgConnection, before: OffsetDateTime, now: OffsetDateTime) -> QueryResult<usize> {
        diesel::update(
            imports::table.filter(imports::state.eq(ImportState::Running)).filter(imports::updated_at.lt(before)),
        )
        .set((
            imports::state.eq(ImportState::Failed),
            imports::failure.eq("interrupted: the server stopped while importing; rows up to the last batch are stored (partial) or none (all_or_nothing)"),
            imports::finished_at.eq(now),
        ))
        .execute(conn)
    }
}
