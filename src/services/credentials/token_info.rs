//! What pages and answers may see of a token: its metadata, never its
//! digest or sealed value, which stay in the model row.

use diesel::PgConnection;
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::domain::{TokenKind, TokenStatus};
use crate::models::{Token, TokenRow, TokenSearch};
use crate::tokens::Issued;

/// A token's metadata.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: i64,
    pub kind: TokenKind,
    /// The public key (without the prefix): see [`display_key`](Self::display_key).
    pub key: String,
    pub name: String,
    pub user_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub source_id: Option<i64>,
    pub can_read: bool,
    pub can_write: bool,
    pub filter_id: Option<i64>,
    pub active: bool,
    pub deactivated_by: Option<i64>,
    pub deactivated_reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub last_used_ip: Option<String>,
    pub use_count: i64,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_reason: Option<String>,
    /// A regenerated token still working until then.
    pub retiring_until: Option<OffsetDateTime>,
    pub destination_id: Option<i64>,
    /// Where it may be used from (empty: anywhere).
    pub allowed_ips: Vec<String>,
    /// Its own rate limit (none: its kind's).
    pub rate: crate::domain::RateLimit,
}

impl From<Token> for TokenInfo {
    fn from(t: Token) -> Self {
        Self {
            id: t.id,
            kind: t.kind,
            key: t.key,
            name: t.name,
            user_id: t.user_id,
            campaign_id: t.campaign_id,
            source_id: t.source_id,
            can_read: t.can_read,
            can_write: t.can_write,
            filter_id: t.filter_id,
            active: t.active,
            deactivated_by: t.deactivated_by,
            deactivated_reason: t.deactivated_reason,
            created_by: t.created_by,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            last_used_ip: t.last_used_ip,
            use_count: t.use_count,
            revoked_at: t.revoked_at,
            revoked_reason: t.revoked_reason,
            retiring_until: t.retiring_until,
            destination_id: t.destination_id,
            rate: crate::domain::RateLimit::stored(t.rate_per_second, t.rate_per_minute),
            allowed_ips: t.allowed_ips,
        }
    }
}

impl TokenInfo {
    /// `kw_pat_AbCd1234`: how a token is named in lists, logs and emails.
    pub fn display_key(&self) -> String {
        format!("{}{}", self.kind.prefix(), self.key)
    }

    pub fn status(&self, now: OffsetDateTime) -> TokenStatus {
        TokenStatus::of(self.revoked_at.is_some(), self.expires_at, self.active, now)
    }

    /// Whole days until expiry, rounded up (0 once expired).
    pub fn days_left(&self, now: OffsetDateTime) -> Option<i64> {
        self.expires_at.map(|e| {
            let secs = (e - now).whole_seconds().max(0);
            (secs + 86_399) / 86_400
        })
    }

    /// Why it stopped working, if someone said.
    pub fn reason(&self) -> Option<&str> {
        self.revoked_reason.as_deref().or(self.deactivated_reason.as_deref())
    }
}

/// A token with the names a list shows next to it.
#[derive(Debug, Clone)]
pub struct TokenListing {
    pub token: TokenInfo,
    pub owner_email: Option<String>,
    pub campaign_slug: Option<String>,
    pub source_slug: Option<String>,
    pub campaign_name: Option<String>,
    pub source_name: Option<String>,
    pub creator_email: Option<String>,
}

impl From<TokenRow> for TokenListing {
    fn from(r: TokenRow) -> Self {
        Self {
            token: r.token.into(),
            owner_email: r.owner_email,
            campaign_slug: r.campaign_slug,
            source_slug: r.source_slug,
            campaign_name: r.campaign_name,
            source_name: r.source_name,
            creator_email: r.creator_email,
        }
    }
}

/// Token metadata for lists, filtered and keyset-paginated.
pub(in crate::services) fn search(
    conn: &mut PgConnection,
    search: &TokenSearch,
    now: OffsetDateTime,
) -> diesel::QueryResult<Vec<TokenListing>> {
    Ok(Token::search(conn, search, now)?.into_iter().map(TokenListing::from).collect())
}

/// One token with the names a list shows.
pub(in crate::services) fn listing(conn: &mut PgConnection, token: Token) -> diesel::QueryResult<TokenListing> {
    TokenRow::label(conn, vec![token])?.pop().map(TokenListing::from).ok_or(diesel::result::Error::NotFound)
}

/// A token just made: its metadata, and the secret to show once (for
/// retrievable kinds, Show can open it again later).
pub struct NewToken {
    pub token: TokenInfo,
    pub secret: SecretString,
}

impl From<Issued> for NewToken {
    fn from(i: Issued) -> Self {
        Self { token: i.token.into(), secret: i.secret }
    }
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken").field("token", &self.token.display_key()).finish_non_exhaustive()
    }
}
