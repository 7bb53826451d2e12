use diesel::prelude::*;
use time::OffsetDateTime;

use super::user::User;
use crate::schema::{sessions, users};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg))]
pub struct Session {
    pub id: i64,
    pub digest: Vec<u8>,
    pub user_id: i64,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: String,
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub digest: &'a [u8],
    pub user_id: i64,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub ip: Option<&'a str>,
    pub user_agent: &'a str,
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    reveal: Vec<u8>,
}

impl Session {
    /// Keeps a sealed one-time reveal on the session (replacing any).
    pub fn set_reveal(conn: &mut PgConnection, id: i64, sealed: &[u8]) -> QueryResult<()> {
        diesel::update(sessions::table.find(id)).set(sessions::reveal.eq(sealed)).execute(conn).map(drop)
    }

    /// Takes the session's one-time reveal: returned once, cleared in the
    /// same statement.
    pub fn take_reveal(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Vec<u8>>> {
        diesel::sql_query(
            "UPDATE sessions s SET reveal = NULL \
             FROM (SELECT id, reveal FROM sessions WHERE id = $1 AND reveal IS NOT NULL FOR UPDATE) o \
             WHERE s.id = o.id RETURNING o.reveal",
        )
        .bind::<diesel::sql_types::BigInt, _>(id)
        .get_result::<Taken>(conn)
        .optional()
        .map(|t| t.map(|t| t.reveal))
    }

    pub fn insert(conn: &mut PgConnection, new: &NewSession<'_>) -> QueryResult<Session> {
        diesel::insert_into(sessions::table).values(new).returning(Session::as_returning()).get_result(conn)
    }

    /// The session and its user, in one query: every console request asks.
    pub fn with_user_by_digest(conn: &mut PgConnection, digest: &[u8]) -> QueryResult<Option<(Session, User)>> {
        sessions::table
            .inner_join(users::table)
            .filter(sessions::digest.eq(digest))
            .select((Session::as_select(), User::as_select()))
            .first(conn)
            .optional()
    }

    pub fn touch(conn: &mut PgConnection, id: i64, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(sessions::table.find(id)).set(sessions::last_seen_at.eq(now)).execute(conn).map(drop)
    }

    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
        diesel::delete(sessions::table.find(id)).execute(conn).map(drop)
    }

    /// Ends every session of a user, except `keep` if given.
    pub fn delete_for_user(conn: &mut PgConnection, user_id: i64, keep: Option<i64>) -> QueryResult<usize> {
        let q = sessions::table.filter(sessions::user_id.eq(user_id));
        match keep {
            Some(id) => diesel::delete(q.filter(sessions::id.ne(id))).execute(conn),
            None => diesel::delete(q).execute(conn),
        }
    }

    pub fn delete_expired(
        conn: &mut PgConnection,
        now: OffsetDateTime,
        idle_cutoff: OffsetDateTime,
    ) -> QueryResult<usize> {
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now).or(sessions::last_seen_at.le(idle_cutoff))))
            .execute(conn)
    }
}
