use std::collections::HashMap;

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::domain::{Scope, ScopeColumns, TokenKind, TokenStatus, normalise_key};
use crate::schema::{campaigns, sources, tokens, users};

#[derive(Queryable, Selectable, Identifiable, Clone)]
#[diesel(table_name = tokens, check_for_backend(diesel::pg::Pg))]
pub struct Token {
    pub id: i64,
    pub kind: TokenKind,
    pub key: String,
    pub digest: Vec<u8>,
    pub sealed: Option<Vec<u8>>,
    pub name: String,
    pub user_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub source_id: Option<i64>,
    pub can_read: bool,
    pub can_write: bool,
    pub filter_id: Option<i64>,
    pub active: bool,
    pub deactivated_at: Option<OffsetDateTime>,
    pub deactivated_by: Option<i64>,
    pub deactivated_reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub last_used_ip: Option<String>,
    pub use_count: i64,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<i64>,
    pub revoked_reason: Option<String>,
    pub warned_14d_at: Option<OffsetDateTime>,
    pub warned_1d_at: Option<OffsetDateTime>,
    /// The destination whose signing secret this is.
    pub destination_id: Option<i64>,
    /// A regenerated token that keeps working until then.
    pub retiring_until: Option<OffsetDateTime>,
    /// The networks (CIDRs) it may be used from; empty: anywhere.
    pub allowed_ips: Vec<String>,
    pub rate_per_second: Option<i32>,
    pub rate_per_minute: Option<i32>,
}

/// Neither the digest nor the sealed value is ever printed.
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("key", &self.key)
            .field("active", &self.active)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = tokens)]
pub struct NewTokenRow<'a> {
    pub kind: TokenKind,
    pub key: &'a str,
    pub digest: &'a [u8],
    pub sealed: Option<&'a [u8]>,
    pub name: &'a str,
    pub user_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub source_id: Option<i64>,
    pub can_read: bool,
    pub can_write: bool,
    pub filter_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub destination_id: Option<i64>,
    pub allowed_ips: &'a [String],
    pub rate_per_second: Option<i32>,
    pub rate_per_minute: Option<i32>,
}

/// What token lists filter on (Token Management, the support console, the
/// tokens API). Newest first; `before` is the keyset cursor (a token id).
#[derive(Debug, Clone, Default)]
pub struct TokenSearch {
    pub kind: Option<TokenKind>,
    pub campaign_id: Option<i64>,
    pub status: Option<TokenStatus>,
    /// The start of a token key (with or without its prefix).
    pub key_prefix: Option<String>,
    /// Part of the owner's (or assigned user's) email.
    pub owner: Option<String>,
    pub user_id: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
}

/// A token with the names a list shows next to it.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub token: Token,
    pub owner_email: Option<String>,
    pub campaign_slug: Option<String>,
    pub source_slug: Option<String>,
    /// What people call the scope: the campaign's and source's names.
    pub campaign_name: Option<String>,
    pub source_name: Option<String>,
    /// Who made it (a campaign API token's admin, say).
    pub creator_email: Option<String>,
}

