use diesel::prelude::*;
use time::OffsetDateTime;

use crate::domain::TokenKind;
use crate::schema::token_policies;

/// The organisation's policy for one kind of token. A kind without a row
/// has the defaults: no maximum, no default lifetime, "never" allowed, no
/// retention, no default rate limit.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = token_policies, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub struct TokenPolicy {
    pub kind: TokenKind,
    pub max_days: Option<i32>,
    pub default_days: Option<i32>,
    pub never_allowed: bool,
    pub retention_days: i32,
    pub rate_per_second: Option<i32>,
    pub rate_per_minute: Option<i32>,
    pub updated_at: OffsetDateTime,
}

impl TokenPolicy {
    pub fn default_for(kind: TokenKind) -> Self {
        Self {
            kind,
            max_days: None,
            default_days: None,
            never_allowed: true,
            retention_days: 0,
            rate_per_second: None,
            rate_per_minute: None,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<TokenPolicy>> {
        token_policies::table.select(TokenPolicy::as_select()).load(conn)
    }

    pub fn of(conn: &mut PgConnection, kind: TokenKind) -> QueryResult<TokenPolicy> {
        Ok(token_policies::table
            .find(kind)
            .select(TokenPolicy::as_select())
            .first(conn)
            .optional()?
            .unwrap_or_else(|| Self::default_for(kind)))
    }

    pub fn save(conn: &mut PgConnection, policy: &TokenPolicy) -> QueryResult<()> {
        diesel::insert_into(token_policies::table)
            .values(policy)
            .on_conflict(token_policies::kind)
            .do_update()
            .set(policy)
            .execute(conn)
            .map(drop)
    }
}
