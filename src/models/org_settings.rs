use diesel::prelude::*;
use time::OffsetDateTime;

use crate::domain::DestinationRules;
use crate::schema::org_settings;

/// The single row of organisation-wide settings.
pub struct OrgSettings;

impl OrgSettings {
    pub fn setup_code_digest(conn: &mut PgConnection) -> QueryResult<Option<Vec<u8>>> {
        org_settings::table.select(org_settings::setup_code_digest).first(conn)
    }

    pub fn set_setup_code_digest(
        conn: &mut PgConnection,
        digest: Option<&[u8]>,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        diesel::update(org_settings::table)
            .set((org_settings::setup_code_digest.eq(digest), org_settings::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    /// What a leak report does to a live token: "revoke" or "flag".
    pub fn leak_action(conn: &mut PgConnection) -> QueryResult<String> {
        org_settings::table.select(org_settings::leak_action).first(conn)
    }

    pub fn set_leak_action(conn: &mut PgConnection, action: &str, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(org_settings::table)
            .set((org_settings::leak_action.eq(action), org_settings::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn global_token_enabled(conn: &mut PgConnection) -> QueryResult<bool> {
        org_settings::table.select(org_settings::global_token_enabled).first(conn)
    }

    pub fn set_global_token_enabled(conn: &mut PgConnection, enabled: bool, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(org_settings::table)
            .set((org_settings::global_token_enabled.eq(enabled), org_settings::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    /// Where destinations may point beyond public HTTPS.
    pub fn destination_rules(conn: &mut PgConnection) -> QueryResult<DestinationRules> {
        let (allow_private, allow_http, allow_loopback) = org_settings::table
            .select((
                org_settings::destinations_allow_private,
                org_settings::destinations_allow_http,
                org_settings::destinations_allow_loopback,
            ))
            .first(conn)?;
        Ok(DestinationRules { allow_private, allow_http, allow_loopback })
    }

    pub fn set_destination_rules(
        conn: &mut PgConnection,
        rules: DestinationRules,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        diesel::update(org_settings::table)
            .set((
                org_settings::destinations_allow_private.eq(rules.allow_private),
                org_settings::destinations_allow_http.eq(rules.allow_http),
                org_settings::destinations_allow_loopback.eq(rules.allow_loopback),
                org_settings::updated_at.eq(now),
            ))
            .execute(conn)
            .map(drop)
    }

    /// Locks the settings row: serialises first-run setup.
    pub fn lock(conn: &mut PgConnection) -> QueryResult<()> {
        org_settings::table.select(org_settings::id).for_update().first::<bool>(conn).map(drop)
    }

    /// Records `check` as the master key's check value if none is recorded
    /// yet, and returns the recorded one.
    pub fn claim_master_key_check(conn: &mut PgConnection, check: &[u8]) -> QueryResult<Vec<u8>> {
        diesel::update(org_settings::table.filter(org_settings::master_key_check.is_null()))
            .set(org_settings::master_key_check.eq(check))
            .execute(conn)?;
        org_settings::table.select(org_settings::master_key_check.assume_not_null()).first(conn)
    }
}
