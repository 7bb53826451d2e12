use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::instances;

/// A running `keyward serve`, seen by its heartbeat: per-token rate limits
/// are shared out among the live ones.
pub struct Instance;

impl Instance {
    /// Records that `id` is alive and returns how many instances were seen
    /// since `since` (this one included); forgets long-gone ones.
    pub fn heartbeat(
        conn: &mut PgConnection,
        id: &str,
        started_at: OffsetDateTime,
        now: OffsetDateTime,
        since: OffsetDateTime,
    ) -> QueryResult<i64> {
        diesel::insert_into(instances::table)
            .values((instances::id.eq(id), instances::started_at.eq(started_at), instances::last_seen.eq(now)))
            .on_conflict(instances::id)
            .do_update()
            .set(instances::last_seen.eq(now))
            .execute(conn)?;
        diesel::delete(instances::table.filter(instances::last_seen.lt(now - time::Duration::days(1))))
            .execute(conn)?;
        instances::table.filter(instances::last_seen.ge(since)).count().get_result(conn)
    }

    pub fn leave(conn: &mut PgConnection, id: &str) -> QueryResult<()> {
        diesel::delete(instances::table.find(id)).execute(conn).map(drop)
    }
}