impl TokenRow {
    /// Puts names to tokens: one query per table for the whole page, each
    /// by primary key, none for a table no token on the page points to. (A
    /// four-table join costs PostgreSQL more to plan on every execution
    /// than these cost to run.)
    pub fn label(conn: &mut PgConnection, tokens: Vec<Token>) -> QueryResult<Vec<TokenRow>> {
        fn ids(tokens: &[Token], of: impl Fn(&Token) -> Option<i64>) -> Vec<i64> {
            let mut ids: Vec<i64> = tokens.iter().filter_map(of).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        }
        fn names<T>(
            ids: Vec<i64>,
            load: impl FnOnce(Vec<i64>) -> QueryResult<Vec<(i64, T)>>,
        ) -> QueryResult<HashMap<i64, T>> {
            if ids.is_empty() {
                return Ok(HashMap::new());
            }
            Ok(load(ids)?.into_iter().collect())
        }
        let mut user_ids = ids(&tokens, |t| t.user_id);
        user_ids.extend(ids(&tokens, |t| t.created_by));
        user_ids.sort_unstable();
        user_ids.dedup();
        let emails = names(user_ids, |ids| {
            users::table.filter(users::id.eq_any(ids)).select((users::id, users::email)).load(conn)
        })?;
        let campaigns = names(ids(&tokens, |t| t.campaign_id), |ids| {
            campaigns::table
                .filter(campaigns::id.eq_any(ids))
                .select((campaigns::id, (campaigns::slug, campaigns::name)))
                .load::<(i64, (String, String))>(conn)
        })?;
        let sources = names(ids(&tokens, |t| t.source_id), |ids| {
            sources::table
                .filter(sources::id.eq_any(ids))
                .select((sources::id, (sources::slug, sources::name)))
                .load::<(i64, (String, String))>(conn)
        })?;
        let email = |id: Option<i64>| id.and_then(|id| emails.get(&id).cloned());
        let pair = |map: &HashMap<i64, (String, String)>, id: Option<i64>| id.and_then(|id| map.get(&id).cloned());
        Ok(tokens
            .into_iter()
            .map(|token| {
                let c = pair(&campaigns, token.campaign_id);
                let s = pair(&sources, token.source_id);
                TokenRow {
                    owner_email: email(token.user_id),
                    creator_email: email(token.created_by),
                    campaign_slug: c.as_ref().map(|c| c.0.clone()),
                    campaign_name: c.map(|c| c.1),
                    source_slug: s.as_ref().map(|s| s.0.clone()),
                    source_name: s.map(|s| s.1),
                    token,
                }
            })
            .collect())
    }
}

impl Token {
    pub fn status(&self, now: OffsetDateTime) -> TokenStatus {
        TokenStatus::of(self.revoked_at.is_some(), self.expires_at, self.active, now)
    }

    /// `kw_pat_AbCd1234`: how a token is named in lists, logs and emails.
    pub fn display_key(&self) -> String {
        format!("{}{}", self.kind.prefix(), self.key)
    }

    /// What the token is for, read from its scope columns.
    pub fn scope(&self) -> Result<Scope, crate::error::AppError> {
        let columns = ScopeColumns {
            user_id: self.user_id,
            campaign_id: self.campaign_id,
            source_id: self.source_id,
            destination_id: self.destination_id,
            can_read: self.can_read,
            can_write: self.can_write,
            filter_id: self.filter_id,
        };
        Scope::from_columns(self.kind, columns).ok_or_else(|| {
            crate::error::AppError::internal(anyhow::anyhow!("token {} has no scope its kind can have", self.id))
        })
    }

    /// Whole days until expiry, rounded up (0 once expired).
    pub fn days_left(&self, now: OffsetDateTime) -> Option<i64> {
        self.expires_at.map(|e| {
            let secs = (e - now).whole_seconds().max(0);
            (secs + 86_399) / 86_400
        })
    }

    pub fn insert(conn: &mut PgConnection, new: &NewTokenRow<'_>) -> QueryResult<Token> {
        diesel::insert_into(tokens::table).values(new).returning(Token::as_returning()).get_result(conn)
    }

    pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Token> {
        tokens::table.find(id).select(Token::as_select()).first(conn)
    }

    pub fn find_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<Token> {
        tokens::table.find(id).select(Token::as_select()).for_update().first(conn)
    }

    /// Tokens by id (in no particular order).
    pub fn find_many(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<Token>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        tokens::table.filter(tokens::id.eq_any(ids)).select(Token::as_select()).load(conn)
    }

    pub fn by_key(conn: &mut PgConnection, key: &str) -> QueryResult<Option<Token>> {
        tokens::table.filter(tokens::key.eq(key)).select(Token::as_select()).first(conn).optional()
    }

    /// The lookup of every verification: by digest, with the owner (or
    /// assigned user) when there is one.
    pub fn by_digest_with_user(
        conn: &mut PgConnection,
        digest: &[u8],
    ) -> QueryResult<Option<(Token, Option<super::user::User>)>> {
        tokens::table
            .left_join(users::table.on(users::id.nullable().eq(tokens::user_id)))
            .filter(tokens::digest.eq(digest))
            .select((Token::as_select(), Option::<super::user::User>::as_select()))
            .first(conn)
            .optional()
    }

