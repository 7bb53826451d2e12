//! One token of any kind, by its key: what its manager (or support) sees
//! of it (metadata, limits, usage per day, the addresses it was used from,
//! leak reports), and what its manager may change: its allowlist, rate
//! limit and expiry, and Regenerate with a grace period, during which the
//! old token keeps working beside the new one.
//!
//! Who manages a token follows its kind: super admins the organisation's
//! tokens, admins the campaign-scoped ones, each user their own personal
//! and profile tokens. Support may look at any token.

use std::collections::BTreeMap;

use diesel::PgConnection;
use serde_json::json;
use time::{Date, Duration, OffsetDateTime};

use crate::db::changes::Change;
use crate::domain::{Actor, Allowlist, AuditAction, Permission, RateLimit, TokenKind, normalise_key};
use crate::error::{AppError, FieldErrors};
use crate::models::{Token, TokenLeak, TokenPolicy, TokenUsage, UsageDay};
use crate::services::audit::record;
use crate::services::context::{Services, Tx};
use crate::services::credentials::lifecycle::{RevokedBy, issue_recorded, revoke_with_notice};
use crate::services::credentials::token_info::{NewToken, TokenListing, listing};
use crate::tokens::{Issued, TokenSpec};

/// The longest grace period a regenerated token may keep working.
pub const GRACE_MAX: Duration = Duration::days(7);
/// Days of use a token's page and the usage API may ask for.
pub const USAGE_DAYS_MAX: i64 = crate::models::token_usage::DAYS_KEPT;

pub fn may_manage(actor: &Actor, kind: TokenKind, user_id: Option<i64>) -> bool {
    if actor.is_command_line() {
        return true;
    }
    match kind {
        TokenKind::Global | TokenKind::AccountPublic | TokenKind::AccountPrivate | TokenKind::Reporter => {
            actor.allows(Permission::ManageOrgTokens)
        }
        TokenKind::Personal | TokenKind::Profile => actor.user_id.is_some() && actor.user_id == user_id,
        _ => actor.allows(Permission::ManageCampaigns),
    }
}

fn may_view(actor: &Actor, token: &Token) -> bool {
    may_manage(actor, token.kind, token.user_id) || actor.allows(Permission::SupportTokens)
}

/// The token with `key` (prefix optional), if the actor may see it (else
/// 404: a key says nothing to someone who may not see the token), and,
/// when `manage`, change it (else 403).
fn find(conn: &mut PgConnection, actor: &Actor, key: &str, manage: bool) -> Result<Token, AppError> {
    let key = normalise_key(key);
    let token = Token::by_key(conn, key)?
        .filter(|t| may_view(actor, t))
        .ok_or_else(|| AppError::NoSuch(format!("no token you may see has the key {key}")))?;
    if manage && !may_manage(actor, token.kind, token.user_id) {
        return Err(AppError::forbidden(match token.kind {
            TokenKind::Personal | TokenKind::Profile => "Only its owner may change a personal or profile token.",
            _ => "Your role does not allow changing this token.",
        }));
    }
    Ok(token)
}

/// A token its manager is about to change, found by key and locked.
fn find_to_change(tx: &mut PgConnection, actor: &Actor, key: &str) -> Result<Token, AppError> {
    let token = find(tx, actor, key, true)?;
    Ok(Token::find_for_update(tx, token.id)?)
}

/// A token as its page and the API show it.
#[derive(Debug, Clone)]
pub struct Detail {
    pub listing: TokenListing,
    pub allowed_ips: Vec<String>,
    /// The token's own limit; `effective` adds the kind's default.
    pub rate: RateLimit,
    pub effective_rate: RateLimit,
    pub policy: TokenPolicy,
    pub leaks: Vec<TokenLeak>,
    pub can_manage: bool,
}

impl Detail {
    /// Whole hours left of a grace period (rounded up), if retiring.
    pub fn grace_hours_left(&self, now: OffsetDateTime) -> Option<i64> {
        self.listing.token.retiring_until.map(|u| ((u - now).whole_seconds().max(0) + 3599) / 3600)
    }
}

fn detail_of(conn: &mut PgConnection, actor: &Actor, token: Token) -> Result<Detail, AppError> {
    let policy = TokenPolicy::of(conn, token.kind)?;
    let leaks = TokenLeak::of_token(conn, token.id)?;
    Ok(detail_with(actor, listing(conn, token)?, policy, leaks))
}

