//! Tokens as the API answers them: metadata (never a secret), a token's
//! lifecycle settings, usage, a value shown once, and the answers of the
//! actions on a token.

use serde::Serialize;
use time::OffsetDateTime;

use crate::api::view::{At, at};
use crate::domain::{FilterId, RateLimit, TokenId, TokenKind};
use crate::services::credentials::token_manage::Detail;

/// A token as every verb on `/api/v1/tokens` answers it (the list, one
/// token, a change, an action): its metadata (never a secret) and its
/// lifecycle settings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: TokenId,
    /// The token's public key (prefix and first characters); never the secret.
    pub key: String,
    pub kind: TokenKind,
    pub name: String,
    /// The owner's email, for tokens a user owns or is assigned.
    pub owner: Option<String>,
    /// The campaign's slug, for tokens scoped to a campaign.
    pub campaign: Option<String>,
    /// The source's slug, for a source level token.
    pub source: Option<String>,
    /// active, deactivated, expired or revoked.
    pub status: &'static str,
    /// Not switched off by support (a switched-off token can come back).
    pub active: bool,
    pub read: bool,
    pub write: bool,
    pub filter_id: Option<FilterId>,
    pub created_at: At,
    pub expires_at: Option<At>,
    pub last_used_at: Option<At>,
    pub last_used_ip: Option<String>,
    pub use_count: i64,
    pub revoked_at: Option<At>,
    pub revoked_reason: Option<String>,
    pub deactivated_reason: Option<String>,
    pub allowed_ips: Vec<String>,
    pub rate_limit: RateView,
    /// The token's own limit, or its kind's default.
    pub effective_rate_limit: RateView,
    /// Set while a regenerated token's grace runs.
    pub retiring_until: Option<At>,
    /// Its leak reports, newest first.
    pub leaks: Vec<LeakView>,
}

impl TokenView {
    pub fn new(d: &Detail, now: OffsetDateTime) -> Self {
        let row = &d.listing;
        let t = &row.token;
        Self {
            id: TokenId(t.id),
            key: t.display_key(),
            kind: t.kind,
            name: t.name.clone(),
            owner: row.owner_email.clone(),
            campaign: row.campaign_slug.clone(),
            source: row.source_slug.clone(),
            status: t.status(now).as_str(),
            active: t.active,
            read: t.can_read,
            write: t.can_write,
            filter_id: t.filter_id.map(FilterId),
            created_at: At(t.created_at),
            expires_at: at(t.expires_at),
            last_used_at: at(t.last_used_at),
            last_used_ip: t.last_used_ip.clone(),
            use_count: t.use_count,
            revoked_at: at(t.revoked_at),
            revoked_reason: t.revoked_reason.clone(),
            deactivated_reason: t.deactivated_reason.clone(),
            allowed_ips: d.allowed_ips.clone(),
            rate_limit: d.rate.into(),
            effective_rate_limit: d.effective_rate.into(),
            retiring_until: at(t.retiring_until),
            leaks: d
                .leaks
                .iter()
                .map(|l| LeakView {
                    reported_at: At(l.reported_at),
                    url: l.url.clone(),
                    source: l.source.clone(),
                    action: l.action.clone(),
                })
                .collect(),
        }
    }
}

/// Requests a token may make (`null`: no limit of its own).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateView {
    pub per_second: Option<u32>,
    pub per_minute: Option<u32>,
}

impl From<RateLimit> for RateView {
    fn from(r: RateLimit) -> Self {
        Self { per_second: r.per_second, per_minute: r.per_minute }
    }
}

/// A leak report of a token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LeakView {
    pub reported_at: At,
    pub url: String,
    pub source: String,
    pub action: String,
}

/// A regenerated token: the new value, shown once, and until when the old
/// one works (`null`: it stopped now).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegeneratedView {
    pub key: String,
    pub token: String,
    pub old_key: Option<String>,
    pub old_valid_until: Option<At>,
}

/// A token made for someone, shown once: `{id, key, token, expires_at}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedView {
    pub id: TokenId,
    pub key: String,
    pub token: String,
    pub expires_at: Option<At>,
}

impl IssuedView {
    pub fn new(new: &crate::services::NewToken) -> Self {
        Self {
            id: TokenId(new.token.id),
            key: new.token.display_key(),
            token: secrecy::ExposeSecret::expose_secret(&new.secret).to_owned(),
            expires_at: at(new.token.expires_at),
        }
    }
}

/// What `POST /api/v1/tokens/check` knows of a pasted token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckedView {
    pub known: bool,
    pub well_formed: bool,
    pub kind: Option<TokenKind>,
    pub key: Option<String>,
    pub owner: Option<String>,
    pub campaign: Option<String>,
    pub source: Option<String>,
    pub status: Option<&'static str>,
}

/// A token's uses and refusals per day, and the addresses it came from.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageView {
    pub days: Vec<UsageDay>,
    pub ips: Vec<UsageIp>,
    /// Refusals in the period, by reason.
    pub refused: std::collections::BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageDay {
    pub date: String,
    pub uses: i64,
    /// Refusals by reason.
    pub refused: std::collections::BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageIp {
    pub ip: String,
    pub last_seen: At,
}
