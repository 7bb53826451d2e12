//! Sources of a campaign, each with the enable switches of its three intake
//! tokens (form, ping, post).

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::domain::{IntakeMethod, SourceKind};
use crate::schema::sources;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = sources, check_for_backend(diesel::pg::Pg))]
pub struct Source {
    pub id: i64,
    pub campaign_id: i64,
    pub slug: String,
    pub name: String,
    pub kind: SourceKind,
    pub form_token_enabled: bool,
    pub ping_token_enabled: bool,
    pub post_token_enabled: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Source {
    pub fn find(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<Source> {
        sources::table
            .filter(sources::campaign_id.eq(campaign_id))
            .filter(sources::id.eq(id))
            .select(Source::as_select())
            .first(conn)
    }

    pub fn by_ref(conn: &mut PgConnection, campaign_id: i64, reference: &str) -> QueryResult<Option<Source>> {
        let q = sources::table.filter(sources::campaign_id.eq(campaign_id)).select(Source::as_select());
        match reference.parse::<i64>() {
            Ok(id) => q.filter(sources::id.eq(id)).first(conn).optional(),
            Err(_) => q.filter(sources::slug.eq(reference)).first(conn).optional(),
        }
    }

    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Source>> {
        sources::table
            .filter(sources::campaign_id.eq(campaign_id))
            .order(sources::name)
            .select(Source::as_select())
            .load(conn)
    }

    pub fn insert(
        conn: &mut PgConnection,
        campaign_id: i64,
        slug: &str,
        name: &str,
        kind: SourceKind,
        now: OffsetDateTime,
    ) -> QueryResult<Source> {
        diesel::insert_into(sources::table)
            .values((
                sources::campaign_id.eq(campaign_id),
                sources::slug.eq(slug),
                sources::name.eq(name),
                sources::kind.eq(kind),
                sources::created_at.eq(now),
                sources::updated_at.eq(now),
            ))
            .returning(Source::as_returning())
            .get_result(conn)
    }

    pub fn update_details(
        conn: &mut PgConnection,
        id: i64,
        name: &str,
        kind: SourceKind,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        diesel::update(sources::table.find(id))
            .set((sources::name.eq(name), sources::kind.eq(kind), sources::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    /// The enable switch of one method's token.
    pub fn set_method_enabled(
        conn: &mut PgConnection,
        id: i64,
        method: IntakeMethod,
        enabled: bool,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        let target = sources::table.find(id);
        match method {
            IntakeMethod::Form => diesel::update(target)
                .set((sources::form_token_enabled.eq(enabled), sources::updated_at.eq(now)))
                .execute(conn),
            IntakeMethod::Ping => diesel::update(target)
                .set((sources::ping_token_enabled.eq(enabled), sources::updated_at.eq(now)))
                .execute(conn),
            IntakeMethod::Post => diesel::update(target)
                .set((sources::post_token_enabled.eq(enabled), sources::updated_at.eq(now)))
                .execute(conn),
        }
        .map(drop)
    }

    pub fn method_enabled(&self, method: IntakeMethod) -> bool {
        match method {
            IntakeMethod::Form => self.form_token_enabled,
            IntakeMethod::Ping => self.ping_token_enabled,
            IntakeMethod::Post => self.post_token_enabled,
        }
    }
}