/// A token's lifecycle settings, from its listing, its kind's policy and
/// its leak reports.
fn detail_with(actor: &Actor, listing: TokenListing, policy: TokenPolicy, leaks: Vec<TokenLeak>) -> Detail {
    let token = &listing.token;
    let rate = token.rate;
    let default = RateLimit::stored(policy.rate_per_second, policy.rate_per_minute);
    Detail {
        allowed_ips: token.allowed_ips.clone(),
        rate,
        effective_rate: rate.or(default),
        can_manage: may_manage(actor, token.kind, token.user_id),
        leaks,
        policy,
        listing,
    }
}

/// The same for a page of listings: one query for their leak reports, one
/// per kind for the policies.
pub(in crate::services) fn details_of(
    conn: &mut PgConnection,
    actor: &Actor,
    listings: Vec<TokenListing>,
) -> Result<Vec<Detail>, AppError> {
    let ids: Vec<i64> = listings.iter().map(|l| l.token.id).collect();
    let mut leaks: BTreeMap<i64, Vec<TokenLeak>> = BTreeMap::new();
    for leak in TokenLeak::of_tokens(conn, &ids)? {
        leaks.entry(leak.token_id).or_default().push(leak);
    }
    let mut policies: std::collections::HashMap<TokenKind, TokenPolicy> = std::collections::HashMap::new();
    let mut details = Vec::with_capacity(listings.len());
    for listing in listings {
        let kind = listing.token.kind;
        let policy = match policies.get(&kind) {
            Some(p) => p.clone(),
            None => policies.entry(kind).or_insert(TokenPolicy::of(conn, kind)?).clone(),
        };
        let own = leaks.remove(&listing.token.id).unwrap_or_default();
        details.push(detail_with(actor, listing, policy, own));
    }
    Ok(details)
}

pub async fn detail(svc: &Services, actor: &Actor, key: &str) -> Result<Detail, AppError> {
    let (actor, key) = (actor.clone(), key.to_owned());
    svc.run(move |conn| {
        let token = find(conn, &actor, &key, false)?;
        detail_of(conn, &actor, token)
    })
    .await
}

/// One day of a token's use.
#[derive(Debug, Clone)]
pub struct DayUse {
    pub date: Date,
    pub uses: i64,
    /// Refusals by reason.
    pub refused: BTreeMap<String, i64>,
}

impl DayUse {
    pub fn refused_total(&self) -> i64 {
        self.refused.values().sum()
    }
}

#[derive(Debug, Clone)]
pub struct Usage {
    /// Every day of the range, oldest first, days without use included.
    pub days: Vec<DayUse>,
    pub ips: Vec<(String, OffsetDateTime)>,
}

impl Usage {
    pub fn refused_by_reason(&self) -> BTreeMap<String, i64> {
        let mut all = BTreeMap::new();
        for d in &self.days {
            for (reason, n) in &d.refused {
                *all.entry(reason.clone()).or_default() += n;
            }
        }
        all
    }
}

/// Fills the gaps between stored days with zeros.
pub fn fill_days(stored: Vec<UsageDay>, today: Date, days: i64) -> Vec<DayUse> {
    let first = today - Duration::days(days - 1);
    let mut by_day: BTreeMap<Date, UsageDay> = stored.into_iter().map(|d| (d.day, d)).collect();
    (0..days)
        .map(|i| {
            let date = first + Duration::days(i);
            match by_day.remove(&date) {
                Some(d) => DayUse {
                    date,
                    uses: d.uses,
                    refused: d
                        .refused
                        .as_object()
                        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_i64()?))).collect())
                        .unwrap_or_default(),
                },
                None => DayUse { date, uses: 0, refused: BTreeMap::new() },
            }
        })
        .collect()
}

pub async fn usage(svc: &Services, actor: &Actor, key: &str, days: i64) -> Result<Usage, AppError> {
    if !(1..=USAGE_DAYS_MAX).contains(&days) {
        return Err(AppError::invalid("days", format!("Ask for 1 to {USAGE_DAYS_MAX} days.")));
    }
    // What this instance counted but has not written yet is shown too.
    crate::services::credentials::usage::flush_usage(svc).await;
    let (actor, key) = (actor.clone(), key.to_owned());
    let today = svc.now().date();
    svc.run(move |conn| {
        let token = find(conn, &actor, &key, false)?;
        let stored = TokenUsage::daily(conn, token.id, today - Duration::days(days - 1))?;
        Ok(Usage { days: fill_days(stored, today, days), ips: TokenUsage::ips(conn, token.id)? })
    })
    .await
}

