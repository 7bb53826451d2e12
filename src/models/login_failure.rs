use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::login_failures;

/// Failed sign-ins, for throttling. Rows older than the window are pruned.
pub struct LoginFailure;

impl LoginFailure {
    pub fn record(conn: &mut PgConnection, email: &str, ip: &str, now: OffsetDateTime) -> QueryResult<()> {
        diesel::insert_into(login_failures::table)
            .values((login_failures::email.eq(email), login_failures::ip.eq(ip), login_failures::at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    /// Failures for this email since `since`, and the oldest of them.
    pub fn for_email(
        conn: &mut PgConnection,
        email: &str,
        since: OffsetDateTime,
    ) -> QueryResult<(i64, Option<OffsetDateTime>)> {
        login_failures::table
            .filter(login_failures::email.eq(email))
            .filter(login_failures::at.gt(since))
            .select((diesel::dsl::count_star(), diesel::dsl::min(login_failures::at)))
            .first(conn)
    }

    pub fn for_ip(
        conn: &mut PgConnection,
        ip: &str,
        since: OffsetDateTime,
    ) -> QueryResult<(i64, Option<OffsetDateTime>)> {
        login_failures::table
            .filter(login_failures::ip.eq(ip))
            .filter(login_failures::at.gt(since))
            .select((diesel::dsl::count_star(), diesel::dsl::min(login_failures::at)))
            .first(conn)
    }

    pub fn clear_email(conn: &mut PgConnection, email: &str) -> QueryResult<usize> {
        diesel::delete(login_failures::table.filter(login_failures::email.eq(email))).execute(conn)
    }

    pub fn prune(conn: &mut PgConnection, before: OffsetDateTime) -> QueryResult<usize> {
        diesel::delete(login_failures::table.filter(login_failures::at.le(before))).execute(conn)
    }
}
