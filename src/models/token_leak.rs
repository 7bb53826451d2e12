use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::token_leaks;

/// A leak report that named a live token.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = token_leaks, check_for_backend(diesel::pg::Pg))]
pub struct TokenLeak {
    pub id: i64,
    pub token_id: i64,
    pub reported_at: OffsetDateTime,
    pub url: String,
    pub source: String,
    /// "revoked" or "flagged".
    pub action: String,
    pub reporter: String,
}

impl TokenLeak {
    pub fn insert(
        conn: &mut PgConnection,
        token_id: i64,
        at: OffsetDateTime,
        url: &str,
        source: &str,
        action: &str,
        reporter: &str,
    ) -> QueryResult<()> {
        diesel::insert_into(token_leaks::table)
            .values((
                token_leaks::token_id.eq(token_id),
                token_leaks::reported_at.eq(at),
                token_leaks::url.eq(url),
                token_leaks::source.eq(source),
                token_leaks::action.eq(action),
                token_leaks::reporter.eq(reporter),
            ))
            .execute(conn)
            .map(drop)
    }

    /// A token's reports, newest first.
    pub fn of_token(conn: &mut PgConnection, token_id: i64) -> QueryResult<Vec<TokenLeak>> {
        token_leaks::table
            .filter(token_leaks::token_id.eq(token_id))
            .order(token_leaks::reported_at.desc())
            .limit(20)
            .select(TokenLeak::as_select())
            .load(conn)
    }

    /// The reports of these tokens, each token's newest first.
    pub fn of_tokens(conn: &mut PgConnection, token_ids: &[i64]) -> QueryResult<Vec<TokenLeak>> {
        token_leaks::table
            .filter(token_leaks::token_id.eq_any(token_ids))
            .order((token_leaks::token_id, token_leaks::reported_at.desc()))
            .select(TokenLeak::as_select())
            .load(conn)
    }
}