/// What a manager may change; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub allowed_ips: Option<Vec<String>>,
    /// (per second, per minute), each `None` for no limit.
    pub rate: Option<(Option<i64>, Option<i64>)>,
    /// `Some(None)`: never expires (if the policy allows it).
    pub expires_at: Option<Option<OffsetDateTime>>,
}

/// Checks every change first (errors name the field), then saves all of
/// them or none; the change reaches every instance's cache at commit.
pub async fn update(svc: &Services, actor: Actor, key: &str, changes: Changes) -> Result<Detail, AppError> {
    let mut errors = FieldErrors::new();
    let allowlist = match &changes.allowed_ips {
        Some(list) => match Allowlist::parse(list) {
            Ok(a) => Some(a),
            Err(message) => {
                errors.insert("allowed_ips".into(), message);
                None
            }
        },
        None => None,
    };
    let rate = match changes.rate {
        Some((s, m)) => match RateLimit::new(s, m) {
            Ok(r) => Some(r),
            Err((field, message)) => {
                errors.insert(format!("rate_limit.{field}"), message);
                None
            }
        },
        None => None,
    };
    let key = key.to_owned();
    let now = svc.now();
    svc.tx(move |tx| {
        let token = find_to_change(tx, &actor, &key)?;
        if token.revoked_at.is_some() {
            return Err(AppError::conflict("This token is revoked: there is nothing to change."));
        }
        if let Some(at) = changes.expires_at {
            let policy = TokenPolicy::of(tx, token.kind)?;
            if token.kind == TokenKind::Profile {
                errors.insert("expires_at".into(), "The profile API token always lives 180 days.".into());
            } else if let Err(AppError::Validation(e)) =
                crate::services::credentials::token_policy::check_expiry(&policy, at, now, "expires_at")
            {
                errors.extend(e);
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let ips = allowlist.map(|a| a.to_strings()).unwrap_or_else(|| token.allowed_ips.clone());
        let (per_second, per_minute) = match rate {
            Some(r) => r.columns(),
            None => (token.rate_per_second, token.rate_per_minute),
        };
        let expires_at = changes.expires_at.unwrap_or(token.expires_at);
        let updated = Token::set_limits(tx, token.id, &ips, per_second, per_minute, expires_at)?;
        tx.publish(Change::token(&token.digest))?;
        record(
            tx,
            now,
            &actor,
            AuditAction::TokenLimitsChanged,
            &token.display_key(),
            json!({
                "kind": token.kind, "allowed_ips": ips,
                "rate_limit": {"per_second": per_second, "per_minute": per_minute},
                "expires_at": expires_at.map(crate::clock::rfc3339),
            }),
        )?;
        detail_of(tx, &actor, updated)
    })
    .await
}

/// A regenerated token, and the one it replaces.
pub struct Regenerated {
    pub new: NewToken,
    pub old_key: String,
    /// Until when the old token still works (`None`: it stopped now).
    pub old_valid_until: Option<OffsetDateTime>,
}

pub fn check_grace(grace: Duration) -> Result<(), AppError> {
    if grace < Duration::ZERO || grace > GRACE_MAX {
        return Err(AppError::invalid(
            "grace_seconds",
            "Keep the old token working for 0 to 7 days (0 to 604800 seconds) at most.",
        ));
    }
    Ok(())
}

/// Replaces `old` with a new token of the same kind, scope and limits: the
/// old one stops now (no grace) or at the end of the grace. The caller has
/// checked the actor may; `action` and `details` are what the audit log
/// records of the new token.
#[allow(clippy::too_many_arguments)]
pub(in crate::services) fn replace(
    tx: &mut Tx<'_>,
    svc: &Services,
    actor: &Actor,
    old: &Token,
    grace: Duration,
    now: OffsetDateTime,
    action: AuditAction,
    details: serde_json::Value,
) -> Result<(Issued, Option<OffsetDateTime>), AppError> {
    check_grace(grace)?;
    let until = (grace > Duration::ZERO).then(|| now + grace);
    // First the old one leaves the one-live-token-per-scope indexes.
    match until {
        Some(u) => {
            Token::set_retiring(tx, old.id, u)?;
            tx.publish(Change::token(&old.digest))?;
        }
        None => revoke_with_notice(tx, &svc.settings, now, actor, old, RevokedBy::Regenerated)?,
    }
    let spec = TokenSpec {
        name: old.name.clone(),
        scope: old.scope()?,
        created_by: actor.user_id.or(old.created_by),
        // The policy's default lifetime, from now.
        expires_at: None,
        allowed_ips: old.allowed_ips.clone(),
        rate_per_second: old.rate_per_second,
        rate_per_minute: old.rate_per_minute,
    };
    let mut details = details;
    if let serde_json::Value::Object(map) = &mut details {
        map.insert("replaces".into(), json!(old.display_key()));
        map.insert("grace_seconds".into(), json!(grace.whole_seconds()));
    }
    let issued = issue_recorded(tx, svc, actor, old.kind, &spec, now, action, details)?;
    if old.kind.is_level() {
        tx.publish(old.campaign_id.map_or(Change::Org, Change::Campaign))?;
    }
    Ok((issued, until))
}

/// `POST /api/v1/tokens/{key}/regenerate` and a token page's Regenerate.
pub async fn regenerate(svc: &Services, actor: Actor, key: &str, grace: Duration) -> Result<Regenerated, AppError> {
    check_grace(grace)?;
    let key = key.to_owned();
    let now = svc.now();
    let s = svc.clone();
    svc.tx(move |tx| {
        let old = find_to_change(tx, &actor, &key)?;
        if !old.kind.regenerable() {
            return Err(AppError::conflict(format!(
                "A {} token is not regenerated: revoke it and create another.",
                old.kind.label().to_lowercase()
            )));
        }
        if old.revoked_at.is_some() {
            return Err(AppError::conflict("This token is revoked: there is nothing to regenerate."));
        }
        if old.retiring_until.is_some() {
            return Err(AppError::conflict(
                "This token was already regenerated and is retiring: regenerate its successor instead.",
            ));
        }
        let (issued, until) = replace(tx, &s, &actor, &old, grace, now, AuditAction::TokenRegenerated, json!({}))?;
        Ok(Regenerated { new: issued.into(), old_key: old.display_key(), old_valid_until: until })
    })
    .await
}

/// Ends a retiring token's grace period now.
pub async fn end_grace(svc: &Services, actor: Actor, key: &str) -> Result<String, AppError> {
    let key = key.to_owned();
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |tx| {
        let token = find_to_change(tx, &actor, &key)?;
        if token.revoked_at.is_some() || token.retiring_until.is_none() {
            return Err(AppError::conflict("This token is not in a grace period."));
        }
        record(tx, now, &actor, AuditAction::GraceEnded, &token.display_key(), json!({"kind": token.kind}))?;
        revoke_with_notice(tx, &settings, now, &actor, &token, RevokedBy::Regenerated)?;
        Ok(token.display_key())
    })
    .await
}

/// Revokes a token its manager no longer wants (`DELETE /api/v1/tokens/{key}`).
pub async fn revoke(svc: &Services, actor: Actor, key: &str) -> Result<String, AppError> {
    let key = key.to_owned();
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |tx| {
        let token = find_to_change(tx, &actor, &key)?;
        if token.revoked_at.is_some() {
            return Err(AppError::conflict(format!("{} is already revoked.", token.display_key())));
        }
        let by = if actor.user_id.is_some() && actor.user_id == token.user_id {
            RevokedBy::Owner
        } else {
            RevokedBy::Manager
        };
        revoke_with_notice(tx, &settings, now, &actor, &token, by)?;
        Ok(token.display_key())
    })
    .await
}

/// The secret of a retrievable token, for its manager (audited).
pub async fn reveal(svc: &Services, actor: Actor, key: &str) -> Result<(String, secrecy::SecretString), AppError> {
    let key = key.to_owned();
    let now = svc.now();
    let keys = svc.keys.clone();
    svc.tx(move |tx| {
        let token = find(tx, &actor, &key, true)?;
        if !token.kind.retrievable() || token.kind == TokenKind::Destination || token.revoked_at.is_some() {
            return Err(AppError::forbidden("This token is shown once, at creation, and cannot be shown again."));
        }
        let secret = crate::tokens::reveal(&keys, &token)?;
        record(tx, now, &actor, AuditAction::TokenShown, &token.display_key(), json!({"kind": token.kind}))?;
        Ok((token.display_key(), secret))
    })
    .await
}