    /// The tokens with these digests (a leak report's batch), with their
    /// owners: one query whatever the batch holds.
    pub fn by_digests_with_user(
        conn: &mut PgConnection,
        digests: &[Vec<u8>],
    ) -> QueryResult<Vec<(Token, Option<super::user::User>)>> {
        tokens::table
            .left_join(users::table.on(users::id.nullable().eq(tokens::user_id)))
            .filter(tokens::digest.eq_any(digests))
            .select((Token::as_select(), Option::<super::user::User>::as_select()))
            .load(conn)
    }

    /// A user's personal tokens, newest first (revoked ones included: they
    /// show why a token stopped working).
    /// How many of a user's tokens are live, and when any was last used.
    pub fn use_of_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<(i64, Option<OffsetDateTime>)> {
        use diesel::dsl::{count_star, max};
        let live = tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::revoked_at.is_null())
            .select(count_star())
            .get_result(conn)?;
        let last =
            tokens::table.filter(tokens::user_id.eq(user_id)).select(max(tokens::last_used_at)).get_result(conn)?;
        Ok((live, last))
    }

    /// A destination's secrets that sign at `now`: the live one and any
    /// retiring one still inside its overlap, newest first.
    pub fn signing_of_destination(
        conn: &mut PgConnection,
        destination_id: i64,
        now: OffsetDateTime,
    ) -> QueryResult<Vec<Token>> {
        tokens::table
            .filter(tokens::destination_id.eq(destination_id))
            .filter(tokens::revoked_at.is_null())
            .filter(tokens::retiring_until.is_null().or(tokens::retiring_until.gt(now)))
            .order(tokens::id.desc())
            .select(Token::as_select())
            .load(conn)
    }

    /// A destination's tokens, newest first (revoked and retiring ones too).
    pub fn of_destination(conn: &mut PgConnection, destination_id: i64) -> QueryResult<Vec<Token>> {
        tokens::table
            .filter(tokens::destination_id.eq(destination_id))
            .order(tokens::id.desc())
            .select(Token::as_select())
            .load(conn)
    }

    /// Keeps a regenerated token working until `until`.
    pub fn set_retiring(conn: &mut PgConnection, id: i64, until: OffsetDateTime) -> QueryResult<()> {
        diesel::update(tokens::table.find(id)).set(tokens::retiring_until.eq(until)).execute(conn).map(drop)
    }

    /// A token's allowlist, rate limit and expiry (a new expiry is warned
    /// about afresh).
    pub fn set_limits(
        conn: &mut PgConnection,
        id: i64,
        allowed_ips: &[String],
        per_second: Option<i32>,
        per_minute: Option<i32>,
        expires_at: Option<OffsetDateTime>,
    ) -> QueryResult<Token> {
        let current: Option<OffsetDateTime> = tokens::table.find(id).select(tokens::expires_at).first(conn)?;
        let rewarn = current != expires_at;
        diesel::update(tokens::table.find(id))
            .set((
                tokens::allowed_ips.eq(allowed_ips),
                tokens::rate_per_second.eq(per_second),
                tokens::rate_per_minute.eq(per_minute),
                tokens::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        if rewarn {
            diesel::update(tokens::table.find(id))
                .set((
                    tokens::warned_14d_at.eq(None::<OffsetDateTime>),
                    tokens::warned_1d_at.eq(None::<OffsetDateTime>),
                ))
                .execute(conn)?;
        }
        Self::find(conn, id)
    }

    /// Retiring tokens whose overlap has ended, locked (the sweeper revokes them).
    pub fn retired(conn: &mut PgConnection, now: OffsetDateTime, limit: i64) -> QueryResult<Vec<Token>> {
        tokens::table
            .filter(tokens::revoked_at.is_null())
            .filter(tokens::retiring_until.le(now))
            .order(tokens::id)
            .limit(limit)
            .for_update()
            .skip_locked()
            .select(Token::as_select())
            .load(conn)
    }

    pub fn personal_of(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<Token>> {
        tokens::table
            .filter(tokens::kind.eq(TokenKind::Personal))
            .filter(tokens::user_id.eq(user_id))
            .order(tokens::id.desc())
            .select(Token::as_select())
            .load(conn)
    }

    /// The user's live (not revoked) profile API token, if any.
    pub fn live_profile_of(conn: &mut PgConnection, user_id: i64) -> QueryResult<Option<Token>> {
        tokens::table
            .filter(tokens::kind.eq(TokenKind::Profile))
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::revoked_at.is_null())
            .select(Token::as_select())
            .first(conn)
            .optional()
    }

    pub fn revoke(
        conn: &mut PgConnection,
        id: i64,
        now: OffsetDateTime,
        by: Option<i64>,
        reason: &str,
    ) -> QueryResult<()> {
        diesel::update(tokens::table.find(id))
            .set((tokens::revoked_at.eq(now), tokens::revoked_by.eq(by), tokens::revoked_reason.eq(reason)))
            .execute(conn)
            .map(drop)
    }

    /// A campaign API token's permissions and filter.
    pub fn set_access(
        conn: &mut PgConnection,
        id: i64,
        read: bool,
        write: bool,
        filter_id: Option<i64>,
    ) -> QueryResult<Token> {
        diesel::update(tokens::table.find(id))
            .set((tokens::can_read.eq(read), tokens::can_write.eq(write), tokens::filter_id.eq(filter_id)))
            .returning(Token::as_returning())
            .get_result(conn)
    }

    pub fn set_active(
        conn: &mut PgConnection,
        id: i64,
        active: bool,
        now: OffsetDateTime,
        by: Option<i64>,
        reason: Option<&str>,
    ) -> QueryResult<()> {
        let (at, by, reason) = if active { (None, None, None) } else { (Some(now), by, reason) };
        diesel::update(tokens::table.find(id))
            .set((
                tokens::active.eq(active),
                tokens::deactivated_at.eq(at),
                tokens::deactivated_by.eq(by),
                tokens::deactivated_reason.eq(reason),
            ))
            .execute(conn)
            .map(drop)
    }

    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
        diesel::delete(tokens::table.find(id)).execute(conn).map(drop)
    }

    /// Unrevoked tokens of the given kinds whose expiry has passed.
    pub fn expired(
        conn: &mut PgConnection,
        kinds: &[TokenKind],
        now: OffsetDateTime,
        limit: i64,
    ) -> QueryResult<Vec<Token>> {
        tokens::table
            .filter(tokens::kind.eq_any(kinds))
            .filter(tokens::revoked_at.is_null())
            .filter(tokens::expires_at.le(now))
            .order(tokens::id)
            .limit(limit)
            .select(Token::as_select())
            .for_update()
            .skip_locked()
            .load(conn)
    }

    /// Live tokens expiring in (`after`, `before`] whose warning for that
    /// horizon has not gone out.
    pub fn due_warning(
        conn: &mut PgConnection,
        after: OffsetDateTime,
        before: OffsetDateTime,
        one_day: bool,
        limit: i64,
    ) -> QueryResult<Vec<Token>> {
        let due = tokens::table
            .filter(tokens::revoked_at.is_null())
            .filter(tokens::retiring_until.is_null())
            .filter(tokens::expires_at.gt(after))
            .filter(tokens::expires_at.le(before))
            .order(tokens::id)
            .limit(limit)
            .select(Token::as_select());
        if one_day {
            due.filter(tokens::warned_1d_at.is_null()).for_update().skip_locked().load(conn)
        } else {
            due.filter(tokens::warned_14d_at.is_null()).for_update().skip_locked().load(conn)
        }
    }

    pub fn mark_warned(conn: &mut PgConnection, id: i64, now: OffsetDateTime, one_day: bool) -> QueryResult<()> {
        let target = tokens::table.find(id);
        if one_day {
            diesel::update(target).set(tokens::warned_1d_at.eq(now)).execute(conn)?;
        } else {
            diesel::update(target).set(tokens::warned_14d_at.eq(now)).execute(conn)?;
        }
        Ok(())
    }

    /// Live tokens a user owns or is assigned.
    pub fn live_of_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<Token>> {
        tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::revoked_at.is_null())
            .order(tokens::id)
            .select(Token::as_select())
            .load(conn)
    }

    /// Live (unrevoked) tokens per kind, of one user or of everyone.
    pub fn live_counts(conn: &mut PgConnection, user_id: Option<i64>) -> QueryResult<Vec<(TokenKind, i64)>> {
        let mut q = tokens::table
            .filter(tokens::revoked_at.is_null())
            .group_by(tokens::kind)
            .select((tokens::kind, diesel::dsl::count_star()))
            .into_boxed();
        if let Some(id) = user_id {
            q = q.filter(tokens::user_id.eq(id));
        }
        q.load(conn)
    }

    /// Live tokens expiring in (`now`, `before`], soonest first.
    pub fn expiring(
        conn: &mut PgConnection,
        now: OffsetDateTime,
        before: OffsetDateTime,
        user_id: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<Token>> {
        let mut q = tokens::table
            .filter(tokens::revoked_at.is_null())
            .filter(tokens::expires_at.gt(now))
            .filter(tokens::expires_at.le(before))
            .order(tokens::expires_at)
            .limit(limit)
            .select(Token::as_select())
            .into_boxed();
        if let Some(id) = user_id {
            q = q.filter(tokens::user_id.eq(id));
        }
        q.load(conn)
    }

    /// The live (unrevoked, not retiring) token of an intake level: kind
    /// plus scope.
    pub fn live_level(
        conn: &mut PgConnection,
        kind: TokenKind,
        campaign_id: Option<i64>,
        source_id: Option<i64>,
    ) -> QueryResult<Option<Token>> {
        Self::of_level(kind, campaign_id, source_id).filter(tokens::retiring_until.is_null()).first(conn).optional()
    }

    /// A level's regenerated token still in its grace period, if any.
    pub fn retiring_level(
        conn: &mut PgConnection,
        kind: TokenKind,
        campaign_id: Option<i64>,
        source_id: Option<i64>,
    ) -> QueryResult<Option<Token>> {
        Self::of_level(kind, campaign_id, source_id)
            .filter(tokens::retiring_until.is_not_null())
            .order(tokens::retiring_until.desc())
            .first(conn)
            .optional()
    }

    fn of_level<'a>(
        kind: TokenKind,
        campaign_id: Option<i64>,
        source_id: Option<i64>,
    ) -> tokens::BoxedQuery<'a, diesel::pg::Pg, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<Token, diesel::pg::Pg>>>
    {
        let mut q = tokens::table
            .filter(tokens::kind.eq(kind))
            .filter(tokens::revoked_at.is_null())
            .select(Token::as_select())
            .into_boxed();
        if let Some(id) = campaign_id {
            q = q.filter(tokens::campaign_id.eq(id));
        }
        if let Some(id) = source_id {
            q = q.filter(tokens::source_id.eq(id));
        }
        q
    }

    /// Token metadata for lists, filtered and keyset-paginated.
    pub fn search(conn: &mut PgConnection, search: &TokenSearch, now: OffsetDateTime) -> QueryResult<Vec<TokenRow>> {
        let mut q = tokens::table.select(Token::as_select()).into_boxed();
        if let Some(kind) = search.kind {
            q = q.filter(tokens::kind.eq(kind));
        }
        if let Some(id) = search.campaign_id {
            q = q.filter(tokens::campaign_id.eq(id));
        }
        if let Some(id) = search.user_id {
            q = q.filter(tokens::user_id.eq(id));
        }
        if let Some(prefix) = &search.key_prefix {
            let key = normalise_key(prefix);
            q = q.filter(tokens::key.like(format!("{}%", super::audit_event::escape_like(key))));
        }
        if let Some(owner) = &search.owner {
            let pattern = format!("%{}%", super::audit_event::escape_like(owner));
            q = q.filter(
                tokens::user_id.eq_any(users::table.filter(users::email.ilike(pattern)).select(users::id.nullable())),
            );
        }
        if let Some(before) = search.before {
            q = q.filter(tokens::id.lt(before));
        }
        // The SQL form of `TokenStatus::of` (tests check the two agree).
        q = match search.status {
            None => q,
            Some(TokenStatus::Revoked) => q.filter(tokens::revoked_at.is_not_null()),
            Some(TokenStatus::Expired) => q.filter(tokens::revoked_at.is_null()).filter(tokens::expires_at.le(now)),
            Some(TokenStatus::Deactivated) => q
                .filter(tokens::revoked_at.is_null())
                .filter(tokens::active.eq(false))
                .filter(tokens::expires_at.is_null().or(tokens::expires_at.gt(now))),
            Some(TokenStatus::Active) => q
                .filter(tokens::revoked_at.is_null())
                .filter(tokens::active.eq(true))
                .filter(tokens::expires_at.is_null().or(tokens::expires_at.gt(now))),
        };
        let found = q.order(tokens::id.desc()).limit(search.limit).load(conn)?;
        TokenRow::label(conn, found)
    }

    /// Adds batched use to tokens: `use_count` grows by each count, and
    /// `last_used_at`/`last_used_ip` move to the latest use. One statement
    /// for the whole batch.
    pub fn add_usage(
        conn: &mut PgConnection,
        ids: &[i64],
        counts: &[i64],
        last_at: &[OffsetDateTime],
        last_ip: &[String],
    ) -> QueryResult<usize> {
        use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
        diesel::sql_query(
            "UPDATE tokens AS t SET \
                use_count = t.use_count + u.n, \
                last_used_ip = CASE WHEN t.last_used_at IS NULL OR u.at >= t.last_used_at THEN u.ip ELSE t.last_used_ip END, \
                last_used_at = GREATEST(t.last_used_at, u.at) \
             FROM unnest($1::int8[], $2::int8[], $3::timestamptz[], $4::text[]) AS u(id, n, at, ip) \
             WHERE t.id = u.id",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<BigInt>, _>(counts)
        .bind::<Array<Timestamptz>, _>(last_at)
        .bind::<Array<Text>, _>(last_ip)
        .execute(conn)
    }

    /// A campaign's API tokens with who created each, live ones first.
    pub fn campaign_api_with_creator(
        conn: &mut PgConnection,
        campaign_id: i64,
    ) -> QueryResult<Vec<(Token, Option<String>)>> {
        tokens::table
            .left_join(users::table.on(users::id.nullable().eq(tokens::created_by)))
            .filter(tokens::kind.eq(TokenKind::CampaignApi))
            .filter(tokens::campaign_id.eq(campaign_id))
            .order((tokens::revoked_at.is_not_null(), tokens::id.desc()))
            .select((Token::as_select(), users::email.nullable()))
            .load(conn)
    }

    /// Live account private tokens with the email of the user each is
    /// assigned to, newest first.
    pub fn live_private_with_assignee(conn: &mut PgConnection) -> QueryResult<Vec<(Token, String)>> {
        tokens::table
            .inner_join(users::table.on(users::id.nullable().eq(tokens::user_id)))
            .filter(tokens::kind.eq(TokenKind::AccountPrivate))
            .filter(tokens::revoked_at.is_null())
            .order(tokens::id.desc())
            .select((Token::as_select(), users::email))
            .load(conn)
    }

    /// Names of the live campaign API tokens that use a filter.
    pub fn live_names_using_filter(conn: &mut PgConnection, filter_id: i64) -> QueryResult<Vec<String>> {
        tokens::table
            .filter(tokens::filter_id.eq(filter_id))
            .filter(tokens::kind.eq(TokenKind::CampaignApi))
            .filter(tokens::revoked_at.is_null())
            .select(tokens::name)
            .load(conn)
    }

    /// Lets (revoked) tokens that pointed at a filter point at nothing.
    pub fn clear_filter(conn: &mut PgConnection, filter_id: i64) -> QueryResult<usize> {
        diesel::update(tokens::table.filter(tokens::filter_id.eq(filter_id)))
            .set(tokens::filter_id.eq(None::<i64>))
            .execute(conn)
    }
}
